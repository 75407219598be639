"""Demo theatre scheduling (S1–S5) on the demo's existing cases. Idempotent.

- an exclusion: one minor procedure done under local anaesthesia in the ward's treatment room is "not to be
  scheduled"; up to two booked cases of it (ready to send) have their application sent, so the schedule shows
  that state;
- the hospital's fixed export layout (the columns a theatre list has on paper);
- the theatre applications of the cases the demo sent or scheduled before this context existed: a scheduled case
  gets its application as the theatre scheduled it (room, sequence, start); a case waiting for the theatre gets
  one that the retry task (`scheduling.retry_theatre_calls`) submits to the theatre system when the worker runs —
  the simulator then schedules it and calls the platform back, so the demo's schedule fills up by itself.
"""

from django.db import transaction
from django.utils import timezone

from cases.models import (
    AnaesthesiaClinicStatus,
    CaseState,
    PreopAssessmentStatus,
    SurgicalCase,
    TheatreScheduleStatus,
)
from scheduling.models import (
    OPEN_STATUSES,
    ApplicationStatus,
    ExclusionKind,
    ScheduleExclusion,
    ScheduleExportLayout,
    TheatreApplication,
)

LAYOUT_TITLE = "日间手术排程表"
LAYOUT_COLUMNS = [
    {"key": "planned_date", "header": "手术日期", "width": 12},
    {"key": "room", "header": "手术间", "width": 12},
    {"key": "sequence", "header": "台次", "width": 6},
    {"key": "scheduled_start", "header": "开台时间", "width": 10},
    {"key": "ward", "header": "病区", "width": 14},
    {"key": "patient_name", "header": "患者姓名", "width": 10},
    {"key": "sex", "header": "性别", "width": 6},
    {"key": "age", "header": "年龄", "width": 6},
    {"key": "reg_no", "header": "登记号", "width": 14},
    {"key": "diagnosis", "header": "术前诊断", "width": 24},
    {"key": "procedure_name", "header": "拟施手术", "width": 28},
    {"key": "surgeon", "header": "主刀医生", "width": 10},
    {"key": "assistants", "header": "助手", "width": 14},
    {"key": "anaesthesia_method", "header": "麻醉方式", "width": 12},
    {"key": "marker", "header": "标识", "width": 6},
    {"key": "schedule_status", "header": "排程状态", "width": 12},
    {"key": "remarks", "header": "备注", "width": 20},
]
EXCLUSION_REASON = "局麻一级手术在病区治疗室完成，不经手术室排程"


def _ready_booked(hospital):
    today = timezone.localdate()
    return (
        SurgicalCase.objects.filter(
            ward__department__hospital=hospital, state=CaseState.BOOKED, planned_date__gte=today,
            preop_assessment_status__in=[PreopAssessmentStatus.PASSED, PreopAssessmentStatus.NEEDS_ATTENTION],
            anaesthesia_clinic_status__in=[AnaesthesiaClinicStatus.PASSED, AnaesthesiaClinicStatus.NOT_REQUIRED],
            procedure__isnull=False,
        )
        .select_related("procedure", "ward")
        .order_by("procedure__grade", "planned_date", "pk")
    )


def _nurse_for(ward):
    from accounts.models import User
    from org.scoping import ward_scope_for

    for user in User.objects.filter(roles__slug="nurse", is_active=True).order_by("pk"):
        if ward_scope_for(user).allows_ward(ward.pk):
            return user
    return None


def _seed_exclusion(hospital, write) -> int:
    from cases.services import case_transition

    exclusion = ScheduleExclusion.objects.filter(hospital=hospital, kind=ExclusionKind.PROCEDURE).first()
    if exclusion is None:
        first = _ready_booked(hospital).first()
        if first is None:
            write("  scheduling: no booked case ready to send; no exclusion example")
            return 0
        exclusion = ScheduleExclusion.objects.create(hospital=hospital, kind=ExclusionKind.PROCEDURE,
                                                     procedure=first.procedure, reason=EXCLUSION_REASON)
        write(f"  scheduling: exclusion for {first.procedure.name} ({first.procedure.code})")
    already = SurgicalCase.objects.filter(ward__department__hospital=hospital,
                                          theatre_schedule_status=TheatreScheduleStatus.NOT_TO_BE_SCHEDULED,
                                          procedure=exclusion.procedure).count()
    sent = 0
    for case in _ready_booked(hospital).filter(procedure=exclusion.procedure)[: max(0, 2 - already)]:
        with transaction.atomic():
            case_transition(case=case, transition="send_application", actor=_nurse_for(case.ward))
        sent += 1
    return sent


def _seed_applications(hospital) -> tuple[int, int]:
    from scheduling.services import _application_no

    with_app = TheatreApplication.objects.filter(status__in=OPEN_STATUSES).values("case_id")
    cases = (
        SurgicalCase.objects.filter(ward__department__hospital=hospital,
                                    state__in=[CaseState.SCHEDULED, CaseState.APPLICATION_SENT])
        .exclude(theatre_schedule_status=TheatreScheduleStatus.NOT_TO_BE_SCHEDULED)
        .exclude(pk__in=with_app)
        .select_related("theatre_room")
        .order_by("planned_date", "pk")
    )
    scheduled = waiting = 0
    now = timezone.now()
    for case in cases:
        app = TheatreApplication(case=case, application_no=_application_no(case, case.planned_date),
                                 planned_date=case.planned_date, attempts=0)
        if case.state == CaseState.SCHEDULED:
            app.status = ApplicationStatus.SCHEDULED
            app.attempts = 1
            app.submitted_at = case.application_sent_at or now
            app.theatre_scheduled_at = case.theatre_scheduled_at or now
            app.theatre_status = "scheduled"
            app.theatre_room_code = case.theatre_room.code if case.theatre_room_id else ""
            app.theatre_sequence = case.theatre_sequence
            app.scheduled_start = case.scheduled_start
            scheduled += 1
        else:
            app.status = ApplicationStatus.PENDING
            app.next_attempt_at = now  # the retry task sends it to the theatre
            waiting += 1
        app.save()
    return scheduled, waiting


def seed_scheduling(hospital, *, write=print) -> dict:
    layout_created = False
    if not ScheduleExportLayout.objects.filter(hospital=hospital).exists():
        ScheduleExportLayout.objects.create(hospital=hospital, title=LAYOUT_TITLE, columns=LAYOUT_COLUMNS)
        layout_created = True
    excluded = _seed_exclusion(hospital, write)
    scheduled, waiting = _seed_applications(hospital)
    counts = {"export_layout": int(layout_created), "excluded_sent": excluded, "applications_scheduled": scheduled,
              "applications_to_send": waiting}
    write("  scheduling: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return counts
