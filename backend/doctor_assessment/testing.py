"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): the risk state, one finding and
one decision of `case`, in `ward`."""

from django.utils import timezone

from doctor_assessment.models import CaseFinding, CaseRiskState, DoctorAssessment, HighRiskRule


def seed_rows(*, ward, patient, case) -> None:
    if case is None:
        return
    now = timezone.now()
    rule = HighRiskRule.objects.filter(hospital__isnull=True, key="hbsag_positive").first()
    flag = {"category": "infectious", "code": "5196-1", "label": "乙肝表面抗原阳性", "rule": str(rule.uuid) if rule else ""}
    CaseRiskState.objects.update_or_create(case=case, defaults={
        "high_risk": True, "categories": ["infectious"], "flags": [flag], "max_severity": "high",
        "summary": {"labs": 1, "labs_abnormal": 1}, "evaluated_at": now, "changed_at": now})
    CaseFinding.objects.create(case=case, rule=rule, rule_key="hbsag_positive", category="infectious",
                               severity="high", source="lab", code="5196-1", label="乙肝表面抗原阳性",
                               value="乙型肝炎病毒表面抗原(HBsAg) 阳性(+)", detected_at=now)
    DoctorAssessment.objects.create(case=case, decision="needs_attention", note="HBsAg阳性，安排末台",
                                    author_name="种子医生", decided_at=now, high_risk=True, flags=[flag])
