"""Theatre scheduling (S1–S5): applications sent to the theatre system, exclusions, the export layout.

- `TheatreApplication`: one surgical application (手术申请单) as sent to the theatre scheduling system, with
  what the theatre answered (received → scheduled: room, sequence, planned start; or cancelled). A case has at
  most one *open* application; a roll back, cancellation or a new date withdraws it, and a new one is sent.
- `ScheduleExclusion`: procedures or departments that skip theatre scheduling ("not to be scheduled"), per
  hospital (S4); evaluated when the application is sent (cases.state_machine calls scheduling.exclusions).
- `ScheduleExportLayout`: the hospital's fixed Excel layout of the schedule export (S5).
- `TheatreCallbackNonce`: replay protection of the theatre system's signed callbacks.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel, SignedRequestNonce


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    FAILED = "failed", _("theatre system unreachable, retrying")
    REJECTED = "rejected", _("refused by the theatre system")
    SUBMITTED = "submitted", _("received by the theatre, not scheduled")
    SCHEDULED = "scheduled", _("scheduled by the theatre")
    CANCELLED_BY_THEATRE = "cancelled_by_theatre", _("cancelled by the theatre")
    WITHDRAWING = "withdrawing", _("being withdrawn")
    WITHDRAWN = "withdrawn", _("withdrawn")


# The case's current application is in one of these (at most one per case).
OPEN_STATUSES = (
    ApplicationStatus.PENDING,
    ApplicationStatus.FAILED,
    ApplicationStatus.REJECTED,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.SCHEDULED,
    ApplicationStatus.CANCELLED_BY_THEATRE,
)
# Statuses in which the theatre may hold the application (a withdrawal must reach it).
AT_THEATRE_STATUSES = (
    ApplicationStatus.PENDING,  # a lost answer: the theatre may have it
    ApplicationStatus.FAILED,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.SCHEDULED,
)
# Statuses staff must act on (shown on the schedule as a problem).
PROBLEM_STATUSES = (
    ApplicationStatus.FAILED,
    ApplicationStatus.REJECTED,
    ApplicationStatus.CANCELLED_BY_THEATRE,
)


class UpdateSource(models.TextChoices):
    SUBMIT = "submit", _("answer to the submission")
    CALLBACK = "callback", _("theatre callback")
    POLL = "poll", _("polling")


class TheatreApplication(BaseModel):
    case = models.ForeignKey(
        "cases.SurgicalCase", on_delete=models.CASCADE, related_name="theatre_applications", verbose_name=_("case")
    )
    application_no = models.CharField(_("application number"), max_length=40, unique=True)
    # The case event that caused it (application_sent / rescheduled): the outbox handler runs at least once.
    trigger_event = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    planned_date = models.DateField(_("planned date"))
    status = models.CharField(
        _("status"), max_length=24, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True, db_index=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    submitted_at = models.DateTimeField(_("received by the theatre at"), null=True, blank=True)
    theatre_scheduled_at = models.DateTimeField(_("scheduled by the theatre at"), null=True, blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdraw_reason = models.CharField(_("withdrawal reason"), max_length=200, blank=True)
    # What the theatre last said (its own codes, kept even when no platform room matches the code).
    theatre_status = models.CharField(_("theatre status"), max_length=20, blank=True)
    theatre_room_code = models.CharField(_("theatre room code"), max_length=40, blank=True)
    theatre_sequence = models.PositiveSmallIntegerField(_("sequence in room"), null=True, blank=True)
    scheduled_start = models.DateTimeField(_("scheduled start"), null=True, blank=True)
    revision = models.PositiveIntegerField(_("theatre revision"), null=True, blank=True)
    last_source = models.CharField(_("last update from"), max_length=10, choices=UpdateSource.choices, blank=True)
    last_synced_at = models.DateTimeField(_("last synchronised at"), null=True, blank=True)

    class Meta:
        ordering = ["case", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="uniq_open_theatre_application_per_case",
            ),
        ]
        indexes = [models.Index(fields=["status", "planned_date"], name="theatre_app_status_date_idx")]

    def __str__(self):
        return f"{self.application_no} ({self.get_status_display()})"

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES


class ExclusionKind(models.TextChoices):
    PROCEDURE = "procedure", _("procedure")
    DEPARTMENT = "department", _("department")


class ScheduleExclusion(BaseModel):
    """A procedure or department of a hospital that is not scheduled by the theatre (S4)."""

    hospital = models.ForeignKey(
        "org.Hospital", on_delete=models.CASCADE, related_name="schedule_exclusions", verbose_name=_("hospital")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ExclusionKind.choices)
    procedure = models.ForeignKey(
        "catalog.Procedure", on_delete=models.PROTECT, null=True, blank=True, related_name="schedule_exclusions",
        verbose_name=_("procedure"),
    )
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="schedule_exclusions",
        verbose_name=_("department"),
    )
    reason = models.CharField(_("reason"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["hospital", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="procedure", procedure__isnull=False, department__isnull=True)
                    | Q(kind="department", department__isnull=False, procedure__isnull=True)
                ),
                name="schedule_exclusion_target_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["hospital", "procedure"], condition=Q(procedure__isnull=False),
                name="uniq_schedule_exclusion_procedure",
            ),
            models.UniqueConstraint(
                fields=["hospital", "department"], condition=Q(department__isnull=False),
                name="uniq_schedule_exclusion_department",
            ),
        ]

    def __str__(self):
        target = self.procedure if self.kind == ExclusionKind.PROCEDURE else self.department
        return f"{self.get_kind_display()}: {target}"


class ScheduleExportLayout(BaseModel):
    """The hospital's fixed column layout of the schedule export: [{"key", "header", "width"}, ...] in order,
    keys from scheduling.export.FIELDS."""

    hospital = models.OneToOneField(
        "org.Hospital", on_delete=models.CASCADE, related_name="schedule_export_layout", verbose_name=_("hospital")
    )
    title = models.CharField(_("title"), max_length=100)
    columns = models.JSONField(_("columns"), default=list)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("updated by"),
    )

    def __str__(self):
        return f"{self.hospital}: {self.title}"


class TheatreCallbackNonce(SignedRequestNonce):
    class Meta:
        constraints = [models.UniqueConstraint(fields=["client_id", "nonce"], name="uniq_theatre_callback_nonce")]
