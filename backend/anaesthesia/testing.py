"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): one in-progress assessment of
`case` with a draft section, a citation-free evaluation-free state, and one sedation appointment with its own
assessment, all in `ward`."""

import uuid

from django.utils import timezone

from anaesthesia.models import AnaesthesiaAssessment, ProcedureKind, SedationAppointment


def seed_rows(*, ward, patient, case) -> None:
    if case is not None:
        AnaesthesiaAssessment.objects.create(
            ward=ward, patient=patient, case=case, procedure_kind=ProcedureKind.DAY_SURGERY,
            assessment_no=f"MZSEED{patient.pk:08d}", general={"name": patient.name, "sex": patient.sex},
            sections={"body": {"height_cm": 170, "weight_kg": 70}, "plan": {"anaesthesia_plan": "general_lma"}},
        )
    appointment = SedationAppointment.objects.create(
        ward=ward, patient=patient, appointment_no=f"SJSEED{uuid.uuid4().hex[:12]}", visit_no=f"VSEED{patient.pk:06d}",
        procedure_kind=ProcedureKind.GASTROSCOPY, exam_code="GI-GAS", exam_name="无痛胃镜",
        scheduled_at=timezone.now(), location="内镜中心",
    )
    AnaesthesiaAssessment.objects.create(
        ward=ward, patient=patient, sedation_appointment=appointment, procedure_kind=ProcedureKind.GASTROSCOPY,
        assessment_no=f"MZSEEDS{patient.pk:08d}", general={"name": patient.name, "sex": patient.sex},
        sections={"plan": {"anaesthesia_plan": "mac_sedation"}},
    )
