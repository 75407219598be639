"""Booking policy (B3, B5, Y12, U4): admission rules, booking-mode grants and the virtual-surgeon to-dos.

- `AdmissionRule`: a configurable rule evaluated at booking after the built-in procedure → department → surgeon
  checks (see booking_policy.services.admission_check). Administrators edit rules through the API; every change
  is audited. A rule applies to the whole hospital, one management mode (outpatient-surgery wards keep their own
  rules, U4), one department or one ward.
- `BookingModeGrant`: an administrator's authorisation of a booking mode that books for someone else (group,
  cross-department, virtual) given to a department, a medical group or one doctor. Revoked, never deleted.
- `SurgeonAssignmentTask`: the ward's to-do for a booking still under a virtual surgeon the day before surgery.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel
from org.models import ManagementMode


class RuleKind(models.TextChoices):
    AGE = "age", _("patient age")
    GRADE = "grade", _("surgical grade")
    BODY_SITE = "body_site", _("body site")
    TRIAGE = "triage", _("triage level")
    ACTIVE_BOOKINGS = "active_bookings", _("active bookings per patient")


class RuleScope(models.TextChoices):
    HOSPITAL = "hospital", _("whole hospital")
    MANAGEMENT_MODE = "management_mode", _("management mode")
    DEPARTMENT = "department", _("department")
    WARD = "ward", _("ward")


class BodySitePolicy(models.TextChoices):
    ALLOW = "allow", _("only the listed sites")
    BLOCK = "block", _("every site except the listed ones")


class AdmissionRule(BaseModel):
    """One configurable admission rule; the fields used depend on `kind` (validated by the services)."""

    hospital = models.ForeignKey("org.Hospital", on_delete=models.PROTECT, related_name="admission_rules")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices)
    scope = models.CharField(_("scope"), max_length=20, choices=RuleScope.choices, default=RuleScope.HOSPITAL)
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="admission_rules",
        verbose_name=_("department"),
    )
    ward = models.ForeignKey(
        "org.Ward", on_delete=models.PROTECT, null=True, blank=True, related_name="admission_rules",
        verbose_name=_("ward"),
    )
    management_mode = models.CharField(_("management mode"), max_length=20, choices=ManagementMode.choices, blank=True)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    message = models.CharField(
        _("message"), max_length=300, blank=True, help_text=_("Shown to the booking doctor when the rule refuses.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Parameters, by kind.
    min_age = models.PositiveSmallIntegerField(_("minimum age (years)"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age (years)"), null=True, blank=True)
    grades = models.JSONField(_("allowed surgical grades"), default=list, blank=True)
    body_sites = models.JSONField(_("body sites"), default=list, blank=True)
    body_site_policy = models.CharField(
        _("body site policy"), max_length=10, choices=BodySitePolicy.choices, default=BodySitePolicy.ALLOW
    )
    triage_levels = models.JSONField(_("allowed triage levels"), default=list, blank=True)
    max_active_bookings = models.PositiveSmallIntegerField(_("maximum active bookings"), null=True, blank=True)

    class Meta:
        ordering = ["hospital", "position", "id"]
        indexes = [models.Index(fields=["hospital", "is_enabled"], name="admission_rule_enabled_idx")]

    def __str__(self):
        return self.name


class GrantableMode(models.TextChoices):
    """The booking modes that need an administrator's grant (cases.BookingMode values)."""

    GROUP = "group", _("for the medical group")
    CROSS_DEPARTMENT = "cross_department", _("cross-department")
    VIRTUAL = "virtual", _("under a virtual surgeon")


class GranteeKind(models.TextChoices):
    DEPARTMENT = "department", _("department")
    GROUP = "group", _("medical group")
    DOCTOR = "doctor", _("doctor")


class BookingModeGrant(BaseModel):
    """Who may book in a mode: every doctor of a department, every member of a medical group, or one doctor."""

    mode = models.CharField(_("booking mode"), max_length=20, choices=GrantableMode.choices)
    grantee_kind = models.CharField(_("granted to"), max_length=20, choices=GranteeKind.choices)
    grantee_department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="booking_mode_grants",
        verbose_name=_("department"),
    )
    grantee_group = models.ForeignKey(
        "org.MedicalGroup", on_delete=models.PROTECT, null=True, blank=True, related_name="booking_mode_grants",
        verbose_name=_("medical group"),
    )
    grantee_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="booking_mode_grants",
        verbose_name=_("doctor"),
    )
    target_department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("surgeons' department"),
        help_text=_("Cross-department and virtual bookings: only for surgeons of this department (empty: any)."),
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("granted by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("revoked by"),
    )
    revoke_reason = models.CharField(_("revocation reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["mode", "revoked_at"], name="grant_mode_revoked_idx")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(grantee_kind="department", grantee_department__isnull=False, grantee_group__isnull=True,
                             grantee_user__isnull=True)
                    | models.Q(grantee_kind="group", grantee_group__isnull=False, grantee_department__isnull=True,
                               grantee_user__isnull=True)
                    | models.Q(grantee_kind="doctor", grantee_user__isnull=False, grantee_department__isnull=True,
                               grantee_group__isnull=True)
                ),
                name="grant_one_grantee",
            ),
        ]

    def __str__(self):
        return f"{self.get_mode_display()} → {self.grantee}"

    @property
    def grantee(self):
        return self.grantee_department or self.grantee_group or self.grantee_user


class AssignmentStatus(models.TextChoices):
    OPEN = "open", _("open")
    DONE = "done", _("surgeon assigned")
    CANCELLED = "cancelled", _("no longer needed")


class SurgeonAssignmentTask(BaseModel):
    """The ward names the real surgeon of a booking made under a virtual surgeon, the day before (B5).

    One row per case (the daily job is idempotent); it records who assigned whom when it is closed.
    """

    case = models.OneToOneField(
        "cases.SurgicalCase", on_delete=models.CASCADE, related_name="surgeon_assignment_task"
    )
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="surgeon_assignment_tasks")
    planned_date = models.DateField(_("planned date"), db_index=True)
    virtual_surgeon = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("virtual surgeon")
    )
    status = models.CharField(_("status"), max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.OPEN)
    assigned_surgeon = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("assigned surgeon"),
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("assigned by"),
    )
    closed_at = models.DateTimeField(_("to-do closed at"), null=True, blank=True)

    class Meta:
        ordering = ["planned_date", "id"]
        indexes = [models.Index(fields=["ward", "status", "planned_date"], name="assign_task_ward_status_idx")]

    def __str__(self):
        return f"{self.case_id} {self.get_status_display()}"
