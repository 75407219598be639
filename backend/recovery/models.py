"""Recovery after discharge (SA8, PA9): the first-week treatment plan of a case.

- `TreatmentPlan`: one per case (ward = scoping key, patient), pointing at the version the patient sees.
- `TreatmentPlanVersion`: every save is a version; staff edit a draft, publish it (the patient then sees it and
  `recovery.treatment_plan.published` is appended to the case); the previous published version is superseded and
  kept, so what the patient was told on which day is never lost.
- `TreatmentPlanItem`: day-by-day items of a version — drugs (name, dose, route, frequency), dressing, activity,
  diet, warning signs, review — each for days `day_from`..`day_to` after discharge (1 = the day after discharge).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel

PLAN_DAYS = 7


class TreatmentPlan(BaseModel):
    case = models.OneToOneField("cases.SurgicalCase", on_delete=models.CASCADE, related_name="treatment_plan",
                                verbose_name=_("case"))
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="+", verbose_name=_("ward"))
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="+", verbose_name=_("patient"))
    published = models.ForeignKey(
        "recovery.TreatmentPlanVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("published version"),
    )

    def __str__(self):
        return f"treatment plan of case {self.case_id}"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    SUPERSEDED = "superseded", _("superseded")


class TreatmentPlanVersion(BaseModel):
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="versions", verbose_name=_("plan"))
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT)
    note = models.TextField(_("note to the patient"), max_length=1000, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   null=True, blank=True, verbose_name=_("written by"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     null=True, blank=True, verbose_name=_("published by"))

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="recovery_uniq_plan_version"),
            models.UniqueConstraint(fields=["plan"], condition=Q(status="draft"), name="recovery_one_draft"),
        ]

    def __str__(self):
        return f"v{self.number} ({self.status})"


class ItemCategory(models.TextChoices):
    DRUG = "drug", _("medication")
    DRESSING = "dressing", _("wound dressing")
    ACTIVITY = "activity", _("activity")
    DIET = "diet", _("diet")
    WARNING_SIGN = "warning_sign", _("warning sign: call or come back")
    REVIEW = "review", _("review visit")
    OTHER = "other", _("other")


class TreatmentPlanItem(models.Model):
    version = models.ForeignKey(TreatmentPlanVersion, on_delete=models.CASCADE, related_name="items",
                                verbose_name=_("version"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    category = models.CharField(_("category"), max_length=20, choices=ItemCategory.choices)
    day_from = models.PositiveSmallIntegerField(
        _("from day"), validators=[MinValueValidator(1), MaxValueValidator(PLAN_DAYS)])
    day_to = models.PositiveSmallIntegerField(
        _("to day"), validators=[MinValueValidator(1), MaxValueValidator(PLAN_DAYS)])
    title = models.CharField(_("title"), max_length=100)
    instructions = models.CharField(_("instructions"), max_length=1000, blank=True)
    drug_name = models.CharField(_("drug"), max_length=100, blank=True)
    dose = models.CharField(_("dose"), max_length=50, blank=True)
    route = models.CharField(_("route"), max_length=30, blank=True)
    frequency = models.CharField(_("frequency"), max_length=50, blank=True)

    class Meta:
        ordering = ["version", "position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(day_from__gte=1, day_to__lte=PLAN_DAYS, day_from__lte=models.F("day_to")),
                                   name="recovery_item_days"),
        ]

    def __str__(self):
        return f"{self.category} d{self.day_from}-{self.day_to}: {self.title}"
