"""Informed consent (A8): hospital consent templates and the signed consent documents opened from an assessment.

- `ConsentTemplate`: one version of a hospital's consent text (麻醉知情同意书, 无痛内镜镇静知情同意书...), keyed by
  (hospital, code, version). A version is drafted, published (then the hospital's current text for that code:
  at most one published version per code) and retired when a newer version is published. A published or
  retired version is never changed: editing a published template drafts the next version, so every signed
  consent keeps pointing at exactly the text it was made from.
- `ConsentDocument`: a patient's consent for one assessment. It stores the rendered text and the PDF (in object
  storage, by key, with its SHA-256), then the clinician's CA signature of that hash, then the patient's (or
  guardian's) signature-pad image (object storage, SHA-256) and finally a sealed record hash over all of it,
  so any later change to the stored objects or the recorded signatures is detectable
  (`consent.services.consent_verify`).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")
    RETIRED = "retired", _("retired")


class ConsentTemplate(BaseModel):
    hospital = models.ForeignKey("org.Hospital", on_delete=models.PROTECT, related_name="consent_templates",
                                 verbose_name=_("hospital"))
    code = models.SlugField(_("code"), max_length=50, help_text=_("Stable key of the form, e.g. anaesthesia_general"))
    version = models.PositiveIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("body"), max_length=20000)
    procedure_kinds = models.JSONField(_("procedure kinds"), default=list, blank=True,
                                       help_text=_("Empty: any procedure kind."))
    anaesthesia_plans = models.JSONField(_("anaesthesia plans"), default=list, blank=True,
                                         help_text=_("Empty: any anaesthesia plan."))
    status = models.CharField(_("status"), max_length=10, choices=TemplateStatus.choices,
                              default=TemplateStatus.DRAFT)
    change_note = models.CharField(_("change note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        ordering = ["hospital", "code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "code", "version"], name="uniq_consent_template_version"),
            models.UniqueConstraint(fields=["hospital", "code"], condition=Q(status="published"),
                                    name="uniq_consent_template_published"),
            models.UniqueConstraint(fields=["hospital", "code"], condition=Q(status="draft"),
                                    name="uniq_consent_template_draft"),
        ]

    def __str__(self):
        return f"{self.title} v{self.version}"


class ConsentStatus(models.TextChoices):
    DRAFT = "draft", _("awaiting the clinician's signature")
    CLINICIAN_SIGNED = "clinician_signed", _("awaiting the patient's signature")
    COMPLETED = "completed", _("signed by both")
    VOIDED = "voided", _("voided")


class SignerKind(models.TextChoices):
    PATIENT = "patient", _("the patient")
    GUARDIAN = "guardian", _("guardian or authorised relative")


class ConsentDocument(BaseModel):
    consent_no = models.CharField(_("consent number"), max_length=40, unique=True)
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="consent_documents")
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="consent_documents")
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="consent_documents")
    assessment = models.ForeignKey("anaesthesia.AnaesthesiaAssessment", on_delete=models.PROTECT,
                                   related_name="consent_documents")
    template = models.ForeignKey(ConsentTemplate, on_delete=models.PROTECT, related_name="documents")
    template_code = models.SlugField(max_length=50)
    template_version = models.PositiveIntegerField()
    title = models.CharField(_("title"), max_length=100)
    body_text = models.TextField(_("text"))
    context = models.JSONField(default=dict)  # the placeholder values the text was rendered with
    status = models.CharField(_("status"), max_length=20, choices=ConsentStatus.choices, default=ConsentStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    # The document as generated (the bytes the clinician signs).
    document_key = models.CharField(max_length=300)
    document_hash = models.CharField(max_length=64)  # hex SHA-256 of the stored PDF
    document_size = models.PositiveIntegerField(default=0)
    # The clinician's CA signature of document_hash.
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    clinician_signer_id = models.CharField(max_length=40, blank=True)  # employee number sent to the CA
    clinician_name = models.CharField(max_length=100, blank=True)
    signature_value = models.TextField(blank=True)  # base64 DER
    certificate_pem = models.TextField(blank=True)
    cert_serial = models.CharField(max_length=80, blank=True)
    signature_algorithm = models.CharField(max_length=40, blank=True)
    clinician_signed_at = models.DateTimeField(null=True, blank=True)  # the CA's timestamp
    # The patient's (or guardian's) signature-pad image.
    patient_signature_key = models.CharField(max_length=300, blank=True)
    patient_signature_hash = models.CharField(max_length=64, blank=True)
    patient_signer_kind = models.CharField(max_length=10, choices=SignerKind.choices, blank=True)
    patient_signer_name = models.CharField(max_length=50, blank=True)
    patient_signer_relationship = models.CharField(max_length=30, blank=True)
    patient_signed_at = models.DateTimeField(null=True, blank=True)
    patient_signature_recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                                                      blank=True, related_name="+")
    # The seal over both signatures, and the signed copy (PDF with the signature image and the CA details).
    record_hash = models.CharField(max_length=64, blank=True)
    sealed_at = models.DateTimeField(null=True, blank=True)
    signed_copy_key = models.CharField(max_length=300, blank=True)
    signed_copy_hash = models.CharField(max_length=64, blank=True)
    # Voided (wrong form, withdrawn consent): kept, never deleted.
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    void_reason = models.CharField(max_length=300, blank=True)
    voided_from_status = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One live consent per assessment and form: a second one is opened only after voiding the first.
            models.UniqueConstraint(fields=["assessment", "template_code"], condition=~Q(status="voided"),
                                    name="uniq_live_consent_per_assessment_form"),
        ]
        indexes = [models.Index(fields=["ward", "status"], name="consent_ward_status_idx")]

    def __str__(self):
        return f"{self.consent_no} {self.title}"
