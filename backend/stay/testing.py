"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): one row of every stay model for
`case` in `ward` — admission, a theatre time, a complication, an adverse event, an unplanned return, a discharge
assessment, a discharge and a transfer (raw rows: the matrix needs them to exist, not to be consistent)."""

from datetime import timedelta

from django.utils import timezone

from stay.models import (
    Admission,
    AdverseEvent,
    Complication,
    Discharge,
    DischargeAssessment,
    InpatientTransfer,
    TheatreTime,
    UnplannedReturn,
)


def seed_rows(*, ward, patient, case) -> None:
    if case is None:
        return
    now = timezone.now()
    common = {"case": case, "ward": ward, "patient": patient}
    Admission.objects.get_or_create(case=case, defaults={
        "ward": ward, "patient": patient, "admitted_at": now - timedelta(hours=6),
        "admission_no": f"RJSEED{case.pk:06d}", "bed_no": "01"})
    TheatreTime.objects.get_or_create(case=case, point="room_in", defaults={
        "ward": ward, "patient": patient, "at": now - timedelta(hours=5)})
    complication = Complication.objects.create(**common, occurred_at=now - timedelta(hours=3), stage="recovery",
                                               clavien_dindo_grade="II", description="术后恶心呕吐，予止吐治疗")
    AdverseEvent.objects.create(**common, kind="fall", occurred_at=now - timedelta(hours=2), harm="none",
                                description="如厕时跌倒，无受伤")
    UnplannedReturn.objects.create(**common, occurred_at=now - timedelta(hours=2), reason="术后出血",
                                   complication=complication)
    assessment = DischargeAssessment.objects.create(
        **common, assessed_at=now - timedelta(hours=1), vital_signs=2, activity=2, nausea_vomiting=2, pain=1,
        surgical_bleeding=2, score=9, ready_score=9, passed=True)
    Discharge.objects.get_or_create(case=case, defaults={
        "ward": ward, "patient": patient, "discharged_at": now, "disposition": "1", "assessment": assessment,
        "instructions": {"warning_signs": "发热、切口渗血请及时就诊"}, "his_status": "not_applicable"})
    InpatientTransfer.objects.get_or_create(case=case, defaults={
        "ward": ward, "patient": patient, "transferred_at": now, "reason_code": "complication",
        "target_ward_code": "GS-3", "target_ward_name": "普外三病区", "inpatient_admission_no": f"ZYSEED{case.pk:06d}"})
