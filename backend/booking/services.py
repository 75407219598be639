"""Writes of the booking flow (B1, B2, B7, U4). The booking is the surgical case: a draft until confirmed.

- `booking_launch_from_his`: the HIS workstation opens a pre-filled draft for its doctor (with a sign-in link);
- `launch_ticket_redeem`: the doctor's browser exchanges that single-use link for staff tokens;
- `booking_draft_start`: the same draft started from inside the app;
- `booking_update`: the doctor fills the draft; derived fields follow the mapping rules (booking.derivation);
- `booking_confirm`: `confirm` through cases.services.case_transition; a refusal by the booking rules is recorded
  on the case (event `booking.confirm_refused`) so the reason is kept;
- `booking_abandon`, `pool_timeout_sweep`, `pool_move`, `pool_resume`: the pending booking pool.

State changes go through cases.services (the only executor of the transition table); this module adds the
booking's own records (pool entries, launch tickets) in the same transaction.
"""

import hashlib
import logging
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.permissions import has_permission
from accounts.tokens import issue_staff_tokens
from audit.models import AuditAction
from audit.services import audit_record
from booking import derivation
from booking.conf import conf
from booking.errors import LaunchTicketRefused, NotADraft
from booking.models import LaunchTicket, PendingPoolEntry, PoolReason
from cases import permissions as case_perms
from cases.models import CaseEvent, CaseState, SurgicalCase
from cases.services import (
    actor_info,
    case_append_event,
    case_create,
    case_lock,
    case_lock_for_change,
    case_transition,
    patient_get_or_create_by_reg_no,
    patient_get_or_create_from_his,
)
from core.errors import DomainError, InvalidInput
from org.models import Ward
from org.scoping import ward_scope_for

logger = logging.getLogger(__name__)

# Refusals of the booking rules (admission control, capacity, booking mode, duplicates): kept on the case.
POLICY_REFUSALS = frozenset(
    {"admission_refused", "no_places_left", "outside_resources", "booking_mode_not_authorised", "duplicate_booking"}
)
REFUSAL_EVENT = "booking.confirm_refused"
DOCTOR_POOL_REASONS = (PoolReason.ABANDONED, PoolReason.PATIENT_DECLINED, PoolReason.OTHER)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _field_error(field, message):
    return InvalidInput(fields={field: [message]})


# --- starting a draft ------------------------------------------------------------------------------------------


def default_ward(doctor):
    """The doctor's own ward (assigned first, then their department's), enabled and in their scope."""
    scope = ward_scope_for(doctor)
    candidates = list(doctor.wards.filter(is_active=True).order_by("code"))
    if doctor.department_id:
        candidates += list(Ward.objects.filter(department_id=doctor.department_id, is_active=True).order_by("code"))
    return next((w for w in candidates if scope.allows_ward(w.pk)), None)


def _ward_for(doctor, ward_code):
    if not ward_code:
        ward = default_ward(doctor)
        if ward is None:
            raise _field_error("ward_code", _("The doctor has no admitting ward; give the ward code."))
        return ward
    ward = Ward.objects.filter(code=ward_code, is_active=True).select_related("department").first()
    if ward is None or not ward_scope_for(doctor).allows_ward(ward.pk):
        raise _field_error("ward_code", _("Unknown ward, or not one of the doctor's wards."))
    return ward


def _visit_for(visit_no, reg_no):
    from integrations.registry import get_port

    visit = get_port("his").get_visit(visit_no)
    if visit is None:
        raise _field_error("visit_no", _("The hospital system has no visit with this number."))
    if reg_no and visit.reg_no != reg_no:
        raise _field_error("visit_no", _("This visit belongs to another patient."))
    return visit


def _diagnosis(visit, code, name):
    if code or name or visit is None or not visit.diagnoses:
        return code, name
    first = visit.diagnoses[0]
    return (first.code or "")[:40], (first.name or "")[:200]  # the HIS's text, cut to the case's columns


def _open_draft(patient, visit_no, ward):
    if not visit_no:
        return None
    return (
        SurgicalCase.objects.filter(patient=patient, visit_no=visit_no, ward=ward, state=CaseState.DRAFT)
        .order_by("-id")
        .first()
    )


def _start(*, actor, patient, ward, surgeon, visit, diagnosis_code, diagnosis_name, source):
    """A new draft (or the open draft of this visit), pre-filled from the visit."""
    visit_no = visit.visit_no if visit else ""
    code, name = _diagnosis(visit, diagnosis_code, diagnosis_name)
    existing = _open_draft(patient, visit_no, ward)
    if existing is not None:
        return existing
    case = case_create(
        actor=actor, patient=patient, ward=ward, surgeon=surgeon, department=derivation.department_for(surgeon, ward),
        procedure_name=str(_("(to be chosen)")), diagnosis_code=code, diagnosis_name=name, visit_no=visit_no,
    )
    case_append_event(case, type="booking.draft_started", actor=actor, payload={"source": source, "visit_no": visit_no})
    return case


@transaction.atomic
def booking_launch_from_his(*, client_id, reg_no, visit_no, doctor_employee_no, diagnosis_code="",
                            diagnosis_name="", ward_code=""):
    """The HIS doctor workstation opens a booking: (draft case, sign-in link, link expiry).

    The doctor is the HIS's doctor (by 工号) and must hold the permission to create cases in that ward; the
    patient and visit come from the HIS port. Calling again for the same visit reopens the same draft.
    """
    from integrations.registry import get_port

    doctor = User.objects.filter(employee_no=doctor_employee_no, is_active=True, is_virtual=False).first()
    if doctor is None or not has_permission(doctor, case_perms.CREATE_CASE.slug):
        raise _field_error("doctor_employee_no", _("No enabled doctor account has this employee number."))
    visit = _visit_for(visit_no, reg_no)
    found = get_port("his").find_patient(reg_no=reg_no)
    if not found:
        raise _field_error("reg_no", _("The hospital system has no patient with this registration number."))
    patient, _created = patient_get_or_create_from_his(his_patient=found[0], actor=None)
    ward = _ward_for(doctor, ward_code)
    case = _start(actor=doctor, patient=patient, ward=ward, surgeon=doctor, visit=visit,
                  diagnosis_code=diagnosis_code, diagnosis_name=diagnosis_name, source=f"his:{client_id}")
    raw = secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(seconds=conf("BOOKING_LAUNCH_TICKET_SECONDS"))
    LaunchTicket.objects.create(token_hash=_hash(raw), case=case, user=doctor, client_id=client_id,
                                expires_at=expires_at)
    audit_record(actor=None, system=True, action=AuditAction.CREATE, target=case,
                 detail=f"his launch by {client_id} for {doctor.employee_no}")
    link = conf("BOOKING_DOCTOR_LAUNCH_URL").format(ticket=raw, draft=case.uuid)
    return case, link, expires_at


@transaction.atomic
def launch_ticket_redeem(*, ticket: str):
    """(doctor, tokens, case) for a valid link; the link works once, and only until it expires."""
    from accounts.services import login_refusal

    row = (
        LaunchTicket.objects.select_for_update().select_related("user", "case")
        .filter(token_hash=_hash(ticket or "")).first()
    )
    now = timezone.now()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise LaunchTicketRefused()
    row.used_at = now
    row.save(update_fields=["used_at", "updated_at"])
    user = row.user
    if login_refusal(user):
        raise LaunchTicketRefused()
    User.objects.filter(pk=user.pk).update(last_login=now, last_activity_at=now)
    audit_record(actor=user, action=AuditAction.LOGIN, target=user, detail=f"staff:his_launch:{row.client_id}")
    return user, issue_staff_tokens(user, amr=("his",)), row.case


@transaction.atomic
def booking_draft_start(*, actor, ward, reg_no="", patient=None, surgeon=None, visit_no="", diagnosis_code="",
                        diagnosis_name=""):
    """A draft started inside the app: the same pre-filling as a HIS launch (patient and visit from the HIS)."""
    visit = _visit_for(visit_no, reg_no or (patient.reg_no if patient else "")) if visit_no else None
    if patient is None:
        patient = patient_get_or_create_by_reg_no(reg_no=reg_no, actor=actor)
    return _start(actor=actor, patient=patient, ward=ward, surgeon=surgeon or actor, visit=visit,
                  diagnosis_code=diagnosis_code, diagnosis_name=diagnosis_name, source="app")


# --- filling the draft -----------------------------------------------------------------------------------------


@transaction.atomic
def booking_update(*, case, actor, expected_version=None, **changes) -> SurgicalCase:
    """Change what the doctor supplies on a draft; derived fields follow (booking.derivation)."""
    locked = case_lock_for_change(case, actor=actor, slug=case_perms.BOOK_CASE.slug, expected_version=expected_version)
    if locked.state != CaseState.DRAFT:
        raise NotADraft(extra={"state": locked.state})
    if "ward" in changes and not ward_scope_for(actor).allows_ward(changes["ward"].pk):
        raise _field_error("ward", _("Unknown ward."))
    before = derivation.snapshot(locked)
    changed = derivation.apply(locked, changes)
    if not changed:
        return locked
    locked.version += 1
    locked.save()
    if "assistants" in changes:
        locked.assistants.set(changes["assistants"] or [])
    after = derivation.snapshot(locked)
    case_append_event(locked, type="booking.draft_updated", actor=actor, payload={"fields": sorted(changed)})
    audit_record(actor=actor, action=AuditAction.UPDATE, target=locked,
                 before={k: before[k] for k in changed if k in before},
                 after={k: after[k] for k in changed if k in after}, detail="booking draft")
    if case is not locked:
        case.refresh_from_db()
    return locked


# --- confirmation ----------------------------------------------------------------------------------------------


def _missing_for_confirm(case, planned_date, planned_session):
    problems = {}
    if case.procedure_id is None:
        problems["procedure"] = [_("Choose the planned procedure.")]
    if not (planned_date or case.planned_date):
        problems["planned_date"] = [_("A planned date is required to book the case.")]
    if not (planned_session or case.planned_session):
        problems["planned_session"] = [_("Choose the session.")]
    return problems


def booking_confirm(*, case, actor, planned_date=None, planned_session=None, expected_version=None):
    """Confirm the draft into a booking. A refusal by the booking rules is recorded on the case, then raised."""
    problems = _missing_for_confirm(case, planned_date, planned_session)
    if problems:
        raise InvalidInput(_("The booking is incomplete."), code="booking_incomplete", fields=problems)
    try:
        return case_transition(case=case, transition="confirm", actor=actor, expected_version=expected_version,
                               planned_date=planned_date, planned_session=planned_session)
    except DomainError as refusal:
        if refusal.code in POLICY_REFUSALS:
            _record_refusal(case=case, actor=actor, refusal=refusal, planned_date=planned_date or case.planned_date,
                            planned_session=planned_session or case.planned_session)
        raise


@transaction.atomic
def _record_refusal(*, case, actor, refusal, planned_date, planned_session):
    locked = case_lock(case)
    case_append_event(
        locked, type=REFUSAL_EVENT, actor=actor,
        payload={"code": refusal.code, "message": str(refusal.message), "rule": refusal.extra.get("rule") or {},
                 "reason": refusal.extra.get("reason", ""), "planned_date": planned_date,
                 "planned_session": planned_session},
    )


def last_refusal(case):
    """The latest refused confirmation since the case last became a draft, or None."""
    events = CaseEvent.objects.filter(case=case, type=REFUSAL_EVENT)
    if case.state_changed_at:
        events = events.filter(occurred_at__gte=case.state_changed_at)
    return events.order_by("-sequence").first()


# --- the pending pool (B7) -------------------------------------------------------------------------------------


@transaction.atomic
def pool_move(*, case, actor, reason_code, reason_text="", rule=None) -> PendingPoolEntry:
    """Move a draft into the pending booking pool with a reason (one entry per move, for the statistics)."""
    if reason_code not in PoolReason.values:
        raise _field_error("reason_code", _("Unknown reason."))
    text = (reason_text or "").strip() or str(PoolReason(reason_code).label)
    locked = case_transition(case=case, transition="to_pending_pool", actor=actor, reason=text[:500])
    event = CaseEvent.objects.filter(case=locked).order_by("-sequence").first()
    return _pool_entry_create(locked, event, reason_code=reason_code, reason_text=text, rule=rule)


def _pool_entry_create(case, event, *, reason_code, reason_text, rule=None) -> PendingPoolEntry:
    """One entry per move into the pool (the statistics count these), keyed by the move's event."""
    return PendingPoolEntry.objects.create(
        case=case, event_uuid=event.uuid, ward_id=case.ward_id, department_id=case.department_id,
        requested_by_id=case.booked_by_id, reason_code=reason_code, reason_text=(reason_text or "")[:500],
        rule=rule or {}, entered_at=event.occurred_at,
    )


def booking_abandon(*, case, actor, reason_code=PoolReason.ABANDONED, reason_text="") -> PendingPoolEntry:
    """The doctor stops the booking (or the patient declined): the draft waits in the pool, resumable."""
    if reason_code not in DOCTOR_POOL_REASONS:
        raise _field_error("reason_code", _("Unknown reason."))
    if reason_code == PoolReason.OTHER and not (reason_text or "").strip():
        raise _field_error("reason_text", _("Describe the reason when choosing 'other'."))
    return pool_move(case=case, actor=actor, reason_code=reason_code, reason_text=reason_text)


def pool_timeout_sweep(*, now=None) -> int:
    """Drafts not confirmed within BOOKING_DRAFT_TIMEOUT_MINUTES enter the pool (as refused when the rules
    refused their last confirmation, else as timed out). Returns how many moved."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=conf("BOOKING_DRAFT_TIMEOUT_MINUTES"))
    moved = 0
    stale = SurgicalCase.objects.filter(state=CaseState.DRAFT, state_changed_at__lt=cutoff).select_related("ward")
    for case in stale.order_by("id").iterator():
        refusal = last_refusal(case)
        if refusal is not None:
            code, text, rule = PoolReason.REFUSED, refusal.payload.get("message", ""), refusal.payload.get("rule")
        else:
            code, text, rule = PoolReason.TIMEOUT, "", None
        try:
            pool_move(case=case, actor=None, reason_code=code, reason_text=text, rule=rule)
            moved += 1
        except DomainError:  # confirmed or changed meanwhile: not stale any more
            logger.info("draft %s not moved to the pending pool", case.uuid, exc_info=True)
    return moved


@transaction.atomic
def pool_resume(*, case, actor) -> SurgicalCase:
    """Take a case out of the pending pool back into a draft (then confirm it like any draft)."""
    locked = case_transition(case=case, transition="resume", actor=actor)
    info = actor_info(actor)
    PendingPoolEntry.objects.filter(case=locked, resumed_at__isnull=True).update(
        resumed_at=timezone.now(), resumed_by=info["user"]
    )
    return locked


def pool_entry_record_event(*, event_uuid, case_uuid, reason_text) -> bool:
    """An entry for a pool move made outside this module (the generic case endpoint): reason "other"."""
    case = SurgicalCase.objects.filter(uuid=case_uuid).first()
    event = CaseEvent.objects.filter(uuid=event_uuid).first()
    if case is None or event is None or PendingPoolEntry.objects.filter(event_uuid=event_uuid).exists():
        return False
    _pool_entry_create(case, event, reason_code=PoolReason.OTHER, reason_text=reason_text)
    return True
