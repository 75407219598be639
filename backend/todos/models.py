"""Staff to-dos (SA7): pending work derived from case events by configurable rules.

- `TodoRule`: hospital configuration (hospital null = a platform default, overridden per hospital by a row with the
  same key; an inactive override switches a default off). A rule OPENS a to-do on a case event matching any matcher
  of `open_on` and CLOSES it on one matching any of `close_on` (lists of core.event_rules matchers). `subject_path` (a dotted path into the event
  payload, e.g. "data.task") separates several to-dos of one rule on one case (one per follow-up task, per
  consultation); empty = one per case. Audience: staff holding `audience_permission` in the case's ward and/or the
  case's surgeon. `title_template` is rendered with the case's facts when the to-do opens. Every change bumps
  `version`; a to-do records the version that opened it.
- `Todo`: one piece of work on one case. Idempotent per (rule, case, opening event); at most one open per
  (rule, case, subject). Staff of the audience complete or dismiss it; a matching event closes it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class Priority(models.TextChoices):
    NORMAL = "normal", _("normal")
    HIGH = "high", _("high")


class TodoRule(BaseModel):
    hospital = models.ForeignKey(
        "org.Hospital", on_delete=models.PROTECT, null=True, blank=True, related_name="todo_rules",
        verbose_name=_("hospital"),
    )  # None: the platform default
    key = models.SlugField(_("key"), max_length=40)
    label = models.CharField(_("label"), max_length=40)  # the kind of work, e.g. 指定手术医生
    title_template = models.CharField(_("title template"), max_length=200)
    open_on = models.JSONField(_("opened by"))  # [core.event_rules matcher, ...]: any opens
    close_on = models.JSONField(_("closed by"), default=list, blank=True)  # [] = only staff close it
    subject_path = models.CharField(_("subject path"), max_length=100, blank=True)
    audience_permission = models.CharField(_("audience permission"), max_length=80, blank=True)
    audience_surgeon = models.BooleanField(_("the case's surgeon"), default=False)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    due = models.JSONField(_("due"), default=dict, blank=True)  # {} | {"after_hours": n} | {"path": p} | {"before_surgery_hours": n}
    notify = models.BooleanField(_("push to the staff app"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("enabled"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "key"], name="todos_uniq_rule_hospital_key"),
            models.UniqueConstraint(fields=["key"], condition=Q(hospital__isnull=True), name="todos_uniq_rule_default"),
        ]

    def __str__(self):
        return f"{self.key} ({self.hospital or 'default'})"

    @property
    def is_default(self):
        return self.hospital_id is None


class TodoStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("done")
    DISMISSED = "dismissed", _("dismissed")
    CLOSED = "closed", _("closed by the pathway")


class Todo(BaseModel):
    rule = models.ForeignKey(TodoRule, on_delete=models.PROTECT, related_name="todos", verbose_name=_("rule"))
    rule_version = models.PositiveIntegerField(_("rule version"))
    kind = models.SlugField(_("kind"), max_length=40, db_index=True)  # the rule's key
    label = models.CharField(_("label"), max_length=40)
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="todos",
                             verbose_name=_("case"))
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="+", verbose_name=_("ward"))
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="+", verbose_name=_("patient"))
    subject = models.CharField(_("subject"), max_length=64, blank=True)
    title = models.CharField(_("title"), max_length=300)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    audience_permission = models.CharField(_("audience permission"), max_length=80, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_todos",
        verbose_name=_("assignee"),
    )  # the case's surgeon when the rule addresses them
    status = models.CharField(_("status"), max_length=10, choices=TodoStatus.choices, default=TodoStatus.OPEN)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)  # the opening event's data (bounded)
    opened_event = models.UUIDField(_("opening event"))
    opened_event_type = models.CharField(_("opening event type"), max_length=80)
    opened_sequence = models.PositiveIntegerField(_("opening event sequence"))
    opened_at = models.DateTimeField(_("opened at"))
    reminded_at = models.DateTimeField(_("overdue reminder sent at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("closed by"),
    )
    closed_event = models.UUIDField(_("closing event"), null=True, blank=True)
    closed_event_type = models.CharField(_("closing event type"), max_length=80, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "case", "opened_event"], name="todos_uniq_rule_case_event"),
            models.UniqueConstraint(fields=["rule", "case", "subject"], condition=Q(status="open"),
                                    name="todos_uniq_open_subject"),
        ]
        indexes = [
            models.Index(fields=["status", "ward"], name="todos_status_ward_idx"),
            models.Index(fields=["assignee", "status"], name="todos_assignee_status_idx"),
        ]

    def __str__(self):
        return f"{self.kind}:{self.case_id}:{self.status}"
