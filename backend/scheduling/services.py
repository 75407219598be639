"""Writes of theatre scheduling (S1, S4, S5). Each change: lock, check, change, case event + audit, one transaction.

The life of a surgery application (手术申请单) at the theatre system:

- `application_send` (outbox handler on `cases.case.application_sent`, a new date, or staff resending): a new
  application with its own number is submitted through the theatre port → `scheduling.application.submitted`,
  or `scheduling.application.failed` (unreachable: retried with backoff by `retry_due_calls`; refused: staff
  resend after fixing the data). The HTTP call is made WITHOUT the case row lock; afterwards, under the lock, an
  application the case no longer wants (rolled back, cancelled, moved meanwhile) is withdrawn at once.
- `applications_withdraw` (roll back, cancel, no-show, termination, new date): DELETE at the theatre →
  `scheduling.application.withdrawn`; a theatre that cannot be reached is asked again later.
- `booking_apply` (the theatre's signed callback, polling, the submission's own answer): scheduled → the
  `theatre_scheduled` transition (room mapped to org.TheatreRoom, sequence, planned start); a changed schedule →
  `theatre_cancelled` + `theatre_scheduled`; cancelled by the theatre → `theatre_cancelled` (scheduled case) or
  `scheduling.application.failed`. Idempotent; a callback older than what we know (revision) is ignored.
- `schedule_poll`: the schedule of the coming days plus the state of each open application not seen in it.
"""

import logging
import re
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction
from audit.services import audit_record
from cases.models import CaseState, SurgicalCase, TheatreScheduleStatus
from cases.services import case_append_event, case_lock, case_transition
from core.errors import ExternalServiceError, InvalidInput, NotAllowed
from scheduling import errors
from scheduling.conf import conf
from scheduling.models import (
    AT_THEATRE_STATUSES,
    OPEN_STATUSES,
    ApplicationStatus,
    ExclusionKind,
    ScheduleExclusion,
    ScheduleExportLayout,
    TheatreApplication,
    UpdateSource,
)

logger = logging.getLogger(__name__)

EVENT_SUBMITTED = "scheduling.application.submitted"
EVENT_FAILED = "scheduling.application.failed"
EVENT_WITHDRAWN = "scheduling.application.withdrawn"

S = ApplicationStatus
_SENDABLE_STATES = frozenset({CaseState.APPLICATION_SENT})
# States in which the theatre's answer still moves the case (later the day's facts come from the ward).
_SCHEDULABLE_STATES = frozenset({CaseState.APPLICATION_SENT, CaseState.SCHEDULED})
_AFTER_SCHEDULING_STATES = frozenset({CaseState.ADMITTED, CaseState.IN_THEATRE, CaseState.OPERATED})


def _port():
    from integrations.registry import get_port

    return get_port("theatre")


def _backoff(attempts: int) -> timedelta:
    base = conf("SCHEDULING_RETRY_BACKOFF_SECONDS")
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), conf("SCHEDULING_RETRY_BACKOFF_MAX_SECONDS")))


def _error_text(exc) -> str:
    if isinstance(exc, ExternalServiceError):
        extra = exc.extra or {}
        status = extra.get("http_status")
        remote = extra.get("remote_code")
        parts = [str(exc.message)]
        if status:
            parts.append(f"HTTP {status}")
        if remote:
            parts.append(f"[{remote}]")
        return " ".join(parts)[:500]
    return str(exc)[:500]


def _case_for_update(case) -> SurgicalCase:
    return case_lock(case)


def _load_case(case) -> SurgicalCase:
    return (
        SurgicalCase.objects.select_related(
            "patient", "ward", "ward__department", "department", "surgeon", "procedure", "preferred_room"
        )
        .prefetch_related("patient__identifiers")
        .get(pk=case.pk)
    )


# --- the application as the theatre receives it -----------------------------------------------------------------


def _application_no(case, planned_date) -> str:
    n = TheatreApplication.objects.filter(case=case).count() + 1
    prefix = conf("SCHEDULING_APPLICATION_PREFIX")
    return f"{prefix}{planned_date:%Y%m%d}{case.pk:06d}{n:02d}"


def application_dto(case, application):
    """The port's application for `case` (the theatre's own fields: 登记号, 主刀工号, 申请科室, 预估时长...)."""
    from integrations.ports.theatre import TheatreApplication as Dto

    procedure = case.procedure
    estimated = case.expected_duration_minutes or (procedure.default_duration_minutes if procedure else None) or 60
    return Dto(
        application_no=application.application_no,
        reg_no=case.patient.reg_no,
        patient_name=case.patient.name,
        procedure_code=case.procedure_code or (procedure.code if procedure else ""),
        procedure_name=case.procedure_name,
        surgeon_employee_no=case.surgeon.employee_no,
        department_code=case.department.code,
        planned_date=application.planned_date,
        estimated_minutes=int(estimated),
        anaesthesia=case.anaesthesia_method,
        day_surgery=True,
        surgeon_name=case.surgeon.name,
        diagnosis_name=case.diagnosis_name,
        planned_session=case.planned_session,
        ward_code=case.ward.code,
        preferred_room=case.preferred_room.code if case.preferred_room_id else "",
        preferred_sequence=case.preferred_sequence,
    )


def _wants(case, application) -> bool:
    """Whether the (locked) case still wants this application at the theatre."""
    return (
        case.state in _SCHEDULABLE_STATES
        and case.theatre_schedule_status != TheatreScheduleStatus.NOT_TO_BE_SCHEDULED
        and case.planned_date == application.planned_date
        and application.status in OPEN_STATUSES
    )


def application_send(*, case, actor=None, trigger_event=None, replace=False):
    """Submit a new application for a case whose application was sent (and is not excluded). Returns the
    application, or None when the case has nothing to send. Call it in a transaction (outbox handler, task).

    An open application for the same date is kept unless `replace` (the application's content changed, e.g.
    the surgeon); one for another date is withdrawn first."""
    case = _load_case(case)
    if case.state not in _SENDABLE_STATES or case.theatre_schedule_status != TheatreScheduleStatus.SENT_NOT_SCHEDULED:
        return None
    if trigger_event and TheatreApplication.objects.filter(trigger_event=trigger_event).exists():
        return None  # this event was handled (outbox delivery is at-least-once)
    current = TheatreApplication.objects.filter(case=case, status__in=OPEN_STATUSES).first()
    if current is not None:
        if (not replace and current.planned_date == case.planned_date
                and current.status in (S.PENDING, S.SUBMITTED, S.SCHEDULED)):
            return current  # already at the theatre for this date
        _withdraw(current, reason="replaced by a new application", actor=actor)
    try:
        with transaction.atomic():
            application = TheatreApplication.objects.create(
                case=case, application_no=_application_no(case, case.planned_date), trigger_event=trigger_event,
                planned_date=case.planned_date,
            )
    except IntegrityError:
        return None  # another worker created the case's application at this moment: theirs goes on
    return _submit(application, case=case, actor=actor)


def _call_submit(application, case):
    """(status, booking, error): the theatre's answer, without any lock held."""
    try:
        booking = _port().submit_application(
            application_dto(case, application), idempotency_key=f"theatre-submit:{application.application_no}"
        )
    except ExternalServiceError as exc:
        rejected = exc.code == "external_rejected"
        return (S.REJECTED if rejected else S.FAILED), None, _error_text(exc)
    except ImproperlyConfigured as exc:
        logger.error("theatre port not configured: %s", exc)
        return S.FAILED, None, str(exc)[:500]
    return S.SUBMITTED, booking, ""


def _submit(application, *, case, actor=None):
    status, booking, error = _call_submit(application, case)
    locked = _case_for_update(case)
    app = TheatreApplication.objects.select_for_update().get(pk=application.pk)
    app.attempts += 1
    now = timezone.now()
    if not _wants(locked, app):
        # Rolled back, cancelled or moved while the theatre was being called: it must not stay there.
        app.save(update_fields=["attempts", "updated_at"])
        if status == S.SUBMITTED:
            return _withdraw(app, reason="no longer wanted by the case", actor=None, locked_case=locked)
        return _mark_withdrawn(app, locked, reason="no longer wanted by the case", actor=None, event=False)
    before_status = app.status
    if status == S.SUBMITTED:
        # The theatre's callback may have come before this answer was processed: never go back from its word.
        if app.status not in (S.SUBMITTED, S.SCHEDULED, S.CANCELLED_BY_THEATRE):
            app.status = S.SUBMITTED
        app.submitted_at = app.submitted_at or now
        app.last_error = ""
        app.next_attempt_at = None
        app.save()
        if before_status != S.SUBMITTED:  # else recorded when the callback said "received"
            case_append_event(locked, type=EVENT_SUBMITTED, actor=actor,
                              payload={"application_no": app.application_no, "planned_date": app.planned_date,
                                       "attempts": app.attempts})
            audit_record(actor=actor, system=actor is None, action=AuditAction.CREATE, target=app,
                         after={"application_no": app.application_no, "status": app.status},
                         detail="theatre application")
        if booking is not None and booking.status != "received":
            _apply_locked(locked, app, booking, source=UpdateSource.SUBMIT)
        return app
    app.status = status
    app.last_error = error
    retrying = status == S.FAILED and app.attempts < conf("SCHEDULING_SUBMIT_MAX_ATTEMPTS")
    app.next_attempt_at = now + _backoff(app.attempts) if retrying else None
    app.save()
    if before_status != status or status == S.REJECTED:
        case_append_event(locked, type=EVENT_FAILED, actor=actor,
                          payload={"application_no": app.application_no, "error": error,
                                   "retrying": retrying, "rejected": status == S.REJECTED})
    return app


# --- withdrawing ------------------------------------------------------------------------------------------------


def applications_withdraw(*, case, reason: str, actor=None) -> int:
    """Withdraw every application of the case the theatre may still hold (roll back, cancellation...)."""
    count = 0
    apps = list(TheatreApplication.objects.filter(case=case, status__in=[*OPEN_STATUSES, S.WITHDRAWING]))
    # Read after the applications: a message delivered again (or late) after the case was sent anew must not
    # withdraw the application the case holds now.
    current = SurgicalCase.objects.get(pk=case.pk)
    for app in apps:
        if _wants(current, app):
            continue
        _withdraw(app, reason=reason, actor=actor)
        count += 1
    return count


def _withdraw(application, *, reason, actor=None, locked_case=None):
    error = None
    refused = False
    if application.status in AT_THEATRE_STATUSES or application.status == S.WITHDRAWING:
        try:
            _port().cancel_application(application.application_no,
                                       idempotency_key=f"theatre-cancel:{application.application_no}")
        except ExternalServiceError as exc:
            if exc.code == "external_rejected":
                refused = True  # the theatre will not withdraw it (e.g. the operation started): recorded
            else:
                error = _error_text(exc)
        except ImproperlyConfigured as exc:
            error = str(exc)[:500]
    locked = locked_case or _case_for_update(application.case)
    app = TheatreApplication.objects.select_for_update().get(pk=application.pk)
    if app.status == S.WITHDRAWN:
        return app
    if error is not None:
        app.status = S.WITHDRAWING
        app.attempts += 1
        app.last_error = error
        app.withdraw_reason = reason[:200]
        app.next_attempt_at = timezone.now() + _backoff(app.attempts)
        app.save()
        return app
    return _mark_withdrawn(app, locked, reason=app.withdraw_reason or reason, actor=actor, refused=refused)


def _mark_withdrawn(app, locked_case, *, reason, actor=None, event=True, refused=False):
    was_at_theatre = app.submitted_at is not None
    app.status = S.WITHDRAWN
    app.withdrawn_at = timezone.now()
    app.withdraw_reason = reason[:200]
    app.next_attempt_at = None
    if refused:
        app.last_error = "the theatre refused the withdrawal"
    app.save()
    if event and was_at_theatre:
        case_append_event(locked_case, type=EVENT_WITHDRAWN, actor=actor,
                          payload={"application_no": app.application_no, "reason": reason[:200],
                                   "theatre_refused": refused})
    audit_record(actor=actor, system=actor is None, action=AuditAction.UPDATE, target=app,
                 after={"status": app.status, "reason": reason[:200]}, detail="theatre application withdrawn")
    return app


# --- the theatre's answer: callback, polling ---------------------------------------------------------------------


def room_code_key(code: str) -> str:
    """A room code compared loosely: "OR-01", "or 1" and "OR1" are one room (separators, case and leading zeros
    differ between the theatre system and the platform's configuration)."""
    cleaned = re.sub(r"[\s\-_./]", "", (code or "").upper())
    return re.sub(r"(?<!\d)0+(?=\d)", "", cleaned)


def _room_for(case, code):
    """The platform's theatre room with the theatre system's room code, in the case's hospital (else None):
    the exact code first, else the one room whose code is the same loosely (room_code_key)."""
    from org.models import TheatreRoom

    if not code:
        return None
    hospital_id = case.ward.department.hospital_id
    rooms = list(TheatreRoom.objects.select_related("suite").filter(
        Q(suite__campus__hospital_id=hospital_id) | Q(suite__campus__isnull=True), is_active=True))
    for candidates in ([r for r in rooms if r.code == code],
                       [r for r in rooms if room_code_key(r.code) == room_code_key(code)]):
        own = [r for r in candidates if r.suite.campus_id is not None] or candidates
        if len(own) == 1:
            return own[0]
    return None


@transaction.atomic
def booking_apply(*, booking, source: str) -> str:
    """Apply what the theatre says about one application. Returns the outcome: "scheduled", "rescheduled",
    "cancelled", "received", "unchanged", "stale" or "ignored". Unknown numbers raise UnknownApplication."""
    app = TheatreApplication.objects.select_related("case").filter(application_no=booking.application_no).first()
    if app is None:
        raise errors.UnknownApplication()
    locked = _case_for_update(app.case)
    app = TheatreApplication.objects.select_for_update().get(pk=app.pk)
    return _apply_locked(locked, app, booking, source=source)


def _same_schedule(case, room, booking) -> bool:
    return (
        case.theatre_room_id == (room.pk if room else None)
        and case.theatre_sequence == booking.sequence
        and case.scheduled_start == booking.scheduled_start
    )


def _apply_locked(locked, app, booking, *, source):
    if booking.revision is not None and app.revision is not None and booking.revision < app.revision:
        return "stale"  # a late callback: we already know a newer state
    app.theatre_status = booking.status
    app.revision = booking.revision if booking.revision is not None else app.revision
    app.last_source = source
    app.last_synced_at = timezone.now()
    if app.status in (S.WITHDRAWN, S.WITHDRAWING):
        app.save()
        return "ignored"
    # The application the case holds: still waiting for the theatre, or the case went on (admitted...) with it.
    current = _wants(locked, app) or (locked.state in _AFTER_SCHEDULING_STATES and app.status in OPEN_STATUSES)
    if booking.status == "received":
        outcome = "unchanged"
        if app.status in (S.PENDING, S.FAILED):
            app.status = S.SUBMITTED
            app.submitted_at = app.submitted_at or timezone.now()
            app.next_attempt_at = None
            app.last_error = ""
            outcome = "received"
            case_append_event(locked, type=EVENT_SUBMITTED, actor=None,
                              payload={"application_no": app.application_no, "planned_date": app.planned_date,
                                       "attempts": app.attempts})
        app.save()
        return outcome
    if booking.status == "scheduled":
        changed = (app.status != S.SCHEDULED or app.theatre_room_code != booking.room
                   or app.theatre_sequence != booking.sequence or app.scheduled_start != booking.scheduled_start)
        app.status = S.SCHEDULED
        app.submitted_at = app.submitted_at or timezone.now()
        app.theatre_room_code = booking.room
        app.theatre_sequence = booking.sequence
        app.scheduled_start = booking.scheduled_start
        if changed:
            app.theatre_scheduled_at = timezone.now()
        app.next_attempt_at = None
        app.last_error = ""
        app.save()
        if not current or locked.state not in _SCHEDULABLE_STATES:
            return "unchanged"  # admitted or later: the day's facts come from the ward; kept on the application
        room = _room_for(locked, booking.room)
        fields = {"scheduled_start": booking.scheduled_start, "theatre_room": room,
                  "theatre_sequence": booking.sequence}
        if locked.state == CaseState.APPLICATION_SENT:
            case_transition(case=locked, transition="theatre_scheduled", actor=None, **fields)
            return "scheduled"
        if _same_schedule(locked, room, booking):
            return "unchanged"
        case_transition(case=locked, transition="theatre_cancelled", actor=None,
                        reason=_t("The theatre changed the schedule."))
        case_transition(case=locked, transition="theatre_scheduled", actor=None, **fields)
        return "rescheduled"
    # cancelled by the theatre
    if app.status == S.CANCELLED_BY_THEATRE:
        app.save()
        return "unchanged"
    app.status = S.CANCELLED_BY_THEATRE
    app.last_error = (booking.reason or "")[:500]
    app.next_attempt_at = None
    app.save()
    if not current:
        return "cancelled"
    reason = booking.reason or _t("The theatre cancelled the application.")
    if locked.state == CaseState.SCHEDULED:
        case_transition(case=locked, transition="theatre_cancelled", actor=None, reason=reason[:500])
    else:
        case_append_event(locked, type=EVENT_FAILED, actor=None,
                          payload={"application_no": app.application_no, "error": reason[:500],
                                   "retrying": False, "rejected": False, "cancelled_by_theatre": True})
    return "cancelled"


def schedule_poll(*, today=None, days=None) -> dict:
    """S1 (b): read the theatre's schedule of `days` days from `today`, then the state of each open application
    of those days not seen in it (received, or cancelled by the theatre). One transaction per application."""
    today = today or timezone.localdate()
    days = days or conf("SCHEDULING_POLL_DAYS")
    port = _port()
    stats = {"days": 0, "applied": 0, "changed": 0, "errors": 0}
    seen = set()
    known = set(
        TheatreApplication.objects.filter(
            planned_date__gte=today, planned_date__lt=today + timedelta(days=days)
        ).values_list("application_no", flat=True)
    )
    for offset in range(days):
        day = today + timedelta(days=offset)
        try:
            bookings = port.get_schedule(day)
        except (ExternalServiceError, ImproperlyConfigured):
            logger.warning("theatre schedule of %s could not be read", day)
            stats["errors"] += 1
            continue
        stats["days"] += 1
        for booking in bookings:
            if booking.application_no not in known:
                continue  # another applicant's operation (inpatient lists share the theatre)
            seen.add(booking.application_no)
            _poll_apply(booking, stats)
    open_apps = TheatreApplication.objects.filter(
        status__in=[S.SUBMITTED, S.SCHEDULED, S.PENDING], planned_date__gte=today,
        planned_date__lt=today + timedelta(days=days),
    ).exclude(application_no__in=seen).values_list("application_no", flat=True)
    for number in list(open_apps):
        try:
            booking = port.get_application(number)
        except (ExternalServiceError, ImproperlyConfigured):
            stats["errors"] += 1
            continue
        if booking is not None:
            _poll_apply(booking, stats)
    return stats


def _poll_apply(booking, stats):
    try:
        outcome = booking_apply(booking=booking, source=UpdateSource.POLL)
    except Exception:  # noqa: BLE001 - one bad row must not stop the others
        logger.exception("applying the theatre's answer for %s failed", booking.application_no)
        stats["errors"] += 1
        return
    stats["applied"] += 1
    stats["changed"] += outcome in ("scheduled", "rescheduled", "cancelled", "received")


def application_refresh(*, case, actor) -> TheatreApplication | None:
    """Read the case's open application from the theatre now (staff: "refresh")."""
    _require_case_access(case, actor)
    app = TheatreApplication.objects.filter(case=case, status__in=OPEN_STATUSES).first()
    if app is None:
        return None
    if app.status in (S.PENDING, S.FAILED, S.REJECTED):
        return app  # never reached the theatre: resend instead
    try:
        booking = _port().get_application(app.application_no)
    except ImproperlyConfigured as exc:
        raise ExternalServiceError(code="external_unavailable") from exc
    if booking is not None:
        booking_apply(booking=booking, source=UpdateSource.POLL)
    app.refresh_from_db()
    return app


def _require_case_access(case, actor):
    from accounts.permissions import has_permission
    from org.scoping import ward_scope_for
    from scheduling.permissions import RESUBMIT_APPLICATION

    if actor is None:
        return
    if not ward_scope_for(actor).allows_ward(case.ward_id):
        from core.errors import NotFound

        raise NotFound()
    if not has_permission(actor, RESUBMIT_APPLICATION.slug):
        raise NotAllowed()


@transaction.atomic
def application_resubmit(*, case, actor) -> TheatreApplication:
    """Staff send the application again: a failed one now (same number), a refused or theatre-cancelled one as a
    new application. Only for a case waiting for the theatre (application sent, not excluded)."""
    _require_case_access(case, actor)
    case = _load_case(case)
    if case.state != CaseState.APPLICATION_SENT or case.theatre_schedule_status == TheatreScheduleStatus.NOT_TO_BE_SCHEDULED:
        raise errors.NothingToResubmit(extra={"state": case.state})
    current = TheatreApplication.objects.filter(case=case, status__in=OPEN_STATUSES).first()
    if current is not None and current.status in (S.FAILED, S.PENDING):
        return _submit(current, case=case, actor=actor)
    if current is not None and current.status in (S.SUBMITTED, S.SCHEDULED):
        raise errors.NothingToResubmit(extra={"status": current.status})
    if current is not None:  # refused or cancelled by the theatre: it stays there as it is; a new one goes
        _mark_withdrawn(current, _case_for_update(case), reason="replaced by a new application", actor=actor,
                        event=False)
    application = application_send(case=case, actor=actor)
    if application is None:
        raise errors.NothingToResubmit()
    return application


def retry_due_calls(*, now=None, limit=200) -> dict:
    """Submissions the theatre did not answer and withdrawals that did not reach it, when their backoff passed."""
    now = now or timezone.now()
    stats = {"submitted": 0, "withdrawn": 0, "errors": 0}
    due = (
        TheatreApplication.objects.select_related("case")
        .filter(status__in=[S.FAILED, S.PENDING, S.WITHDRAWING], next_attempt_at__lte=now)
        .order_by("next_attempt_at")[:limit]
    )
    for app in list(due):
        try:
            with transaction.atomic():
                if app.status == S.WITHDRAWING:
                    done = _withdraw(app, reason=app.withdraw_reason or "withdrawn")
                    stats["withdrawn"] += done.status == S.WITHDRAWN
                else:
                    done = _submit(app, case=app.case)
                    stats["submitted"] += done.status in (S.SUBMITTED, S.SCHEDULED)
        except Exception:  # noqa: BLE001 - one bad row must not stop the others
            logger.exception("retrying theatre call for %s failed", app.application_no)
            stats["errors"] += 1
    return stats


# --- exclusions (S4) -----------------------------------------------------------------------------------------------


def _check_own_hospital(actor, hospital_id):
    from risk.services import actor_hospital

    if actor is None or getattr(actor, "is_superuser", False):
        return
    own = actor_hospital(actor)
    if own is not None and own.pk != hospital_id:
        raise NotAllowed(code="hospital_not_allowed")


def _exclusion_dict(e):
    return {"hospital": e.hospital_id, "kind": e.kind, "procedure": e.procedure.code if e.procedure_id else None,
            "department": e.department.code if e.department_id else None, "reason": e.reason,
            "is_active": e.is_active}


def _clean_exclusion(*, hospital, kind, procedure, department, reason, exclude_pk=None):
    problems = {}
    if kind not in ExclusionKind.values:
        problems["kind"] = [_("Unknown kind.")]
    elif kind == ExclusionKind.PROCEDURE:
        if procedure is None:
            problems["procedure"] = [_("Choose the procedure to exclude.")]
        if department is not None:
            problems["department"] = [_("A procedure exclusion names no department.")]
    else:
        if department is None:
            problems["department"] = [_("Choose the department to exclude.")]
        elif department.hospital_id != hospital.pk:
            problems["department"] = [_("The department belongs to another hospital.")]
        if procedure is not None:
            problems["procedure"] = [_("A department exclusion names no procedure.")]
    if not (reason or "").strip():
        problems["reason"] = [_("This field is required.")]
    if not problems:
        duplicate = ScheduleExclusion.objects.filter(hospital=hospital)
        duplicate = duplicate.filter(procedure=procedure) if procedure is not None else duplicate.filter(
            department=department)
        if exclude_pk is not None:
            duplicate = duplicate.exclude(pk=exclude_pk)
        if duplicate.exists():
            problems["procedure" if procedure is not None else "department"] = [
                _("This procedure or department is already excluded.")]
    if problems:
        raise InvalidInput(fields=problems)


@transaction.atomic
def exclusion_create(*, actor, hospital, kind, reason, procedure=None, department=None, is_active=True):
    _check_own_hospital(actor, hospital.pk)
    _clean_exclusion(hospital=hospital, kind=kind, procedure=procedure, department=department, reason=reason)
    exclusion = ScheduleExclusion.objects.create(
        hospital=hospital, kind=kind, procedure=procedure, department=department, reason=reason.strip(),
        is_active=is_active, created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=exclusion,
                 after=_exclusion_dict(exclusion), detail="schedule exclusion created")
    return exclusion


@transaction.atomic
def exclusion_update(*, actor, exclusion, **changes):
    """Change the reason or switch the exclusion on/off (the target stays: delete and create another)."""
    exclusion = ScheduleExclusion.objects.select_for_update(of=("self",)).select_related(
        "procedure", "department").get(pk=exclusion.pk)
    _check_own_hospital(actor, exclusion.hospital_id)
    unexpected = sorted(set(changes) - {"reason", "is_active"})
    if unexpected:
        raise InvalidInput(fields={k: [_("This field cannot be changed.")] for k in unexpected})
    if "reason" in changes and not (changes["reason"] or "").strip():
        raise InvalidInput(fields={"reason": [_("This field is required.")]})
    before = _exclusion_dict(exclusion)
    if "reason" in changes:
        exclusion.reason = changes["reason"].strip()
    if "is_active" in changes:
        exclusion.is_active = bool(changes["is_active"])
    exclusion.save()
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=exclusion, before=before,
                 after=_exclusion_dict(exclusion), detail="schedule exclusion changed")
    return exclusion


@transaction.atomic
def exclusion_delete(*, actor, exclusion):
    _check_own_hospital(actor, exclusion.hospital_id)
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=exclusion,
                 before=_exclusion_dict(exclusion), detail="schedule exclusion deleted")
    exclusion.delete()


# --- the export layout (S5) ----------------------------------------------------------------------------------------


@transaction.atomic
def export_layout_set(*, actor, hospital, title, columns) -> ScheduleExportLayout:
    """Replace the hospital's export layout (validated against scheduling.export.FIELDS)."""
    from scheduling.export import clean_columns

    _check_own_hospital(actor, hospital.pk)
    title = (title or "").strip()
    problems = {}
    if not title:
        problems["title"] = [_("This field is required.")]
    try:
        columns = clean_columns(columns)
    except InvalidInput as exc:
        problems.update(exc.fields)
    if problems:
        raise InvalidInput(fields=problems)
    layout = ScheduleExportLayout.objects.select_for_update().filter(hospital=hospital).first()
    before = {"title": layout.title, "columns": layout.columns} if layout else None
    if layout is None:
        layout = ScheduleExportLayout(hospital=hospital)
    layout.title = title
    layout.columns = columns
    layout.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    layout.save()
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=layout, before=before,
                 after={"title": title, "columns": columns}, detail="schedule export layout")
    return layout


@transaction.atomic
def export_layout_reset(*, actor, hospital) -> None:
    """Back to the built-in layout."""
    _check_own_hospital(actor, hospital.pk)
    layout = ScheduleExportLayout.objects.filter(hospital=hospital).first()
    if layout is None:
        return
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=layout,
                 before={"title": layout.title, "columns": layout.columns}, detail="schedule export layout reset")
    layout.delete()
