"""Writes of the surgical-case context. Every change: lock, check, change, case event + outbox + audit, one transaction.

- `case_create` makes a draft case;
- `case_transition` performs one row of the transition table (cases.state_machine);
- `case_record_milestone` records the anaesthesia clinic / pre-operative assessment results beside the state;
- `case_assign_surgeon` names the real surgeon of a booking made under a virtual surgeon (B5);
- `case_update_los_alert` moves the length-of-stay flag (called by the periodic job);
- `patient_get_or_create_from_his` resolves a patient from the HIS record, storing (system, value) identifiers.
"""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import has_permission
from audit.services import audit_record
from cases import errors
from cases import permissions as perms
from cases.models import (
    DUPLICATE_BOOKING_CONSTRAINT,
    LOS_LEVEL_RANK,
    ActorKind,
    AnaesthesiaClinicStatus,
    AnaesthesiaMethod,
    CaseEvent,
    CaseState,
    IdentifierSystem,
    Patient,
    PatientIdentifier,
    PreopAssessmentStatus,
    Session,
    SurgicalCase,
)
from cases.state_machine import coerce_value, get_transition, refusal_for
from core.errors import Conflict, InvalidInput, NotAllowed, NotFound
from core.identity import is_valid_id_number, normalize_id_number, normalize_phone
from core.outbox import outbox_publish
from core.serialization import to_jsonable
from org.scoping import ward_scope_for

logger = logging.getLogger(__name__)

FUTURE_TOLERANCE = timedelta(minutes=5)  # clocks of bedside devices drift; more than this is a typo

_SNAPSHOT_FIELDS = (
    "state", "version", "planned_date", "planned_session", "anaesthesia_method", "anaesthesia_clinic_status",
    "preop_assessment_status", "theatre_schedule_status", "booked_at", "application_sent_at",
    "theatre_scheduled_at", "admitted_at", "theatre_in_at", "incision_start_at", "incision_end_at",
    "theatre_out_at", "operated_at", "discharged_at", "transferred_at", "ended_at", "cancel_reason_code",
    "cancel_stage", "los_alert_level",
)


def case_snapshot(case) -> dict:
    return to_jsonable({name: getattr(case, name) for name in _SNAPSHOT_FIELDS})


def actor_info(actor) -> dict:
    """Who did it, as stored on events: staff, patient or the system (jobs, hospital integrations)."""
    if actor is None:
        return {"type": ActorKind.SYSTEM, "id": "", "name": "system", "user": None}
    if getattr(actor, "is_patient", False):
        name = getattr(actor, "display_name", "") or getattr(actor, "name", "")
        return {"type": ActorKind.PATIENT, "id": str(getattr(actor, "uuid", actor.pk)), "name": name[:100], "user": None}
    return {"type": ActorKind.STAFF, "id": str(actor.uuid), "name": actor.name[:100], "user": actor}


def _patient_owns(actor, case) -> bool:
    from accounts.patient_scope import patient_for  # accounts imports cases: resolve at call time

    patient = patient_for(actor)
    return patient is not None and patient.pk == case.patient_id


def _authorise(actor, case, slug, *, patient_may=False):
    """Ward scope first (an invisible case is a missing case), then the function permission."""
    if actor is None:
        return  # the system itself (periodic jobs, hospital integrations)
    if getattr(actor, "is_patient", False):
        if not _patient_owns(actor, case):
            raise NotFound()
        if not patient_may:
            raise errors.TransitionNotPermitted()
        return
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise NotAllowed()
    if not ward_scope_for(actor).allows_ward(case.ward_id):
        raise NotFound()
    if not has_permission(actor, slug):
        raise errors.TransitionNotPermitted()


def _check_occurred_at(occurred_at, now):
    occurred_at = coerce_value("occurred_at", occurred_at) if occurred_at is not None else now
    if occurred_at > now + FUTURE_TOLERANCE:
        raise InvalidInput(fields={"occurred_at": [_("The time cannot be in the future.")]})
    return occurred_at


def _append_event(case, *, type, occurred_at, actor, from_state="", to_state="", payload=None):
    """Append a case event and its outbox message; the caller holds the case row lock (sequence is safe)."""
    last = case.events.aggregate(m=Max("sequence"))["m"] or 0
    payload = to_jsonable(payload or {})
    event = CaseEvent.objects.create(
        case=case,
        sequence=last + 1,
        type=type,
        occurred_at=occurred_at,
        actor_type=actor["type"],
        actor_id=actor["id"],
        actor_name=actor["name"],
        from_state=from_state,
        to_state=to_state,
        payload=payload,
    )
    outbox_publish(
        topic=type,
        key=str(case.uuid),
        payload={
            "event": str(event.uuid),
            "type": type,
            "case": str(case.uuid),
            "ward": case.ward_id,
            "ward_uuid": str(case.ward.uuid),
            "patient": str(case.patient.uuid),
            "sequence": event.sequence,
            # Local time (+08:00) like every API response, so clients compare pushes and REST directly.
            "occurred_at": timezone.localtime(occurred_at),
            "recorded_at": timezone.localtime(event.recorded_at),
            "actor": {k: actor[k] for k in ("type", "id", "name")},
            "from_state": from_state,
            "to_state": to_state,
            "state": case.state,
            "version": case.version,
            "data": payload,
        },
    )
    return event


def case_lock(case) -> SurgicalCase:
    """Lock the case row (no authorisation: for system work and callers that authorised already)."""
    return (
        SurgicalCase.objects.select_for_update(of=("self",))
        .select_related("ward", "patient")
        .get(pk=case.pk)
    )


def _lock_authorised(case, *, actor, slug, expected_version=None, patient_may=False) -> SurgicalCase:
    """Lock the case row, authorise the actor on the locked row, and check the version the client saw."""
    locked = case_lock(case)
    _authorise(actor, locked, slug, patient_may=patient_may)
    if expected_version is not None and locked.version != expected_version:
        raise errors.VersionConflict(extra={"version": locked.version})
    return locked


def case_lock_for_change(case, *, actor, slug, expected_version=None) -> SurgicalCase:
    """For other contexts' services that change a case beside its state (the booking draft): lock the row,
    authorise the actor (ward scope, then `slug`), check the version the client saw."""
    return _lock_authorised(case, actor=actor, slug=slug, expected_version=expected_version)


def case_append_event(case, *, type, actor, payload=None, occurred_at=None):
    """Record an event of another context on the case's timeline (and the outbox) in the caller's transaction;
    the caller holds the case row lock. The case's state is unchanged. `occurred_at` (default now) is when it
    happened in the hospital, e.g. a theatre time reported later; it may not be in the future."""
    occurred_at = _check_occurred_at(occurred_at, timezone.now())
    return _append_event(case, type=type, occurred_at=occurred_at, actor=actor_info(actor),
                         from_state=case.state, to_state=case.state, payload=payload)


def save_case(case):
    """Save under a savepoint: the one-active-booking-per-day constraint answers 409, not a broken transaction."""
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:
        if DUPLICATE_BOOKING_CONSTRAINT in str(exc):
            raise errors.DuplicateBooking() from None
        raise


def _sync(case, fresh):
    """Let the caller's instance reflect the committed change."""
    if case is not fresh:
        case.refresh_from_db()


# --- creation --------------------------------------------------------------------------------------------------


@transaction.atomic
def case_create(
    *,
    actor,
    patient: Patient,
    ward,
    surgeon,
    procedure_name: str = "",
    procedure_code: str = "",
    procedure=None,
    diagnosis_code: str = "",
    diagnosis_name: str = "",
    planned_date: date | None = None,
    planned_session: str = "",
    anaesthesia_method: str = "",
    anaesthesia_clinic_required: bool = True,
    department=None,
    visit_no: str = "",
) -> SurgicalCase:
    """A draft case: the booking is confirmed later (`confirm`), when the admission rules pass.

    `procedure` (a catalog.Procedure) fills the code and name when they are not given.
    """
    if procedure is not None:
        procedure_name = procedure_name or procedure.name
        procedure_code = procedure_code or procedure.code
    if actor is not None:
        if getattr(actor, "is_patient", False):
            raise errors.TransitionNotPermitted()
        if not ward_scope_for(actor).allows_ward(ward.pk):
            raise NotFound()
        if not has_permission(actor, perms.CREATE_CASE.slug):
            raise errors.TransitionNotPermitted()
    problems = {}
    if not ward.is_active:
        problems["ward"] = [_("This ward is disabled.")]
    if getattr(surgeon, "is_patient", False) or not surgeon.is_active:
        problems["surgeon"] = [_("Choose an enabled surgeon.")]
    if not (procedure_name or "").strip():
        problems["procedure_name"] = [_("This field is required.")]
    if planned_date is not None and planned_date < timezone.localdate():
        problems["planned_date"] = [_("The planned date cannot be in the past.")]
    if planned_session and planned_session not in Session.values:
        problems["planned_session"] = [_("Unknown session.")]
    if anaesthesia_method and anaesthesia_method not in AnaesthesiaMethod.values:
        problems["anaesthesia_method"] = [_("Unknown anaesthesia method.")]
    if department is not None and department.hospital_id != ward.department.hospital_id:
        problems["department"] = [_("The department belongs to another hospital.")]
    if problems:
        raise InvalidInput(fields=problems)
    info = actor_info(actor)
    case = SurgicalCase.objects.create(
        patient=patient,
        ward=ward,
        department=department or ward.department,
        surgeon=surgeon,
        procedure=procedure,
        booked_by=info["user"],
        procedure_name=procedure_name.strip(),
        procedure_code=procedure_code,
        diagnosis_code=diagnosis_code,
        diagnosis_name=diagnosis_name,
        visit_no=visit_no,
        planned_date=planned_date,
        planned_session=planned_session,
        anaesthesia_method=anaesthesia_method,
        anaesthesia_clinic_status=(
            AnaesthesiaClinicStatus.PENDING if anaesthesia_clinic_required else AnaesthesiaClinicStatus.NOT_REQUIRED
        ),
        state=CaseState.DRAFT,
        state_changed_at=timezone.now(),
    )
    case = SurgicalCase.objects.select_related("ward", "patient").get(pk=case.pk)
    _append_event(
        case,
        type="cases.case.created",
        occurred_at=case.created_at,
        actor=info,
        to_state=CaseState.DRAFT,
        payload={
            "procedure_name": case.procedure_name,
            "procedure_code": case.procedure_code,
            "planned_date": case.planned_date,
            "planned_session": case.planned_session,
            "surgeon": str(surgeon.uuid),
        },
    )
    audit_record(actor=actor, system=actor is None, action="create", target=case, after=case_snapshot(case))
    return case


# --- transitions -----------------------------------------------------------------------------------------------


@transaction.atomic
def case_transition(*, case, transition: str, actor, occurred_at=None, expected_version=None, **data) -> SurgicalCase:
    """Perform `transition` on `case` as `actor` (None = the system). Returns the updated case.

    Refusals raise DomainError subclasses (see cases.errors) and write nothing.
    """
    t = get_transition(transition)
    unexpected = sorted(set(data) - set(t.fields))
    if unexpected:
        raise InvalidInput(
            code="unexpected_fields", fields={k: [_("This action does not accept this field.")] for k in unexpected}
        )
    data = {k: coerce_value(k, v) for k, v in data.items() if v is not None and v != ""}
    locked = _lock_authorised(
        case, actor=actor, slug=t.permission.slug, expected_version=expected_version, patient_may=t.patient_may
    )
    refusal = refusal_for(t, locked, by_patient=getattr(actor, "is_patient", False))
    if refusal is not None:
        raise refusal
    missing = [f for f in t.required if f not in data]
    if missing:
        raise InvalidInput(fields={f: [_("This field is required.")] for f in missing})
    now = timezone.now()
    occurred_at = _check_occurred_at(occurred_at, now)
    info = actor_info(actor)
    if t.guard is not None:
        t.guard(locked, data, occurred_at, info)

    before = case_snapshot(locked)
    from_state = locked.state
    if t.effect is not None:
        t.effect(locked, data, occurred_at, info)
    locked.previous_state = from_state
    if t.target is not None:
        locked.state = t.target
        locked.state_changed_at = occurred_at
    locked.version += 1
    save_case(locked)
    event_data = {"transition": t.name, **data}
    if "theatre_room" in event_data:
        room = event_data["theatre_room"]
        event_data["theatre_room"] = {"uuid": str(room.uuid), "name": room.name}
    _append_event(
        locked,
        type=t.event_type,
        occurred_at=occurred_at,
        actor=info,
        from_state=from_state,
        to_state=locked.state,
        payload=event_data,
    )
    audit_record(
        actor=actor,
        system=actor is None,
        action="transition",
        target=locked,
        before=before,
        after=case_snapshot(locked),
        detail=t.name,
    )
    _sync(case, locked)
    return locked


# --- details (P3) ------------------------------------------------------------------------------------------------

EDITABLE_DETAILS = (
    "procedure_name", "procedure_code", "diagnosis_code", "diagnosis_name", "anaesthesia_method",
    "companion_name", "companion_phone", "remarks",
)
DETAILS_EDITABLE_STATES = frozenset({CaseState.DRAFT, CaseState.PENDING_POOL, CaseState.BOOKED})


@transaction.atomic
def case_update_details(*, case, actor, expected_version=None, **changes) -> SurgicalCase:
    """Edit booking details, companion and remarks. Only until the surgery application is sent (P3):
    afterwards the application must be rolled back first."""
    unexpected = sorted(set(changes) - set(EDITABLE_DETAILS))
    if unexpected:
        raise InvalidInput(
            code="unexpected_fields", fields={k: [_("This field cannot be edited here.")] for k in unexpected}
        )
    locked = _lock_authorised(
        case, actor=actor, slug=perms.EDIT_CASE_DETAILS.slug, expected_version=expected_version
    )
    if locked.state not in DETAILS_EDITABLE_STATES:
        raise errors.DetailsLocked(extra={"state": locked.state})
    problems = {}
    if "procedure_name" in changes and not (changes["procedure_name"] or "").strip():
        problems["procedure_name"] = [_("This field is required.")]
    method = changes.get("anaesthesia_method")
    if method and method not in AnaesthesiaMethod.values:
        problems["anaesthesia_method"] = [_("Unknown anaesthesia method.")]
    if changes.get("companion_phone"):
        from core.identity import is_valid_mobile

        if not is_valid_mobile(changes["companion_phone"]):
            problems["companion_phone"] = [_("Enter a valid mainland China mobile number.")]
        changes["companion_phone"] = normalize_phone(changes["companion_phone"])
    if problems:
        raise InvalidInput(fields=problems)
    changed = {k: v for k, v in changes.items() if getattr(locked, k) != (v or "")}
    if not changed:
        return locked

    def shown(name, value):
        if name == "companion_phone":
            from core.identity import mask_phone

            return mask_phone(value)
        return value

    before = {k: shown(k, getattr(locked, k)) for k in changed}
    for key, value in changed.items():
        setattr(locked, key, value or "")
    locked.version += 1
    locked.save()
    after = {k: shown(k, getattr(locked, k)) for k in changed}
    _append_event(
        locked, type="cases.case.details_updated", occurred_at=timezone.now(), actor=actor_info(actor),
        from_state=locked.state, to_state=locked.state, payload={"fields": sorted(changed), "after": after},
    )
    audit_record(actor=actor, system=actor is None, action="update", target=locked, before=before, after=after,
                 detail="case details")
    _sync(case, locked)
    return locked


# --- milestones beside the state ------------------------------------------------------------------------------

_ASSESSABLE = frozenset(
    {CaseState.DRAFT, CaseState.PENDING_POOL, CaseState.BOOKED, CaseState.APPLICATION_SENT, CaseState.SCHEDULED}
)
MILESTONES = {
    # name: (field, allowed values, permission, event type, states in which it may change)
    "anaesthesia_clinic": (
        "anaesthesia_clinic_status",
        AnaesthesiaClinicStatus.values,
        perms.RECORD_ANAESTHESIA_CLINIC,
        "cases.case.anaesthesia_clinic_recorded",
        _ASSESSABLE,
    ),
    # P3/P4: the doctor's decision may change only until the application is sent (roll back first).
    "preop_assessment": (
        "preop_assessment_status",
        PreopAssessmentStatus.values,
        perms.RECORD_PREOP_ASSESSMENT,
        "cases.case.preop_assessment_recorded",
        frozenset({CaseState.DRAFT, CaseState.PENDING_POOL, CaseState.BOOKED}),
    ),
}


@transaction.atomic
def case_record_milestone(
    *, case, milestone: str, status: str, actor, occurred_at=None, note: str = "", expected_version=None
) -> SurgicalCase:
    if milestone not in MILESTONES:
        raise InvalidInput(fields={"milestone": [_("Unknown milestone.")]})
    field, values, perm, event_type, states = MILESTONES[milestone]
    if status not in values:
        raise InvalidInput(fields={"status": [_("Unknown status.")]})
    locked = _lock_authorised(case, actor=actor, slug=perm.slug, expected_version=expected_version)
    if locked.state not in states:
        raise errors.MilestoneNotEditable(extra={"state": locked.state, "milestone": milestone})
    occurred_at = _check_occurred_at(occurred_at, timezone.now())
    previous = getattr(locked, field)
    if previous == status:
        return locked  # recording the same result twice changes nothing
    before = case_snapshot(locked)
    setattr(locked, field, status)
    locked.version += 1
    locked.save()
    info = actor_info(actor)
    _append_event(
        locked,
        type=event_type,
        occurred_at=occurred_at,
        actor=info,
        from_state=locked.state,
        to_state=locked.state,
        payload={"milestone": milestone, "from": previous, "to": status, "note": note},
    )
    audit_record(
        actor=actor, system=actor is None, action="update", target=locked, before=before,
        after=case_snapshot(locked), detail=f"milestone {milestone}",
    )
    _sync(case, locked)
    return locked


# --- virtual bookings: the real surgeon (B5) ----------------------------------------------------------------------

_SURGEON_ASSIGNABLE = frozenset({CaseState.BOOKED, CaseState.APPLICATION_SENT, CaseState.SCHEDULED})


@transaction.atomic
def case_assign_surgeon(*, case, surgeon, actor, expected_version=None) -> SurgicalCase:
    """Name the real surgeon of a case booked under a virtual surgeon (the ward does it the day before).

    The virtual surgeon stays on the case (`virtual_surgeon`); who assigned whom, and when, is recorded.
    The surgeon must pass the booking policy's surgeon check (booking_policy.services.surgeon_assignable_check).
    """
    from booking_policy.permissions import ASSIGN_SURGEON
    from booking_policy.services import surgeon_assignable_check

    locked = _lock_authorised(case, actor=actor, slug=ASSIGN_SURGEON.slug, expected_version=expected_version)
    if locked.state not in _SURGEON_ASSIGNABLE:
        raise errors.InvalidTransition(
            _("A surgeon can be assigned only to a booked case before admission."), extra={"state": locked.state}
        )
    previous = locked.surgeon
    if not previous.is_virtual and locked.virtual_surgeon_id is None:
        raise Conflict(_("This case was not booked under a virtual surgeon."), code="not_virtual_booking")
    surgeon_assignable_check(case=locked, surgeon=surgeon)
    if previous.pk == surgeon.pk:
        return locked
    now = timezone.now()
    info = actor_info(actor)
    before = {"surgeon": str(previous.uuid), "virtual_surgeon": str(locked.virtual_surgeon.uuid) if
              locked.virtual_surgeon_id else None}
    if locked.virtual_surgeon_id is None:
        locked.virtual_surgeon = previous
    locked.surgeon = surgeon
    locked.surgeon_assigned_at = now
    locked.surgeon_assigned_by = info["user"]
    locked.version += 1
    locked.save()
    _append_event(
        locked, type="cases.case.surgeon_assigned", occurred_at=now, actor=info, from_state=locked.state,
        to_state=locked.state,
        payload={
            "from": {"uuid": str(previous.uuid), "name": previous.name},
            "to": {"uuid": str(surgeon.uuid), "name": surgeon.name},
            "virtual_surgeon": {"uuid": str(locked.virtual_surgeon.uuid), "name": locked.virtual_surgeon.name},
        },
    )
    audit_record(
        actor=actor, system=actor is None, action="update", target=locked, before=before,
        after={"surgeon": str(surgeon.uuid), "virtual_surgeon": str(locked.virtual_surgeon.uuid)},
        detail="assign surgeon",
    )
    _sync(case, locked)
    return locked


# --- length-of-stay clock ----------------------------------------------------------------------------------------


@transaction.atomic
def case_update_los_alert(*, case, now=None) -> bool:
    """Raise the case's length-of-stay flag to the level its clock has reached. True when it changed.

    Only escalates; idempotent (a second run at the same level records nothing).
    """
    from cases.los import los_level_at
    from cases.state_machine import ADMITTED_STATES

    now = now or timezone.now()
    locked = case_lock(case)
    if locked.state not in ADMITTED_STATES or locked.admitted_at is None:
        return False
    level = los_level_at(locked, now)
    if LOS_LEVEL_RANK[level] <= LOS_LEVEL_RANK[locked.los_alert_level]:
        return False
    before = case_snapshot(locked)
    previous = locked.los_alert_level
    locked.los_alert_level = level
    locked.los_alert_changed_at = now
    locked.version += 1
    locked.save()
    _append_event(
        locked,
        type="cases.case.los_alert_raised",
        occurred_at=now,
        actor=actor_info(None),
        from_state=locked.state,
        to_state=locked.state,
        payload={
            "from": previous,
            "to": level,
            "hours_since_admission": round((now - locked.admitted_at) / timedelta(hours=1), 2),
        },
    )
    audit_record(
        actor=None, system=True, action="update", target=locked, before=before, after=case_snapshot(locked),
        detail="length-of-stay alert",
    )
    _sync(case, locked)
    return True


def run_los_clock(*, now=None) -> int:
    """Flag every admitted case whose clock crossed a threshold. Returns how many changed."""
    from cases.state_machine import ADMITTED_STATES

    now = now or timezone.now()
    earliest_flag = now - timedelta(hours=settings.CASE_LOS_APPROACHING_24_HOURS)
    candidates = SurgicalCase.objects.filter(
        state__in=ADMITTED_STATES, admitted_at__isnull=False, admitted_at__lte=earliest_flag
    ).only("pk")
    changed = 0
    for case in candidates.iterator():
        try:
            changed += case_update_los_alert(case=case, now=now)
        except Exception:  # noqa: BLE001 - one bad row must not stop the clock for the others
            logger.exception("length-of-stay update failed for case %s", case.pk)
    return changed


# --- patients --------------------------------------------------------------------------------------------------


def patient_get_or_create_by_reg_no(*, reg_no: str, actor=None) -> Patient:
    """The patient with this 登记号: known locally, else fetched from the HIS patient index and stored."""
    from integrations.registry import get_port

    reg_no = (reg_no or "").strip()
    index = PatientIdentifier.index_for(IdentifierSystem.REG_NO, reg_no)
    ident = PatientIdentifier.objects.select_related("patient").filter(
        system=IdentifierSystem.REG_NO, value_index=index
    ).first()
    if ident is not None:
        return ident.patient
    found = get_port("his").find_patient(reg_no=reg_no) if reg_no else []
    if not found:
        raise InvalidInput(fields={"reg_no": [_("The hospital system has no patient with this registration number.")]})
    patient, _created = patient_get_or_create_from_his(his_patient=found[0], actor=actor)
    return patient


SINGLE_VALUED_SYSTEMS = {IdentifierSystem.ID_CARD}


def _identifier_conflict():
    return Conflict(
        _("This identifier already belongs to another patient record; ask the records office to merge them."),
        code="identifier_conflict",
    )


def _find_patient(his_patient):
    candidates = [(IdentifierSystem.REG_NO, his_patient.reg_no)]
    if his_patient.id_number:
        candidates.append((IdentifierSystem.ID_CARD, normalize_id_number(his_patient.id_number)))
    for system, value in candidates:
        if not value:
            continue
        ident = (
            PatientIdentifier.objects.select_related("patient")
            .filter(system=system, value_index=PatientIdentifier.index_for(system, value))
            .first()
        )
        if ident is not None:
            return ident.patient
    return None


def _his_identifiers(his_patient):
    pairs = {(IdentifierSystem.REG_NO.value, his_patient.reg_no)}
    if his_patient.id_number:
        pairs.add((IdentifierSystem.ID_CARD.value, normalize_id_number(his_patient.id_number)))
    for ident in his_patient.identifiers:
        value = normalize_id_number(ident.value) if ident.system == IdentifierSystem.ID_CARD else ident.value
        if ident.system in IdentifierSystem.values and value:
            pairs.add((ident.system, value))
    return sorted(pairs)


@transaction.atomic
def patient_get_or_create_from_his(*, his_patient, actor=None) -> tuple[Patient, bool]:
    """Resolve the local Patient for a HIS record (by 登记号, then 身份证号); create it with its identifiers.

    Demographics follow the HIS; identifiers are added, never silently moved from another patient.
    """
    if not his_patient.reg_no:
        raise InvalidInput(fields={"reg_no": [_("The hospital record has no registration number.")]})
    if his_patient.id_number and not is_valid_id_number(his_patient.id_number):
        raise InvalidInput(fields={"id_number": [_("Enter a valid 18-digit resident ID number.")]})
    demographics = {
        "name": his_patient.name,
        "sex": his_patient.sex if his_patient.sex in ("M", "F") else "U",
        "birth_date": his_patient.birth_date,
        "phone": normalize_phone(his_patient.phone or ""),
    }
    patient = _find_patient(his_patient)
    created = patient is None
    if created:
        try:
            with transaction.atomic():
                patient = Patient.objects.create(**demographics)
                for system, value in _his_identifiers(his_patient):
                    PatientIdentifier.objects.create(patient=patient, system=system, value=value)
        except IntegrityError:
            # Another request created the same patient at the same moment (use theirs), or one of the
            # identifiers belongs to a different patient record (refuse: records are merged by people).
            patient, created = _find_patient(his_patient), False
            if patient is None:
                raise _identifier_conflict() from None
        else:
            audit_record(
                actor=actor, system=actor is None, action="create", target=patient,
                after={"identifiers": [s for s, _v in _his_identifiers(his_patient)]},
            )
            return patient, True
    changed = [k for k, v in demographics.items() if getattr(patient, k) != v]
    for key in changed:
        setattr(patient, key, demographics[key])
    if changed:
        patient.save()
    current = list(patient.identifiers.all())
    existing = {(i.system, i.value_index) for i in current}
    added = []
    for system, value in _his_identifiers(his_patient):
        index = PatientIdentifier.index_for(system, value)
        if (system, index) in existing:
            continue
        other = PatientIdentifier.objects.filter(system=system, value_index=index).exclude(patient=patient).first()
        if other is not None:
            raise _identifier_conflict()
        if system in SINGLE_VALUED_SYSTEMS:
            # A person has one ID number: the HIS corrected it, so the old value goes.
            PatientIdentifier.objects.filter(patient=patient, system=system).delete()
        PatientIdentifier.objects.create(patient=patient, system=system, value=value)
        added.append(system)
    if changed or added:
        audit_record(
            actor=actor, system=actor is None, action="update", target=patient,
            after={"fields": changed, "identifiers_added": added},
        )
    return patient, False
