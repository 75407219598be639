"""Every write of the messaging context: plans and template versions (configuration), firing a plan on a case
(event or time offset), the staff notices other contexts request, the inbox (read/unread) and staff devices.

Firing creates one `Message` per recipient under a unique idempotency key (plan, trigger, recipient) and
publishes `messaging.message.dispatch` to the outbox in the same transaction; the delivery itself
(`messaging.delivery`) runs later, per message, so one recipient's unreachable channel never holds up another's,
nor the pathway that triggered it.
"""

import logging
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import REGISTRY as PERMISSIONS
from audit.models import AuditAction
from audit.services import audit_record
from cases.models import CaseState, SurgicalCase
from core.errors import Conflict, InvalidInput, NotAllowed
from core.event_rules import event_matcher_clean, event_matches
from core.outbox import outbox_publish
from messaging import filters as message_filters
from messaging.conf import conf
from messaging.defaults import DEFAULT_PLANS
from messaging.models import (
    PATIENT_CHANNELS,
    STAFF_CHANNELS,
    Anchor,
    Audience,
    Channel,
    Message,
    MessagePlan,
    MessageStatus,
    MessageTemplate,
    RecipientKind,
    StaffDevice,
    TriggerKind,
)
from messaging.templating import case_values, render, template_text_clean
from org.hospital_config import assert_can_edit_config
from org.selectors import hospital_id_of_ward

logger = logging.getLogger(__name__)

DISPATCH_TOPIC = "messaging.message.dispatch"
STAFF_NOTICE_TOPIC = "messaging.staff_notice.requested"
# Offset plans never write to patients whose booking ended (or never started).
OFFSET_EXCLUDED_STATES = (CaseState.DRAFT, CaseState.PENDING_POOL, CaseState.CANCELLED, CaseState.NO_SHOW,
                          CaseState.TERMINATED)
PLAN_FIELDS = ("name", "description", "kind", "procedure", "pathway_node", "trigger_kind", "trigger", "anchor",
               "offset_minutes", "window_minutes", "filters", "audiences", "manager_permission", "patient_channels",
               "staff_channels", "link", "is_active")
TEMPLATE_FIELDS = ("patient_title", "patient_body", "staff_title", "staff_body", "sms_template",
                   "wechat_template_id", "wechat_fields", "voice_scenario")
MAX_OFFSET_MINUTES = 90 * 24 * 60


# --- configuration: plans --------------------------------------------------------------------------------------


def _channels_clean(value, allowed, field):
    if not isinstance(value, list) or len(value) != len(set(value)) or any(c not in allowed for c in value):
        raise InvalidInput(fields={field: [_("List distinct channels among: %(names)s.")
                                           % {"names": ", ".join(allowed)}]})
    return list(value)


def plan_values_clean(values: dict, *, current: MessagePlan | None = None) -> dict:
    """Check a plan's fields together (the serializers checked their types); returns the cleaned values."""
    merged = {"offset_minutes": 0, "window_minutes": 720, "anchor": ""}
    if current is not None:
        merged.update({f: getattr(current, f) for f in PLAN_FIELDS})
    merged.update(values)
    cleaned = dict(values)
    kind = merged.get("trigger_kind")
    if kind == TriggerKind.EVENT:
        trigger = event_matcher_clean(merged.get("trigger"), "trigger")
        if any(t.startswith("messaging.") or t in ("*", "*.*") for t in trigger["types"]):
            raise InvalidInput(fields={"trigger": [_("A plan cannot be triggered by messaging's own events.")]})
        cleaned["trigger"] = trigger
        cleaned.setdefault("anchor", merged.get("anchor") or "")
    elif kind == TriggerKind.OFFSET:
        if merged.get("anchor") not in Anchor.values:
            raise InvalidInput(fields={"anchor": [_("Choose what the offset counts from.")]})
        if abs(int(merged.get("offset_minutes") or 0)) > MAX_OFFSET_MINUTES:
            raise InvalidInput(fields={"offset_minutes": [_("The offset may be at most 90 days.")]})
        window = int(merged.get("window_minutes") or 0)
        if not 5 <= window <= 7 * 24 * 60:
            raise InvalidInput(fields={"window_minutes": [_("The sending window is 5 minutes to 7 days.")]})
        cleaned["trigger"] = {}
    else:
        raise InvalidInput(fields={"trigger_kind": [_("Choose an event or a time offset.")]})
    audiences = merged.get("audiences")
    allowed = (Audience.PATIENT, Audience.SURGEON, Audience.WARD_MANAGERS)
    if not isinstance(audiences, list) or not audiences or any(a not in allowed for a in audiences):
        raise InvalidInput(fields={"audiences": [_("Choose at least one of: patient, surgeon, ward_managers.")]})
    cleaned["audiences"] = list(dict.fromkeys(audiences))
    if "patient_channels" in values:
        cleaned["patient_channels"] = _channels_clean(values["patient_channels"], PATIENT_CHANNELS,
                                                      "patient_channels")
    if "staff_channels" in values:
        cleaned["staff_channels"] = _channels_clean(values["staff_channels"], STAFF_CHANNELS, "staff_channels")
    if "manager_permission" in values and values["manager_permission"] not in PERMISSIONS:
        raise InvalidInput(fields={"manager_permission": [_("Unknown permission.")]})
    if "filters" in values:
        cleaned["filters"] = message_filters.filters_clean(values["filters"])
    if "link" in values:
        template_text_clean(values["link"], "link")
    return cleaned


def _snapshot(plan):
    snap = {f: getattr(plan, f) for f in PLAN_FIELDS if f != "procedure"}
    snap["procedure"] = plan.procedure.code if plan.procedure_id else None
    snap["version"] = plan.version
    return snap


@transaction.atomic
def plan_create(*, actor, hospital, key, template=None, **values) -> MessagePlan:
    assert_can_edit_config(actor, hospital.pk if hospital else None)
    values = plan_values_clean(values)
    values.setdefault("kind", key)
    if MessagePlan.objects.filter(hospital=hospital, key=key, retired_at__isnull=True).exists():
        raise Conflict(_("This hospital already has a plan with this key."), code="plan_key_taken")
    plan = MessagePlan.objects.create(hospital=hospital, key=key, created_by=actor, updated_by=actor, **values)
    if template is None and hospital is not None:
        # Overriding a platform default: start from its current text, so switching a channel keeps the wording.
        default = MessagePlan.objects.filter(hospital__isnull=True, key=key, retired_at__isnull=True).first()
        current = template_current(default) if default else None
        if current is not None:
            template = {f: getattr(current, f) for f in TEMPLATE_FIELDS}
    if template:
        template_create(actor=actor, plan=plan, note=_("first version"), **template)
    audit_record(actor=actor, action=AuditAction.CONFIG, target=plan, after=_snapshot(plan),
                 detail=f"message plan {key} created")
    return plan


@transaction.atomic
def plan_update(*, actor, plan, **values) -> MessagePlan:
    plan = MessagePlan.objects.select_for_update().get(pk=plan.pk)
    assert_can_edit_config(actor, plan.hospital_id)
    if plan.retired_at:
        raise Conflict(_("This plan was deleted."), code="plan_retired")
    before = _snapshot(plan)
    for field, value in plan_values_clean(values, current=plan).items():
        setattr(plan, field, value)
    plan.version += 1
    plan.updated_by = actor
    plan.save()
    audit_record(actor=actor, action=AuditAction.CONFIG, target=plan, before=before, after=_snapshot(plan),
                 detail=f"message plan {plan.key} updated")
    return plan


@transaction.atomic
def plan_retire(*, actor, plan) -> None:
    """Delete a hospital's plan (its messages keep their history; the platform default, if any, applies again).
    Platform defaults cannot be deleted: switch them off with a hospital plan of the same key."""
    plan = MessagePlan.objects.select_for_update().get(pk=plan.pk)
    assert_can_edit_config(actor, plan.hospital_id)
    if plan.builtin:
        raise NotAllowed(_("A built-in plan cannot be deleted; override it with an inactive hospital plan."),
                         code="plan_builtin")
    plan.retired_at = timezone.now()
    plan.updated_by = actor
    plan.save(update_fields=["retired_at", "updated_by", "updated_at"])
    audit_record(actor=actor, action=AuditAction.CONFIG, target=plan, before=_snapshot(plan),
                 detail=f"message plan {plan.key} deleted")


# --- configuration: template versions (W3) ---------------------------------------------------------------------


def _template_clean(values: dict) -> dict:
    for field in ("patient_title", "patient_body", "staff_title", "staff_body"):
        template_text_clean(values.get(field, ""), field)
    fields = values.get("wechat_fields") or {}
    if not isinstance(fields, dict) or len(fields) > 10 or not all(
            isinstance(k, str) and isinstance(v, str) and len(k) <= 32 and len(v) <= 200 for k, v in fields.items()):
        raise InvalidInput(fields={"wechat_fields": [_("Map up to 10 WeChat template keys to texts.")]})
    for text in fields.values():
        template_text_clean(text, "wechat_fields")
    return values


@transaction.atomic
def template_create(*, actor, plan, procedure=None, note="", **values) -> MessageTemplate:
    """Write the next version of the plan's text (for one procedure, or the plan's default text)."""
    plan = MessagePlan.objects.select_for_update().get(pk=plan.pk)
    assert_can_edit_config(actor, plan.hospital_id)
    values = _template_clean({f: values.get(f, "") if f != "wechat_fields" else values.get(f) or {}
                              for f in TEMPLATE_FIELDS})
    if not (values["patient_title"] or values["staff_title"]):
        raise InvalidInput(fields={"patient_title": [_("Give a title for the patient or for staff.")]})
    if Audience.PATIENT in plan.audiences and not values["patient_title"]:
        raise InvalidInput(fields={"patient_title": [_("This plan writes to the patient: give their title.")]})
    last = (MessageTemplate.objects.filter(plan=plan, procedure=procedure).order_by("-version")
            .values_list("version", flat=True).first()) or 0
    template = MessageTemplate.objects.create(plan=plan, procedure=procedure, version=last + 1, note=note[:300],
                                              created_at=timezone.now(), created_by=actor, **values)
    if actor is not None:
        audit_record(actor=actor, action=AuditAction.CONFIG, target=plan, after={**values, "version": last + 1},
                     detail=f"message template {plan.key} v{last + 1}")
    return template


def template_current(plan, procedure_id=None, procedure_code="") -> MessageTemplate | None:
    """The newest version for the procedure (by id or code), else the newest of the plan's default text."""
    versions = MessageTemplate.objects.filter(plan=plan).select_related("procedure").order_by("-version")
    if procedure_id or procedure_code:
        own = versions.filter(Q(procedure_id=procedure_id) if procedure_id else Q(procedure__code=procedure_code))
        found = own.first()
        if found is None and procedure_id and procedure_code:
            found = versions.filter(procedure__code=procedure_code).first()
        if found is not None:
            return found
    return versions.filter(procedure__isnull=True).first()


def plans_sync_defaults() -> int:
    """Write the built-in plans (messaging.defaults) as platform defaults; a changed text becomes a new version.
    Hospitals' own plans are never touched; a default that left the code is switched off. Returns the changes."""
    changed, keys = 0, set()
    for spec in DEFAULT_PLANS:
        spec = dict(spec)
        text = spec.pop("template")
        keys.add(spec["key"])
        values = {"name": spec["name"], "description": spec.get("description", ""), "kind": spec["kind"],
                  "pathway_node": spec.get("pathway_node", ""), "trigger_kind": spec["trigger_kind"],
                  "trigger": spec.get("trigger", {}), "anchor": spec.get("anchor", ""),
                  "offset_minutes": spec.get("offset_minutes", 0), "window_minutes": spec.get("window_minutes", 720),
                  "filters": spec.get("filters", []), "audiences": spec["audiences"],
                  "patient_channels": spec.get("patient_channels", []),
                  "staff_channels": spec.get("staff_channels", ["fcm"]), "link": spec.get("link", ""),
                  "manager_permission": spec.get("manager_permission", "preop.manage_bookings"),
                  "is_active": True, "builtin": True}
        plan = MessagePlan.objects.filter(hospital__isnull=True, key=spec["key"], retired_at__isnull=True).first()
        if plan is None:
            plan = MessagePlan.objects.create(hospital=None, key=spec["key"], **values)
            changed += 1
        elif any(getattr(plan, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(plan, k, v)
            plan.version += 1
            plan.save()
            changed += 1
        full = {f: text.get(f, "") if f != "wechat_fields" else text.get(f) or {} for f in TEMPLATE_FIELDS}
        current = template_current(plan)
        if current is None or any(getattr(current, f) != v for f, v in full.items()):
            template_create(actor=None, plan=plan, note="built-in text", **full)
            changed += 1
    changed += MessagePlan.objects.filter(hospital__isnull=True, builtin=True, is_active=True).exclude(
        key__in=keys).update(is_active=False)
    return changed


# --- which plans apply to a case -------------------------------------------------------------------------------


def _case_for_messages(case_uuid):
    return (SurgicalCase.objects.select_related("patient", "ward", "ward__department__hospital", "surgeon",
                                                "procedure")
            .filter(uuid=case_uuid).first())


def effective_plans(hospital_id, *, trigger_kind=None) -> list[MessagePlan]:
    """The plans in force for a hospital: its own plans, and the platform defaults it does not override by key."""
    rows = (MessagePlan.objects.filter(retired_at__isnull=True)
            .filter(Q(hospital__isnull=True) | Q(hospital_id=hospital_id)).select_related("procedure")
            .order_by("key", "hospital_id"))
    by_key = {}
    for plan in rows:
        if plan.key not in by_key or plan.hospital_id is not None:
            by_key[plan.key] = plan
    return [p for p in by_key.values() if p.is_active and (trigger_kind is None or p.trigger_kind == trigger_kind)]


def plan_applies_to_procedure(plan, case) -> bool:
    if plan.procedure_id is None:
        return True
    return plan.procedure_id == case.procedure_id or (
        bool(case.procedure_code) and plan.procedure.code == case.procedure_code)


def ward_managers(ward, permission_slug) -> list:
    """Enabled, real staff of the ward (assigned to it or in its department) who hold the permission."""
    User = get_user_model()
    users = (User.objects.filter(is_active=True, is_virtual=False)
             .filter(Q(wards=ward) | Q(department_id=ward.department_id))
             .filter(Q(roles__permissions__slug=permission_slug) | Q(extra_permissions__slug=permission_slug))
             .distinct().order_by("id"))
    return [u for u in users if not u.management_modes or ward.management_mode in u.management_modes]


def plan_recipients(plan, case) -> list[tuple[str, object]]:
    """[(audience, user or None for the patient)], each person once."""
    out, seen = [], set()
    for audience in plan.audiences:
        if audience == Audience.PATIENT:
            if "patient" not in seen:
                seen.add("patient")
                out.append((Audience.PATIENT, None))
            continue
        if audience == Audience.SURGEON:
            users = [case.surgeon] if case.surgeon_id and case.surgeon.is_active and not case.surgeon.is_virtual else []
        elif audience == Audience.WARD_MANAGERS:
            users = ward_managers(case.ward, plan.manager_permission)
        else:
            users = []
        for user in users:
            if user.pk not in seen:
                seen.add(user.pk)
                out.append((audience, user))
    return out


def h5_link(path: str) -> str:
    if path.startswith("/"):
        return conf("MESSAGING_PATIENT_H5_BASE_URL").rstrip("/") + path
    return path


def plan_fire(*, plan, case, trigger_ref: str, event_data=None) -> list[Message]:
    """Create the plan's messages for the case (those not created before) and queue their delivery.
    The caller's transaction holds it all: nothing is queued unless the messages are stored."""
    if not plan_applies_to_procedure(plan, case) or not message_filters.case_passes(case, plan.filters):
        return []
    template = template_current(plan, case.procedure_id, case.procedure_code)
    if template is None:
        logger.warning("message plan %s has no template; nothing sent", plan.key)
        return []
    base = case_values(case, event_data=event_data)
    app_link = render(plan.link, base) if plan.link else ""
    app_link = str((event_data or {}).get("link") or app_link)
    created = []
    for audience, user in plan_recipients(plan, case):
        recipient_ref = "patient" if user is None else f"user:{user.uuid}"
        key = f"plan:{plan.uuid}:{case.uuid}:{trigger_ref}:{recipient_ref}"[:200]
        if Message.objects.filter(idempotency_key=key).exists():
            continue
        values = case_values(case, event_data=event_data, link=h5_link(app_link),
                             recipient_name=case.patient.name if user is None else user.name)
        values["link"] = h5_link(app_link)
        if user is None:
            title, body = template.patient_title, template.patient_body
            channels = list(plan.patient_channels)
        else:
            title, body = template.staff_title or template.patient_title, template.staff_body or template.patient_body
            channels = list(plan.staff_channels)
        data = {"kind": plan.kind, "case": str(case.uuid)}
        if user is None:  # the subscribe message's own fields, rendered now like the text (the template's map)
            data.update({f"wx.{k}": render(v, values)[:200] for k, v in (template.wechat_fields or {}).items()})
        message = _message_create(
            key=key, plan=plan, kind=plan.kind, template=template, case=case, audience=audience, user=user,
            title=render(title, values)[:100], body=render(body, values)[:2000], link=app_link, channels=channels,
            trigger_ref=trigger_ref, data=data,
        )
        if message is not None:
            created.append(message)
    return created


def _message_create(*, key, plan, kind, template, case, audience, user, title, body, link, channels, trigger_ref,
                    data) -> Message | None:
    try:
        with transaction.atomic():
            message = Message.objects.create(
                plan=plan, plan_key=plan.key if plan else "", kind=kind, template=template,
                template_version=template.version if template else None, case=case,
                ward=case.ward if case else None, patient=case.patient if case else None,
                recipient_kind=RecipientKind.PATIENT if user is None else RecipientKind.STAFF, recipient_user=user,
                audience=audience, title=title, body=body, link=link[:500], data=data, channels=channels,
                idempotency_key=key, trigger_ref=trigger_ref[:120],
            )
    except IntegrityError:  # the same trigger raced us to it: that message stands
        return None
    outbox_publish(topic=DISPATCH_TOPIC, key=str(message.uuid), payload={"message": str(message.uuid), "round": 1})
    _inbox_push(message, "messaging.inbox.new")
    return message


def _inbox_push(message, event_type, *, extra=None):
    from realtime.groups import patient_group, user_group
    from realtime.publisher import publish_on_commit

    payload = {"message": str(message.uuid), "kind": message.kind, "title": message.title,
               "case": str(message.case.uuid) if message.case_id else None, **(extra or {})}
    if message.recipient_user_id:
        publish_on_commit(user_group(message.recipient_user.uuid), event_type, payload)
        return
    from accounts.models import PatientAccount

    for account_uuid in PatientAccount.objects.filter(patient_id=message.patient_id, is_active=True).values_list(
            "uuid", flat=True):
        publish_on_commit(patient_group(account_uuid), event_type, payload)


# --- triggers ---------------------------------------------------------------------------------------------------


def plans_on_case_event(topic: str, payload: dict) -> list[Message]:
    """Fire every plan in force whose matcher accepts this case event (the outbox handler's body)."""
    if topic.startswith("messaging.") or not payload.get("case") or not payload.get("event"):
        return []
    hospital_id = hospital_id_of_ward(payload.get("ward"))
    if hospital_id is None:
        return []
    plans = [plan for plan in effective_plans(hospital_id, trigger_kind=TriggerKind.EVENT)
             if event_matches(plan.trigger, topic, payload)]
    # Most events fire no plan: the case (patient fields decrypted) is read only when one does.
    case = _case_for_messages(payload["case"]) if plans else None
    if case is None:
        return []
    created = []
    for plan in plans:
        created += plan_fire(plan=plan, case=case, trigger_ref=f"event:{payload['event']}",
                             event_data=payload.get("data") or {})
    return created


def _surgery_anchor(day):
    hour, minute = (int(x) for x in conf("MESSAGING_SURGERY_ANCHOR_TIME").split(":"))
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _offset_candidates(plan, now):
    """(case, anchor time) of the cases whose anchor + offset falls in the sending window ending now."""
    hi = now - timedelta(minutes=plan.offset_minutes)
    lo = hi - timedelta(minutes=plan.window_minutes)
    cases = (SurgicalCase.objects.exclude(state__in=OFFSET_EXCLUDED_STATES)
             .select_related("patient", "ward", "ward__department__hospital", "surgeon", "procedure"))
    if plan.hospital_id:
        cases = cases.filter(ward__department__hospital_id=plan.hospital_id)
    else:
        overriding = MessagePlan.objects.filter(key=plan.key, hospital__isnull=False,
                                                retired_at__isnull=True).values("hospital_id")
        cases = cases.exclude(ward__department__hospital_id__in=overriding)
    if plan.procedure_id:
        cases = cases.filter(Q(procedure_id=plan.procedure_id) | Q(procedure_code=plan.procedure.code))
    if plan.anchor == Anchor.SURGERY:
        days = (timezone.localtime(lo).date() - timedelta(days=1), timezone.localtime(hi).date() + timedelta(days=1))
        for case in cases.filter(planned_date__range=days).order_by("id"):
            anchor = _surgery_anchor(case.planned_date)
            if lo < anchor <= hi:
                yield case, anchor
        return
    field = "admitted_at" if plan.anchor == Anchor.ADMISSION else "discharged_at"
    for case in cases.filter(**{f"{field}__gt": lo, f"{field}__lte": hi}).order_by("id"):
        yield case, getattr(case, field)


def offset_plans_run(*, now=None) -> int:
    """The beat job: fire every active time-offset plan for the cases now in its window. Idempotent (a case is
    written to once per plan and anchor: a rescheduled surgery date is a new anchor). Returns messages made."""
    now = now or timezone.now()
    made = 0
    plans = (MessagePlan.objects.filter(trigger_kind=TriggerKind.OFFSET, retired_at__isnull=True, is_active=True)
             .select_related("procedure").order_by("id"))
    for plan in plans:
        for case, anchor in _offset_candidates(plan, now):
            ref = f"offset:{plan.anchor}:{timezone.localtime(anchor).isoformat(timespec='minutes')}"
            try:
                with transaction.atomic():
                    made += len(plan_fire(plan=plan, case=case, trigger_ref=ref))
            except Exception:  # noqa: BLE001 - one bad case must not stop the others; the next run retries it
                logger.exception("offset plan %s failed for case %s", plan.key, case.uuid)
    return made


# --- staff notices requested by other contexts -----------------------------------------------------------------


def _uuid(value):
    """A UUID from a publisher's payload, or None (a malformed id must not make the message undeliverable)."""
    import uuid

    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def staff_notice_create(*, payload: dict, message_uuid) -> list[Message]:
    """`messaging.staff_notice.requested`: one inbox message + FCM push for each named, enabled staff member."""
    User = get_user_model()
    wanted = [u for u in (_uuid(u) for u in payload.get("users") or []) if u]
    users = User.objects.filter(uuid__in=wanted, is_active=True, is_virtual=False).order_by("id")
    case_uuid = _uuid(payload.get("case"))
    case = _case_for_messages(case_uuid) if case_uuid else None
    base = str(payload.get("key") or message_uuid)[:120]
    data = {str(k): str(v) for k, v in (payload.get("data") or {}).items()}
    kind = str(payload.get("kind") or data.get("kind") or "staff_notice")[:40]
    created = []
    for user in users:
        message = _message_create(
            key=f"notice:{base}:{user.uuid}"[:200], plan=None, kind=kind, template=None, case=case,
            audience=Audience.STAFF, user=user, title=str(payload.get("title") or "")[:100] or kind,
            body=str(payload.get("body") or "")[:2000], link=str(data.get("link", "")), channels=[Channel.FCM],
            trigger_ref=f"notice:{base}", data={**data, "kind": kind, **({"case": str(case.uuid)} if case else {})},
        )
        if message is not None:
            created.append(message)
    return created


def staff_notice_request(*, users, title, body="", data=None, case=None, key="", kind="") -> None:
    """For other contexts (or ours): publish the notice request in the caller's transaction."""
    outbox_publish(topic=STAFF_NOTICE_TOPIC, key=str(case.uuid) if case else "", payload={
        "users": [str(u.uuid if hasattr(u, "uuid") else u) for u in users], "title": title, "body": body,
        "data": {str(k): str(v) for k, v in (data or {}).items()}, "case": str(case.uuid) if case else None,
        "key": key, "kind": kind,
    })


# --- retries ----------------------------------------------------------------------------------------------------


def retry_delay_seconds(round_: int) -> int:
    return min(conf("MESSAGING_RETRY_BACKOFF_SECONDS") * 2 ** max(round_ - 1, 0),
               conf("MESSAGING_RETRY_BACKOFF_MAX_SECONDS"))


def messages_retry_due(*, now=None, limit=200) -> int:
    """The beat job: start the next delivery round of messages whose channels were all down (backoff passed)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(Message.objects.select_for_update(skip_locked=True)
                   .filter(status=MessageStatus.RETRYING, next_attempt_at__lte=now).order_by("next_attempt_at")[:limit])
        for message in due:
            message.round += 1
            message.status = MessageStatus.PENDING
            message.next_attempt_at = None
            message.save(update_fields=["round", "status", "next_attempt_at", "updated_at"])
            outbox_publish(topic=DISPATCH_TOPIC, key=str(message.uuid),
                           payload={"message": str(message.uuid), "round": message.round})
    return len(due)


# --- inbox ------------------------------------------------------------------------------------------------------


def inbox_mark_read(queryset) -> int:
    """Mark the unread messages of `queryset` (the caller's own inbox, filtered) read; tells the recipient's other
    devices over realtime. Returns how many changed."""
    now = timezone.now()
    unread = list(queryset.filter(read_at__isnull=True).select_related("recipient_user")[:1000])
    Message.objects.filter(pk__in=[m.pk for m in unread]).update(read_at=now, updated_at=now)
    if unread:
        first = unread[0]
        first.read_at = now
        _inbox_push(first, "messaging.inbox.read", extra={"messages": [str(m.uuid) for m in unread]})
    return len(unread)


# --- staff devices ----------------------------------------------------------------------------------------------


@transaction.atomic
def device_register(*, user, token, platform, app_version="", sid="") -> StaffDevice:
    """Register (or move to this user) an FCM token: a token belongs to the one device that last registered it,
    within the login session `sid` that registered it (pushes stop when that session ends)."""
    now = timezone.now()
    sid = str(sid or "")[:64]
    device = StaffDevice.objects.select_for_update().filter(token=token).first()
    if device is None:
        return StaffDevice.objects.create(user=user, token=token, platform=platform, app_version=app_version,
                                          last_seen_at=now, sid=sid)
    device.user, device.platform, device.app_version, device.sid = user, platform, app_version, sid
    device.last_seen_at, device.is_active, device.disabled_reason = now, True, ""
    device.save()
    return device


def device_remove(*, device) -> None:
    device.delete()
