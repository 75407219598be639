"""Questionnaires (Y7, F8, M6, PA2): versioned form schemas, assignments to a patient's case, and responses.

- `Form`: a questionnaire template of one kind (follow-up, centre registration, pre/post-operative education,
  custom) for a hospital (null = a platform default) and a procedure (null = every procedure). A hospital overrides
  a platform default by creating its own form with the same `code`. A custom form made on the spot for one patient
  (F8) carries that `case`.
- `FormVersion`: an immutable schema snapshot (questions, options with scores, abnormal-answer rules), validated on
  save (forms.schema). `Form.current_version` is the published one; every edit publishes a new version, and
  assignments and responses keep the version they were made with.
- `FormAssignment`: a form version given to a patient for one case (by the follow-up plan, by staff, at
  registration, for education), fillable from `available_from` (M6: not before), optionally due by `due_at`.
- `FormResponse`: one submission of answers (mobile, voice callback, or recorded by staff), validated against the
  assignment's version; voice answers may be partial (`complete=False`). Score, abnormal rule codes and the tag
  codes of those rules are computed on submit and kept with the response.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class FormKind(models.TextChoices):
    FOLLOWUP = "followup", _("follow-up")
    REGISTRATION = "registration", _("centre registration")
    PREOP_EDUCATION = "preop_education", _("pre-operative education")
    POSTOP_EDUCATION = "postop_education", _("post-operative education")
    CUSTOM = "custom", _("custom")


class Form(BaseModel):
    hospital = models.ForeignKey(
        "org.Hospital", on_delete=models.PROTECT, null=True, blank=True, related_name="forms",
        verbose_name=_("hospital"),
    )  # None: a platform default, overridden per hospital by a form with the same code
    procedure = models.ForeignKey(
        "catalog.Procedure", on_delete=models.PROTECT, null=True, blank=True, related_name="forms",
        verbose_name=_("procedure"),
    )  # None: every procedure
    kind = models.CharField(_("kind"), max_length=20, choices=FormKind.choices)
    code = models.SlugField(_("code"), max_length=60)
    title = models.CharField(_("title"), max_length=100)
    description = models.CharField(_("description"), max_length=500, blank=True)
    # A custom form made for one patient's case (F8); None for templates.
    case = models.ForeignKey(
        "cases.SurgicalCase", on_delete=models.CASCADE, null=True, blank=True, related_name="custom_forms",
        verbose_name=_("case"),
    )
    is_active = models.BooleanField(_("enabled"), default=True)
    current_version = models.ForeignKey(
        "FormVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("published version"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["kind", "code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "code"], nulls_distinct=False, name="forms_uniq_code"),
        ]
        indexes = [models.Index(fields=["kind", "procedure"], name="forms_kind_procedure_idx")]

    def __str__(self):
        return f"{self.code} ({self.hospital_id or 'default'})"

    @property
    def is_default(self):
        return self.hospital_id is None


class FormVersion(BaseModel):
    """One published schema of a form (append-only: never edited after creation)."""

    form = models.ForeignKey(Form, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=100)
    schema = models.JSONField()  # forms.schema: {"questions": [...], "rules": [...]} (normalised)
    max_score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)  # what changed
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["form_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["form", "version"], name="forms_uniq_version")]

    def __str__(self):
        return f"{self.form_id} v{self.version}"

    @property
    def questions(self):
        return self.schema.get("questions", [])

    @property
    def rules(self):
        return self.schema.get("rules", [])


class AssignmentSource(models.TextChoices):
    FOLLOWUP = "followup", _("follow-up plan")
    CUSTOM = "custom", _("custom form from staff")
    REGISTRATION = "registration", _("centre registration")
    EDUCATION = "education", _("education")


class AssignmentStatus(models.TextChoices):
    PENDING = "pending", _("not answered yet")
    PARTIAL = "partial", _("partly answered")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("withdrawn")


OPEN_STATUSES = (AssignmentStatus.PENDING, AssignmentStatus.PARTIAL)


class FormAssignment(BaseModel):
    form = models.ForeignKey(Form, on_delete=models.PROTECT, related_name="assignments")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="assignments")
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="form_assignments")
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="+")  # scoping key
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="form_assignments")
    source = models.CharField(max_length=20, choices=AssignmentSource.choices)
    status = models.CharField(max_length=12, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING)
    available_from = models.DateTimeField(db_index=True)
    due_at = models.DateTimeField(null=True, blank=True)
    notify = models.BooleanField(default=False)  # tell the patient once the form can be filled in
    notified_at = models.DateTimeField(null=True, blank=True)  # when the patient was told (None: not yet / never)
    note = models.CharField(max_length=300, blank=True)  # why staff pushed it (F8)
    # Idempotency for callers that may run twice (a handler, a beat job): one assignment per key.
    key = models.CharField(max_length=120, blank=True, default="")
    # The abnormal response that led staff to push this custom form (F8).
    origin_response = models.ForeignKey("FormResponse", on_delete=models.SET_NULL, null=True, blank=True,
                                        related_name="follow_up_assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-available_from", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=~Q(key=""), name="forms_uniq_assignment_key"),
        ]
        indexes = [
            models.Index(fields=["patient", "status"], name="forms_assignment_patient_idx"),
            models.Index(fields=["case", "status"], name="forms_assignment_case_idx"),
        ]

    def __str__(self):
        return f"{self.form_id} → {self.case_id} ({self.status})"


class ResponseChannel(models.TextChoices):
    MOBILE = "mobile", _("patient app")
    VOICE = "voice", _("voice call")
    STAFF = "staff", _("recorded by staff")


class FormResponse(BaseModel):
    assignment = models.ForeignKey(FormAssignment, on_delete=models.CASCADE, related_name="responses")
    version = models.ForeignKey(FormVersion, on_delete=models.PROTECT, related_name="responses")
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="form_responses")
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="form_responses")
    channel = models.CharField(max_length=10, choices=ResponseChannel.choices)
    answers = models.JSONField(default=dict)  # question key -> clean value (forms.schema)
    complete = models.BooleanField(default=True)
    missing = models.JSONField(default=list)  # required question keys left unanswered (partial answers)
    score = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    abnormal = models.JSONField(default=list)  # rule codes matched
    abnormal_details = models.JSONField(default=list)  # [{code, label, question, tags}]
    tags = models.JSONField(default=list)  # tag codes of the matched rules (follow-up tags, F6)
    has_abnormal = models.BooleanField(default=False, db_index=True)
    submitted_at = models.DateTimeField(db_index=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")  # staff; None: the patient or the system (voice)
    submitted_by_type = models.CharField(max_length=10)  # cases ActorKind: staff / patient / system
    submitted_by_name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["ward", "has_abnormal", "submitted_at"], name="forms_response_abn_idx")]

    def __str__(self):
        return f"{self.assignment_id} {self.channel} {'complete' if self.complete else 'partial'}"
