"""Demo day-of-surgery records on the demo's existing cases: theatre times of every operated case, PADS
assessments, discharge instructions, a few complications, adverse events and an unplanned return.

Idempotent: a case that already has a record of a kind is left alone. Everything goes through the stay services
(as the theatre system and the ward would record it), so the case events, audit and pushes are the real ones.
Admissions of the demo's admitted cases are registered with the HIS when it answers (the simulator in
`make demo`); without it they are skipped with a line saying so.
"""

import random
from datetime import timedelta

from django.utils import timezone

from cases.models import CaseState, SurgicalCase
from core.errors import DomainError
from stay import services
from stay.models import (
    AdverseEvent,
    Complication,
    DischargeAssessment,
    DischargeDisposition,
    TheatreTime,
    UnplannedReturn,
)

_OPERATED = (CaseState.OPERATED, CaseState.DISCHARGED, CaseState.FOLLOW_UP, CaseState.CLOSED,
             CaseState.TRANSFERRED_TO_INPATIENT)
INSTRUCTIONS = {
    "wound_care": "保持切口清洁干燥，术后第3天门诊换药，切口敷料渗湿及时更换",
    "diet": "麻醉清醒6小时后可少量饮水，术后当日清淡流质，次日逐步恢复普通饮食，忌辛辣油腻",
    "activity": "术后24小时内需有成人陪护，2周内避免剧烈运动及提重物，24小时内不得驾车",
    "medication": "按医嘱口服止痛药，如有恶心可服用止吐药",
    "warning_signs": "出现发热（体温>38.5℃）、切口红肿渗液、剧烈腹痛、呕吐不止或呼吸困难，请立即拨打病区电话或到急诊就诊",
    "follow_up": "术后第1天护士电话随访，术后第7天门诊复查",
}
READY = {"vital_signs": 2, "activity": 2, "nausea_vomiting": 2, "pain": 1, "surgical_bleeding": 2}


def _nurse_for(case):
    from accounts.models import User
    from org.scoping import ward_scope_for

    for user in User.objects.filter(roles__slug="nurse", is_active=True).order_by("pk"):
        if ward_scope_for(user).allows_ward(case.ward_id):
            return user
    return None


def _theatre_times(case) -> dict:
    """The 手麻 points around the case's recorded entry, incision and exit."""
    points = {"room_in": case.theatre_in_at}
    if case.theatre_in_at:
        points["suite_in"] = case.theatre_in_at - timedelta(minutes=12)
        points["anaesthesia_start"] = case.theatre_in_at + timedelta(minutes=5)
    if case.incision_start_at:
        points["incision"] = case.incision_start_at
    if case.incision_end_at:
        points["surgery_end"] = case.incision_end_at
    out = case.theatre_out_at
    if out:
        points["room_out"] = out
        if case.incision_end_at:
            points["anaesthesia_end"] = case.incision_end_at + min(timedelta(minutes=5), (out - case.incision_end_at) / 2)
        recovery_out = out + timedelta(minutes=45)
        limit = case.discharged_at or case.transferred_at or timezone.now()
        if recovery_out <= limit:
            points["recovery_in"] = out + timedelta(minutes=3)
            points["recovery_out"] = recovery_out
    if case.admitted_at and points.get("suite_in") and points["suite_in"] < case.admitted_at:
        points.pop("suite_in")
    return {k: v for k, v in points.items() if v is not None}


def seed_stay(hospital, *, write=print) -> dict:
    rng = random.Random(f"stay-{hospital.pk}")
    counts = dict.fromkeys(("admissions", "theatre_times", "assessments", "discharges", "complications",
                            "adverse_events", "unplanned_returns"), 0)
    cases = SurgicalCase.objects.filter(ward__department__hospital=hospital).select_related(
        "ward", "patient", "department", "surgeon").order_by("pk")

    # Admissions of patients in the ward now (the demo admitted them without the HIS).
    his_ok = True
    for case in cases.filter(state__in=(CaseState.ADMITTED, CaseState.IN_THEATRE, CaseState.OPERATED),
                             stay_admission__isnull=True):
        if not his_ok:
            break
        try:
            services.admission_import(case=case)
            counts["admissions"] += 1
        except DomainError as exc:
            his_ok = exc.code not in ("external_unavailable", "external_service_error")
            write(f"  admission of case {case.uuid} not registered with the HIS: {exc.code}")

    for case in cases.filter(state__in=(*_OPERATED, CaseState.IN_THEATRE), theatre_in_at__isnull=False):
        if TheatreTime.objects.filter(case=case).exists():
            continue
        try:
            services.theatre_times_import(case=case, times=_theatre_times(case))
            counts["theatre_times"] += 1
        except DomainError as exc:
            write(f"  theatre times of case {case.uuid} skipped: {exc.code}")

    # Patients still in the ward after their operation: a PADS assessment (most ready, some not yet).
    for case in cases.filter(state=CaseState.OPERATED):
        if DischargeAssessment.objects.filter(case=case).exists():
            continue
        nurse = _nurse_for(case)
        out = case.theatre_out_at or case.operated_at
        if nurse is None or out is None:
            continue
        items = dict(READY) if rng.random() < 0.7 else {**READY, "pain": 1, "activity": 1}
        at = min(timezone.now(), out + timedelta(minutes=50))
        services.discharge_assessment_record(case=case, actor=nurse, items=items, assessed_at=at,
                                             note="生命体征平稳" if items == READY else "仍有头晕，暂不宜离院")
        counts["assessments"] += 1

    # Discharged patients: the instructions they were given (the demo discharged them before this context).
    for case in cases.filter(state__in=(CaseState.DISCHARGED, CaseState.FOLLOW_UP, CaseState.CLOSED),
                             discharged_at__isnull=False, stay_discharge__isnull=True):
        services.discharge_import(case=case, disposition=DischargeDisposition.ORDERED, instructions=INSTRUCTIONS,
                                  follow_up_date=timezone.localdate(case.discharged_at) + timedelta(days=7))
        counts["discharges"] += 1

    operated = [c for c in cases.filter(state__in=_OPERATED, theatre_out_at__isnull=False)]
    if operated and not Complication.objects.filter(case__ward__department__hospital=hospital).exists():
        for case in operated[: max(1, len(operated) // 12)]:
            nurse = _nurse_for(case)
            at = min(timezone.now(), case.theatre_out_at + timedelta(minutes=30))
            try:
                services.complication_record(case=case, actor=nurse, occurred_at=at, stage="recovery", clavien_dindo_grade="I",
                                             description="术后恶心呕吐", treatment="昂丹司琼4mg静推后缓解")
                counts["complications"] += 1
            except DomainError as exc:
                write(f"  complication of case {case.uuid} skipped: {exc.code}")
    if operated and not AdverseEvent.objects.filter(case__ward__department__hospital=hospital).exists():
        case = operated[-1]
        at = min(timezone.now(), case.theatre_out_at + timedelta(hours=1))
        try:
            services.adverse_event_record(case=case, actor=_nurse_for(case), kind="fall", occurred_at=at,
                                          harm="none", description="首次下床如厕时头晕跌坐，未受伤",
                                          actions_taken="加强首次下床陪护宣教，床旁放置防跌倒标识")
            counts["adverse_events"] += 1
        except DomainError as exc:
            write(f"  adverse event skipped: {exc.code}")
    transferred = [c for c in operated if c.state == CaseState.TRANSFERRED_TO_INPATIENT]
    if transferred and not UnplannedReturn.objects.filter(case__ward__department__hospital=hospital).exists():
        case = transferred[0]
        at = case.theatre_out_at + (min(timezone.now(), case.transferred_at or timezone.now()) - case.theatre_out_at) / 2
        try:
            services.unplanned_return_record(case=case, actor=_nurse_for(case), occurred_at=at,
                                             reason="术后切口活动性出血", procedure_name="切口探查止血术")
            counts["unplanned_returns"] += 1
        except DomainError as exc:
            write(f"  unplanned return skipped: {exc.code}")
    write("  stay: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts

