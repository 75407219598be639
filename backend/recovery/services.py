"""Writes of recovery after discharge (SA8, PA9): the first-week treatment plan.

`treatment_plan_save` writes the draft (a new version when the latest one is published), `treatment_plan_publish`
makes the draft the version the patient sees and appends `recovery.treatment_plan.published` {plan, version} to the
case (messaging tells the patient; the timeline shows it). Both lock the case row, check the version the editor saw
(`base_version`), and audit.
"""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import has_permission
from audit.models import AuditAction
from audit.services import audit_record
from cases.models import CaseState
from cases.services import case_append_event, case_lock
from core.errors import Conflict, InvalidInput, NotAllowed
from recovery import permissions as perms
from recovery.models import (
    PLAN_DAYS,
    ItemCategory,
    TreatmentPlan,
    TreatmentPlanItem,
    TreatmentPlanVersion,
    VersionStatus,
)

PUBLISHED_EVENT = "recovery.treatment_plan.published"
MAX_ITEMS = 60
# A plan is written around the operation and the discharge; not for cases that never reached theatre.
PLAN_STATES = (CaseState.SCHEDULED, CaseState.ADMITTED, CaseState.IN_THEATRE, CaseState.OPERATED,
               CaseState.DISCHARGED, CaseState.FOLLOW_UP)
TEXT_FIELDS = {"title": 100, "instructions": 1000, "drug_name": 100, "dose": 50, "route": 30, "frequency": 50}


def _items_clean(items) -> list[dict]:
    if not isinstance(items, list) or not items:
        raise InvalidInput(fields={"items": [_("Give at least one item of the plan.")]})
    if len(items) > MAX_ITEMS:
        raise InvalidInput(fields={"items": [_("A plan has at most %(n)d items.") % {"n": MAX_ITEMS}]})
    clean, errors = [], {}
    for index, raw in enumerate(items):
        def refuse(field, message, index=index):
            errors.setdefault(f"items.{index}.{field}", []).append(str(message))

        if not isinstance(raw, dict):
            refuse("category", _("Each item must be an object."))
            continue
        item = {"category": raw.get("category")}
        if item["category"] not in ItemCategory.values:
            refuse("category", _("Choose one of: %(values)s.") % {"values": ", ".join(ItemCategory.values)})
        for name in ("day_from", "day_to"):
            value = raw.get(name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= PLAN_DAYS:
                refuse(name, _("Give a day from 1 to %(n)d after discharge.") % {"n": PLAN_DAYS})
            item[name] = value
        if isinstance(item.get("day_from"), int) and isinstance(item.get("day_to"), int) and \
                item["day_from"] > item["day_to"]:
            refuse("day_to", _("The last day cannot be before the first day."))
        for name, limit in TEXT_FIELDS.items():
            value = raw.get(name, "")
            if value is None:
                value = ""
            if not isinstance(value, str):
                refuse(name, _("Give a text."))
                continue
            value = value.strip()
            if len(value) > limit:
                refuse(name, _("At most %(n)d characters.") % {"n": limit})
            item[name] = value
        if not item.get("title"):
            refuse("title", _("This field is required."))
        if item["category"] == ItemCategory.DRUG:
            for name in ("drug_name", "dose", "frequency"):
                if not item.get(name):
                    refuse(name, _("A medication needs the drug, the dose and how often to take it."))
        else:
            for name in ("drug_name", "dose", "route", "frequency"):
                item[name] = ""
        clean.append(item)
    if errors:
        raise InvalidInput(fields=errors)
    return clean


def _authorise(actor, slug):
    if actor is not None and not has_permission(actor, slug):
        raise NotAllowed()


def _lock(case):
    locked = case_lock(case)
    if locked.state not in PLAN_STATES:
        raise Conflict(_("A treatment plan can be set from scheduling until the follow-up is closed."),
                       code="treatment_plan_not_allowed", extra={"state": locked.state})
    plan, _created = TreatmentPlan.objects.get_or_create(
        case=locked, defaults={"ward_id": locked.ward_id, "patient_id": locked.patient_id})
    return locked, plan


def _check_base(plan, base_version):
    latest = plan.versions.aggregate(n=Max("number"))["n"] or 0
    if base_version is not None and base_version != latest:
        raise Conflict(code="version_conflict", extra={"version": latest})
    return latest


@transaction.atomic
def treatment_plan_save(*, case, actor, items, note: str = "", base_version: int | None = None,
                        publish: bool = False) -> TreatmentPlanVersion:
    """Write the draft of the case's plan (replacing the current draft, or starting a new version after a published
    one). `base_version`: the latest version number the editor saw (0 for none); another one answers 409."""
    _authorise(actor, perms.MANAGE_PLAN.slug)
    clean = _items_clean(items)
    note = (note or "").strip()
    if len(note) > 1000:
        raise InvalidInput(fields={"note": [_("At most %(n)d characters.") % {"n": 1000}]})
    _locked, plan = _lock(case)
    latest_number = _check_base(plan, base_version)
    draft = plan.versions.filter(status=VersionStatus.DRAFT).first()
    before = None
    if draft is None:
        draft = TreatmentPlanVersion.objects.create(plan=plan, number=latest_number + 1, note=note, created_by=actor)
        action = AuditAction.CREATE
    else:
        before = {"note": draft.note, "items": list(draft.items.values(*clean[0].keys()))}
        draft.note, draft.created_by = note, actor
        draft.save(update_fields=["note", "created_by", "updated_at"])
        draft.items.all().delete()
        action = AuditAction.UPDATE
    TreatmentPlanItem.objects.bulk_create(
        [TreatmentPlanItem(version=draft, position=i, **item) for i, item in enumerate(clean)])
    audit_record(actor=actor, system=actor is None, action=action, target=draft, target_repr=f"{plan} {draft}",
                 before=before, after={"note": note, "items": clean}, detail="save treatment plan draft")
    if publish:
        return treatment_plan_publish(case=case, actor=actor, base_version=draft.number)
    return draft


@transaction.atomic
def treatment_plan_publish(*, case, actor, base_version: int | None = None) -> TreatmentPlanVersion:
    """Publish the draft: the patient sees it from now on, the previous published version is superseded (kept)."""
    _authorise(actor, perms.MANAGE_PLAN.slug)
    locked, plan = _lock(case)
    _check_base(plan, base_version)
    draft = plan.versions.select_for_update().filter(status=VersionStatus.DRAFT).first()
    if draft is None:
        raise Conflict(_("There is no draft to publish."), code="no_draft")
    if not draft.items.filter(category=ItemCategory.WARNING_SIGN).exists():
        raise InvalidInput(fields={"items": [
            _("Tell the patient which warning signs need a call or a visit before publishing.")]})
    now = timezone.now()
    plan.versions.filter(status=VersionStatus.PUBLISHED).update(status=VersionStatus.SUPERSEDED, updated_at=now)
    draft.status, draft.published_at, draft.published_by = VersionStatus.PUBLISHED, now, actor
    draft.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    plan.published = draft
    plan.save(update_fields=["published", "updated_at"])
    case_append_event(locked, type=PUBLISHED_EVENT, actor=actor,
                      payload={"plan": str(plan.uuid), "version": draft.number})
    audit_record(actor=actor, system=actor is None, action=AuditAction.UPDATE, target=draft,
                 target_repr=f"{plan} {draft}", after={"status": VersionStatus.PUBLISHED},
                 detail="publish treatment plan")
    return draft
