"""Demo data of the doctor assessment: the default high-risk rules, the findings of the demo's cases (from the
results `seed_clinical` fetched from the simulator), and the surgeon's decision record behind every case whose
pre-op assessment the demo already shows as decided. Idempotent: run it again and nothing is added.
"""

from django.utils import timezone

_NOTES = {
    "passed": "术前检查结果已阅，无手术禁忌，同意日间手术。",
    "needs_attention": "术前检查部分异常，已告知患者，术前复查后手术。",
    "not_suitable": "检查提示手术风险高，暂不宜日间手术，建议专科会诊。",
}


def seed_doctor_assessment(hospital, *, write=print) -> dict:
    from cases.models import SurgicalCase
    from doctor_assessment.defaults import sync_default_rules
    from doctor_assessment.models import DoctorAssessment
    from doctor_assessment.services import findings_rebuild

    created_rules = sync_default_rules()
    write(f"  doctor assessment: {created_rules} default high-risk rule(s) added")
    counts = findings_rebuild(hospital=hospital, write=write)
    decided = (SurgicalCase.objects.filter(department__hospital=hospital)
               .exclude(preop_assessment_status="pending").select_related("surgeon", "risk_state")
               .filter(doctor_assessments__isnull=True).order_by("pk"))
    records = 0
    for case in decided:
        state = getattr(case, "risk_state", None)
        DoctorAssessment.objects.create(
            case=case, decision=case.preop_assessment_status, note=_NOTES.get(case.preop_assessment_status, ""),
            author=case.surgeon, author_name=case.surgeon.name[:100], decided_at=case.state_changed_at or timezone.now(),
            high_risk=bool(state and state.high_risk), flags=list(state.flags) if state else [],
            case_version=case.version)
        records += 1
    high = SurgicalCase.objects.filter(department__hospital=hospital, risk_state__high_risk=True).count()
    write(f"  doctor assessment: {counts['cases']} cases evaluated, {high} high-risk, {records} decision record(s)")
    return {"rules": created_rules, "cases": counts["cases"], "high_risk": high, "decisions": records}
