"""Post-operative follow-up (F1–F7, Y8, Y13): plans, tasks with their three tiers, voice calls, tags.

- `FollowupPlan`: per hospital (null = a platform default) and procedure (null = every procedure), the time points
  of follow-up (anchor: the operation or the actual discharge, an offset, the form, which tiers and how long each
  may take). One active plan per (hospital, procedure); the most specific one applies to a case. Every change bumps
  `version` and stores a `FollowupPlanVersion` snapshot; tasks keep the plan version and point they came from.
- `FollowupTask`: one time point of one case, created by the beat job once due (idempotent: one per case and
  point). It runs through the tiers of its point — voice call → self-report link → manual call by a follow-up
  nurse — and the system decides at each step whether the next one is still needed (F1).
- `VoiceCall`: a call placed on the voice platform and its result (signed callback, or polled when the callback
  never came). `ManualCall`: a follow-up nurse's call attempt.
- `TagDefinition` (per hospital, null = platform default, overridden by code) and `CaseTag`: tags on a patient's
  case, automatic (from answers, or "followed up") and manual (revisit, readmission...), F6/Y13.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel, SignedRequestNonce


class Anchor(models.TextChoices):
    SURGERY = "surgery", _("the operation")
    DISCHARGE = "discharge", _("the actual discharge")


class Tier(models.TextChoices):
    VOICE = "voice", _("AI voice call")
    SELFREPORT = "selfreport", _("patient self-report link")
    MANUAL = "manual", _("manual call by a follow-up nurse")


TIER_ORDER = [Tier.VOICE, Tier.SELFREPORT, Tier.MANUAL]


class FollowupPlan(BaseModel):
    hospital = models.ForeignKey(
        "org.Hospital", on_delete=models.PROTECT, null=True, blank=True, related_name="followup_plans",
        verbose_name=_("hospital"),
    )  # None: a platform default
    procedure = models.ForeignKey(
        "catalog.Procedure", on_delete=models.PROTECT, null=True, blank=True, related_name="followup_plans",
        verbose_name=_("procedure"),
    )  # None: every procedure
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=500, blank=True)
    # Normalised by followup.plans.points_clean: [{"key", "label", "anchor", "offset_hours", "form", "tiers",
    # "voice_hours", "selfreport_hours", "manual_hours"}], ordered by offset.
    points = models.JSONField(_("time points"), default=list)
    is_active = models.BooleanField(_("enabled"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["hospital_id", "procedure_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "procedure"], condition=Q(retired_at__isnull=True),
                                    nulls_distinct=False, name="followup_uniq_plan_scope"),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class FollowupPlanVersion(models.Model):
    """What a plan looked like at each version, who changed it and when (append-only)."""

    plan = models.ForeignKey(FollowupPlan, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    change = models.CharField(max_length=12)  # created / updated / retired
    snapshot = models.JSONField(default=dict)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    changed_by_name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["plan_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["plan", "version"], name="followup_uniq_plan_version")]

    def __str__(self):
        return f"{self.plan_id} v{self.version} {self.change}"


class TaskStatus(models.TextChoices):
    PENDING = "pending", _("due, first step not started")
    VOICE = "voice", _("voice call in progress")
    SELFREPORT = "selfreport", _("waiting for the patient's self-report")
    MANUAL = "manual", _("manual call to make")
    COMPLETED = "completed", _("followed up")
    UNREACHED = "unreached", _("patient not reached")
    CANCELLED = "cancelled", _("cancelled")


OPEN_TASK_STATUSES = (TaskStatus.PENDING, TaskStatus.VOICE, TaskStatus.SELFREPORT, TaskStatus.MANUAL)


class FollowupTask(BaseModel):
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="followup_tasks",
                             verbose_name=_("case"))
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="+", verbose_name=_("ward"))
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="followup_tasks",
                                verbose_name=_("patient"))
    plan = models.ForeignKey(FollowupPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks")
    plan_version = models.PositiveIntegerField(default=0)
    point_key = models.CharField(_("time point"), max_length=40)
    point_label = models.CharField(_("time point label"), max_length=60)
    anchor = models.CharField(_("anchor"), max_length=12, choices=Anchor.choices)
    anchor_at = models.DateTimeField(_("anchor time"))
    offset_hours = models.IntegerField(_("offset (hours)"))
    due_at = models.DateTimeField(_("follow-up date"), db_index=True)
    tiers = models.JSONField(default=list)  # the point's tiers, in order
    windows = models.JSONField(default=dict)  # {"voice_hours", "selfreport_hours", "manual_hours"} as planned
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    step_started_at = models.DateTimeField(null=True, blank=True)
    step_deadline_at = models.DateTimeField(_("current step due by"), null=True, blank=True)
    assignment = models.ForeignKey("forms.FormAssignment", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="followup_tasks")
    response = models.ForeignKey("forms.FormResponse", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")  # the complete response that closed the task
    outcome = models.CharField(_("outcome"), max_length=20, blank=True)
    completed_tier = models.CharField(max_length=12, choices=Tier.choices, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    history = models.JSONField(default=list)  # [{"at", "step", "outcome", "note"}]: each automatic decision

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "point_key"], name="followup_uniq_task_point")]
        indexes = [
            models.Index(fields=["status", "step_deadline_at"], name="followup_task_step_idx"),
            models.Index(fields=["ward", "due_at"], name="followup_task_ward_due_idx"),
        ]

    def __str__(self):
        return f"{self.case_id}:{self.point_key}={self.status}"

    @property
    def is_open(self):
        return self.status in OPEN_TASK_STATUSES


class CallStatus(models.TextChoices):
    QUEUED = "queued", _("placed")
    COMPLETED = "completed", _("answered")
    NO_ANSWER = "no_answer", _("not answered")
    BUSY = "busy", _("busy")
    FAILED = "failed", _("failed")
    NO_RESULT = "no_result", _("no result in time")


FINISHED_CALL_STATUSES = (CallStatus.COMPLETED, CallStatus.NO_ANSWER, CallStatus.BUSY, CallStatus.FAILED,
                          CallStatus.NO_RESULT)


class VoiceCall(BaseModel):
    task = models.ForeignKey(FollowupTask, on_delete=models.CASCADE, related_name="voice_calls")
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="+")
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="+")
    call_id = models.CharField(_("voice platform call id"), max_length=64, unique=True)
    status = models.CharField(max_length=12, choices=CallStatus.choices, default=CallStatus.QUEUED)
    answered = models.BooleanField(default=False)
    duration_seconds = models.PositiveIntegerField(default=0)
    answers = models.JSONField(default=dict)  # as the platform reported them (question key → keypress/text)
    transcript = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, blank=True)  # completed / incomplete / no_answer / failed
    result_source = models.CharField(max_length=16, blank=True)  # callback / poll / timeout (+ _late)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    duplicate_callbacks = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self):
        return f"{self.call_id} {self.status}"


class VoiceCallbackNonce(SignedRequestNonce):
    """Replay protection of the voice platform's signed callbacks."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client_id", "nonce"], name="followup_uniq_voice_nonce")]


class ManualCall(BaseModel):
    task = models.ForeignKey(FollowupTask, on_delete=models.CASCADE, related_name="manual_calls")
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="+")
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="+")
    called_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    called_at = models.DateTimeField()
    reached = models.BooleanField()
    note = models.CharField(max_length=500, blank=True)
    response = models.ForeignKey("forms.FormResponse", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")

    class Meta:
        ordering = ["-called_at", "-id"]

    def __str__(self):
        return f"{self.task_id} {'reached' if self.reached else 'not reached'}"


class TagDefinition(BaseModel):
    hospital = models.ForeignKey(
        "org.Hospital", on_delete=models.PROTECT, null=True, blank=True, related_name="followup_tags",
        verbose_name=_("hospital"),
    )  # None: a platform default, overridden by a hospital's tag with the same code
    code = models.SlugField(_("code"), max_length=40)
    label = models.CharField(_("label"), max_length=30)
    description = models.CharField(_("description"), max_length=300, blank=True)
    colour = models.CharField(_("colour"), max_length=20, blank=True)
    automatic = models.BooleanField(_("set automatically"), default=False)
    # Automatic rules: set when a follow-up task is completed or ends unreached, and/or when a response matches one of these abnormal
    # rule codes (a form rule may also name this tag's code directly).
    on_followup_completed = models.BooleanField(_("set when followed up"), default=False)
    on_unreached = models.BooleanField(_("set when the patient could not be reached"), default=False)
    abnormal_codes = models.JSONField(_("abnormal answer rules"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("enabled"), default=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["position", "code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "code"], nulls_distinct=False, name="followup_uniq_tag_code"),
        ]

    def __str__(self):
        return f"{self.code} ({self.hospital_id or 'default'})"


class CaseTag(BaseModel):
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="followup_tags")
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="followup_tags")
    definition = models.ForeignKey(TagDefinition, on_delete=models.PROTECT, related_name="case_tags")
    code = models.SlugField(max_length=40)
    label = models.CharField(max_length=30)
    automatic = models.BooleanField(default=False)
    source_task = models.ForeignKey(FollowupTask, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    added_at = models.DateTimeField(db_index=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")  # None: set automatically
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-added_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "code"], condition=Q(removed_at__isnull=True),
                                    name="followup_uniq_active_case_tag"),
        ]
        indexes = [models.Index(fields=["code", "added_at"], name="followup_tag_code_day_idx")]

    def __str__(self):
        return f"{self.case_id}:{self.code}"
