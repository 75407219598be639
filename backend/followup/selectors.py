"""Reads of the follow-up context. Every patient-bearing read goes through org.scoping; configuration through
org.hospital_config."""

from datetime import datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from cases.models import Patient, SurgicalCase
from core.errors import NotFound
from followup.models import CaseTag, FollowupPlan, FollowupTask, ManualCall, TagDefinition, VoiceCall
from followup.services import anchor_time, hospital_id_of, plan_for_case
from org.hospital_config import config_queryset
from org.scoping import get_scoped_or_404, scope_queryset


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _active_tags():
    return Prefetch("case__followup_tags", queryset=CaseTag.objects.filter(removed_at__isnull=True),
                    to_attr="active_tags")


def task_list(principal, *, ward=None, date_from=None, date_to=None, status=None, tag=None, tier=None,
              overdue=None, now=None):
    """F5: the follow-up list of the principal's wards, by follow-up date (due), status, tag and step."""
    now = now or timezone.now()
    qs = scope_queryset(FollowupTask.objects.all(), principal).select_related(
        "case__patient", "ward", "case__surgeon", "assignment").prefetch_related(_active_tags())
    if ward is not None:
        qs = qs.filter(ward=ward)
    if date_from is not None:
        qs = qs.filter(due_at__gte=_day_start(date_from))
    if date_to is not None:
        qs = qs.filter(due_at__lt=_day_start(date_to + timedelta(days=1)))
    if status:
        qs = qs.filter(status__in=status)
    if tier:
        qs = qs.filter(status=tier)
    if tag:
        qs = qs.filter(Exists(CaseTag.objects.filter(case=OuterRef("case"), code__in=tag, removed_at__isnull=True)))
    if overdue is True:
        qs = qs.filter(step_deadline_at__lt=now)
    elif overdue is False:
        qs = qs.filter(Q(step_deadline_at__isnull=True) | Q(step_deadline_at__gte=now))
    return qs.order_by("due_at", "id")


def task_get(principal, uuid) -> FollowupTask:
    return get_scoped_or_404(
        FollowupTask.objects.select_related("case__patient", "ward", "case__surgeon", "assignment__version",
                                            "response", "plan")
        .prefetch_related(_active_tags(),
                          Prefetch("voice_calls", queryset=VoiceCall.objects.order_by("-started_at")),
                          Prefetch("manual_calls", queryset=ManualCall.objects.select_related("called_by"))),
        principal, uuid=uuid,
    )


def task_answers(task) -> dict | None:
    """The answers that closed the task, else the latest (partial) ones, with the questions' labels."""
    from forms.models import FormResponse

    response = task.response
    if response is None and task.assignment_id is not None:
        response = FormResponse.objects.filter(assignment_id=task.assignment_id).order_by("-submitted_at").first()
    if response is None:
        return None
    labels = {q.get("key"): q.get("label") or q.get("title") or q.get("key")
              for q in (response.version.schema or {}).get("questions", [])}
    return {
        "response": str(response.uuid), "channel": response.channel, "complete": response.complete,
        "submitted_at": response.submitted_at, "score": response.score, "abnormal": response.abnormal,
        "abnormal_details": response.abnormal_details,
        "answers": [{"key": k, "label": labels.get(k, k), "value": v} for k, v in response.answers.items()],
    }


def case_tag_list(case):
    return CaseTag.objects.filter(case=case).select_related("added_by", "removed_by").order_by("-added_at")


def case_tag_get(principal, *, case_uuid, uuid) -> CaseTag:
    tag = get_scoped_or_404(CaseTag.objects.select_related("case"), principal, uuid=uuid)
    if str(tag.case.uuid) != str(case_uuid):
        raise NotFound()
    return tag


def tag_counts(principal, *, date_from, date_to, ward=None) -> list[dict]:
    """F6: tags set per day and code (removed ones not counted), for the operations analytics."""
    qs = scope_queryset(CaseTag.objects.filter(removed_at__isnull=True), principal).filter(
        added_at__gte=_day_start(date_from), added_at__lt=_day_start(date_to + timedelta(days=1)))
    if ward is not None:
        qs = qs.filter(ward=ward)
    rows = (qs.annotate(day=TruncDate("added_at", tzinfo=timezone.get_current_timezone()))
            .values("day", "code", "label", "automatic").annotate(count=Count("id")).order_by("day", "code"))
    return list(rows)


def plan_list(actor):
    return config_queryset(FollowupPlan.objects.filter(retired_at__isnull=True), actor).select_related(
        "procedure", "hospital")


def plan_get(actor, uuid) -> FollowupPlan:
    plan = plan_list(actor).filter(uuid=uuid).first()
    if plan is None:
        raise NotFound()
    return plan


def tag_definition_list(actor):
    return config_queryset(TagDefinition.objects.all(), actor).select_related("hospital")


def plan_tree(principal, patient_uuid) -> dict:
    """F7: one patient's follow-ups, case by case — every time point of the plan, done, running or to come, with the
    answers and status. Only cases of the principal's wards; a patient without one is not found."""
    patient = Patient.objects.filter(uuid=patient_uuid).first()
    if patient is None:
        raise NotFound()
    cases = list(scope_queryset(SurgicalCase.objects.filter(patient=patient), principal)
                 .select_related("ward__department", "surgeon").order_by("-planned_date", "-id"))
    if not cases:
        raise NotFound()
    tasks = {}
    for task in (FollowupTask.objects.filter(case__in=cases)
                 .select_related("assignment__version", "response__version")
                 .prefetch_related(Prefetch("voice_calls", queryset=VoiceCall.objects.order_by("started_at")),
                                   "manual_calls")):
        tasks.setdefault(task.case_id, {})[task.point_key] = task
    tags = {}
    for tag in CaseTag.objects.filter(case__in=cases, removed_at__isnull=True):
        tags.setdefault(tag.case_id, []).append(tag)
    now = timezone.now()
    branches = []
    for case in cases:
        plan = plan_for_case(case)
        own = tasks.get(case.pk, {})
        nodes = []
        for point in (plan.points if plan else []):
            task = own.pop(point["key"], None)
            if task is not None:
                nodes.append(_task_node(task))
                continue
            anchor_at = anchor_time(case, point["anchor"])
            due = anchor_at + timedelta(hours=point["offset_hours"]) if anchor_at else None
            nodes.append({"time_point": point["key"], "label": point["label"], "anchor": point["anchor"],
                          "offset_hours": point["offset_hours"], "due_at": due, "task": None,
                          "status": "planned" if due is None or due > now else "not_generated",
                          "tiers": point["tiers"], "outcome": "", "completed_tier": "", "completed_at": None,
                          "answers": None, "calls": []})
        nodes += [_task_node(task) for task in own.values()]  # points of an earlier plan version
        nodes.sort(key=lambda n: (n["due_at"] is None, n["due_at"] or now))
        branches.append({"case": case, "plan": plan, "nodes": nodes, "tags": tags.get(case.pk, []),
                         "hospital_id": hospital_id_of(case)})
    return {"patient": patient, "cases": branches}


def _task_node(task) -> dict:
    calls = [{"kind": "voice", "at": c.started_at, "status": c.status, "outcome": c.outcome}
             for c in task.voice_calls.all()]
    calls += [{"kind": "manual", "at": c.called_at, "status": "reached" if c.reached else "not_reached",
               "outcome": c.note} for c in task.manual_calls.all()]
    return {"time_point": task.point_key, "label": task.point_label, "anchor": task.anchor,
            "offset_hours": task.offset_hours, "due_at": task.due_at, "task": task, "status": task.status,
            "tiers": task.tiers, "outcome": task.outcome, "completed_tier": task.completed_tier,
            "completed_at": task.completed_at, "answers": task_answers(task), "calls": sorted(calls,
                                                                                        key=lambda c: c["at"])}


def my_followups(principal, case_uuid) -> dict:
    """The patient's own follow-ups of one case: every time point of the plan with its date and status, and the
    form to fill when a self-report is waiting (or the form is still open). 404 for another patient's case."""
    from accounts.patient_scope import patient_queryset

    case = patient_queryset(SurgicalCase.objects.select_related("ward__department"), principal).filter(
        uuid=case_uuid).first()
    if case is None:
        raise NotFound()
    tasks = {t.point_key: t for t in FollowupTask.objects.filter(case=case).select_related("assignment")}
    plan = plan_for_case(case)
    rows = []
    for point in (plan.points if plan else []):
        task = tasks.pop(point["key"], None)
        anchor_at = anchor_time(case, point["anchor"])
        rows.append(_my_row(point["key"], point["label"], task, anchor_at + timedelta(hours=point["offset_hours"])
                            if task is None and anchor_at else None))
    rows += [_my_row(t.point_key, t.point_label, t, None) for t in tasks.values()]
    rows.sort(key=lambda r: (r["due_at"] is None, r["due_at"] or timezone.now()))
    return {"case": case, "followups": rows}


def _my_row(key, label, task, planned_due) -> dict:
    from followup.conf import conf
    from forms.models import OPEN_STATUSES

    fill = None
    if task is not None and task.is_open and task.assignment_id and task.assignment.status in OPEN_STATUSES:
        fill = conf("FOLLOWUP_FORM_LINK").format(assignment=task.assignment.uuid)
    status = task.status if task is not None else "planned"
    if status in ("pending", "voice", "selfreport", "manual"):
        status = "in_progress"
    return {"time_point": key, "label": label, "due_at": task.due_at if task else planned_due, "status": status,
            "completed_at": task.completed_at if task else None,
            "assignment": task.assignment.uuid if task is not None and task.assignment_id else None, "link": fill}
