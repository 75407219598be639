"""Reads of the to-do context. A staff member's to-dos: rows of wards in their scope (org.scoping) whose audience
permission they hold, or addressed to them as the case's surgeon."""

from django.db.models import Count, F, Q
from django.utils import timezone

from accounts.permissions import permission_slugs
from core.errors import NotFound
from org.hospital_config import config_queryset
from org.scoping import scope_queryset
from todos.models import Todo, TodoRule, TodoStatus


def todo_queryset_for(user):
    qs = scope_queryset(Todo.objects.all(), user)
    if getattr(user, "is_superuser", False):
        return qs
    return qs.filter(Q(audience_permission__in=permission_slugs(user)) | Q(assignee=user))


def todo_list(user, *, status=TodoStatus.OPEN, kinds=(), case=None, ward=None, overdue=None, due_before=None,
              priority=None, assigned_to_me=False, now=None):
    """The user's to-dos, filtered; open ones by due time (none last), others newest first."""
    now = now or timezone.now()
    qs = todo_queryset_for(user).select_related("case", "ward", "patient", "assignee", "closed_by")
    if status != "all":
        qs = qs.filter(status=status)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if case is not None:
        qs = qs.filter(case=case)
    if ward is not None:
        qs = qs.filter(ward=ward)
    if priority:
        qs = qs.filter(priority=priority)
    if assigned_to_me:
        qs = qs.filter(assignee=user)
    if due_before is not None:
        qs = qs.filter(due_at__lte=due_before)
    if overdue is True:
        qs = qs.filter(status=TodoStatus.OPEN, due_at__lt=now)
    elif overdue is False:
        qs = qs.filter(Q(due_at__isnull=True) | Q(due_at__gte=now))
    if status == TodoStatus.OPEN:
        return qs.order_by(F("due_at").asc(nulls_last=True), "-opened_at", "-id")
    return qs.order_by("-opened_at", "-id")


def todo_counts(user, *, now=None) -> dict:
    """The badge: open to-dos, overdue ones, high priority ones, and open ones per kind."""
    now = now or timezone.now()
    qs = todo_queryset_for(user).filter(status=TodoStatus.OPEN)
    totals = qs.aggregate(
        open=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)),
        high=Count("id", filter=Q(priority="high")),
    )
    by_kind = {row["kind"]: row["n"] for row in qs.values("kind").annotate(n=Count("id")).order_by("kind")}
    return {**totals, "by_kind": by_kind}


def todo_get(user, uuid) -> Todo:
    todo = todo_queryset_for(user).select_related("case", "ward", "patient", "assignee", "closed_by").filter(
        uuid=uuid).first()
    if todo is None:
        raise NotFound()
    return todo


def case_todo_list(case):
    """Every to-do of one case (the caller authorised the case), newest first."""
    return Todo.objects.filter(case=case).select_related("case", "ward", "patient", "assignee", "closed_by").order_by(
        "-opened_at", "-id")


# --- rules ----------------------------------------------------------------------------------------------------------


def todo_rule_list(user):
    """Platform defaults and the user's hospital's rules (every row for superusers)."""
    return config_queryset(TodoRule.objects.select_related("hospital", "updated_by"), user).order_by(
        "position", "key", "hospital_id")


def todo_rule_get(user, uuid) -> TodoRule:
    rule = todo_rule_list(user).filter(uuid=uuid).first()
    if rule is None:
        raise NotFound()
    return rule

