"""Writes of the to-do context (SA7).

- `todos_apply_event(payload)`: the outbox handler's work for one case event. For each effective rule of the
  case's hospital: an event matching `open_on` opens a to-do (once per (rule, case, opening event); not while one is
  open for the same subject; not when a later event of the case already closed that work — deliveries may arrive
  out of order); otherwise an event matching `close_on` closes the open to-dos of that rule and subject that were
  opened before it. Opening pushes `todos.todo.opened` to each member of the audience (realtime user group) and
  publishes `messaging.staff_notice.requested` (the staff app's FCM push and in-app inbox); closing pushes
  `todos.todo.closed`.
- `todos_remind_overdue`: the beat job — each open to-do past its due time is announced once more to its audience
  (`todos.todo.overdue` push + a staff notice).
- `todo_complete` / `todo_dismiss`: staff of the audience finish a to-do (audited, pushed to the audience).
- `todo_rule_create` / `todo_rule_update` / `todo_rules_sync_defaults`: configuration (audited, versioned).
"""

import json

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record
from core.errors import Conflict, InvalidInput
from core.outbox import outbox_publish
from org.hospital_config import assert_can_edit_config, platform_defaults_sync
from org.selectors import hospital_id_of_ward
from realtime.groups import user_group
from realtime.publisher import publish_on_commit
from todos import rules as r
from todos.defaults import DEFAULT_TODO_RULES
from todos.models import Priority, Todo, TodoRule, TodoStatus

OPENED = "todos.todo.opened"
CLOSED = "todos.todo.closed"
OVERDUE = "todos.todo.overdue"
STAFF_NOTICE = "messaging.staff_notice.requested"
RESCHEDULED = "cases.case.rescheduled"
DETAIL_MAX_BYTES = 2000


# --- audience -----------------------------------------------------------------------------------------------------


def audience_users(*, ward, permission: str, surgeon=None) -> list:
    """Staff who get the to-do pushed: enabled, real (not virtual) members of the ward — assigned to it or of its
    department, within their management modes — holding `permission`; plus the case's surgeon when given.
    (Holders of org.view_all_wards also SEE the to-dos of their permission in every ward, but are not pushed.)"""
    from accounts.models import User

    found = {}
    if permission:
        qs = (
            User.objects.filter(is_active=True, is_virtual=False)
            .filter(Q(wards=ward) | Q(department_id=ward.department_id))
            .filter(Q(roles__permissions__slug=permission) | Q(extra_permissions__slug=permission))
            .distinct().order_by("id")
        )
        for user in qs:
            if not user.management_modes or ward.management_mode in user.management_modes:
                found[user.pk] = user
    if surgeon is not None and surgeon.is_active and not surgeon.is_virtual:
        found.setdefault(surgeon.pk, surgeon)
    return list(found.values())


def _todo_push_payload(todo) -> dict:
    return {"todo": str(todo.uuid), "kind": todo.kind, "status": todo.status, "case": str(todo.case.uuid),
            "title": todo.title, "priority": todo.priority, "due_at": todo.due_at}


def _push(todo, event_type, users):
    payload = _todo_push_payload(todo)
    for user in users:
        publish_on_commit(user_group(user.uuid), event_type, payload)


def _todo_audience(todo) -> list:
    return audience_users(ward=todo.ward, permission=todo.audience_permission, surgeon=todo.assignee)


# --- opening and closing from events ------------------------------------------------------------------------------


def _detail(data) -> dict:
    if not isinstance(data, dict):
        return {}
    text = json.dumps(data, ensure_ascii=False, default=str)
    return data if len(text.encode()) <= DETAIL_MAX_BYTES else {}


def _event_payload(event) -> dict:
    """A stored CaseEvent in the shape of its outbox payload (what matchers read)."""
    return {"type": event.type, "event": str(event.uuid), "sequence": event.sequence, "data": event.payload or {},
            "from_state": event.from_state, "to_state": event.to_state}


def _closed_later(rule, case, subject, sequence) -> bool:
    """Has a later event of the case already closed this work (its message was delivered first)?"""
    if not rule.close_on:
        return False
    for event in case.events.filter(sequence__gt=sequence).order_by("sequence"):
        later = _event_payload(event)
        if r.any_matches(rule.close_on, event.type, later) and (
                not rule.subject_path or r.subject_of(rule, later) in (None, subject)):
            return True
    return False


def _open(rule, case, payload, subject):
    event_uuid = payload.get("event")
    sequence = int(payload.get("sequence") or 0)
    if Todo.objects.filter(rule=rule, case=case, opened_event=event_uuid).exists():
        return None  # this event opened it already (redelivery)
    if Todo.objects.filter(rule=rule, case=case, subject=subject, status=TodoStatus.OPEN).exists():
        return None  # the same work is pending
    if _closed_later(rule, case, subject, sequence):
        return None
    now = timezone.now()
    data = payload.get("data") or {}
    variables = r.case_variables(case, label=rule.label)
    surgeon = case.surgeon if rule.audience_surgeon and case.surgeon_id and not case.surgeon.is_virtual else None
    todo = Todo(
        rule=rule, rule_version=rule.version, kind=rule.key, label=rule.label, case=case, ward=case.ward,
        patient=case.patient, subject=subject, title=r.render(rule.title_template, variables, data),
        priority=rule.priority, audience_permission=rule.audience_permission, assignee=surgeon,
        due_at=r.due_at(rule, case=case, payload=payload, opened_at=now), detail=_detail(data),
        opened_event=event_uuid, opened_event_type=payload.get("type", ""), opened_sequence=sequence, opened_at=now,
    )
    try:
        with transaction.atomic():
            todo.save()
    except IntegrityError:
        return None  # a concurrent delivery opened the same work
    users = _todo_audience(todo)
    _push(todo, OPENED, users)
    if rule.notify:
        _notice(todo, users, title=_("New to-do: %(label)s") % {"label": rule.label}, event=OPENED)
    return todo


def _close(rule, case, payload, subject) -> list:
    qs = Todo.objects.select_for_update(of=("self",)).filter(
        rule=rule, case=case, status=TodoStatus.OPEN, opened_sequence__lt=int(payload.get("sequence") or 0))
    if rule.subject_path and subject is not None:
        qs = qs.filter(subject=subject)
    closed = []
    now = timezone.now()
    for todo in qs.select_related("case", "ward", "assignee"):
        todo.status, todo.closed_at = TodoStatus.CLOSED, now
        todo.closed_event, todo.closed_event_type = payload.get("event"), payload.get("type", "")
        todo.save(update_fields=["status", "closed_at", "closed_event", "closed_event_type", "updated_at"])
        _push(todo, CLOSED, _todo_audience(todo))
        closed.append(todo)
    return closed


@transaction.atomic
def todos_apply_event(payload: dict) -> dict:
    """Open and close to-dos for one case event (its outbox payload). Returns {"opened": [...], "closed": [...]}."""
    from cases.models import SurgicalCase

    result = {"opened": [], "closed": []}
    event_type = payload.get("type") or ""
    hospital_id = hospital_id_of_ward(payload.get("ward"))
    if hospital_id is None or not event_type or not payload.get("event"):
        return result
    rules = [rule for rule in r.effective_rules(hospital_id)
             if r.any_matches(rule.open_on, event_type, payload) or r.any_matches(rule.close_on, event_type, payload)]
    if not rules and event_type != RESCHEDULED:
        return result  # most events touch no to-do: the case is not even read
    case = (SurgicalCase.objects.select_related("ward__department", "patient", "surgeon")
            .filter(uuid=payload.get("case")).first())
    if case is None:
        return result
    for rule in rules:
        if r.any_matches(rule.open_on, event_type, payload):
            subject = r.subject_of(rule, payload)
            if subject is not None:
                todo = _open(rule, case, payload, subject)
                if todo is not None:
                    result["opened"].append(todo)
        elif r.any_matches(rule.close_on, event_type, payload):
            result["closed"] += _close(rule, case, payload, r.subject_of(rule, payload))
    if event_type == RESCHEDULED:
        _due_follow_surgery_date(case)
    return result


def _due_follow_surgery_date(case):
    """A rescheduled operation moves the due time of open to-dos that are due before surgery."""
    now = timezone.now()
    for todo in (Todo.objects.select_for_update(of=("self",)).select_related("rule")
                 .filter(case=case, status=TodoStatus.OPEN, rule__due__has_key="before_surgery_hours")):
        due = r.due_at(todo.rule, case=case, payload={}, opened_at=todo.opened_at)
        if due != todo.due_at:
            todo.due_at = due
            if due is not None and due > now:
                todo.reminded_at = None  # overdue again later: remind again
            todo.save(update_fields=["due_at", "reminded_at", "updated_at"])


def _notice(todo, users, *, title, event):
    if not users:
        return
    case = todo.case
    rule = todo.rule
    variables = {**r.case_variables(case, label=rule.label), "patient_name": case.patient.masked_name}
    outbox_publish(topic=STAFF_NOTICE, key=str(case.uuid), payload={
        "users": [str(u.uuid) for u in users],
        "title": title,
        "body": r.render(rule.title_template, variables, todo.detail),
        "data": {"kind": "todo", "todo": str(todo.uuid), "todo_kind": todo.kind, "case": str(case.uuid)},
        "case": str(case.uuid),
        "key": f"{event}:{todo.uuid}",
    })


def todos_remind_overdue(*, now=None, limit=500) -> int:
    """Announce each open to-do that passed its due time, once (idempotent: `reminded_at`). Returns how many."""
    now = now or timezone.now()
    reminded = 0
    candidates = list(Todo.objects.filter(status=TodoStatus.OPEN, due_at__lt=now, reminded_at__isnull=True)
                      .order_by("due_at").values_list("pk", flat=True)[:limit])
    for pk in candidates:
        with transaction.atomic():
            todo = (Todo.objects.select_for_update(of=("self",), skip_locked=True)
                    .select_related("case__patient", "case__ward", "case__surgeon", "ward", "assignee", "rule")
                    .filter(pk=pk, status=TodoStatus.OPEN, reminded_at__isnull=True).first())
            if todo is None:
                continue
            todo.reminded_at = now
            todo.save(update_fields=["reminded_at", "updated_at"])
            users = _todo_audience(todo)
            _push(todo, OVERDUE, users)
            if todo.rule.notify:
                _notice(todo, users, title=_("Overdue to-do: %(label)s") % {"label": todo.label}, event=OVERDUE)
            reminded += 1
    return reminded


# --- staff finish a to-do -----------------------------------------------------------------------------------------


def _finish(*, todo, actor, status, note, detail):
    locked = Todo.objects.select_for_update(of=("self",)).select_related("case", "ward", "assignee").get(pk=todo.pk)
    if locked.status != TodoStatus.OPEN:
        raise Conflict(_("This to-do is no longer open."), code="todo_not_open", extra={"status": locked.status})
    locked.status, locked.closed_at, locked.closed_by, locked.note = status, timezone.now(), actor, note
    locked.save(update_fields=["status", "closed_at", "closed_by", "note", "updated_at"])
    audit_record(actor=actor, action=AuditAction.UPDATE, target=locked, before={"status": TodoStatus.OPEN},
                 after={"status": status, "note": note}, detail=detail)
    _push(locked, CLOSED, _todo_audience(locked))
    return locked


@transaction.atomic
def todo_complete(*, todo, actor, note: str = "") -> Todo:
    """Mark a to-do done (the caller fetched it through the actor's to-do scope)."""
    return _finish(todo=todo, actor=actor, status=TodoStatus.DONE, note=(note or "").strip(), detail="complete to-do")


@transaction.atomic
def todo_dismiss(*, todo, actor, reason: str) -> Todo:
    """Dismiss a to-do that needs no action, with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(fields={"reason": [_("Give the reason for dismissing this to-do.")]})
    return _finish(todo=todo, actor=actor, status=TodoStatus.DISMISSED, note=reason, detail="dismiss to-do")


# --- configuration ------------------------------------------------------------------------------------------------

RULE_FIELDS = ("label", "title_template", "open_on", "close_on", "subject_path", "audience_permission",
               "audience_surgeon", "priority", "due", "notify", "position", "is_active")


def _rule_snapshot(rule) -> dict:
    return {"key": rule.key, "version": rule.version, **{f: getattr(rule, f) for f in RULE_FIELDS}}


def _clean(values: dict) -> dict:
    clean = dict(values)
    if "label" in clean:
        clean["label"] = (clean["label"] or "").strip()
        if not clean["label"]:
            raise InvalidInput(fields={"label": [_("This field is required.")]})
    if "title_template" in clean:
        clean["title_template"] = r.template_clean(clean["title_template"])
    if "open_on" in clean:
        clean["open_on"] = r.matchers_clean(clean["open_on"], "open_on", required=True)
    if "close_on" in clean:
        clean["close_on"] = r.matchers_clean(clean["close_on"], "close_on", required=False)
    if "subject_path" in clean:
        clean["subject_path"] = r.path_clean(clean["subject_path"], "subject_path")
    if "audience_permission" in clean:
        clean["audience_permission"] = r.permission_clean(clean["audience_permission"])
    if "due" in clean:
        clean["due"] = r.due_clean(clean["due"])
    if "priority" in clean and clean["priority"] not in Priority.values:
        raise InvalidInput(fields={"priority": [_("Unknown priority.")]})
    return clean


def _check_audience(rule):
    if not rule.audience_permission and not rule.audience_surgeon:
        raise InvalidInput(fields={"audience_permission": [
            _("Name a permission or address the case's surgeon: a to-do needs somebody to do it.")]})


@transaction.atomic
def todo_rule_create(*, actor, hospital, key: str, **values) -> TodoRule:
    """A hospital's own rule; with the key of a platform default it overrides that default."""
    assert_can_edit_config(actor, hospital.pk if hospital else None)
    unknown = sorted(set(values) - set(RULE_FIELDS))
    if unknown:
        raise InvalidInput(fields={k: [_("Unknown field.")] for k in unknown})
    for required in ("label", "title_template", "open_on"):
        if required not in values:
            raise InvalidInput(fields={required: [_("This field is required.")]})
    if TodoRule.objects.filter(hospital=hospital, key=key).exists():
        raise Conflict(_("This hospital already has a rule with this key."), code="todo_rule_exists")
    rule = TodoRule(hospital=hospital, key=key, updated_by=actor, **_clean(values))
    _check_audience(rule)
    rule.save()
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=rule,
                 after=_rule_snapshot(rule), detail="create to-do rule")
    return rule


@transaction.atomic
def todo_rule_update(*, actor, rule, **changes) -> TodoRule:
    rule = TodoRule.objects.select_for_update().get(pk=rule.pk)
    assert_can_edit_config(actor, rule.hospital_id)
    unknown = sorted(set(changes) - set(RULE_FIELDS))
    if unknown:
        raise InvalidInput(fields={k: [_("Unknown field.")] for k in unknown})
    before = _rule_snapshot(rule)
    clean = _clean(changes)
    for name, value in clean.items():
        setattr(rule, name, value)
    _check_audience(rule)
    if _rule_snapshot(rule) == before:
        return rule
    rule.version += 1
    rule.updated_by = actor
    rule.save()
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=rule, before=before,
                 after=_rule_snapshot(rule), detail="update to-do rule")
    return rule


@transaction.atomic
def todo_rules_sync_defaults() -> int:
    """Write the platform defaults (todos.defaults) as rules without a hospital. Returns how many changed.
    Hospitals' own rules are never touched; a default that disappeared from the code is switched off."""
    return platform_defaults_sync(TodoRule, DEFAULT_TODO_RULES, versioned=True)
