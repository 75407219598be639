"""Writes of the follow-up context: plans and tags (configuration), task generation and the three tiers (F1–F4).

A task's life (each step decided by the system; the next one only when still needed):

    created (due) ─▶ voice call ─▶ self-report link ─▶ manual call by a follow-up nurse
                      │ complete     │ complete           │ answers recorded / not reached
                      ▼              ▼                    ▼
                  completed      completed            completed / unreached

A point may leave out tiers; a step is skipped when it cannot work (no phone for the voice call, no form for the
self-report). Before moving on, the task is completed instead when its form was answered meanwhile (whatever the
channel). Events (the issue-6 contract): followup.task.created, followup.voice.started / .finished,
followup.selfreport.requested, followup.manual_call.created, followup.task.completed, followup.tag.added. Every
write locks the case row first (cases.services.case_lock), then the task.
"""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import has_permission
from audit.services import audit_record
from cases.models import CaseState, SurgicalCase
from cases.services import actor_info, case_append_event, case_lock
from core.errors import DomainError, ExternalServiceError, InvalidInput, NotAllowed, NotFound
from followup import errors
from followup import permissions as perms
from followup.conf import conf, contact_hours_open
from followup.defaults import DEFAULT_PLAN, DEFAULT_TAGS
from followup.models import (
    FINISHED_CALL_STATUSES,
    OPEN_TASK_STATUSES,
    Anchor,
    CallStatus,
    CaseTag,
    FollowupPlan,
    FollowupPlanVersion,
    FollowupTask,
    ManualCall,
    TagDefinition,
    TaskStatus,
    Tier,
    VoiceCall,
)
from followup.plans import points_clean
from org.hospital_config import assert_can_edit_config
from org.scoping import ward_scope_for

logger = logging.getLogger(__name__)

ELIGIBLE_STATES = (CaseState.OPERATED, CaseState.DISCHARGED, CaseState.FOLLOW_UP)
CHANNEL_TIER = {"voice": Tier.VOICE, "mobile": Tier.SELFREPORT, "staff": Tier.MANUAL}
TIER_STATUS = {Tier.VOICE: TaskStatus.VOICE, Tier.SELFREPORT: TaskStatus.SELFREPORT, Tier.MANUAL: TaskStatus.MANUAL}
STATUS_TIER = {v: k for k, v in TIER_STATUS.items()}
WINDOW_OF = {Tier.VOICE: "voice_hours", Tier.SELFREPORT: "selfreport_hours", Tier.MANUAL: "manual_hours"}


def hospital_id_of(case):
    return case.ward.department.hospital_id


def _iso(value):
    return timezone.localtime(value).isoformat() if value else None


def _authorise(actor, case, permission):
    """Ward scope first (an invisible case is a missing case), then the function permission. None = the system."""
    if actor is None:
        return
    if getattr(actor, "is_patient", False) or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise NotAllowed()
    if not ward_scope_for(actor).allows_ward(case.ward_id):
        raise NotFound()
    if not has_permission(actor, permission.slug):
        raise NotAllowed()


# --- configuration: plans ----------------------------------------------------------------------------------------


def _plan_snapshot(plan) -> dict:
    return {"name": plan.name, "description": plan.description, "points": plan.points, "is_active": plan.is_active,
            "procedure": str(plan.procedure.uuid) if plan.procedure_id else None,
            "hospital": str(plan.hospital.uuid) if plan.hospital_id else None}


def _plan_version(plan, change, actor):
    who = actor_info(actor)
    FollowupPlanVersion.objects.create(plan=plan, version=plan.version, change=change, snapshot=_plan_snapshot(plan),
                                       changed_at=timezone.now(), changed_by=who["user"], changed_by_name=who["name"])
    audit_record(actor=actor, system=actor is None, action="create" if change == "created" else "update",
                 target=plan, after={"version": plan.version, "change": change})


def _check_forms(hospital_id, points):
    from forms.models import Form

    for point in points:
        if point["form"] and not Form.objects.filter(
            Q(hospital__isnull=True) | Q(hospital_id=hospital_id), code=point["form"], case__isnull=True,
        ).exists():
            raise InvalidInput(fields={"points": [_("No form with the code '%(code)s'.") % {"code": point["form"]}]})


@transaction.atomic
def plan_create(*, hospital, procedure=None, name, points, actor, description="", is_active=True) -> FollowupPlan:
    assert_can_edit_config(actor, hospital.pk if hospital else None)
    cleaned = points_clean(points)
    _check_forms(hospital.pk if hospital else None, cleaned)
    if FollowupPlan.objects.filter(hospital=hospital, procedure=procedure, retired_at__isnull=True).exists():
        raise errors.PlanScopeTaken()
    who = actor_info(actor)["user"]
    plan = FollowupPlan.objects.create(hospital=hospital, procedure=procedure, name=name, description=description,
                                       points=cleaned, is_active=is_active, created_by=who, updated_by=who)
    _plan_version(plan, "created", actor)
    return plan


@transaction.atomic
def plan_update(*, plan, actor, **changes) -> FollowupPlan:
    plan = FollowupPlan.objects.select_for_update().get(pk=plan.pk)
    assert_can_edit_config(actor, plan.hospital_id)
    if plan.retired_at is not None:
        raise NotFound()
    if "points" in changes:
        changes["points"] = points_clean(changes["points"])
        _check_forms(plan.hospital_id, changes["points"])
    changed = False
    for field in ("name", "description", "points", "is_active"):
        if field in changes and getattr(plan, field) != changes[field]:
            setattr(plan, field, changes[field])
            changed = True
    if changed:
        plan.version += 1
        plan.updated_by = actor_info(actor)["user"]
        plan.save()
        _plan_version(plan, "updated", actor)
    return plan


@transaction.atomic
def plan_retire(*, plan, actor) -> None:
    plan = FollowupPlan.objects.select_for_update().get(pk=plan.pk)
    assert_can_edit_config(actor, plan.hospital_id)
    if plan.retired_at is not None:
        return
    plan.retired_at = timezone.now()
    plan.version += 1
    plan.save(update_fields=["retired_at", "version", "updated_at"])
    _plan_version(plan, "retired", actor)


def plan_for_case(case, *, cache=None) -> FollowupPlan | None:
    """The plan that applies: for the procedure before one for every procedure, the hospital's before the default;
    a disabled plan switches follow-up off for its scope."""
    key = (hospital_id_of(case), case.procedure_id)
    if cache is not None and key in cache:
        return cache[key]
    plans = list(
        FollowupPlan.objects.filter(retired_at__isnull=True)
        .filter(Q(hospital__isnull=True) | Q(hospital_id=key[0]))
        .filter(Q(procedure__isnull=True) | Q(procedure_id=key[1]))
    )
    plans.sort(key=lambda p: (p.procedure_id is None, p.hospital_id is None))
    plan = plans[0] if plans and plans[0].is_active else None
    if cache is not None:
        cache[key] = plan
    return plan


# --- configuration: tags -----------------------------------------------------------------------------------------


def tag_definitions_for(hospital_id) -> dict[str, TagDefinition]:
    """{code: definition} in effect for a hospital (its own rows replace the defaults of the same code)."""
    rows = TagDefinition.objects.filter(Q(hospital__isnull=True) | Q(hospital_id=hospital_id))
    effective = {}
    for row in sorted(rows, key=lambda r: r.hospital_id is not None):
        effective[row.code] = row
    return {code: row for code, row in effective.items() if row.is_active}


TAG_FIELDS = ("label", "description", "colour", "automatic", "on_followup_completed", "on_unreached",
              "abnormal_codes", "position", "is_active")


def _clean_codes(value):
    if not isinstance(value, list) or len(value) > 20 or not all(isinstance(v, str) and 0 < len(v) <= 60
                                                                  for v in value):
        raise InvalidInput(fields={"abnormal_codes": [_("Give a list of at most 20 rule codes.")]})
    return list(dict.fromkeys(value))


@transaction.atomic
def tag_definition_save(*, hospital, code, actor, **values) -> TagDefinition:
    """Create or change the hospital's tag `code` (a hospital row with a default's code overrides it)."""
    assert_can_edit_config(actor, hospital.pk if hospital else None)
    if "abnormal_codes" in values:
        values["abnormal_codes"] = _clean_codes(values["abnormal_codes"])
    values = {k: v for k, v in values.items() if k in TAG_FIELDS}
    tag = TagDefinition.objects.select_for_update().filter(hospital=hospital, code=code).first()
    before = {k: getattr(tag, k) for k in values} if tag else None
    if tag is None:
        default = TagDefinition.objects.filter(hospital__isnull=True, code=code).first()
        base = {k: getattr(default, k) for k in TAG_FIELDS} if default else {}
        if "label" not in values and "label" not in base:
            raise InvalidInput(fields={"label": [_("This field is required.")]})
        tag = TagDefinition.objects.create(hospital=hospital, code=code, **{**base, **values},
                                           updated_by=actor_info(actor)["user"])
    else:
        for k, v in values.items():
            setattr(tag, k, v)
        tag.updated_by = actor_info(actor)["user"]
        tag.save()
    audit_record(actor=actor, system=actor is None, action="create" if before is None else "update", target=tag,
                 before=before, after=values)
    return tag


def defaults_sync() -> int:
    """Write the platform defaults (followup.defaults): the default plan (when none exists) and tags."""
    changed = 0
    with transaction.atomic():
        if not FollowupPlan.objects.filter(hospital__isnull=True, procedure__isnull=True,
                                           retired_at__isnull=True).exists():
            plan = FollowupPlan.objects.create(hospital=None, procedure=None, name=DEFAULT_PLAN["name"],
                                               description=DEFAULT_PLAN["description"],
                                               points=points_clean(DEFAULT_PLAN["points"]))
            FollowupPlanVersion.objects.create(plan=plan, version=1, change="created", snapshot=_plan_snapshot(plan),
                                               changed_at=timezone.now(), changed_by_name="system")
            changed += 1
        for spec in DEFAULT_TAGS:
            values = {"description": "", "colour": "", "automatic": False, "on_followup_completed": False,
                      "on_unreached": False, "abnormal_codes": [], "is_active": True,
                      **{k: v for k, v in spec.items() if k != "code"}}
            tag = TagDefinition.objects.filter(hospital__isnull=True, code=spec["code"]).first()
            if tag is None:
                TagDefinition.objects.create(hospital=None, code=spec["code"], **values)
                changed += 1
            elif any(getattr(tag, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(tag, k, v)
                tag.save()
                changed += 1
    return changed


# --- tags on cases -----------------------------------------------------------------------------------------------


def _tag_add(locked_case, definition, *, automatic, actor, task=None, note="", now=None) -> CaseTag | None:
    """Add the tag unless the case carries it already; records `followup.tag.added`."""
    if CaseTag.objects.filter(case=locked_case, code=definition.code, removed_at__isnull=True).exists():
        return None
    tag = CaseTag.objects.create(
        case=locked_case, ward_id=locked_case.ward_id, patient_id=locked_case.patient_id, definition=definition,
        code=definition.code, label=definition.label, automatic=automatic, source_task=task, note=note,
        added_at=now or timezone.now(), added_by=actor_info(actor)["user"],
    )
    case_append_event(locked_case, type="followup.tag.added", actor=actor,
                      payload={"tag": definition.code, "label": definition.label, "automatic": automatic,
                               "case_tag": str(tag.uuid), "task": str(task.uuid) if task else None})
    return tag


@transaction.atomic
def case_tag_add(*, case, code, actor, note="") -> CaseTag:
    """A manual tag by staff (revisit, readmission...)."""
    locked = case_lock(case)
    _authorise(actor, locked, perms.MANAGE_TAGS)
    definition = tag_definitions_for(hospital_id_of(locked)).get(code)
    if definition is None:
        raise InvalidInput(fields={"code": [_("Unknown tag.")]})
    if definition.automatic:
        raise errors.TagNotManual()
    tag = _tag_add(locked, definition, automatic=False, actor=actor, note=note)
    if tag is None:
        return CaseTag.objects.get(case=locked, code=code, removed_at__isnull=True)
    audit_record(actor=actor, action="create", target=tag, after={"case": str(locked.uuid), "tag": code})
    return tag


@transaction.atomic
def case_tag_remove(*, tag, actor) -> CaseTag:
    locked = case_lock(tag.case)
    _authorise(actor, locked, perms.MANAGE_TAGS)
    tag = CaseTag.objects.select_for_update().get(pk=tag.pk)
    if tag.removed_at is None:
        tag.removed_at = timezone.now()
        tag.removed_by = actor_info(actor)["user"]
        tag.save(update_fields=["removed_at", "removed_by", "updated_at"])
        case_append_event(locked, type="followup.tag.removed", actor=actor,
                          payload={"tag": tag.code, "label": tag.label, "case_tag": str(tag.uuid)})
        audit_record(actor=actor, action="update", target=tag, after={"removed": True})
    return tag


def _automatic_tags(locked_case, *, task=None, completed=False, unreached=False, response_tags=(), abnormal=()):
    definitions = tag_definitions_for(hospital_id_of(locked_case))
    added = []
    for definition in definitions.values():
        if not definition.automatic:
            continue
        hit = (completed and definition.on_followup_completed) or (unreached and definition.on_unreached) or (
            definition.code in response_tags) or bool(set(definition.abnormal_codes) & set(abnormal))
        if hit and _tag_add(locked_case, definition, automatic=True, actor=None, task=task):
            added.append(definition.code)
    return added


@transaction.atomic
def tags_from_response(*, response_uuid) -> list[str]:
    """Automatic tags from a submitted response (its abnormal rule codes and the tag codes its rules name)."""
    from forms.models import FormResponse

    response = FormResponse.objects.filter(uuid=response_uuid).select_related("case").first()
    if response is None or not (response.tags or response.abnormal):
        return []
    locked = case_lock(response.case)
    task = FollowupTask.objects.filter(assignment_id=response.assignment_id).first()
    return _automatic_tags(locked, task=task, response_tags=response.tags, abnormal=response.abnormal)


# --- task generation (F2, F4) --------------------------------------------------------------------------------------


def surgery_time(case):
    """When the operation happened (theatre facts first; the planned day for an operated case without them)."""
    for value in (case.operated_at, case.incision_end_at, case.theatre_out_at, case.incision_start_at,
                  case.theatre_in_at):
        if value:
            return value
    if case.state in ELIGIBLE_STATES:
        if case.scheduled_start:
            return case.scheduled_start
        if case.planned_date:
            from datetime import datetime, time

            return timezone.make_aware(datetime.combine(case.planned_date, time(8, 0)))
    return None


def _outpatient(case) -> bool:
    from org.models import ManagementMode

    return case.ward.management_mode == ManagementMode.OUTPATIENT


def anchor_time(case, anchor):
    """The anchor of a time point; an outpatient-surgery patient goes home after the operation (no discharge)."""
    if anchor == Anchor.SURGERY:
        return surgery_time(case)
    if case.discharged_at is None and _outpatient(case) and case.state in ELIGIBLE_STATES:
        return case.operated_at or case.theatre_out_at or surgery_time(case)
    return case.discharged_at


def _form_version(case, point):
    from forms.models import Form
    from forms.selectors import form_for_case

    if not point.get("form"):
        return form_for_case(case, "followup")
    hospital_id = hospital_id_of(case)
    forms = list(Form.objects.filter(Q(hospital__isnull=True) | Q(hospital_id=hospital_id), code=point["form"],
                                     case__isnull=True).select_related("current_version"))
    forms.sort(key=lambda f: f.hospital_id is None)
    form = forms[0] if forms else None
    if form is None or not form.is_active or form.current_version is None:
        return form_for_case(case, "followup")
    version = form.current_version
    version.form = form
    return version


def _history(task, step, outcome, note="", now=None):
    task.history = [*task.history, {"at": _iso(now or timezone.now()), "step": step, "outcome": outcome,
                                     "note": str(note)[:200]}][-50:]


def tasks_generate(*, now=None, case_ids=None, contact_hours=False) -> dict:
    """Create the follow-up tasks whose date has come (F2/F4). Idempotent: a point has one task per case; running
    twice creates nothing new. A point more than FOLLOWUP_LATE_GRACE_DAYS overdue when first seen is skipped.
    With `contact_hours` (the beat job), nothing is created outside FOLLOWUP_CONTACT_HOURS: a new task calls the
    patient (or texts the link) at once, so a time point that falls at night waits for the morning."""
    now = now or timezone.now()
    if contact_hours and not contact_hours_open(now):
        return {"created": 0, "late": 0, "errors": 0, "deferred": 1}
    cutoff = now - timedelta(days=conf("FOLLOWUP_LOOKBACK_DAYS"))
    late = now - timedelta(days=conf("FOLLOWUP_LATE_GRACE_DAYS"))
    cases = (SurgicalCase.objects.filter(state__in=ELIGIBLE_STATES)
             .filter(Q(operated_at__gte=cutoff) | Q(discharged_at__gte=cutoff)
                     | Q(operated_at__isnull=True, planned_date__gte=cutoff.date()))
             .select_related("ward__department", "patient").order_by("id"))
    if case_ids is not None:
        cases = cases.filter(pk__in=case_ids)
    existing = set(FollowupTask.objects.filter(case__in=cases).values_list("case_id", "point_key"))
    stats = {"created": 0, "late": 0, "errors": 0}
    plans: dict = {}
    for case in cases.iterator(chunk_size=200):
        plan = plan_for_case(case, cache=plans)
        if plan is None:
            continue
        for point in plan.points:
            if (case.pk, point["key"]) in existing:
                continue
            anchor_at = anchor_time(case, point["anchor"])
            if anchor_at is None:
                continue
            due = anchor_at + timedelta(hours=point["offset_hours"])
            if due > now:
                continue
            if due < late:
                stats["late"] += 1
                continue
            try:
                if task_create(case=case, plan=plan, point=point, anchor_at=anchor_at, due_at=due, now=now):
                    stats["created"] += 1
            except Exception:  # noqa: BLE001 - one case's problem must not stop the others
                logger.exception("follow-up task %s of case %s could not be created", point["key"], case.uuid)
                stats["errors"] += 1
    return stats


@transaction.atomic
def task_create(*, case, plan, point, anchor_at, due_at, now=None) -> FollowupTask | None:
    from forms.services import assignment_create

    now = now or timezone.now()
    locked = case_lock(case)
    if locked.state not in ELIGIBLE_STATES or FollowupTask.objects.filter(case=locked,
                                                                          point_key=point["key"]).exists():
        return None
    if locked.state == CaseState.DISCHARGED or (locked.state == CaseState.OPERATED and _outpatient(locked)):
        from cases.services import case_transition

        try:  # the follow-up phase of the case starts with its first follow-up (a refusal never blocks the task)
            case_transition(case=locked, transition="start_follow_up", actor=None)
        except DomainError as exc:
            logger.warning("case %s did not enter follow-up: %s", locked.uuid, exc)
        locked = case_lock(case)
    windows = {k: point[k] for k in ("voice_hours", "selfreport_hours", "manual_hours")}
    task = FollowupTask(case=locked, ward_id=locked.ward_id, patient_id=locked.patient_id, plan=plan,
                        plan_version=plan.version, point_key=point["key"], point_label=point["label"],
                        anchor=point["anchor"], anchor_at=anchor_at, offset_hours=point["offset_hours"], due_at=due_at,
                        tiers=list(point["tiers"]), windows=windows, status=TaskStatus.PENDING, step_started_at=now)
    first = Tier(point["tiers"][0])
    task.step_deadline_at = now + timedelta(hours=windows[WINDOW_OF[first]])
    _history(task, "created", "due", now=now)
    task.save()
    version = _form_version(locked, point)
    if version is not None:
        total = sum(windows.values())
        task.assignment = assignment_create(
            case=locked, version=version, available_from=min(due_at, now), due_at=now + timedelta(hours=total),
            source="followup", actor=None, notify=False, key=f"followup:{task.uuid}",
        )
        task.save(update_fields=["assignment", "updated_at"])
    case_append_event(locked, type="followup.task.created", actor=None,
                      payload={"task": str(task.uuid), "time_point": point["key"], "label": point["label"],
                               "due_at": _iso(due_at), "tiers": task.tiers,
                               "assignment": str(task.assignment.uuid) if task.assignment_id else None})
    return task


# --- the tiers (F1, F3) ----------------------------------------------------------------------------------------------


def _lock(task):
    locked_case = case_lock(task.case)
    locked = FollowupTask.objects.select_for_update(of=("self",)).select_related("assignment").get(pk=task.pk)
    return locked_case, locked


def _assignment_open(task) -> bool:
    from forms.models import OPEN_STATUSES

    return task.assignment_id is not None and task.assignment.status in OPEN_STATUSES


def _assignment_completed(task) -> bool:
    from forms.models import AssignmentStatus

    return task.assignment_id is not None and task.assignment.status == AssignmentStatus.COMPLETED


def _complete_response(task):
    from forms.models import AssignmentStatus, FormResponse

    if task.assignment_id is None or task.assignment.status != AssignmentStatus.COMPLETED:
        return None
    return FormResponse.objects.filter(assignment_id=task.assignment_id, complete=True).order_by("-submitted_at").first()


def _finish(locked_case, task, *, status, tier, outcome, response=None, actor=None, now=None):
    now = now or timezone.now()
    task.status = status
    task.outcome = outcome
    task.completed_tier = tier or ""
    task.completed_at = now
    task.completed_by = actor_info(actor)["user"]
    task.step_deadline_at = None
    if response is not None:
        task.response = response
    _history(task, tier or "", outcome, now=now)
    task.save()
    case_append_event(locked_case, type="followup.task.completed", actor=actor,
                      payload={"task": str(task.uuid), "tier": tier or "", "outcome": outcome,
                               "time_point": task.point_key, "status": status,
                               "response": str(response.uuid) if response else None})
    _automatic_tags(locked_case, task=task, completed=status == TaskStatus.COMPLETED,
                    unreached=status == TaskStatus.UNREACHED)


def _next_tier(task, after):
    order = [Tier(t) for t in task.tiers]
    remaining = order[order.index(after) + 1:] if after in order else order
    for tier in remaining:
        if tier == Tier.SELFREPORT and not _assignment_open(task):
            continue
        return tier
    return None


def _enter(locked_case, task, tier, *, now, note=""):
    """Start `tier` (self-report and manual here; the voice call is placed by voice_call_start after commit)."""
    task.status = TIER_STATUS[tier]
    task.step_started_at = now
    task.step_deadline_at = now + timedelta(hours=task.windows.get(WINDOW_OF[tier], 24))
    _history(task, tier, "started", note, now=now)
    task.save()
    deadline = _iso(task.step_deadline_at)
    if tier == Tier.SELFREPORT:
        link = conf("FOLLOWUP_FORM_LINK").format(assignment=task.assignment.uuid)
        case_append_event(locked_case, type="followup.selfreport.requested", actor=None,
                          payload={"task": str(task.uuid), "assignment": str(task.assignment.uuid), "link": link,
                                   "deadline": deadline, "time_point": task.point_key, "label": task.point_label})
    elif tier == Tier.MANUAL:
        case_append_event(locked_case, type="followup.manual_call.created", actor=None,
                          payload={"task": str(task.uuid), "deadline": deadline, "time_point": task.point_key,
                                   "label": task.point_label})


def _advance(locked_case, task, *, after, now, note=""):
    """The step `after` ended without complete answers: complete the task if the form was answered meanwhile, else
    start the next step, else the patient was not reached."""
    response = _complete_response(task)
    if response is not None:
        _finish(locked_case, task, status=TaskStatus.COMPLETED, tier=CHANNEL_TIER.get(response.channel, after),
                outcome="completed", response=response, now=now)
        return
    tier = _next_tier(task, after)
    if tier is None:
        _finish(locked_case, task, status=TaskStatus.UNREACHED, tier=after, outcome="unreached", now=now)
    elif tier == Tier.VOICE:  # only as the first step: placed after commit by voice_call_start
        task.status = TaskStatus.PENDING
        task.save()
    else:
        _enter(locked_case, task, tier, now=now, note=note)


def task_start(*, task_uuid) -> str:
    """Run the first step of a new task (the outbox handler of followup.task.created)."""
    task = FollowupTask.objects.filter(uuid=task_uuid).first()
    if task is None or task.status != TaskStatus.PENDING:
        return "skipped"
    first = Tier(task.tiers[0])
    if first == Tier.VOICE:
        return voice_call_start(task=task)
    with transaction.atomic():
        locked_case, locked = _lock(task)
        if locked.status != TaskStatus.PENDING:
            return "skipped"
        now = timezone.now()
        if first == Tier.SELFREPORT and not _assignment_open(locked):
            _advance(locked_case, locked, after=Tier.SELFREPORT, now=now, note="no form")
        else:
            _enter(locked_case, locked, first, now=now)
    return first


def voice_call_start(*, task) -> str:
    """Place the voice call of a pending task (idempotency key per task and attempt: a retried handler places one
    call). A refused call (bad number) moves on to the next step at once; a voice platform that is down raises so
    the outbox retries, and the advance job moves on when the step's window has passed."""
    from integrations.registry import get_port

    with transaction.atomic():
        locked_case, locked = _lock(task)
        if locked.status != TaskStatus.PENDING:
            return "skipped"
        now = timezone.now()
        phone = locked_case.patient.phone
        if not phone:
            _advance(locked_case, locked, after=Tier.VOICE, now=now, note="no phone number")
            return "no_phone"
        questions = [q["key"] for q in locked.assignment.version.questions] if locked.assignment_id else []
        attempt = locked.voice_calls.count() + 1
        try:
            call = get_port("voice").start_call(
                phone=phone, scenario=conf("FOLLOWUP_VOICE_SCENARIO"),
                params={"reference": str(locked.uuid), "name": locked_case.patient.name,
                        "time_point": locked.point_label, "procedure": locked_case.procedure_name},
                questions=questions, idempotency_key=f"followup-voice:{locked.uuid}:{attempt}",
            )
        except ExternalServiceError as exc:
            if exc.code != "external_rejected":
                raise
            _advance(locked_case, locked, after=Tier.VOICE, now=now, note=f"voice platform refused: {exc.message}")
            return "rejected"
        record = VoiceCall.objects.create(task=locked, case=locked_case, ward_id=locked_case.ward_id,
                                          patient_id=locked_case.patient_id, call_id=call.call_id, started_at=now)
        locked.status = TaskStatus.VOICE
        locked.step_started_at = now
        locked.step_deadline_at = now + timedelta(hours=locked.windows.get("voice_hours", 4))
        _history(locked, Tier.VOICE, "started", now=now)
        locked.save()
        case_append_event(locked_case, type="followup.voice.started", actor=None,
                          payload={"task": str(locked.uuid), "call": str(record.uuid), "outcome": "queued",
                                   "call_id": call.call_id})
    return "started"


CALL_STATUS = {"completed": CallStatus.COMPLETED, "no_answer": CallStatus.NO_ANSWER, "busy": CallStatus.BUSY,
               "failed": CallStatus.FAILED}


def voice_result_apply(*, result, source="callback") -> str:
    """A voice call's result (signed callback, or polled): answers parsed into the form through the forms services
    (partial answers allowed), the call and the task updated. A second result of a finished call is ignored
    ("duplicate"). Returns the call's outcome."""
    from forms.services import answers_parse, response_submit

    call = VoiceCall.objects.filter(call_id=result.call_id).select_related("task").first()
    if call is None:
        raise errors.UnknownCall()
    with transaction.atomic():
        locked_case, task = _lock(call.task)
        call = VoiceCall.objects.select_for_update().get(pk=call.pk)
        late = call.status == CallStatus.NO_RESULT  # given up waiting; the result still counts
        if call.status in FINISHED_CALL_STATUSES and not late:
            call.duplicate_callbacks += 1
            call.save(update_fields=["duplicate_callbacks", "updated_at"])
            return "duplicate"
        if result.status not in CALL_STATUS:
            return "in_progress"
        now = timezone.now()
        response = None
        if result.answered and (_assignment_open(task) or _assignment_completed(task)):
            clean, _missing = answers_parse(task.assignment.version, result.answers or {})
            if clean:
                try:
                    # Answered on the app meanwhile: the call's answers are kept too, so what the patient told
                    # the call (fever, bleeding) still raises its tags and to-dos.
                    response = response_submit(assignment=task.assignment, answers=clean, channel="voice",
                                               actor=None, allow_partial=True,
                                               after_completion=_assignment_completed(task))
                except DomainError as exc:  # the form changed state meanwhile (answered on the app, withdrawn)
                    logger.info("voice answers of %s not recorded: %s", call.call_id, exc)
                task.assignment.refresh_from_db()
        if not result.answered:
            outcome = result.status
        elif task.assignment_id is None:
            outcome = "completed"  # no form to fill: reaching the patient is the follow-up
        else:
            outcome = "completed" if response is not None and response.complete else "incomplete"
        call.status = CALL_STATUS[result.status]
        call.answered = bool(result.answered)
        call.duration_seconds = max(0, int(result.duration_seconds or 0))
        call.answers = dict(result.answers or {})
        call.transcript = (result.transcript or "")[:10000]
        call.outcome = outcome
        call.result_source = f"{source}_late" if late else source
        call.finished_at = now
        call.save()
        case_append_event(locked_case, type="followup.voice.finished", actor=None,
                          payload={"task": str(task.uuid), "call": str(call.uuid), "outcome": outcome,
                                   "call_id": call.call_id, "response": str(response.uuid) if response else None})
        if task.status == TaskStatus.VOICE:
            if outcome == "completed":
                _finish(locked_case, task, status=TaskStatus.COMPLETED, tier=Tier.VOICE, outcome="completed",
                        response=response, now=now)
            else:
                _advance(locked_case, task, after=Tier.VOICE, now=now, note=outcome)
        elif outcome == "completed" and task.status in (*OPEN_TASK_STATUSES, TaskStatus.UNREACHED):
            # A late result after the task had moved on (self-report link, manual call): the answers complete it.
            _finish(locked_case, task, status=TaskStatus.COMPLETED, tier=Tier.VOICE, outcome="completed",
                    response=response, now=now)
    return outcome


def response_received(*, assignment_uuid, complete) -> str:
    """A form response was submitted (outbox handler of forms.response.submitted): a complete one completes the
    follow-up task of that form, whatever step it is at (also a late answer after 'not reached')."""
    if not complete:
        return "partial"
    task = FollowupTask.objects.filter(assignment__uuid=assignment_uuid).first()
    if task is None:
        return "not_followup"
    with transaction.atomic():
        locked_case, locked = _lock(task)
        if locked.status not in (*OPEN_TASK_STATUSES, TaskStatus.UNREACHED):
            return "closed"
        response = _complete_response(locked)
        if response is None:
            return "open"
        _finish(locked_case, locked, status=TaskStatus.COMPLETED, tier=CHANNEL_TIER.get(response.channel),
                outcome="completed", response=response, actor=response.submitted_by)
    return "completed"


@transaction.atomic
def manual_call_record(*, task, actor, reached: bool, answers=None, note="", close_unreached=False) -> FollowupTask:
    """A follow-up nurse's call: reached with answers → recorded in the form (channel staff) and the task completed;
    not reached → logged (and, when the nurse gives up, the task ends as not reached)."""
    from forms.services import response_submit

    locked_case, locked = _lock(task)
    _authorise(actor, locked_case, perms.RECORD_CALL)
    if locked.status not in OPEN_TASK_STATUSES:
        raise errors.TaskClosed()
    now = timezone.now()
    response = None
    if reached and locked.assignment_id is not None:
        if not answers:
            raise InvalidInput(fields={"answers": [_("Record the patient's answers.")]})
        if _assignment_open(locked):
            response = response_submit(assignment=locked.assignment, answers=answers, channel="staff", actor=actor)
        else:
            response = _complete_response(locked)
    ManualCall.objects.create(task=locked, case=locked_case, ward_id=locked_case.ward_id,
                              patient_id=locked_case.patient_id, called_by=actor, called_at=now, reached=reached,
                              note=note, response=response)
    if reached:
        _finish(locked_case, locked, status=TaskStatus.COMPLETED, tier=Tier.MANUAL, outcome="completed",
                response=response, actor=actor, now=now)
    elif close_unreached:
        _finish(locked_case, locked, status=TaskStatus.UNREACHED, tier=Tier.MANUAL, outcome="unreached",
                actor=actor, now=now)
    else:
        _history(locked, Tier.MANUAL, "not_reached", note, now=now)
        locked.save(update_fields=["history", "updated_at"])
    audit_record(actor=actor, action="update", target=locked,
                 after={"manual_call": {"reached": reached, "closed_unreached": close_unreached},
                        "status": locked.status})
    return locked


def advance_overdue(*, now=None, limit=500, task_ids=None, contact_hours=False) -> dict:
    """Steps past their deadline move on (F1): a pending first step that never started, a voice call without result
    (polled first: a lost callback), a self-report not filled in. Manual calls stay with the nurse (overdue).
    With `contact_hours` (the beat job), outside FOLLOWUP_CONTACT_HOURS only the self-report → manual-call step
    moves on (a to-do for the nurses); steps whose next one would call or text the patient wait for the morning."""
    from integrations.registry import get_port

    now = now or timezone.now()
    movable = (TaskStatus.PENDING, TaskStatus.VOICE, TaskStatus.SELFREPORT)
    if contact_hours and not contact_hours_open(now):
        movable = (TaskStatus.SELFREPORT,)
    due = FollowupTask.objects.filter(status__in=movable, step_deadline_at__lte=now)
    if task_ids is not None:
        due = due.filter(pk__in=task_ids)
    due = list(due.order_by("step_deadline_at").values_list("pk", flat=True)[:limit])
    stats = {"advanced": 0, "polled": 0, "errors": 0}
    for pk in due:
        try:
            task = FollowupTask.objects.get(pk=pk)
            if task.status == TaskStatus.VOICE:
                call = task.voice_calls.filter(status=CallStatus.QUEUED).order_by("-started_at").first()
                if call is not None:
                    result = get_port("voice").fetch_result(call.call_id)
                    if result is not None and result.status in CALL_STATUS:
                        voice_result_apply(result=result, source="poll")
                        stats["polled"] += 1
                        continue
            with transaction.atomic():
                locked_case, locked = _lock(task)
                if locked.step_deadline_at is None or locked.step_deadline_at > now or locked.status not in movable:
                    continue
                if locked.status == TaskStatus.VOICE:
                    VoiceCall.objects.filter(task=locked, status=CallStatus.QUEUED).update(
                        status=CallStatus.NO_RESULT, outcome="no_result", result_source="timeout", finished_at=now)
                    case_append_event(locked_case, type="followup.voice.finished", actor=None,
                                      payload={"task": str(locked.uuid), "call": None, "outcome": "no_result"})
                    _advance(locked_case, locked, after=Tier.VOICE, now=now, note="no result in time")
                elif locked.status == TaskStatus.PENDING:
                    _advance(locked_case, locked, after=Tier(locked.tiers[0]), now=now, note="first step not started")
                    if locked.status == TaskStatus.PENDING:  # cannot go back to voice: skip it
                        _advance(locked_case, locked, after=Tier.VOICE, now=now, note="voice platform unavailable")
                elif locked.status == TaskStatus.SELFREPORT:
                    _advance(locked_case, locked, after=Tier.SELFREPORT, now=now, note="not filled in")
                stats["advanced"] += 1
        except Exception:  # noqa: BLE001 - one task's problem must not stop the others
            logger.exception("follow-up task %s could not be advanced", pk)
            stats["errors"] += 1
    return stats


@transaction.atomic
def tasks_cancel_for_case(*, case, reason="") -> int:
    """The case was closed: its open follow-ups end."""
    locked_case = case_lock(case)
    count = 0
    for task in FollowupTask.objects.select_for_update().filter(case=locked_case, status__in=OPEN_TASK_STATUSES):
        task.status = TaskStatus.CANCELLED
        task.outcome = "cancelled"
        task.step_deadline_at = None
        _history(task, "", "cancelled", reason)
        task.save()
        # Consumers that opened something for the task (the manual-call to-do) close it on this event.
        case_append_event(locked_case, type="followup.task.completed", actor=None,
                          payload={"task": str(task.uuid), "tier": "", "outcome": "cancelled",
                                   "time_point": task.point_key, "status": TaskStatus.CANCELLED, "response": None})
        if _assignment_open(task):  # the patient no longer sees a form nobody will read
            from forms.services import assignment_cancel

            assignment_cancel(assignment=task.assignment, actor=None, reason=reason or "follow-up closed")
        count += 1
    return count
