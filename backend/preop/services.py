"""Writes of pre-operative patient management.

Icons (P2) — one rules mechanism fed by case events:
- `case_icons_apply(payload)`: the outbox handler's work for one case event: lock the case, apply the hospital's
  effective icon rules, keep `CaseIcon` rows, push `preop.bed_card.changed` to the ward after commit;
- `case_icons_rebuild(case)`: recompute a case's icons from its whole CaseEvent history (a rule changed, a
  message was missed); `icons_rebuild(queryset)` for many cases (management command `preop_rebuild_icons`);
- `icon_rule_create` / `_update` / `_delete`, `icon_rules_sync_defaults`: the rule configuration (audited; a
  change rebuilds the icons of the hospital's active cases through the outbox).

Patient-side facts the icons need: `patient_app_login_record` appends `patient.app.logged_in` to the patient's
active cases (first login; at booking when the patient used the app before).

Bookings (P3, P5, D6): `preop_details_update` (the manager's fields, locked once the application is sent),
`booking_reschedule` / `booking_cancel` (reason from the list required; a doctor only for their own patients).
"""

import json
import logging
import re

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import has_permission
from audit.services import audit_record
from cases.models import ACTIVE_BOOKING_STATES, CaseEvent, CaseState, SurgicalCase
from cases.services import case_append_event, case_lock, case_transition, case_update_details
from core.errors import InvalidInput, NotFound
from core.event_rules import event_matcher_clean
from core.outbox import outbox_publish
from org.hospital_config import platform_defaults_sync
from preop import errors
from preop import permissions as perms
from preop.defaults import DEFAULT_ICON_RULES
from preop.models import CaseIcon, IconClass, IconColour, IconRule
from preop.rules import decide, rules_for_hospital
from realtime.groups import ward_group
from realtime.publisher import publish_on_commit

logger = logging.getLogger(__name__)

BED_CARD_CHANGED = "preop.bed_card.changed"
RULES_CHANGED = "preop.icon_rules.changed"
LOGGED_IN = "patient.app.logged_in"
MESSAGE_SENT = "messaging.message.sent"
DETAIL_MAX_BYTES = 2000
# Cases whose bed cards are in use: a rule change rebuilds their icons at once (others: the management command).
BOARD_STATES = (*ACTIVE_BOOKING_STATES, CaseState.DRAFT)


# --- icons from events ------------------------------------------------------------------------------------------


def _detail(data) -> dict:
    """The event's data kept on the icon for the card (labels of flags, message kind); bounded in size."""
    if not isinstance(data, dict):
        return {}
    text = json.dumps(data, ensure_ascii=False, default=str)
    return data if len(text.encode()) <= DETAIL_MAX_BYTES else {}


def event_payload(event: CaseEvent, case) -> dict:
    """The outbox payload of a stored case event (as cases.services._append_event publishes it), for replays."""
    return {
        "event": str(event.uuid), "type": event.type, "case": str(case.uuid), "ward": case.ward_id,
        "ward_uuid": str(case.ward.uuid), "patient": str(case.patient.uuid), "sequence": event.sequence,
        "occurred_at": event.occurred_at.isoformat(), "recorded_at": event.recorded_at.isoformat(),
        "actor": {"type": event.actor_type, "id": event.actor_id, "name": event.actor_name},
        "from_state": event.from_state, "to_state": event.to_state, "state": event.to_state, "data": event.payload,
    }


def _hospital_id(case):
    return case.ward.department.hospital_id


def _lock_case_for_icons(case_uuid):
    return (
        SurgicalCase.objects.select_for_update(of=("self",))
        .select_related("ward__department", "patient")
        .filter(uuid=case_uuid).first()
    )


def _push(case, sequence):
    keys = sorted(CaseIcon.objects.filter(case=case, active=True).values_list("key", flat=True))
    publish_on_commit(ward_group(case.ward_id), BED_CARD_CHANGED, {
        "case": str(case.uuid), "ward": str(case.ward.uuid), "sequence": sequence, "icons": keys,
    })


def case_icons_apply(payload: dict) -> list[str]:
    """Apply the icon rules to one case event (the outbox payload). Returns the keys whose visible state changed.

    Runs in the caller's transaction (the outbox handler's). Idempotent and order-safe: each icon remembers the
    sequence of the event that last changed it; an older or the same event changes nothing.
    """
    from org.selectors import hospital_id_of_ward

    hospital_id = hospital_id_of_ward(payload.get("ward"))
    decisions = decide(rules_for_hospital(hospital_id), payload["type"], payload) if hospital_id else []
    if not decisions:
        return []  # most case events (transitions) light no icon: the case row is not even locked
    case = _lock_case_for_icons(payload["case"])
    if case is None:
        return []
    sequence = int(payload["sequence"])
    occurred_at = payload.get("occurred_at") or timezone.now()
    existing = {i.key: i for i in CaseIcon.objects.filter(case=case, key__in=[d.key for d in decisions])}
    changed = []
    for decision in decisions:
        icon = existing.get(decision.key)
        if icon is not None and icon.sequence >= sequence:
            continue
        if icon is None:
            icon = CaseIcon(case=case, key=decision.key, count=0, active=False)
        was_active = icon.active
        icon.icon_class = decision.icon_class
        icon.sequence, icon.event_uuid, icon.event_type = sequence, payload["event"], payload["type"]
        icon.changed_at = occurred_at
        if decision.set:
            icon.count = (icon.count if was_active else 0) + 1
            icon.active = True
            icon.detail = _detail(payload.get("data"))
            changed.append(decision.key)
        else:
            icon.active = False
            icon.count = 0
            icon.detail = {}
            if was_active:
                changed.append(decision.key)
        icon.save()
    if changed:
        _push(case, sequence)
    return changed


def _replay(case, rules) -> dict:
    state = {}
    for event in CaseEvent.objects.filter(case=case).order_by("sequence"):
        payload = event_payload(event, case)
        for decision in decide(rules, event.type, payload):
            current = state.get(decision.key)
            active = bool(current and current["active"])
            if decision.set:
                count = (current["count"] if active else 0) + 1
                detail = _detail(event.payload)
            else:
                count, detail = 0, {}
            state[decision.key] = {
                "icon_class": decision.icon_class, "active": decision.set, "count": count, "detail": detail,
                "sequence": event.sequence, "event_uuid": event.uuid, "event_type": event.type,
                "changed_at": event.occurred_at,
            }
    return state


@transaction.atomic
def case_icons_rebuild(case) -> bool:
    """Recompute the case's icons from its event history under the current rules. True when the card changed."""
    case = _lock_case_for_icons(case.uuid)
    if case is None:
        return False
    state = _replay(case, rules_for_hospital(_hospital_id(case)))
    before = {i.key: i for i in CaseIcon.objects.filter(case=case)}
    visible_before = {(k, i.count) for k, i in before.items() if i.active}
    CaseIcon.objects.filter(case=case).exclude(key__in=list(state)).delete()
    for key, values in state.items():
        CaseIcon.objects.update_or_create(case=case, key=key, defaults=values)
    visible_after = {(k, v["count"]) for k, v in state.items() if v["active"]}
    if visible_before != visible_after:
        last = max((v["sequence"] for v in state.values()), default=0)
        _push(case, last)
        return True
    return False


def icons_rebuild(queryset, *, write=None, every=200) -> dict:
    """Rebuild the icons of every case in `queryset` (each in its own transaction). Returns counts."""
    total = queryset.count()
    counts = {"cases": 0, "changed": 0, "failed": 0}
    for case in queryset.only("pk", "uuid").order_by("pk").iterator(chunk_size=500):
        try:
            counts["changed"] += case_icons_rebuild(case)
        except Exception:  # noqa: BLE001 - one broken case must not stop the repair of the others
            logger.exception("icon rebuild failed for case %s", case.uuid)
            counts["failed"] += 1
        counts["cases"] += 1
        if write is not None and (counts["cases"] % every == 0 or counts["cases"] == total):
            write(f"  icons: {counts['cases']}/{total} cases rebuilt, {counts['changed']} changed")
    return counts


def hospital_board_cases(hospital_id):
    return SurgicalCase.objects.filter(ward__department__hospital_id=hospital_id, state__in=BOARD_STATES)


# --- icon rules (configuration) ---------------------------------------------------------------------------------

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
RULE_FIELDS = ("key", "icon_class", "label", "description", "symbol", "colour", "set_on", "clear_on", "position",
               "is_active")


def _snapshot(rule) -> dict:
    return {name: getattr(rule, name) for name in RULE_FIELDS}


def _clean_rule(values: dict, *, partial: bool) -> dict:
    problems = {}
    clean = {}
    if "key" in values or not partial:
        key = (values.get("key") or "").strip()
        if not KEY_RE.match(key):
            problems["key"] = [_("Use 2 to 40 lower-case letters, digits or underscores, starting with a letter.")]
        clean["key"] = key
    if "icon_class" in values or not partial:
        if values.get("icon_class") not in IconClass.values:
            problems["icon_class"] = [_("Choose alert, lookup or state.")]
        clean["icon_class"] = values.get("icon_class")
    if "label" in values or not partial:
        label = (values.get("label") or "").strip()
        if not label or len(label) > 30:
            problems["label"] = [_("Give a label of 1 to 30 characters.")]
        clean["label"] = label
    if "colour" in values and values["colour"] not in IconColour.values:
        problems["colour"] = [_("Unknown colour.")]
    for name, limit in (("description", 200), ("symbol", 30)):
        if name in values:
            text = (values[name] or "").strip()
            if len(text) > limit:
                problems[name] = [_("At most %(n)d characters.") % {"n": limit}]
            clean[name] = text
    for name in ("set_on", "clear_on"):
        if name in values or (name == "set_on" and not partial):
            value = values.get(name)
            if name == "clear_on" and not value:
                clean[name] = {}
                continue
            try:
                clean[name] = event_matcher_clean(value, name)
            except InvalidInput as exc:
                problems.update(exc.fields)
    if "position" in values:
        position = values["position"]
        if not isinstance(position, int) or isinstance(position, bool) or not 0 <= position <= 1000:
            problems["position"] = [_("Give a whole number from 0 to 1000.")]
        clean["position"] = position
    if "colour" in values:
        clean["colour"] = values["colour"]
    if "is_active" in values:
        if not isinstance(values["is_active"], bool):
            problems["is_active"] = [_("Give true or false.")]
        clean["is_active"] = values["is_active"]
    if problems:
        raise InvalidInput(fields=problems)
    return clean


def actor_hospital_id(actor):
    department = getattr(actor, "department", None)
    return department.hospital_id if department is not None else None


def _require_hospital(actor, hospital):
    """Hospital configuration is changed by that hospital's staff (superusers and the system: any)."""
    if hospital is None:
        raise InvalidInput(fields={"hospital": [_("This field is required.")]})
    if actor is None or getattr(actor, "is_superuser", False):
        return
    if actor_hospital_id(actor) != hospital.pk:
        raise NotFound()


def _rules_changed(hospital, *, actor, rule, action, before=None, after=None):
    audit_record(actor=actor, system=actor is None, action=action, target=rule, before=before, after=after,
                 detail=f"icon rule {rule.key}")
    outbox_publish(topic=RULES_CHANGED, key=str(hospital.uuid), payload={"hospital": hospital.pk, "key": rule.key})


@transaction.atomic
def icon_rule_create(*, actor, hospital, **values) -> IconRule:
    """A hospital's own rule; with the key of a platform default it overrides that default for the hospital."""
    _require_hospital(actor, hospital)
    unexpected = sorted(set(values) - set(RULE_FIELDS))
    if unexpected:
        raise InvalidInput(fields={k: [_("This field cannot be set.")] for k in unexpected})
    clean = _clean_rule(values, partial=False)
    if IconRule.objects.filter(hospital=hospital, key=clean["key"]).exists():
        raise errors.IconRuleKeyTaken(fields={"key": [str(errors.IconRuleKeyTaken.default_message)]})
    try:
        with transaction.atomic():
            rule = IconRule.objects.create(hospital=hospital, updated_by=_user(actor), **clean)
    except IntegrityError:
        raise errors.IconRuleKeyTaken(fields={"key": [str(errors.IconRuleKeyTaken.default_message)]}) from None
    _rules_changed(hospital, actor=actor, rule=rule, action="create", after=_snapshot(rule))
    return rule


def _user(actor):
    return actor if actor is not None and not getattr(actor, "is_patient", False) else None


def _lock_rule(rule):
    return IconRule.objects.select_for_update(of=("self",)).select_related("hospital").get(pk=rule.pk)


@transaction.atomic
def icon_rule_update(*, actor, rule, **changes) -> IconRule:
    rule = _lock_rule(rule)
    if rule.is_default:
        raise errors.DefaultRuleReadOnly()
    _require_hospital(actor, rule.hospital)
    unexpected = sorted(set(changes) - set(RULE_FIELDS) | ({"key"} & set(changes)))
    if unexpected:
        raise InvalidInput(fields={k: [_("This field cannot be changed.")] for k in unexpected})
    clean = _clean_rule(changes, partial=True)
    changed = {k: v for k, v in clean.items() if getattr(rule, k) != v}
    if not changed:
        return rule
    before = {k: getattr(rule, k) for k in changed}
    for key, value in changed.items():
        setattr(rule, key, value)
    rule.updated_by = _user(actor)
    rule.save()
    _rules_changed(rule.hospital, actor=actor, rule=rule, action="update", before=before, after=changed)
    return rule


@transaction.atomic
def icon_rule_delete(*, actor, rule) -> None:
    """Delete a hospital's rule (the platform default with its key, if any, applies again)."""
    rule = _lock_rule(rule)
    if rule.is_default:
        raise errors.DefaultRuleReadOnly()
    _require_hospital(actor, rule.hospital)
    hospital = rule.hospital
    _rules_changed(hospital, actor=actor, rule=rule, action="delete", before=_snapshot(rule))
    rule.delete()


@transaction.atomic
def icon_rules_sync_defaults() -> int:
    """Write the platform defaults (preop.defaults) as rules without a hospital. Returns how many changed.

    Hospitals' own rules are never touched; a default that disappeared from the code is switched off."""
    return platform_defaults_sync(IconRule, DEFAULT_ICON_RULES)


# --- patient-side facts -----------------------------------------------------------------------------------------


def patient_app_login_record(*, patient, account=None, occurred_at=None) -> int:
    """Append `patient.app.logged_in` to each active case of `patient` that does not have it yet (the patient
    uses the app for this operation). Returns how many cases got it. Each case in its own short transaction."""
    candidates = (
        SurgicalCase.objects.filter(patient=patient, state__in=ACTIVE_BOOKING_STATES)
        .exclude(events__type=LOGGED_IN).values_list("pk", flat=True)
    )
    recorded = 0
    for pk in list(candidates):
        with transaction.atomic():
            case = case_lock(SurgicalCase(pk=pk))
            if case.state not in ACTIVE_BOOKING_STATES or case.events.filter(type=LOGGED_IN).exists():
                continue
            case_append_event(case, type=LOGGED_IN, actor=account, payload={}, occurred_at=occurred_at)
            recorded += 1
    return recorded


# --- the manager's fields and booking changes (P3, P5, D6) -------------------------------------------------------

MANAGER_FIELDS = ("companion_name", "companion_phone", "remarks")


def preop_details_update(*, case, actor, expected_version=None, **changes):
    """The day-surgery manager's fields; cases.services refuses once the application is sent (roll back first)."""
    unexpected = sorted(set(changes) - set(MANAGER_FIELDS))
    if unexpected:
        raise InvalidInput(fields={k: [_("This field cannot be edited here.")] for k in unexpected})
    return case_update_details(case=case, actor=actor, expected_version=expected_version, **changes)


def is_own_patient(actor, case) -> bool:
    """The doctor's own patient: they operate (or were the virtual surgeon), booked it, assist, or share a medical
    group with the surgeon (leader or member)."""
    from org.models import MedicalGroup

    if actor is None or getattr(actor, "is_patient", False):
        return False
    pk = actor.pk
    if pk in (case.surgeon_id, case.virtual_surgeon_id, case.booked_by_id):
        return True
    if case.assistants.filter(pk=pk).exists():
        return True
    mine = MedicalGroup.objects.filter(leader=actor) | MedicalGroup.objects.filter(members=actor)
    surgeon_ids = [i for i in (case.surgeon_id, case.virtual_surgeon_id) if i]
    theirs = MedicalGroup.objects.filter(leader_id__in=surgeon_ids) | MedicalGroup.objects.filter(
        members__in=surgeon_ids)
    return mine.filter(pk__in=theirs.values("pk")).exists()


def can_change_booking(actor, case) -> bool:
    """P5/D6: the day-surgery manager changes any booking of their wards; a doctor only their own patients'."""
    if actor is None:
        return True
    return has_permission(actor, perms.MANAGE_BOOKINGS.slug) or is_own_patient(actor, case)


def _locked_for_change(case, actor):
    locked = case_lock(case)
    from org.scoping import ward_scope_for

    if actor is not None and not ward_scope_for(actor).allows_ward(locked.ward_id):
        raise NotFound()
    if not can_change_booking(actor, locked):
        raise errors.NotOwnPatient()
    return locked


@transaction.atomic
def booking_reschedule(*, case, actor, planned_date, reason_code, reason, planned_session=None,
                       expected_version=None):
    """Move a booking to another date within the booking rules (capacity, admission rules for the new date) and
    the application rules (a case the theatre scheduled must be rolled back first); reason from the list."""
    locked = _locked_for_change(case, actor)
    return case_transition(case=locked, transition="reschedule", actor=actor, planned_date=planned_date,
                           planned_session=planned_session, reason_code=reason_code, reason=reason,
                           expected_version=expected_version)


@transaction.atomic
def booking_cancel(*, case, actor, reason_code, reason_text="", stage=None, expected_version=None):
    """Cancel a booking; reason from the list (+ text, required for 'other'), stage derived from the day."""
    locked = _locked_for_change(case, actor)
    return case_transition(case=locked, transition="cancel", actor=actor, reason_code=reason_code,
                           reason_text=reason_text, stage=stage, expected_version=expected_version)
