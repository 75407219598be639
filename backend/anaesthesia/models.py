"""The anaesthesia clinic's records (A1–A12).

An assessment belongs to exactly one of: a day-surgery case (the clinic step of the pathway), or a sedated
endoscopy appointment that came from the hospital's medical-technology appointment system (A11), which is
not a day-surgery case. Either way it sits in a ward, and the ward decides who may see it (U2).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class ProcedureKind(models.TextChoices):
    DAY_SURGERY = "day_surgery", _("day surgery")
    GASTROSCOPY = "gastroscopy", _("sedated gastroscopy")
    COLONOSCOPY = "colonoscopy", _("sedated colonoscopy")
    BRONCHOSCOPY = "bronchoscopy", _("sedated bronchoscopy")


class SedationAppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("booked")
    CANCELLED = "cancelled", _("cancelled")


class SedationAppointment(BaseModel):
    """A sedated (painless) endoscopy booked in the medical-technology appointment system (A11)."""

    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="sedation_appointments")
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="sedation_appointments")
    appointment_no = models.CharField(_("appointment number"), max_length=40, unique=True)
    visit_no = models.CharField(_("visit number"), max_length=40, blank=True)
    procedure_kind = models.CharField(_("procedure"), max_length=20, choices=ProcedureKind.choices)
    exam_code = models.CharField(_("exam code"), max_length=40)
    exam_name = models.CharField(_("exam name"), max_length=100)
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=100, blank=True)
    ordering_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ordering_doctor_name = models.CharField(_("ordering doctor"), max_length=50, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SedationAppointmentStatus.choices,
        default=SedationAppointmentStatus.BOOKED,
    )

    class Meta:
        ordering = ["scheduled_at", "id"]

    def __str__(self):
        return self.appointment_no


class AssessmentStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("in progress")
    PASSED = "passed", _("passed")
    FAILED = "failed", _("failed")


class AnaesthesiaAssessment(BaseModel):
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="anaesthesia_assessments")
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="anaesthesia_assessments")
    case = models.ForeignKey(
        "cases.SurgicalCase", on_delete=models.PROTECT, null=True, blank=True,
        related_name="anaesthesia_assessments",
    )
    sedation_appointment = models.ForeignKey(
        SedationAppointment, on_delete=models.PROTECT, null=True, blank=True, related_name="assessments"
    )
    procedure_kind = models.CharField(_("procedure"), max_length=20, choices=ProcedureKind.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.IN_PROGRESS
    )
    version = models.PositiveIntegerField(default=1)  # optimistic locking for concurrent editors

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(case__isnull=False) & Q(sedation_appointment__isnull=True))
                | (Q(case__isnull=True) & Q(sedation_appointment__isnull=False)),
                name="anaesthesia_assessment_one_subject",
            ),
        ]

    def __str__(self):
        return f"{self.patient} {self.get_procedure_kind_display()}"
