"""Writes of the stay context: admission (HIS A01), theatre day facts, discharge assessment and discharge (A03),
transfer to an inpatient ward (A02). Every write: lock the case, check, change, case event + audit, one transaction.

Calls to the HIS that give us numbers staff need at once (住院号 at admission, the inpatient number at transfer)
are made before the transaction, idempotently (the HIS keys the stay on our case number; the idempotency key is
derived from the case), so a retry after a failure or a lost answer never opens a second stay. The discharge
(A03) goes to the HIS after commit from the outbox (stay.handlers): a patient is never kept at the door because
the HIS is slow; the row shows whether the HIS has it (`his_status`).
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import has_permission
from audit.services import audit_record
from cases.models import CaseState
from cases.services import (
    FUTURE_TOLERANCE,
    actor_info,
    case_append_event,
    case_lock,
    case_lock_for_change,
    case_transition,
)
from cases.state_machine import ADMITTED_STATES, get_transition, refusal_for
from core.errors import DomainError, ExternalServiceError, InvalidInput, NotAllowed, NotFound
from integrations.registry import get_port
from org.models import Bed, ManagementMode, Ward
from org.scoping import ward_scope_for
from stay import errors
from stay import permissions as perms
from stay.models import (
    NEVER_EVENTS,
    PADS_ITEMS,
    AdverseEvent,
    AdverseEventKind,
    CareStage,
    ClavienDindo,
    Complication,
    Discharge,
    DischargeAssessment,
    DischargeDisposition,
    HarmLevel,
    HisSyncStatus,
    InpatientTransfer,
    Source,
    TheatrePoint,
    TheatreTime,
    TransferReason,
    UnplannedReturn,
)
from stay.rules import pads_score, theatre_order_problems

logger = logging.getLogger(__name__)
S = CaseState

# After arrival, whatever happened next: facts of the stay may still be recorded (late entries, corrections).
_STAY_STATES = frozenset({S.ADMITTED, S.IN_THEATRE, S.OPERATED, S.DISCHARGED, S.FOLLOW_UP, S.CLOSED,
                          S.TRANSFERRED_TO_INPATIENT})
# Outpatient surgery has no admission: the day starts when the patient enters theatre.
_OUTPATIENT_DAY_STATES = frozenset({S.APPLICATION_SENT, S.SCHEDULED}) | _STAY_STATES


def _now():
    return timezone.now()


def _check_time(value, field, *, now, not_before=None, not_before_label=None):
    if value > now + FUTURE_TOLERANCE:
        raise InvalidInput(fields={field: [_("The time cannot be in the future.")]})
    if not_before is not None and value < not_before:
        raise InvalidInput(fields={field: [not_before_label or _("This cannot happen before admission.")]})
    return value


def _preauthorise(case, actor, slug):
    """Before calling the HIS: the actor sees the case and holds the permission (re-checked under the lock)."""
    if actor is None:
        return
    if getattr(actor, "is_patient", False) or not getattr(actor, "is_authenticated", False):
        raise NotAllowed()
    if not ward_scope_for(actor).allows_ward(case.ward_id):
        raise NotFound()
    if not has_permission(actor, slug):
        raise NotAllowed()


def _raise_refusal(transition_name, case):
    refusal = refusal_for(get_transition(transition_name), case)
    if refusal is not None:
        raise refusal


# --- admission (A01) -------------------------------------------------------------------------------------------


def _check_bed(case, bed_no):
    if not bed_no:
        return
    beds = Bed.objects.filter(ward=case.ward_id)
    if beds.exists() and not beds.filter(code=bed_no, is_active=True).exists():
        raise InvalidInput(fields={"bed_no": [_("This ward has no such bed in use.")]})
    from stay.models import Admission

    taken = Admission.objects.filter(ward=case.ward_id, bed_no=bed_no, case__state__in=ADMITTED_STATES).exclude(
        case=case
    )
    if taken.exists():
        raise errors.BedOccupied(fields={"bed_no": [_("This bed is taken by another patient who is still in the ward.")]})


def admission_register(*, case, actor, admitted_at=None, bed_no: str = "", note: str = ""):
    """Register the day-surgery admission: HIS ADT A01 (住院号), then the `admit` transition and the admission row,
    with `stay.admission.registered` (admission_no, bed_no, his_visit_no). Returns the Admission."""
    from stay.models import Admission

    now = _now()
    admitted_at = _check_time(admitted_at or now, "admitted_at", now=now)
    bed_no = (bed_no or "").strip()
    _preauthorise(case, actor, perms.REGISTER_ADMISSION.slug)
    if Admission.objects.filter(case=case).exists():
        raise errors.AlreadyAdmitted()
    _raise_refusal("admit", case)
    get_transition("admit").guard(case, {}, admitted_at, actor_info(actor))  # not yet scheduled: refused here
    _check_bed(case, bed_no)
    if case.planned_date and timezone.localdate(admitted_at) < case.planned_date - timedelta(days=1):
        raise InvalidInput(fields={"admitted_at": [_("A day-surgery patient is admitted on the day of surgery.")]})

    from integrations.ports.his import AdtAdmission

    receipt = get_port("his").admit(
        AdtAdmission(
            case_no=str(case.uuid), reg_no=case.patient.reg_no, admitted_at=admitted_at,
            department_code=case.department.code, ward_code=case.ward.code, ward_name=case.ward.name, bed_no=bed_no,
            attending_employee_no=case.surgeon.employee_no, diagnosis_code=case.diagnosis_code,
            diagnosis_name=case.diagnosis_name, procedure_code=case.procedure_code, procedure_name=case.procedure_name,
        ),
        idempotency_key=f"adt-a01-{case.uuid}",
    )
    if not receipt.admission_no:
        raise ExternalServiceError(code="external_invalid_answer", extra={"port": "his", "operation": "adt_admit"})
    return _admission_commit(case=case, actor=actor, admitted_at=admitted_at, bed_no=bed_no or receipt.bed_no,
                             note=note, receipt=receipt)


@transaction.atomic
def _admission_commit(*, case, actor, admitted_at, bed_no, note, receipt):
    from stay.models import Admission

    locked = case_transition(case=case, transition="admit", actor=actor, occurred_at=admitted_at)
    if Admission.objects.filter(case=locked).exists():  # a concurrent registration won the race
        raise errors.AlreadyAdmitted()
    if bed_no:  # beds of a ward are given out one admission at a time (two nurses, one bed)
        Ward.objects.select_for_update().filter(pk=locked.ward_id).first()
    _check_bed(locked, bed_no)
    admission = Admission.objects.create(
        case=locked, ward=locked.ward, patient=locked.patient, recorded_by=actor_info(actor)["user"],
        admitted_at=admitted_at, admission_no=receipt.admission_no, his_visit_no=receipt.visit_no,
        his_encounter_id=receipt.encounter_id, bed_no=bed_no, note=note,
    )
    case_append_event(
        locked, type="stay.admission.registered", actor=actor, occurred_at=admitted_at,
        payload={"admission": str(admission.uuid), "admission_no": admission.admission_no, "bed_no": bed_no,
                 "his_visit_no": admission.his_visit_no},
    )
    audit_record(actor=actor, system=actor is None, action="create", target=admission,
                 after={"case": str(locked.uuid), "admission_no": admission.admission_no, "bed_no": bed_no,
                        "his_encounter": admission.his_encounter_id})
    _sync(case)
    return admission


def _his_stay(case) -> bool:
    from stay.models import Admission

    return Admission.objects.filter(case=case).exclude(his_encounter_id="").exists()


def _sync(case):
    case.refresh_from_db()


def admission_import(*, case):
    """Register with the HIS (A01) a case admitted without this context (the generic `admit` transition, data
    migrated from before): the Admission row and `stay.admission.registered`, as the system. Idempotent."""
    from integrations.ports.his import AdtAdmission
    from stay.models import Admission

    if case.admitted_at is None or Admission.objects.filter(case=case).exists():
        return None
    receipt = get_port("his").admit(
        AdtAdmission(
            case_no=str(case.uuid), reg_no=case.patient.reg_no, admitted_at=case.admitted_at,
            department_code=case.department.code, ward_code=case.ward.code, ward_name=case.ward.name,
            attending_employee_no=case.surgeon.employee_no, diagnosis_code=case.diagnosis_code,
            diagnosis_name=case.diagnosis_name, procedure_code=case.procedure_code, procedure_name=case.procedure_name,
        ),
        idempotency_key=f"adt-a01-{case.uuid}",
    )
    with transaction.atomic():
        locked = case_lock(case)
        if Admission.objects.filter(case=locked).exists():
            return None
        admission = Admission.objects.create(
            case=locked, ward=locked.ward, patient=locked.patient, admitted_at=locked.admitted_at,
            admission_no=receipt.admission_no, his_visit_no=receipt.visit_no, his_encounter_id=receipt.encounter_id,
            bed_no=receipt.bed_no,
        )
        case_append_event(locked, type="stay.admission.registered", actor=None, occurred_at=locked.admitted_at,
                          payload={"admission": str(admission.uuid), "admission_no": admission.admission_no,
                                   "bed_no": admission.bed_no, "his_visit_no": admission.his_visit_no})
        audit_record(actor=None, system=True, action="create", target=admission,
                     after={"case": str(locked.uuid), "admission_no": admission.admission_no, "imported": True})
    return admission


# --- theatre times ---------------------------------------------------------------------------------------------

# Which case fact each point sets once the transitions have happened (corrections keep them in step).
_CASE_FIELDS = {
    TheatrePoint.ROOM_IN: "theatre_in_at",
    TheatrePoint.INCISION: "incision_start_at",
    TheatrePoint.SURGERY_END: "incision_end_at",
    TheatrePoint.ROOM_OUT: "theatre_out_at",
}


def _day_started(case) -> bool:
    if case.ward.management_mode == ManagementMode.OUTPATIENT:
        return case.state in _OUTPATIENT_DAY_STATES
    return case.state in _STAY_STATES


@transaction.atomic
def theatre_times_record(*, case, actor, times: dict, reason: str = "", source: str = Source.MANUAL) -> list:
    """Record (or correct) theatre time points. `times`: {point: datetime}. Points must keep the order of theatre
    (suite in ≤ room in ≤ anaesthesia start ≤ incision ≤ end ≤ anaesthesia end ≤ room out ≤ recovery in ≤ out);
    a changed time needs `reason` (except from the theatre system, whose latest value is the record).

    Entering the room drives `enter_theatre`, leaving it `finish_operation` (with incision and end times), each
    at the recorded time. Returns the case's TheatreTime rows.
    """
    unknown = sorted(set(times) - set(TheatrePoint.values))
    if unknown or not times:
        raise InvalidInput(fields={"times": [_("Give at least one known time point.")]})
    locked = case_lock_for_change(case, actor=actor, slug=perms.RECORD_THEATRE_TIMES.slug)
    if not _day_started(locked):
        raise errors.NotInStay(extra={"state": locked.state})
    now = _now()
    left_at = locked.discharged_at or locked.transferred_at
    for point, at in times.items():
        _check_time(at, point, now=now, not_before=locked.admitted_at)
        if left_at is not None and at > left_at:
            raise InvalidInput(fields={point: [_("This cannot be after the patient left the day-surgery ward.")]})
    existing = {row.point: row for row in TheatreTime.objects.filter(case=locked)}
    merged = {p: row.at for p, row in existing.items()} | dict(times)
    problems = theatre_order_problems(merged)
    if problems:
        raise errors.TheatreTimeOrder(fields=problems)
    changed = {p: at for p, at in times.items() if p not in existing or existing[p].at != at}
    if not changed:
        return list(TheatreTime.objects.filter(case=locked).order_by("at"))
    corrections = [p for p in changed if p in existing]
    if corrections and source == Source.MANUAL and not reason.strip():
        raise InvalidInput(fields={"reason": [_("Give the reason for correcting a recorded time.")]})
    user = actor_info(actor)["user"]
    for point in sorted(changed, key=lambda p: merged[p]):
        at = changed[point]
        row = existing.get(point)
        previous = row.at if row else None
        if row is None:
            row = TheatreTime.objects.create(case=locked, ward=locked.ward, patient=locked.patient, recorded_by=user,
                                             point=point, at=at, source=source)
        else:
            row.at, row.source, row.recorded_by = at, source, user
            row.corrections += 1
            row.correction_reason = reason.strip()[:300]
            row.save()
        case_append_event(
            locked, type="stay.theatre_time.recorded", actor=actor, occurred_at=at,
            payload={"point": point, "at": at, "previous": previous, "source": source,
                     "reason": reason.strip() if previous else ""},
        )
        audit_record(actor=actor, system=actor is None, action="update" if previous else "create", target=row,
                     before={"at": previous} if previous else None, after={"point": point, "at": at})
    _drive_transitions(locked, actor, merged, changed)
    _sync(case)
    return list(TheatreTime.objects.filter(case=locked).order_by("at"))


def _drive_transitions(case, actor, merged, changed):
    """enter_theatre at "room in", finish_operation at "room out"; later corrections move the case's facts."""
    room_in, room_out = merged.get(TheatrePoint.ROOM_IN), merged.get(TheatrePoint.ROOM_OUT)
    enter = get_transition("enter_theatre")
    if room_in and case.state in enter.sources_for(case.ward.management_mode):
        case = case_transition(case=case, transition="enter_theatre", actor=actor, occurred_at=room_in)
    if room_out and case.state == S.IN_THEATRE:
        facts = {"incision_start_at": merged.get(TheatrePoint.INCISION),
                 "incision_end_at": merged.get(TheatrePoint.SURGERY_END), "theatre_out_at": room_out}
        case = case_transition(case=case, transition="finish_operation", actor=actor, occurred_at=room_out,
                               **{k: v for k, v in facts.items() if v is not None})
    locked = case_lock(case)
    corrected = {}
    for point, field in _CASE_FIELDS.items():
        if point in changed and getattr(locked, field) is not None and getattr(locked, field) != merged[point]:
            corrected[field] = merged[point]
    if TheatrePoint.ROOM_OUT in changed and locked.operated_at is not None and locked.operated_at != room_out:
        corrected["operated_at"] = room_out
    if corrected:  # a correction after the transitions: the case's facts follow the theatre record
        for field, value in corrected.items():
            setattr(locked, field, value)
        locked.version += 1
        locked.save(update_fields=[*corrected, "version", "updated_at"])


def theatre_times_import(*, case, times: dict):
    """Time points reported by the theatre / anaesthesia system (the system is the actor; its values win)."""
    return theatre_times_record(case=case, actor=None, times=times, source=Source.THEATRE_SYSTEM,
                                reason=str(_("updated by the theatre system")))


# --- complications, adverse events, unplanned returns ----------------------------------------------------------


def _incident_lock(case, actor, occurred_at, field="occurred_at"):
    locked = case_lock_for_change(case, actor=actor, slug=perms.RECORD_INCIDENTS.slug)
    if not _day_started(locked):
        raise errors.NotInStay(extra={"state": locked.state})
    start = locked.admitted_at or locked.theatre_in_at
    _check_time(occurred_at, field, now=_now(), not_before=start)
    return locked


@transaction.atomic
def complication_record(*, case, actor, occurred_at, stage, clavien_dindo_grade, description, diagnosis_code="",
                        treatment=""):
    grade = clavien_dindo_grade
    if grade not in ClavienDindo.values:
        raise InvalidInput(fields={"clavien_dindo_grade": [_("Unknown Clavien–Dindo grade.")]})
    if stage not in CareStage.values:
        raise InvalidInput(fields={"stage": [_("Unknown stage.")]})
    if not (description or "").strip():
        raise InvalidInput(fields={"description": [_("This field is required.")]})
    locked = _incident_lock(case, actor, occurred_at)
    problems = {}
    if stage == CareStage.INTRAOPERATIVE and locked.theatre_in_at is None:
        problems["stage"] = [_("The patient has not entered theatre.")]
    if stage == CareStage.INTRAOPERATIVE and locked.theatre_in_at and occurred_at < locked.theatre_in_at:
        problems["occurred_at"] = [_("An intra-operative complication cannot precede entering theatre.")]
    if stage == CareStage.AFTER_DISCHARGE and (locked.discharged_at is None or occurred_at < locked.discharged_at):
        problems["stage"] = [_("“After discharge” needs a time after the patient was discharged.")]
    if problems:
        raise InvalidInput(fields=problems)
    row = Complication.objects.create(
        case=locked, ward=locked.ward, patient=locked.patient, recorded_by=actor_info(actor)["user"],
        occurred_at=occurred_at, stage=stage, clavien_dindo_grade=grade, description=description.strip(),
        diagnosis_code=(diagnosis_code or "").strip(), treatment=(treatment or "").strip(),
    )
    case_append_event(locked, type="stay.complication.recorded", actor=actor, occurred_at=occurred_at,
                      payload={"complication": str(row.uuid), "grade": grade, "stage": stage,
                               "diagnosis_code": row.diagnosis_code})
    audit_record(actor=actor, system=actor is None, action="create", target=row,
                 after={"grade": grade, "stage": stage, "occurred_at": occurred_at})
    return row


@transaction.atomic
def adverse_event_record(*, case, actor, kind, occurred_at, harm, description, actions_taken="",
                         reported_externally=False):
    if kind not in AdverseEventKind.values:
        raise InvalidInput(fields={"kind": [_("Unknown kind of adverse event.")]})
    if harm not in HarmLevel.values:
        raise InvalidInput(fields={"harm": [_("Unknown harm level.")]})
    if not (description or "").strip():
        raise InvalidInput(fields={"description": [_("This field is required.")]})
    locked = _incident_lock(case, actor, occurred_at)
    row = AdverseEvent.objects.create(
        case=locked, ward=locked.ward, patient=locked.patient, recorded_by=actor_info(actor)["user"], kind=kind,
        occurred_at=occurred_at, harm=harm, description=description.strip(), actions_taken=(actions_taken or "").strip(),
        reported_externally=bool(reported_externally),
    )
    case_append_event(locked, type="stay.adverse_event.recorded", actor=actor, occurred_at=occurred_at,
                      payload={"adverse_event": str(row.uuid), "kind": kind, "harm": harm,
                               "never_event": kind in NEVER_EVENTS})
    audit_record(actor=actor, system=actor is None, action="create", target=row,
                 after={"kind": kind, "harm": harm, "occurred_at": occurred_at})
    return row


@transaction.atomic
def unplanned_return_record(*, case, actor, occurred_at, reason, procedure_name="", complication=None):
    if not (reason or "").strip():
        raise InvalidInput(fields={"reason": [_("This field is required.")]})
    locked = _incident_lock(case, actor, occurred_at)
    index_end = locked.theatre_out_at or locked.operated_at
    if index_end is None:
        raise InvalidInput(fields={"occurred_at": [_("The first operation has not ended yet.")]})
    if occurred_at <= index_end:
        raise InvalidInput(fields={"occurred_at": [_("A return to theatre comes after the first operation ended.")]})
    if complication is not None and complication.case_id != locked.pk:
        raise InvalidInput(fields={"complication": [_("Unknown complication.")]})
    row = UnplannedReturn.objects.create(
        case=locked, ward=locked.ward, patient=locked.patient, recorded_by=actor_info(actor)["user"],
        occurred_at=occurred_at, reason=reason.strip(), procedure_name=(procedure_name or "").strip(),
        complication=complication,
    )
    hours = round((occurred_at - index_end) / timedelta(hours=1), 2)
    case_append_event(locked, type="stay.unplanned_return.recorded", actor=actor, occurred_at=occurred_at,
                      payload={"unplanned_return": str(row.uuid),
                               "complication": str(complication.uuid) if complication else None,
                               "hours_after_index_operation": hours})
    audit_record(actor=actor, system=actor is None, action="create", target=row,
                 after={"occurred_at": occurred_at, "hours_after_index_operation": hours})
    return row


# --- discharge assessment and discharge -------------------------------------------------------------------------


@transaction.atomic
def discharge_assessment_record(*, case, actor, items: dict, assessed_at=None, note=""):
    """A PADS assessment (five items 0–2). Allowed once the operation has ended and before the patient leaves."""
    problems = {}
    for name in PADS_ITEMS:
        value = items.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value not in (0, 1, 2):
            problems[name] = [_("Score this item 0, 1 or 2.")]
    if problems:
        raise InvalidInput(fields=problems)
    locked = case_lock_for_change(case, actor=actor, slug=perms.ASSESS_DISCHARGE.slug)
    if locked.state != S.OPERATED:
        raise errors.NotInStay(
            _("A discharge assessment is made after the operation, before the patient leaves."),
            code="not_assessable", extra={"state": locked.state},
        )
    now = _now()
    assessed_at = _check_time(assessed_at or now, "assessed_at", now=now,
                              not_before=locked.theatre_out_at or locked.operated_at,
                              not_before_label=_("The assessment comes after the operation ended."))
    score, passed, ready = pads_score(items)
    row = DischargeAssessment.objects.create(
        case=locked, ward=locked.ward, patient=locked.patient, recorded_by=actor_info(actor)["user"],
        assessed_at=assessed_at, score=score, ready_score=ready, passed=passed, note=(note or "").strip(),
        **{name: items[name] for name in PADS_ITEMS},
    )
    case_append_event(locked, type="stay.discharge_assessment.recorded", actor=actor, occurred_at=assessed_at,
                      payload={"assessment": str(row.uuid), "score": score, "passed": passed, "tool": "pads",
                               "ready_score": ready, "items": {name: items[name] for name in PADS_ITEMS}})
    audit_record(actor=actor, system=actor is None, action="create", target=row,
                 after={"score": score, "passed": passed})
    return row


INSTRUCTION_TOPICS = ("wound_care", "diet", "activity", "medication", "warning_signs", "follow_up", "other")


def _clean_instructions(instructions) -> dict:
    if not isinstance(instructions, dict) or not instructions:
        raise InvalidInput(fields={"instructions": [_("Give the discharge instructions.")]})
    unknown = sorted(set(instructions) - set(INSTRUCTION_TOPICS))
    if unknown:
        raise InvalidInput(fields={"instructions": [_("Unknown instruction topic.")]})
    cleaned = {k: str(v).strip()[:1000] for k, v in instructions.items() if str(v or "").strip()}
    if "warning_signs" not in cleaned:
        raise InvalidInput(fields={"instructions": [_("Tell the patient which warning signs need a call or a visit.")]})
    return cleaned


@transaction.atomic
def discharge_record(*, case, actor, disposition, instructions: dict, discharged_at=None, override_reason="",
                     escort_name="", follow_up_date=None):
    """Discharge with instructions and 离院方式: the `discharge` transition (its guard requires a passing PADS
    assessment, or `override_reason` from a doctor), the Discharge row, `stay.discharge.instructions_given`; the
    HIS gets A03 after commit (stay.handlers)."""
    if disposition not in DischargeDisposition.values:
        raise InvalidInput(fields={"disposition": [_("Unknown discharge disposition.")]})
    cleaned = _clean_instructions(instructions)
    locked = case_lock_for_change(case, actor=actor, slug=perms.DISCHARGE.slug)
    if Discharge.objects.filter(case=locked).exists():
        raise errors.AlreadyDischarged()
    now = _now()
    discharged_at = _check_time(discharged_at or now, "discharged_at", now=now,
                                not_before=locked.theatre_out_at or locked.operated_at,
                                not_before_label=_("The discharge comes after the operation ended."))
    if follow_up_date and follow_up_date < timezone.localdate(discharged_at):
        raise InvalidInput(fields={"follow_up_date": [_("The review date cannot be before the discharge.")]})
    locked = case_transition(case=locked, transition="discharge", actor=actor, occurred_at=discharged_at,
                             reason=(override_reason or "").strip() or None)
    event = locked.events.filter(type="cases.case.discharged").order_by("-sequence").first()
    readiness = (event.payload or {}).get("discharge_assessment") if event else None
    assessment = (DischargeAssessment.objects.filter(uuid=readiness["uuid"]).first() if readiness else None)
    has_stay = _his_stay(locked)
    row = Discharge.objects.create(
        case=locked, ward=locked.ward, patient=locked.patient, recorded_by=actor_info(actor)["user"],
        discharged_at=discharged_at, disposition=disposition, assessment=assessment if assessment and
        assessment.passed else None, override_reason=(event.payload or {}).get("reason", "") if event else "",
        instructions=cleaned, escort_name=(escort_name or "").strip(), follow_up_date=follow_up_date,
        his_status=HisSyncStatus.PENDING if has_stay else HisSyncStatus.NOT_APPLICABLE,
    )
    case_append_event(locked, type="stay.discharge.instructions_given", actor=actor, occurred_at=discharged_at,
                      payload={"discharge": str(row.uuid), "disposition": disposition, "topics": sorted(cleaned),
                               "follow_up_date": follow_up_date, "override": bool(row.override_reason)})
    audit_record(actor=actor, system=actor is None, action="create", target=row,
                 after={"disposition": disposition, "override_reason": row.override_reason,
                        "assessment": str(assessment.uuid) if assessment else None})
    _sync(case)
    return row


@transaction.atomic
def discharge_import(*, case, disposition, instructions: dict, follow_up_date=None):
    """The discharge facts of a case discharged without this context (the generic transition, data migrated from
    before): the Discharge row and `stay.discharge.instructions_given`, as the system. Idempotent."""
    from stay.rules import latest_assessment

    locked = case_lock(case)
    if locked.discharged_at is None or Discharge.objects.filter(case=locked).exists():
        return None
    cleaned = _clean_instructions(instructions)
    assessment = latest_assessment(locked, before=locked.discharged_at)
    row = Discharge.objects.create(
        case=locked, ward=locked.ward, patient=locked.patient, discharged_at=locked.discharged_at,
        disposition=disposition, assessment=assessment if assessment and assessment.passed else None,
        instructions=cleaned, follow_up_date=follow_up_date,
        his_status=HisSyncStatus.PENDING if _his_stay(locked) else HisSyncStatus.NOT_APPLICABLE,
    )
    case_append_event(locked, type="stay.discharge.instructions_given", actor=None, occurred_at=locked.discharged_at,
                      payload={"discharge": str(row.uuid), "disposition": disposition, "topics": sorted(cleaned),
                               "follow_up_date": follow_up_date, "override": False})
    audit_record(actor=None, system=True, action="create", target=row, after={"disposition": disposition,
                                                                              "imported": True})
    return row


def discharge_send_to_his(*, case, disposition: str | None = None) -> str:
    """ADT A03 for the case's discharge (outbox handler / resend job). Returns the resulting HIS status.

    A transient failure raises (the outbox retries with backoff); a refusal is recorded on the row (FAILED)."""
    from integrations.ports.his import AdtDischarge
    from stay.models import Admission

    admission = Admission.objects.filter(case=case).first()
    row = Discharge.objects.filter(case=case).first()
    if admission is None or not admission.his_encounter_id or case.discharged_at is None:
        return HisSyncStatus.NOT_APPLICABLE
    if row is not None and row.his_status == HisSyncStatus.SENT:
        return row.his_status
    disposition = row.disposition if row else (disposition or DischargeDisposition.ORDERED)
    try:
        get_port("his").discharge(
            AdtDischarge(encounter_id=admission.his_encounter_id, discharged_at=case.discharged_at,
                         disposition_code=disposition, disposition_name=str(DischargeDisposition(disposition).label)),
            idempotency_key=f"adt-a03-{case.uuid}",
        )
    except ExternalServiceError as exc:
        if exc.code != "external_rejected" or row is None:
            raise
        Discharge.objects.filter(pk=row.pk).update(his_status=HisSyncStatus.FAILED, his_error=str(exc.extra)[:300])
        logger.warning("HIS refused the discharge (A03) of case %s: %s", case.uuid, exc.extra)
        return HisSyncStatus.FAILED
    if row is not None:
        Discharge.objects.filter(pk=row.pk).update(his_status=HisSyncStatus.SENT, his_synced_at=_now(), his_error="")
    return HisSyncStatus.SENT


def discharge_his_resend(*, older_than_minutes: int = 15) -> int:
    """Send again the discharges the HIS has not acknowledged (lost outbox deliveries, earlier refusals after the
    HIS was fixed). Returns how many are now acknowledged."""
    cutoff = _now() - timedelta(minutes=older_than_minutes)
    sent = 0
    for row in Discharge.objects.filter(
        his_status__in=[HisSyncStatus.PENDING, HisSyncStatus.FAILED], created_at__lte=cutoff
    ).select_related("case").iterator():
        try:
            sent += discharge_send_to_his(case=row.case) == HisSyncStatus.SENT
        except DomainError:
            logger.warning("A03 resend failed for case %s", row.case.uuid)
    return sent


# --- transfer to an inpatient ward (A02) ------------------------------------------------------------------------


def inpatient_transfer(*, case, actor, reason_code, target_ward_code, target_ward_name, reason_text="",
                       target_department_code="", bed_no="", inpatient_admission_no="", transferred_at=None):
    """Transfer to an ordinary inpatient ward (G3): HIS ADT A02 on the day-surgery stay (the HIS converts it and
    keeps the link), then the `transfer_to_inpatient` transition and the transfer row."""
    from integrations.ports.his import AdtTransfer
    from stay.models import Admission

    problems = {}
    if reason_code not in TransferReason.values:
        problems["reason_code"] = [_("Unknown reason for the transfer.")]
    if reason_code == TransferReason.OTHER and not (reason_text or "").strip():
        problems["reason_text"] = [_("Describe the reason when choosing 'other'.")]
    if not (target_ward_code or "").strip():
        problems["target_ward_code"] = [_("This field is required.")]
    if not (target_ward_name or "").strip():
        problems["target_ward_name"] = [_("This field is required.")]
    if problems:
        raise InvalidInput(fields=problems)
    now = _now()
    transferred_at = _check_time(transferred_at or now, "transferred_at", now=now, not_before=case.admitted_at)
    _preauthorise(case, actor, perms.TRANSFER.slug)
    _raise_refusal("transfer_to_inpatient", case)
    if InpatientTransfer.objects.filter(case=case).exists():
        raise errors.NotTransferable()
    admission = Admission.objects.filter(case=case).first()
    receipt = None
    if admission is not None and admission.his_encounter_id:
        receipt = get_port("his").transfer(
            AdtTransfer(encounter_id=admission.his_encounter_id, transferred_at=transferred_at,
                        target_ward_code=target_ward_code.strip(), target_ward_name=target_ward_name.strip(),
                        target_department_code=(target_department_code or "").strip(), bed_no=(bed_no or "").strip(),
                        reason=str(TransferReason(reason_code).label)),
            idempotency_key=f"adt-a02-{case.uuid}",
        )
    elif not (inpatient_admission_no or "").strip():
        # No HIS stay to convert (outpatient surgery, or an admission recorded without the HIS): the ward registers
        # the inpatient admission at the admission office and gives its number here.
        raise InvalidInput(fields={"inpatient_admission_no": [
            _("Give the inpatient admission number from the admission office.")]})
    return _transfer_commit(
        case=case, actor=actor, reason_code=reason_code, reason_text=(reason_text or "").strip(),
        target_ward_code=target_ward_code.strip(), target_ward_name=target_ward_name.strip(),
        target_department_code=(target_department_code or "").strip(), bed_no=(bed_no or "").strip(),
        inpatient_admission_no=(receipt.admission_no if receipt and receipt.admission_no else
                                (inpatient_admission_no or "").strip()),
        receipt=receipt, admission=admission, transferred_at=transferred_at,
    )


@transaction.atomic
def _transfer_commit(*, case, actor, reason_code, reason_text, target_ward_code, target_ward_name,
                     target_department_code, bed_no, inpatient_admission_no, receipt, admission, transferred_at):
    label = str(TransferReason(reason_code).label)
    locked = case_transition(
        case=case, transition="transfer_to_inpatient", actor=actor, occurred_at=transferred_at,
        reason=f"{label}：{reason_text}" if reason_text else label, inpatient_ward_name=target_ward_name,
        inpatient_admission_no=inpatient_admission_no,
    )
    hours = (round((transferred_at - locked.admitted_at) / timedelta(hours=1), 2) if locked.admitted_at else None)
    row = InpatientTransfer.objects.create(
        case=locked, ward=locked.ward, patient=locked.patient, recorded_by=actor_info(actor)["user"],
        transferred_at=transferred_at, reason_code=reason_code, reason_text=reason_text,
        target_ward_code=target_ward_code, target_ward_name=target_ward_name,
        target_department_code=target_department_code, bed_no=bed_no or (receipt.bed_no if receipt else ""),
        day_surgery_admission_no=admission.admission_no if admission else "",
        inpatient_admission_no=inpatient_admission_no, inpatient_visit_no=receipt.visit_no if receipt else "",
        his_encounter_id=receipt.encounter_id if receipt else "", hours_since_admission=hours,
    )
    audit_record(actor=actor, system=actor is None, action="create", target=row,
                 after={"reason_code": reason_code, "target_ward": target_ward_code,
                        "inpatient_admission_no": inpatient_admission_no,
                        "day_surgery_admission_no": row.day_surgery_admission_no})
    _sync(case)
    return row
