"""The surgical case state machine: THE transition table (see docs: CASE_LIFECYCLE.md).

Each row names the transition, the states it may start from (per management mode: outpatient-surgery wards
skip the inpatient admission/discharge steps), the target state (None = same state), the event it records,
the function permission that allows it, its required and optional inputs, a guard (raises a DomainError)
and an effect (sets the facts on the case). `cases.services.case_transition` is the only executor.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import errors
from cases import permissions as perms
from cases.models import (
    AnaesthesiaClinicStatus,
    CancelReason,
    CancelStage,
    CaseState,
    PreopAssessmentStatus,
    RescheduleReason,
    Session,
    TheatreScheduleStatus,
)
from core.errors import DomainError, InvalidInput
from org.models import ManagementMode

S = CaseState

PRE_ADMISSION_STATES = frozenset({S.DRAFT, S.PENDING_POOL, S.BOOKED, S.APPLICATION_SENT, S.SCHEDULED})
TERMINAL_STATES = frozenset({S.CLOSED, S.CANCELLED, S.NO_SHOW, S.TERMINATED, S.TRANSFERRED_TO_INPATIENT})
ADMITTED_STATES = frozenset({S.ADMITTED, S.IN_THEATRE, S.OPERATED})  # the length-of-stay clock runs


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset
    target: str | None  # None: the case stays in its state (reschedule)
    event_type: str
    permission: object  # accounts.permissions.Perm
    label: str
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    # guard(case, data, occurred_at, actor_info) -> None or raises DomainError; it may add derived facts to `data`
    # (recorded in the event and seen by the effect), e.g. the booking mode the booking policy resolved.
    guard: Callable | None = None
    effect: Callable | None = None  # effect(case, data, occurred_at, actor_info) -> None
    outpatient_sources: frozenset | None = None  # None: same as `sources`
    refusals: Mapping = field(default_factory=dict)  # state -> specific DomainError class
    patient_may: bool = False  # a patient principal may do it on their own case (M5)
    patient_sources: frozenset | None = None  # where a patient may do it (None: wherever staff may)

    def sources_for(self, management_mode) -> frozenset:
        if management_mode == ManagementMode.OUTPATIENT and self.outpatient_sources is not None:
            return self.outpatient_sources
        return self.sources

    @property
    def slug(self):
        """URL segment: kebab-case of the name."""
        return self.name.replace("_", "-")

    @property
    def fields(self):
        return self.required + self.optional


# --- guards ----------------------------------------------------------------------------------------------------


def _local_today():
    return timezone.localdate()


def _require_future_date(value, field_name="planned_date"):
    if value < _local_today():
        raise InvalidInput(
            _("The planned date cannot be in the past."),
            code="planned_date_in_past",
            fields={field_name: [_("The planned date cannot be in the past.")]},
        )


def _guard_confirm(case, data, occurred_at, actor):
    planned = data.get("planned_date") or case.planned_date
    if not planned:
        raise InvalidInput(
            _("A planned date is required to book the case."),
            code="planned_date_required",
            fields={"planned_date": [_("A planned date is required to book the case.")]},
        )
    _require_future_date(planned)  # also a draft's own date: it may have passed while the draft waited
    _booking_policy(case, data, planned, actor)


def _booking_policy(case, data, planned, actor):
    """B3, B5: the admission rules for the planned date, then the booking mode of whoever books."""
    from booking_policy.services import admission_check, booking_mode_resolve

    admission_check(case=case, planned_date=planned, session=data.get("planned_session", case.planned_session))
    data["booking_mode"] = booking_mode_resolve(requester=actor["user"], surgeon=case.surgeon)


def _guard_send_application(case, data, occurred_at, actor):
    if case.preop_assessment_status == PreopAssessmentStatus.PENDING:
        raise errors.PreopAssessmentMissing()
    if case.preop_assessment_status == PreopAssessmentStatus.NOT_SUITABLE:
        raise errors.PreopAssessmentNotSuitable()
    if case.anaesthesia_clinic_status not in (AnaesthesiaClinicStatus.NOT_REQUIRED, AnaesthesiaClinicStatus.PASSED):
        raise errors.AnaesthesiaClinicNotPassed()


def _guard_scheduled_or_excluded(case, data, occurred_at, actor):
    """S4: a case excluded from theatre scheduling ("not to be scheduled") goes on from application_sent; any
    other case waits for the theatre's schedule."""
    if case.state == S.APPLICATION_SENT and case.theatre_schedule_status != TheatreScheduleStatus.NOT_TO_BE_SCHEDULED:
        raise errors.NotScheduledYet(extra={"theatre_schedule_status": case.theatre_schedule_status})


def _guard_roll_back(case, data, occurred_at, actor):
    if case.theatre_schedule_status == TheatreScheduleStatus.SCHEDULED:
        raise errors.ApplicationAlreadyScheduled()


def _guard_booking_changer(case, data, occurred_at, actor):
    """P5, D6: the day-surgery manager changes any booking of their wards; a doctor only their own patients' (or
    their medical group's). The system and a patient on their own case are not limited here."""
    user = actor.get("user")
    if user is None:
        return
    from preop.errors import NotOwnPatient
    from preop.services import can_change_booking

    if not can_change_booking(user, case):
        raise NotOwnPatient()


def _guard_reschedule(case, data, occurred_at, actor):
    if data.get("reason_code") and data["reason_code"] not in RescheduleReason.values:
        raise InvalidInput(fields={"reason_code": [_("Unknown reason for rescheduling.")]})
    _require_future_date(data["planned_date"])
    session = data.get("planned_session", case.planned_session)
    if data["planned_date"] == case.planned_date and session == case.planned_session:
        raise InvalidInput(
            _("The new date and session are the same as the current ones."),
            code="reschedule_unchanged",
            fields={"planned_date": [_("The new date and session are the same as the current ones.")]},
        )
    from booking_policy.services import admission_check

    admission_check(case=case, planned_date=data["planned_date"], session=session)  # a new date changes the age


def _guard_cancel(case, data, occurred_at, actor):
    if data["reason_code"] not in CancelReason.values:
        raise InvalidInput(fields={"reason_code": [_("Unknown cancellation reason.")]})
    stage = data.get("stage")
    if stage and stage not in CancelStage.values:
        raise InvalidInput(fields={"stage": [_("Unknown cancellation stage.")]})
    if case.state == S.ADMITTED and stage and stage != CancelStage.AFTER_ARRIVAL:
        raise InvalidInput(fields={"stage": [_("An admitted patient's cancellation happens after arrival.")]})
    # The stage feeds the cancellation indicators, so it must agree with the planned day. The one choice left
    # to staff: on the day, a patient who arrived but was not admitted (or an outpatient) is "after arrival".
    derived = cancel_stage_for(case, occurred_at)
    if stage and stage != derived and not (
        derived == CancelStage.ON_DAY_BEFORE_ARRIVAL and stage == CancelStage.AFTER_ARRIVAL
    ):
        raise InvalidInput(fields={"stage": [_("The cancellation stage does not match the planned day.")]})
    if data["reason_code"] == CancelReason.OTHER and not data.get("reason_text"):
        raise InvalidInput(fields={"reason_text": [_("Describe the reason when choosing 'other'.")]})


def _guard_no_show(case, data, occurred_at, actor):
    if case.planned_date is None or case.planned_date > timezone.localdate(occurred_at):
        raise errors.NoShowBeforePlannedDay()


def _guard_finish_operation(case, data, occurred_at, actor):
    start = data.get("incision_start_at")
    end = data.get("incision_end_at")
    out = data.get("theatre_out_at") or occurred_at
    problems = {}
    if start and case.theatre_in_at and start < case.theatre_in_at:
        problems["incision_start_at"] = [_("The incision cannot start before the patient entered theatre.")]
    if start and end and end < start:
        problems["incision_end_at"] = [_("The incision cannot end before it started.")]
    if end and end > out:
        problems["theatre_out_at"] = [_("The patient cannot leave theatre before the incision ended.")]
    if case.theatre_in_at and out < case.theatre_in_at:
        problems["theatre_out_at"] = [_("The patient cannot leave theatre before entering it.")]
    if problems:
        raise InvalidInput(fields=problems)


def _guard_after_admission(case, data, occurred_at, actor):
    if case.admitted_at and occurred_at < case.admitted_at:
        raise InvalidInput(
            _("This cannot happen before admission."),
            code="before_admission",
            fields={"occurred_at": [_("This cannot happen before admission.")]},
        )


def _guard_discharge_ready(case, data, occurred_at, actor):
    """G3: staff discharge a patient whose latest discharge assessment (PADS) after the operation passed, or give
    the reason for discharging without one (`reason`, a documented override). See stay.rules."""
    from stay.rules import discharge_readiness_check  # stay imports cases: resolved at call time

    discharge_readiness_check(case, data, occurred_at, actor)


def _guard_session(case, data, occurred_at, actor):
    session = data.get("planned_session")
    if session and session not in Session.values:
        raise InvalidInput(fields={"planned_session": [_("Unknown session.")]})


def _all(*guards):
    def guard(case, data, occurred_at, actor):
        for g in guards:
            g(case, data, occurred_at, actor)

    return guard


# --- effects ---------------------------------------------------------------------------------------------------


def _set_planned(case, data):
    if data.get("planned_date"):
        case.planned_date = data["planned_date"]
    if "planned_session" in data:
        case.planned_session = data["planned_session"] or ""


def _effect_confirm(case, data, at, actor):
    _set_planned(case, data)
    from capacity.places import place_take  # capacity imports cases: resolved at call time

    place_take(case=case, planned_date=case.planned_date, session=case.planned_session)
    case.booked_at = at
    if actor.get("user") is not None and case.booked_by_id is None:
        case.booked_by = actor["user"]
    case.booking_mode = data.get("booking_mode", "")


def _release_places(case):
    """B4, B6: a booking that ends before the patient arrived gives its places back (once). A case that went on
    (operated, discharged, transferred) keeps its place: the past timetable and the utilisation show who came."""
    from capacity.places import place_release

    place_release(case=case)


def _effect_pool(case, data, at, actor):
    case.end_reason = data["reason"]
    _release_places(case)


def _effect_resume(case, data, at, actor):
    case.end_reason = ""


def _effect_send_application(case, data, at, actor):
    from scheduling.exclusions import is_excluded  # scheduling imports cases: resolved at call time

    case.application_sent_at = at
    excluded = is_excluded(case)
    case.theatre_schedule_status = (
        TheatreScheduleStatus.NOT_TO_BE_SCHEDULED if excluded else TheatreScheduleStatus.SENT_NOT_SCHEDULED
    )
    data["excluded_from_scheduling"] = excluded  # recorded in the event: the theatre port is not called


def _effect_roll_back(case, data, at, actor):
    case.application_sent_at = None
    case.theatre_schedule_status = TheatreScheduleStatus.NOT_SENT


def _effect_theatre_scheduled(case, data, at, actor):
    case.theatre_schedule_status = TheatreScheduleStatus.SCHEDULED
    case.theatre_scheduled_at = at
    case.scheduled_start = data.get("scheduled_start")
    case.theatre_room = data.get("theatre_room")
    case.theatre_sequence = data.get("theatre_sequence")


def _effect_theatre_cancelled(case, data, at, actor):
    case.theatre_schedule_status = TheatreScheduleStatus.SENT_NOT_SCHEDULED
    case.theatre_scheduled_at = None
    case.scheduled_start = None
    case.theatre_room = None
    case.theatre_sequence = None


def _effect_reschedule(case, data, at, actor):
    _set_planned(case, data)
    from capacity.places import place_move  # a full new date raises and rolls back: the old places stay

    place_move(case=case, planned_date=case.planned_date, session=case.planned_session)


def cancel_stage_for(case, at):
    if case.state == S.ADMITTED:
        return CancelStage.AFTER_ARRIVAL
    if case.planned_date is None or case.planned_date > timezone.localdate(at):
        return CancelStage.BEFORE_DAY  # (no day planned yet: cancelled before any day)
    return CancelStage.ON_DAY_BEFORE_ARRIVAL


def _effect_cancel(case, data, at, actor):
    case.ended_at = at
    case.cancel_stage = data.get("stage") or cancel_stage_for(case, at)
    case.cancel_reason_code = data["reason_code"]
    case.cancel_reason_text = data.get("reason_text", "")
    case.cancelled_by_type = actor["type"]
    case.cancelled_by_id = actor["id"]
    case.cancelled_by_name = actor["name"]
    if case.theatre_schedule_status != TheatreScheduleStatus.NOT_SENT:
        case.theatre_schedule_status = TheatreScheduleStatus.NOT_TO_BE_SCHEDULED
    if case.state == S.ADMITTED:
        case.discharged_at = at  # admitted, not operated, sent home: the stay ends here
    _release_places(case)


def _effect_no_show(case, data, at, actor):
    case.ended_at = at
    case.end_reason = data.get("reason", "")
    if case.theatre_schedule_status != TheatreScheduleStatus.NOT_SENT:
        case.theatre_schedule_status = TheatreScheduleStatus.NOT_TO_BE_SCHEDULED
    _release_places(case)


def _effect_terminate(case, data, at, actor):
    case.ended_at = at
    case.end_reason = data["reason"]
    case.anaesthesia_clinic_status = AnaesthesiaClinicStatus.FAILED
    if case.theatre_schedule_status != TheatreScheduleStatus.NOT_SENT:
        case.theatre_schedule_status = TheatreScheduleStatus.NOT_TO_BE_SCHEDULED
    _release_places(case)


def _effect_admit(case, data, at, actor):
    case.admitted_at = at


def _effect_enter_theatre(case, data, at, actor):
    case.theatre_in_at = at


def _effect_finish_operation(case, data, at, actor):
    case.incision_start_at = data.get("incision_start_at")
    case.incision_end_at = data.get("incision_end_at")
    case.theatre_out_at = data.get("theatre_out_at") or at
    case.operated_at = at


def _effect_discharge(case, data, at, actor):
    from cases.los import los_level_at

    case.discharged_at = at
    level = los_level_at(case, at)
    if _rank(level) > _rank(case.los_alert_level):
        case.los_alert_level = level
        case.los_alert_changed_at = at


def _rank(level):
    from cases.models import LOS_LEVEL_RANK

    return LOS_LEVEL_RANK[level]


def _effect_transfer(case, data, at, actor):
    case.transferred_at = at
    case.transfer_reason = data["reason"]
    case.inpatient_ward_name = data.get("inpatient_ward_name", "")
    case.inpatient_admission_no = data.get("inpatient_admission_no", "")


def _effect_start_follow_up(case, data, at, actor):
    case.follow_up_started_at = at


def _effect_close(case, data, at, actor):
    case.closed_at = at


# --- THE table -------------------------------------------------------------------------------------------------

_T = Transition
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in [
        _T("confirm", frozenset({S.DRAFT}), S.BOOKED, "cases.case.booked", perms.BOOK_CASE, _("Confirm booking"),
           optional=("planned_date", "planned_session"), guard=_all(_guard_session, _guard_confirm),
           effect=_effect_confirm),
        _T("to_pending_pool", frozenset({S.DRAFT}), S.PENDING_POOL, "cases.case.moved_to_pending_pool",
           perms.BOOK_CASE, _("Move to the pending booking pool"), required=("reason",), effect=_effect_pool),
        _T("resume", frozenset({S.PENDING_POOL}), S.DRAFT, "cases.case.resumed", perms.BOOK_CASE,
           _("Resume booking"), effect=_effect_resume),
        _T("send_application", frozenset({S.BOOKED}), S.APPLICATION_SENT, "cases.case.application_sent",
           perms.SEND_APPLICATION, _("Send surgery application"), guard=_guard_send_application,
           effect=_effect_send_application),
        _T("roll_back_application", frozenset({S.APPLICATION_SENT}), S.BOOKED, "cases.case.application_rolled_back",
           perms.ROLL_BACK_APPLICATION, _("Roll back surgery application"), required=("reason",),
           guard=_guard_roll_back, effect=_effect_roll_back,
           refusals={S.SCHEDULED: errors.ApplicationAlreadyScheduled}),
        _T("theatre_scheduled", frozenset({S.APPLICATION_SENT}), S.SCHEDULED, "cases.case.theatre_scheduled",
           perms.RECORD_THEATRE_SCHEDULE, _("Theatre scheduled the operation"),
           optional=("scheduled_start", "theatre_room", "theatre_sequence"), effect=_effect_theatre_scheduled),
        _T("theatre_cancelled", frozenset({S.SCHEDULED}), S.APPLICATION_SENT, "cases.case.theatre_schedule_cancelled",
           perms.RECORD_THEATRE_SCHEDULE, _("Theatre cancelled the schedule"), optional=("reason",),
           effect=_effect_theatre_cancelled),
        _T("reschedule", frozenset({S.BOOKED, S.APPLICATION_SENT}), None, "cases.case.rescheduled",
           perms.RESCHEDULE_CASE, _("Reschedule"), required=("planned_date", "reason"),
           optional=("planned_session", "reason_code"),
           guard=_all(_guard_booking_changer, _guard_session, _guard_reschedule), effect=_effect_reschedule,
           refusals={S.SCHEDULED: errors.RescheduleRequiresRollBack}),
        _T("cancel", PRE_ADMISSION_STATES | {S.ADMITTED}, S.CANCELLED, "cases.case.cancelled", perms.CANCEL_CASE,
           _("Cancel the operation"), required=("reason_code",), optional=("reason_text", "stage"),
           guard=_all(_guard_booking_changer, _guard_cancel), effect=_effect_cancel, outpatient_sources=PRE_ADMISSION_STATES, patient_may=True,
           patient_sources=PRE_ADMISSION_STATES),  # after admission the ward records it (the stay ends)
        _T("no_show", frozenset({S.BOOKED, S.APPLICATION_SENT, S.SCHEDULED}), S.NO_SHOW, "cases.case.no_show_recorded",
           perms.RECORD_NO_SHOW, _("Record that the patient did not arrive"), optional=("reason",),
           guard=_guard_no_show, effect=_effect_no_show),
        _T("terminate", frozenset({S.BOOKED, S.APPLICATION_SENT, S.SCHEDULED}), S.TERMINATED, "cases.case.terminated",
           perms.TERMINATE_CASE, _("Terminate after failed anaesthesia assessment"), required=("reason",),
           effect=_effect_terminate),
        _T("admit", frozenset({S.SCHEDULED, S.APPLICATION_SENT}), S.ADMITTED, "cases.case.admitted",
           perms.ADMIT_DISCHARGE, _("Admit"), guard=_guard_scheduled_or_excluded, effect=_effect_admit,
           outpatient_sources=frozenset()),
        _T("enter_theatre", frozenset({S.ADMITTED}), S.IN_THEATRE, "cases.case.entered_theatre", perms.RECORD_THEATRE,
           _("Enter theatre"), guard=_all(_guard_scheduled_or_excluded, _guard_after_admission),
           effect=_effect_enter_theatre, outpatient_sources=frozenset({S.SCHEDULED, S.APPLICATION_SENT})),
        _T("finish_operation", frozenset({S.IN_THEATRE}), S.OPERATED, "cases.case.operated", perms.RECORD_THEATRE,
           _("Finish operation"), optional=("incision_start_at", "incision_end_at", "theatre_out_at"),
           guard=_guard_finish_operation, effect=_effect_finish_operation),
        _T("discharge", frozenset({S.OPERATED}), S.DISCHARGED, "cases.case.discharged", perms.ADMIT_DISCHARGE,
           _("Discharge"), optional=("reason",), guard=_all(_guard_after_admission, _guard_discharge_ready),
           effect=_effect_discharge, outpatient_sources=frozenset()),
        _T("transfer_to_inpatient", frozenset({S.ADMITTED, S.IN_THEATRE, S.OPERATED}), S.TRANSFERRED_TO_INPATIENT,
           "cases.case.transferred_to_inpatient", perms.TRANSFER_TO_INPATIENT, _("Transfer to an inpatient ward"),
           required=("reason",), optional=("inpatient_ward_name", "inpatient_admission_no"),
           guard=_guard_after_admission, effect=_effect_transfer,
           outpatient_sources=frozenset({S.IN_THEATRE, S.OPERATED})),
        _T("start_follow_up", frozenset({S.DISCHARGED}), S.FOLLOW_UP, "cases.case.follow_up_started",
           perms.MANAGE_FOLLOW_UP, _("Start follow-up"), effect=_effect_start_follow_up,
           outpatient_sources=frozenset({S.OPERATED})),
        _T("close", frozenset({S.FOLLOW_UP}), S.CLOSED, "cases.case.closed", perms.MANAGE_FOLLOW_UP, _("Close"),
           optional=("note",), effect=_effect_close),
    ]
}


def get_transition(name: str) -> Transition:
    try:
        return TRANSITIONS[name]
    except KeyError:
        raise errors.UnknownTransition() from None


def refusal_for(transition: Transition, case, *, by_patient=False) -> DomainError | None:
    """The error to raise when `transition` cannot start from the case's current state, else None."""
    mode = case.ward.management_mode
    sources = transition.sources_for(mode)
    if by_patient and transition.patient_sources is not None:
        sources = sources & transition.patient_sources
    if case.state in sources:
        return None
    if not sources:
        return errors.NotApplicableToMode()
    error_class = transition.refusals.get(case.state, errors.InvalidTransition)
    return error_class(extra={"state": case.state, "transition": transition.name})


def available_transitions(case) -> list[str]:
    """Transition names whose source state matches (guards and permissions are checked when performed)."""
    mode = case.ward.management_mode
    return [t.name for t in TRANSITIONS.values() if case.state in t.sources_for(mode)]


def coerce_value(name, value):
    """Service-level typing for callers that bypass the API serializers (jobs, integrations, tests)."""
    if name in ("planned_date",) and isinstance(value, str):
        return date.fromisoformat(value)
    if name.endswith("_at") or name == "scheduled_start":
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime) and timezone.is_naive(value):
            value = timezone.make_aware(value)
    return value
