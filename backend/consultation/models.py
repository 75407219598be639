"""Consultation (F9, PA8): wound consultations with photos, and the patient ↔ care-team conversation of a case.

Both belong to one surgical case and are scoped by the case's ward (`case__ward`, so a case moved to another
ward takes its consultations with it) for staff, and by the case's patient for patient principals.

- A wound consultation: the patient's description and 1–9 photos (validated and re-encoded without metadata by
  consultation.photos, stored in object storage; rows keep the object keys and hashes), answered once by the
  care team with advice (care at home / come to the clinic / go to the emergency department now).
- A conversation: one per case, created with its first message; messages carry a per-conversation sequence
  (gap detection and paging), read receipts are per side (the patient; the care team as a whole: any member
  reading marks the patient's messages read), so a patient sees "read" once somebody of the team saw them.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class WoundStatus(models.TextChoices):
    SUBMITTED = "submitted", _("waiting for an answer")
    ANSWERED = "answered", _("answered")


class WoundAdvice(models.TextChoices):
    HOME_CARE = "home_care", _("continue care at home")
    CLINIC_VISIT = "clinic_visit", _("come to the clinic for a check")
    EMERGENCY = "emergency", _("go to the emergency department now")


class WoundConsultation(BaseModel):
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="wound_consultations",
                             verbose_name=_("case"))
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("patient"))
    submitted_by = models.ForeignKey("accounts.PatientAccount", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+", verbose_name=_("submitted by"))
    client_id = models.CharField(_("client request id"), max_length=64, blank=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=WoundStatus.choices, default=WoundStatus.SUBMITTED,
                              db_index=True)
    answer = models.TextField(_("answer"), blank=True)
    advice = models.CharField(_("advice"), max_length=16, choices=WoundAdvice.choices, blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+", verbose_name=_("answered by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case", "client_id"], condition=~models.Q(client_id=""),
                                    name="consultation_uniq_wound_client_id"),
        ]

    def __str__(self):
        return f"wound consultation {self.uuid}"


class WoundPhoto(BaseModel):
    consultation = models.ForeignKey(WoundConsultation, on_delete=models.CASCADE, related_name="photos",
                                     verbose_name=_("consultation"))
    position = models.PositiveSmallIntegerField(_("position"))
    storage_key = models.CharField(max_length=300)
    thumbnail_key = models.CharField(max_length=300)
    content_type = models.CharField(max_length=40, default="image/jpeg")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_type = models.CharField(_("uploaded type"), max_length=40)

    class Meta:
        ordering = ["consultation", "position"]
        constraints = [models.UniqueConstraint(fields=["consultation", "position"], name="consultation_uniq_photo_pos")]

    def __str__(self):
        return f"photo {self.position} of {self.consultation_id}"


class Sender(models.TextChoices):
    PATIENT = "patient", _("patient")
    STAFF = "staff", _("care team")


class Conversation(BaseModel):
    """The patient ↔ care-team conversation of one case (online consultation, PA8)."""

    case = models.OneToOneField("cases.SurgicalCase", on_delete=models.CASCADE, related_name="conversation",
                                verbose_name=_("case"))
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("patient"))
    last_sequence = models.PositiveIntegerField(default=0)
    last_message_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_sender = models.CharField(max_length=8, choices=Sender.choices, blank=True)
    patient_read_sequence = models.PositiveIntegerField(default=0)
    patient_read_at = models.DateTimeField(null=True, blank=True)
    staff_read_sequence = models.PositiveIntegerField(default=0)
    staff_read_at = models.DateTimeField(null=True, blank=True)
    staff_read_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+")

    class Meta:
        ordering = ["-last_message_at", "-id"]

    def __str__(self):
        return f"conversation of case {self.case_id}"


class Message(BaseModel):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sequence = models.PositiveIntegerField()
    sender = models.CharField(max_length=8, choices=Sender.choices)
    sender_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    sender_account = models.ForeignKey("accounts.PatientAccount", on_delete=models.SET_NULL, null=True, blank=True,
                                       related_name="+")
    sender_name = models.CharField(max_length=100, blank=True)
    body = models.TextField()
    client_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["conversation", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "sequence"], name="consultation_uniq_message_seq"),
            models.UniqueConstraint(fields=["conversation", "sender", "client_id"], condition=~models.Q(client_id=""),
                                    name="consultation_uniq_message_client_id"),
        ]

    def __str__(self):
        return f"message {self.sequence} of {self.conversation_id}"
