"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): one lab report with one result
and one exam report of `patient`, for the visit of `case`."""

from decimal import Decimal

from django.utils import timezone

from clinical.models import Arrow, ExamImage, ExamKind, ExamReport, Flag, LabReport, LabResult


def seed_rows(*, ward, patient, case) -> None:
    visit_no = getattr(case, "visit_no", "") or f"VSEED{patient.pk:06d}"
    now = timezone.now()
    report = LabReport.objects.create(patient=patient, visit_no=visit_no, report_no=f"LSEED{patient.pk:08d}",
                                      panel_code="CBC", name="血常规", issued_at=now, fetched_at=now)
    LabResult.objects.create(report=report, code="718-7", name="血红蛋白", value="98", numeric_value=Decimal("98"),
                             unit="g/L", ref_low=Decimal("115"), ref_high=Decimal("150"), flag=Flag.LOW,
                             arrow=Arrow.DOWN)
    exam = ExamReport.objects.create(patient=patient, visit_no=visit_no, report_no=f"ESEED{patient.pk:08d}",
                                     kind=ExamKind.ECG, code="ECG12", name="十二导联心电图", findings="窦性心律。",
                                     conclusion="窦性心律，正常心电图", abnormal=False, issued_at=now, fetched_at=now,
                                     images_synced_at=now)
    ExamImage.objects.create(report=exam, image_id=f"IMG-SEED-{patient.pk}", title="十二导联心电图 波形",
                             content_type="image/png", declared_size=9_000_000, status="too_large", fetched_at=now)
