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

    assessment_no = models.CharField(_("assessment number"), max_length=30, blank=True, db_index=True)
    anaesthetist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("anaesthetist"),
    )
    # General information copied from the HIS / case / appointment when the assessment starts (A2).
    general = models.JSONField(default=dict, blank=True)
    # The captured sections, each validated by its serializer (anaesthesia.form): body, vitals, status, history,
    # osa, ponv, airway, labs, systems, teeth, eyes, airway_marks, plan.
    sections = models.JSONField(default=dict, blank=True)
    # Where autofilled values came from: {"labs.creatinine_umol_l": {"kind": "lab", "result": uuid, ...}}.
    sources = models.JSONField(default=dict, blank=True)

    # The last risk evaluation (A1, A6): the risk app's record, its summary and the inputs it saw.
    evaluation_uuid = models.UUIDField(null=True, blank=True)
    risk_summary = models.JSONField(default=dict, blank=True)
    evaluated_inputs = models.JSONField(default=dict, blank=True)
    inputs_fingerprint = models.CharField(max_length=64, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)

    # Recommendations (A7): pre-filled from the evaluation, editable; `suggested` keeps the model's latest.
    recommendations = models.JSONField(default=dict, blank=True)
    recommendations_suggested = models.JSONField(default=dict, blank=True)
    recommendations_edited = models.BooleanField(default=False)

    # The conclusion (A12).
    opinion = models.TextField(_("opinion"), blank=True, max_length=2000)
    conclusion_reason = models.CharField(_("reason"), max_length=500, blank=True)
    concluded_at = models.DateTimeField(_("concluded at"), null=True, blank=True)
    concluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("concluded by"),
    )
    # An amendment: the concluded assessment this one re-opens (that one stays as it was, for the record).
    amends = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="amended_by",
        verbose_name=_("amends"),
    )
    amendment_reason = models.CharField(_("reason for the amendment"), max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(case__isnull=False) & Q(sedation_appointment__isnull=True))
                | (Q(case__isnull=True) & Q(sedation_appointment__isnull=False)),
                name="anaesthesia_assessment_one_subject",
            ),
            # One open assessment per case / appointment: starting twice returns the open one.
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="in_progress", case__isnull=False),
                name="uniq_open_assessment_per_case",
            ),
            models.UniqueConstraint(
                fields=["sedation_appointment"],
                condition=Q(status="in_progress", sedation_appointment__isnull=False),
                name="uniq_open_assessment_per_appointment",
            ),
        ]

    def __str__(self):
        return f"{self.patient} {self.get_procedure_kind_display()}"


# --- the clinic's working record (capture, autofill, evaluation, gating) ----------------------------------------


class AnaesthesiaPlan(models.TextChoices):
    """The anaesthesia plan (A7). The case's booking `anaesthesia_method` is the surgeon's wish; this is the
    anaesthetist's decision."""

    GENERAL_LMA = "general_lma", _("general anaesthesia (laryngeal mask)")
    GENERAL_ETT = "general_ett", _("general anaesthesia (tracheal intubation)")
    MAC_SEDATION = "mac_sedation", _("monitored anaesthesia care / intravenous sedation")
    NEURAXIAL = "neuraxial", _("neuraxial anaesthesia (spinal / epidural)")
    NERVE_BLOCK = "nerve_block", _("peripheral nerve block")
    LOCAL_MONITORED = "local_monitored", _("local anaesthesia with monitoring")
    GENERAL_PLUS_BLOCK = "general_plus_block", _("general anaesthesia combined with nerve block")


GENERAL_ANAESTHESIA_PLANS = frozenset(
    {AnaesthesiaPlan.GENERAL_LMA, AnaesthesiaPlan.GENERAL_ETT, AnaesthesiaPlan.GENERAL_PLUS_BLOCK}
)


class MappingKind(models.TextChoices):
    LAB = "lab", _("laboratory result")
    EXAM = "exam", _("examination / ECG report")


class ResultMappingRule(BaseModel):
    """How a LIS item or PACS/ECG report fills an assessment field (A3, A5). Administrators edit these.

    A lab rule matches a result by its code (LOINC in the simulator; the hospital's own item codes work the same)
    and writes `numeric_value × factor` into the `labs` field `target`. An exam rule matches a report by its
    code and writes the report's conclusion into the organ-system finding `target` (abnormal when the report
    says so). `hospital` empty: the rule applies to every hospital unless the hospital has its own rule for the
    same code.
    """

    hospital = models.ForeignKey(
        "org.Hospital", on_delete=models.CASCADE, null=True, blank=True, related_name="anaesthesia_mapping_rules"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=MappingKind.choices)
    code = models.CharField(_("item code"), max_length=40)
    name = models.CharField(_("item name"), max_length=100, blank=True)
    target = models.CharField(_("target field"), max_length=40)
    source_unit = models.CharField(_("source unit"), max_length=20, blank=True)
    factor = models.DecimalField(_("conversion factor"), max_digits=12, decimal_places=6, default=1)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["kind", "position", "code", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "kind", "code"], name="uniq_anaesthesia_mapping_rule"),
            models.UniqueConstraint(
                fields=["kind", "code"], condition=Q(hospital__isnull=True), name="uniq_anaesthesia_default_rule"
            ),
        ]

    def __str__(self):
        return f"{self.kind}:{self.code}→{self.target}"


class CitationKind(models.TextChoices):
    LAB = "lab", _("laboratory result")
    EXAM = "exam", _("examination / ECG report")


class AssessmentCitation(BaseModel):
    """One lab result or exam report cited into an assessment (A3, A5), with a snapshot of what was cited so
    the assessment (and its report) keeps showing what the anaesthetist saw even if the LIS corrects it."""

    assessment = models.ForeignKey(AnaesthesiaAssessment, on_delete=models.CASCADE, related_name="citations")
    kind = models.CharField(_("kind"), max_length=10, choices=CitationKind.choices)
    source_uuid = models.UUIDField(_("cited result"))
    snapshot = models.JSONField(default=dict)
    note = models.CharField(_("note"), max_length=200, blank=True)
    cited_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "kind", "source_uuid"], name="uniq_assessment_citation"),
        ]


class NotificationChannel(models.TextChoices):
    SMS = "sms", _("SMS")
    MEDTECH = "medtech", _("medical-technology system")


class NotificationStatus(models.TextChoices):
    SENT = "sent", _("sent")
    REJECTED = "rejected", _("rejected")
    UNDELIVERABLE = "undeliverable", _("undeliverable")


class AssessmentNotification(BaseModel):
    """A delivery made after a conclusion (A12): the fail SMS to the surgeon / patient, the medtech report."""

    assessment = models.ForeignKey(AnaesthesiaAssessment, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(_("channel"), max_length=10, choices=NotificationChannel.choices)
    recipient = models.CharField(_("recipient"), max_length=20)  # surgeon, patient, ordering_doctor, medtech
    idempotency_key = models.CharField(max_length=120, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=NotificationStatus.choices)
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"))

    class Meta:
        ordering = ["id"]
