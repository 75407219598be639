"""Patients and their identifiers. The surgical case aggregate lives beside them (see cases.state_machine)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField, blind_index
from core.identity import mask_id_number, mask_name, mask_phone
from core.models import BaseModel


class IdentifierSystem(models.TextChoices):
    REG_NO = "reg_no", _("Registration number (登记号)")
    OUTPATIENT_NO = "outpatient_no", _("Outpatient number (门诊号)")
    INPATIENT_NO = "inpatient_no", _("Inpatient number (住院号)")
    MEDICAL_RECORD_NO = "medical_record_no", _("Medical record number (病案号)")
    ID_CARD = "id_card", _("Resident ID number (身份证号)")
    HEALTH_CARD = "health_card", _("Health card number (健康卡号)")
    INSURANCE_NO = "insurance_no", _("Insurance number (医保号)")
    PASSPORT = "passport", _("Passport or travel permit")


# Identifiers that are sensitive personal information: masked in every list response.
SENSITIVE_SYSTEMS = {IdentifierSystem.ID_CARD, IdentifierSystem.PASSPORT, IdentifierSystem.INSURANCE_NO}


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")
    UNKNOWN = "U", _("unknown")


class Patient(BaseModel):
    """A person known to the hospital; identity is resolved through the HIS (登记号), never invented here."""

    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    phone = EncryptedTextField(_("mobile number"), blank=True, default="")
    phone_index = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.phone_index = blind_index(self.phone) if self.phone else ""
        super().save(*args, **kwargs)

    def identifier(self, system):
        ident = next((i for i in self.identifiers.all() if i.system == system), None)
        return ident.value if ident else ""

    @property
    def reg_no(self):
        return self.identifier(IdentifierSystem.REG_NO)

    @property
    def masked_name(self):
        return mask_name(self.name)

    @property
    def masked_phone(self):
        return mask_phone(self.phone)


class PatientIdentifier(BaseModel):
    """(system, value) pairs: 登记号, 门诊号, 住院号, 身份证号… Values are encrypted; the index finds them."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="identifiers")
    system = models.CharField(_("system"), max_length=30, choices=IdentifierSystem.choices)
    value = EncryptedTextField(_("value"))
    value_index = models.CharField(max_length=64, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "value_index"], name="uniq_identifier")]

    def save(self, *args, **kwargs):
        self.value_index = blind_index(f"{self.system}:{self.value}")
        super().save(*args, **kwargs)

    @classmethod
    def index_for(cls, system, value):
        return blind_index(f"{system}:{value}")

    @property
    def masked_value(self):
        if self.system in SENSITIVE_SYSTEMS:
            return mask_id_number(self.value)
        return self.value
