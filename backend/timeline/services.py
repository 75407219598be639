"""Writes of the timeline context.

Projection (derived from case events, see timeline.engine):
- `timeline_sync(case)`: apply the case's new events (the outbox handler), push node changes after commit;
- `timeline_rebuild(case)`: replay every event of the case from scratch;
- `timeline_mark_overdue(now)`: the beat task — cases with an open node past its deadline.

Configuration (Y6), each change audited and versioned:
- `node_definition_create`, `node_definition_update`, `node_definition_retire`, `node_definition_restore`;
- `timeline_defaults_sync()` writes the platform defaults (timeline.defaults) that are missing.
After a change, the active cases it concerns are rebuilt in the background (after commit).
"""

import json
import logging
import re
from datetime import time

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_time
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from core.errors import InvalidInput
from core.event_rules import event_matcher_clean
from core.serialization import to_jsonable
from org.models import ManagementMode
from realtime.groups import case_group, patient_group, ward_group
from realtime.publisher import publish_on_commit
from timeline import engine, errors
from timeline.defaults import DEFAULT_NODES, OUTPATIENT_HIDDEN
from timeline.definitions import as_matchers, resolve, skip_when_fields
from timeline.models import (
    PATIENT_AUDIENCES,
    Anchor,
    Audience,
    CaseNode,
    DetailKind,
    DueFor,
    NodeDefinition,
    NodeDefinitionVersion,
    NodeState,
)

logger = logging.getLogger(__name__)

NODE_CHANGED = "timeline.node.changed"
REBUILT = "timeline.rebuilt"

# Cases whose timeline can still move (ended cases keep the projection they had).
ENDED_STATES = ("closed", "cancelled", "no_show", "terminated", "transferred_to_inpatient")


# --- the projection ---------------------------------------------------------------------------------------------


def _case(case):
    from cases.models import SurgicalCase

    return SurgicalCase.objects.select_related("ward__department", "patient").get(pk=case.pk)


def _push(case, changes):
    """After commit: the ward's and the case's screens learn which node changed (identifiers and states only);
    the patient's app learns it for nodes the patient sees."""
    if not changes:
        return
    from accounts.models import PatientAccount

    audiences = dict(CaseNode.objects.filter(case=case, key__in=[c.key for c in changes])
                     .values_list("key", "definition__audience"))
    accounts = None
    for change in changes:
        body = {
            "case": str(case.uuid), "ward": case.ward_id, "node": change.key, "state": change.to_state,
            "previous_state": change.from_state,
            "event": str(change.event.uuid) if change.event else None,
            "sequence": change.event.sequence if change.event else None,
        }
        publish_on_commit(ward_group(case.ward_id), NODE_CHANGED, body)
        publish_on_commit(case_group(case.uuid), NODE_CHANGED, body)
        if audiences.get(change.key) in PATIENT_AUDIENCES:
            if accounts is None:
                accounts = list(PatientAccount.objects.filter(patient_id=case.patient_id, is_active=True)
                                .values_list("uuid", flat=True))
            for account in accounts:
                publish_on_commit(patient_group(account), NODE_CHANGED,
                                  {"case": str(case.uuid), "node": change.key,
                                   "state": patient_state(change.to_state, started=change.started)})


def patient_state(state, *, started) -> str:
    """Patients are not shown 'overdue' (the hospital's own deadlines): it reads as pending or in progress."""
    if state == NodeState.OVERDUE:
        return NodeState.IN_PROGRESS if started else NodeState.PENDING
    return state


@transaction.atomic
def timeline_sync(case, *, now=None):
    """Bring the case's timeline up to date with its events (idempotent; safe under concurrent workers)."""
    case = _case(case)
    changes = engine.sync(case, now=now)
    _push(case, changes)
    return changes


@transaction.atomic
def timeline_rebuild(case, *, now=None, push=True):
    """Re-derive the case's timeline by replaying every event (after a configuration change or a repair)."""
    case = _case(case)
    changes = engine.rebuild(case, now=now)
    if push:
        publish_on_commit(ward_group(case.ward_id), REBUILT, {"case": str(case.uuid), "ward": case.ward_id})
    return changes


def timeline_mark_overdue(*, now=None) -> int:
    """Mark open nodes past their deadline as overdue (the beat task). Returns how many cases were looked at."""
    from cases.models import SurgicalCase

    now = now or timezone.now()
    case_ids = (CaseNode.objects.filter(state__in=[NodeState.PENDING, NodeState.IN_PROGRESS],
                                        deadline_at__lte=now)
                .exclude(case__state__in=ENDED_STATES).values_list("case_id", flat=True).distinct())
    count = 0
    for case in SurgicalCase.objects.filter(pk__in=list(case_ids)).order_by("pk"):
        try:
            timeline_sync(case, now=now)
        except Exception:  # noqa: BLE001 - one broken case must not stop the others; the next run retries
            logger.exception("timeline overdue check failed for case %s", case.uuid)
        count += 1
    return count


def cases_to_rebuild(*, hospital_id=None, management_mode="", active_only=True):
    from cases.models import SurgicalCase

    qs = SurgicalCase.objects.all()
    if hospital_id is not None:
        qs = qs.filter(ward__department__hospital_id=hospital_id)
    if management_mode:
        qs = qs.filter(ward__management_mode=management_mode)
    if active_only:
        qs = qs.exclude(state__in=ENDED_STATES)
    return qs.order_by("pk")


def timeline_rebuild_many(cases, *, write=None) -> int:
    """Rebuild each case in its own transaction (progress through `write`). Returns how many were rebuilt."""
    cases = list(cases)
    total = len(cases)
    done = 0
    for index, case in enumerate(cases, start=1):
        try:
            timeline_rebuild(case)
            done += 1
        except Exception:  # noqa: BLE001 - reported and counted; the rest go on
            logger.exception("timeline rebuild failed for case %s", case.uuid)
            if write:
                write(f"  ! {case.uuid}: failed (see the log)")
        if write and (index % 50 == 0 or index == total):
            write(f"  {index}/{total} cases")
    return done


def schedule_rebuild(hospital_id, management_mode):
    def enqueue():
        from timeline.tasks import rebuild_cases

        try:
            rebuild_cases.delay(hospital_id=hospital_id, management_mode=management_mode)
        except Exception:  # noqa: BLE001 - a broker outage must not fail the change; the command can repair
            logger.exception("could not enqueue the timeline rebuild after a configuration change")

    transaction.on_commit(enqueue, robust=True)


@transaction.atomic
def timeline_rebuild_requested(*, actor, hospital, management_mode="") -> int:
    """An administrator asks for the hospital's active timelines to be re-derived (audited; runs after commit)."""
    check_hospital(actor, hospital.pk)
    count = cases_to_rebuild(hospital_id=hospital.pk, management_mode=management_mode).count()
    audit_record(actor=actor, action=AuditAction.CONFIG, target=hospital, target_type="timeline.rebuild",
                 after={"management_mode": management_mode, "cases": count}, detail="timeline rebuild requested")
    schedule_rebuild(hospital.pk, management_mode)
    return count


# --- configuration (Y6) -----------------------------------------------------------------------------------------

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
TYPE_PATTERN_RE = re.compile(r"^[a-z0-9_*?]+(\.[a-z0-9_*?]+)+$")
TRIGGER_FIELDS = ("start_on", "complete_on", "fail_on", "reset_on", "skip_on")
MAX_MATCHERS = 10
EDITABLE = (
    "name", "patient_name", "description", "patient_description", "order", "audience", "is_active",
    *TRIGGER_FIELDS, "skip_when", "expected_anchor", "expected_anchor_ref", "expected_offset_days",
    "expected_offset_hours", "expected_time", "due_for", "overdue_after_minutes", "detail_kind",
)
TEXT_LIMITS = {"name": 50, "patient_name": 50, "description": 500, "patient_description": 500}


def actor_hospital(actor):
    department = getattr(actor, "department", None)
    return department.hospital if department is not None else None


def check_hospital(actor, hospital_id):
    """As for the other hospital configuration (risk knowledge base, consent forms): staff of a hospital manage
    their own hospital's nodes, never the platform defaults or another hospital's; superusers, the system and
    platform administrators (staff without a department) manage any."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    own = actor_hospital(actor)
    if own is None:
        return
    if hospital_id is None or own.pk != hospital_id:
        raise errors.HospitalNotAllowed()


def _clean_trigger(value, field):
    if value in (None, "", {}, []):
        return []
    matchers = [value] if isinstance(value, dict) else value
    if not isinstance(matchers, list) or len(matchers) > MAX_MATCHERS:
        raise InvalidInput(fields={field: [_("Give a matcher or a list of at most %(n)d matchers.")
                                           % {"n": MAX_MATCHERS}]})
    if "\\u0000" in json.dumps(matchers):
        raise InvalidInput(fields={field: [_("The text contains characters that are not allowed.")]})
    cleaned = []
    for matcher in matchers:
        matcher = event_matcher_clean(matcher, field)
        for pattern in matcher["types"]:
            if not TYPE_PATTERN_RE.match(pattern):
                raise InvalidInput(fields={field: [
                    _("'%(pattern)s' is not an event type (like cases.case.booked; * and ? allowed).")
                    % {"pattern": pattern}]})
        if not matcher["where"]:
            matcher.pop("where")
        cleaned.append(matcher)
    return cleaned


def _clean_skip_when(value):
    if value in (None, "", {}):
        return {}
    allowed = skip_when_fields()
    if not isinstance(value, dict) or len(value) > len(allowed):
        raise InvalidInput(fields={"skip_when": [_("Give an object of case fields and their values.")]})
    for name, values in value.items():
        if name not in allowed:
            raise InvalidInput(fields={"skip_when": [_("'%(field)s' cannot be used; use one of: %(fields)s.")
                                                     % {"field": name, "fields": ", ".join(sorted(allowed))}]})
        if not isinstance(values, list) or not values or any(v not in allowed[name] for v in values):
            raise InvalidInput(fields={"skip_when": [_("Values for '%(field)s' must be a non-empty list of: "
                                                       "%(values)s.") % {"field": name,
                                                                         "values": ", ".join(allowed[name])}]})
    return {name: list(values) for name, values in value.items()}


def _int(values, name, low, high, problems, *, nullable=False):
    value = values.get(name)
    if value is None and nullable:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems[name] = [_("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}]


def _clean(values: dict, *, hospital_id, mode, key, definition=None) -> dict:
    """Validate a definition as a whole (after merging the changes into what it was); field messages in Chinese."""
    problems = {}
    for name, limit in TEXT_LIMITS.items():
        text = values.get(name)
        text = "" if text is None else text
        if not isinstance(text, str) or len(text.strip()) > limit:
            problems[name] = [_("Enter at most %(n)d characters.") % {"n": limit}]
        else:
            values[name] = text.strip()
    if not problems.get("name") and not values.get("name"):
        problems["name"] = [_("This field is required.")]
    for name, choices in (("audience", Audience.values), ("expected_anchor", Anchor.values),
                          ("due_for", DueFor.values), ("detail_kind", DetailKind.values)):
        if values.get(name) not in choices:
            problems[name] = [_("Choose one of: %(values)s.") % {"values": ", ".join(choices)}]
    if not isinstance(values.get("is_active"), bool):
        problems["is_active"] = [_("Must be true or false.")]
    _int(values, "order", 0, 1000, problems)
    _int(values, "expected_offset_days", -60, 60, problems)
    _int(values, "expected_offset_hours", -720, 720, problems)
    _int(values, "overdue_after_minutes", 0, 43200, problems, nullable=True)
    expected_time = values.get("expected_time")
    if isinstance(expected_time, str):
        parsed = parse_time(expected_time) if expected_time else None
        if expected_time and parsed is None:
            problems["expected_time"] = [_("Enter a time like 15:00.")]
        values["expected_time"] = parsed
    elif expected_time is not None and not isinstance(expected_time, time):
        problems["expected_time"] = [_("Enter a time like 15:00.")]
    for field in TRIGGER_FIELDS:
        try:
            values[field] = _clean_trigger(values.get(field), field)
        except InvalidInput as exc:
            problems.update(exc.fields)
    if "complete_on" not in problems and not values.get("complete_on"):
        problems["complete_on"] = [_("A node needs at least one event that marks it done.")]
    try:
        values["skip_when"] = _clean_skip_when(values.get("skip_when"))
    except InvalidInput as exc:
        problems.update(exc.fields)
    if problems:
        raise InvalidInput(fields=problems)
    _clean_anchor(values, hospital_id=hospital_id, mode=mode, key=key, definition=definition)
    return values


def _clean_anchor(values, *, hospital_id, mode, key, definition):
    anchor, ref = values["expected_anchor"], (values.get("expected_anchor_ref") or "").strip()
    values["expected_anchor_ref"] = ref
    if anchor in (Anchor.NONE, Anchor.SURGERY_DATE):
        if ref:
            raise InvalidInput(fields={"expected_anchor_ref": [
                _("Only a node or event anchor names a reference; leave it empty.")]})
        if anchor == Anchor.NONE and values.get("overdue_after_minutes") is not None:
            raise InvalidInput(fields={"overdue_after_minutes": [
                _("An overdue rule needs an expected time point: choose what it is relative to.")]})
        return
    if anchor == Anchor.EVENT:
        if not TYPE_PATTERN_RE.match(ref) or len(ref) > 100:
            raise InvalidInput(fields={"expected_anchor_ref": [
                _("Name the event type the time counts from (like cases.case.discharged).")]})
        return
    # Anchor.NODE: another node of the same timeline, and no loop of node anchors.
    modes = [mode] if mode else list(ManagementMode.values)
    for each_mode in modes:
        chain = {r.definition.key: r.definition for r in resolve(hospital_id, each_mode)}
        if ref == key or ref not in chain:
            raise InvalidInput(fields={"expected_anchor_ref": [
                _("Name another node of this timeline (its key).")]})
        seen, current = {key}, ref
        while current is not None:
            if current in seen:
                raise InvalidInput(fields={"expected_anchor_ref": [
                    _("The nodes' expected times would depend on each other in a loop.")]})
            seen.add(current)
            anchor_def = chain.get(current)
            current = (anchor_def.expected_anchor_ref
                       if anchor_def is not None and anchor_def.expected_anchor == Anchor.NODE else None)


def _snapshot(definition) -> dict:
    data = {name: getattr(definition, name) for name in EDITABLE}
    data.update(key=definition.key, management_mode=definition.management_mode,
                hospital=str(definition.hospital.uuid) if definition.hospital_id else None,
                retired_at=definition.retired_at)
    return to_jsonable(data)


def _record(definition, *, actor, change, reason, before):
    after = _snapshot(definition)
    NodeDefinitionVersion.objects.create(
        definition=definition, version=definition.version, change=change, snapshot=after, reason=reason[:300],
        changed_at=timezone.now(), changed_by=actor if getattr(actor, "pk", None) and not getattr(
            actor, "is_patient", False) else None,
        changed_by_name=(getattr(actor, "name", "") or "system")[:100],
    )
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=definition,
                 before=before, after=after, detail=f"timeline node {definition.key}: {change}"[:300])


def _defaults_for(values):
    base = {"name": "", "patient_name": "", "description": "", "patient_description": "", "order": 100,
            "audience": Audience.BOTH, "is_active": True, "skip_when": {}, "expected_anchor": Anchor.NONE,
            "expected_anchor_ref": "", "expected_offset_days": 0, "expected_offset_hours": 0,
            "expected_time": None, "due_for": DueFor.COMPLETION, "overdue_after_minutes": None,
            "detail_kind": DetailKind.NONE, **{f: [] for f in TRIGGER_FIELDS}}
    base.update(values)
    return base


@transaction.atomic
def node_definition_create(*, actor, hospital, key: str, management_mode: str = "", copy_from=None,
                           reason: str = "", rebuild: bool = True, **values) -> NodeDefinition:
    """A node for `hospital` (None: a platform default) and `management_mode` ("" = every mode). With `copy_from`
    (typically the default it overrides) the fields not given are copied from it."""
    hospital_id = hospital.pk if hospital is not None else None
    check_hospital(actor, hospital_id)
    key = (key or "").strip()
    problems = {}
    if not KEY_RE.match(key):
        problems["key"] = [_("Use 2–40 lower-case letters, digits or underscores, starting with a letter.")]
    if management_mode and management_mode not in ManagementMode.values:
        problems["management_mode"] = [_("Unknown management mode.")]
    unexpected = sorted(set(values) - set(EDITABLE))
    for name in unexpected:
        problems[name] = [_("This field cannot be set.")]
    if problems:
        raise InvalidInput(fields=problems)
    if copy_from is not None:
        base = {name: getattr(copy_from, name) for name in EDITABLE}
        base.update(values)
        values = base
    values = _clean(_defaults_for(values), hospital_id=hospital_id, mode=management_mode, key=key)
    if NodeDefinition.objects.filter(hospital_id=hospital_id, management_mode=management_mode, key=key,
                                     retired_at__isnull=True).exists():
        raise errors.DefinitionKeyTaken()
    user = actor if getattr(actor, "pk", None) and not getattr(actor, "is_patient", False) else None
    try:
        with transaction.atomic():
            definition = NodeDefinition.objects.create(hospital=hospital, management_mode=management_mode, key=key,
                                                       created_by=user, updated_by=user, **values)
    except IntegrityError:
        raise errors.DefinitionKeyTaken() from None
    _record(definition, actor=actor, change="created", reason=reason, before=None)
    if rebuild:
        schedule_rebuild(hospital_id, management_mode)
    return definition


def _locked(definition, *, actor, expected_version=None) -> NodeDefinition:
    locked = NodeDefinition.objects.select_for_update(of=("self",)).select_related("hospital").get(pk=definition.pk)
    check_hospital(actor, locked.hospital_id)
    if expected_version is not None and locked.version != expected_version:
        raise errors.DefinitionVersionConflict(extra={"version": locked.version})
    return locked


@transaction.atomic
def node_definition_update(*, actor, definition, expected_version=None, reason: str = "",
                           **changes) -> NodeDefinition:
    """Change a node (the key, hospital and mode stay): validated as a whole, version + 1, audited."""
    unexpected = sorted(set(changes) - set(EDITABLE))
    if unexpected:
        raise InvalidInput(code="unexpected_fields",
                           fields={k: [_("This field cannot be changed.")] for k in unexpected})
    locked = _locked(definition, actor=actor, expected_version=expected_version)
    if locked.retired_at is not None:
        raise errors.DefinitionRetired()
    values = {name: getattr(locked, name) for name in EDITABLE}
    values.update(changes)
    values = _clean(values, hospital_id=locked.hospital_id, mode=locked.management_mode, key=locked.key,
                    definition=locked)
    changed = {k: v for k, v in values.items() if getattr(locked, k) != v}
    if not changed:
        return locked
    before = _snapshot(locked)
    for name, value in changed.items():
        setattr(locked, name, value)
    locked.version += 1
    if getattr(actor, "pk", None) and not getattr(actor, "is_patient", False):
        locked.updated_by = actor
    locked.save()
    _record(locked, actor=actor, change="updated", reason=reason, before=before)
    if set(changed) - {"name", "patient_name", "description", "patient_description", "order", "audience",
                       "detail_kind"}:
        schedule_rebuild(locked.hospital_id, locked.management_mode)  # triggers or times: re-derive
    return locked


@transaction.atomic
def node_definition_retire(*, actor, definition, reason: str = "", expected_version=None) -> NodeDefinition:
    """Take a row out of resolution (a hospital's override falls back to the default; history is kept)."""
    locked = _locked(definition, actor=actor, expected_version=expected_version)
    if locked.retired_at is not None:
        return locked
    before = _snapshot(locked)
    locked.retired_at = timezone.now()
    locked.version += 1
    locked.save()
    _record(locked, actor=actor, change="retired", reason=reason, before=before)
    schedule_rebuild(locked.hospital_id, locked.management_mode)
    return locked


@transaction.atomic
def node_definition_restore(*, actor, definition, reason: str = "") -> NodeDefinition:
    locked = _locked(definition, actor=actor)
    if locked.retired_at is None:
        return locked
    if NodeDefinition.objects.filter(hospital_id=locked.hospital_id, management_mode=locked.management_mode,
                                     key=locked.key, retired_at__isnull=True).exists():
        raise errors.DefinitionKeyTaken()
    before = _snapshot(locked)
    locked.retired_at = None
    locked.version += 1
    locked.save()
    _record(locked, actor=actor, change="restored", reason=reason, before=before)
    schedule_rebuild(locked.hospital_id, locked.management_mode)
    return locked


def timeline_defaults_sync(*, write=None) -> int:
    """Create the platform default nodes (and the outpatient-mode hidings) that do not exist yet. Idempotent: an
    existing default (even retired or edited) is left alone. Returns how many rows were created."""
    created = 0
    with transaction.atomic():
        for spec in DEFAULT_NODES:
            spec = dict(spec)
            key = spec.pop("key")
            if NodeDefinition.objects.filter(hospital__isnull=True, management_mode="", key=key).exists():
                continue
            node_definition_create(actor=None, hospital=None, key=key, reason="platform default", rebuild=False,
                                   **spec)
            created += 1
        base = {d.key: d for d in NodeDefinition.objects.filter(hospital__isnull=True, management_mode="",
                                                                  retired_at__isnull=True)}
        for key in OUTPATIENT_HIDDEN:
            if key not in base or NodeDefinition.objects.filter(
                    hospital__isnull=True, management_mode=ManagementMode.OUTPATIENT, key=key).exists():
                continue
            node_definition_create(actor=None, hospital=None, key=key, management_mode=ManagementMode.OUTPATIENT,
                                   copy_from=base[key], is_active=False, rebuild=False,
                                   reason="outpatient surgery has no admission or inpatient discharge")
            created += 1
        if created and cases_to_rebuild().exists():
            schedule_rebuild(None, "")  # existing cases get the new nodes (first deployment, new defaults)
    if write:
        write(f"timeline: {created} default node definition(s) created")
    return created


def trigger_matchers(definition, field) -> list[dict]:
    return as_matchers(getattr(definition, field))
