"""Patients and their identifiers. The surgical case aggregate lives beside them (see cases.state_machine)."""

import uuid as uuid_lib

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
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


# --- The surgical case aggregate ---------------------------------------------------------------------------------


class CaseState(models.TextChoices):
    DRAFT = "draft", _("draft")
    PENDING_POOL = "pending_pool", _("pending booking pool")
    BOOKED = "booked", _("booked")
    APPLICATION_SENT = "application_sent", _("surgery application sent")
    SCHEDULED = "scheduled", _("scheduled by theatre")
    ADMITTED = "admitted", _("admitted")
    IN_THEATRE = "in_theatre", _("in theatre")
    OPERATED = "operated", _("operated")
    DISCHARGED = "discharged", _("discharged")
    FOLLOW_UP = "follow_up", _("in follow-up")
    CLOSED = "closed", _("closed")
    CANCELLED = "cancelled", _("cancelled")
    NO_SHOW = "no_show", _("did not arrive")
    TERMINATED = "terminated", _("terminated")
    TRANSFERRED_TO_INPATIENT = "transferred_to_inpatient", _("transferred to inpatient ward")


class Session(models.TextChoices):
    AM = "am", _("morning")
    PM = "pm", _("afternoon")


class AnaesthesiaMethod(models.TextChoices):
    GENERAL = "general", _("general anaesthesia")
    SPINAL = "spinal", _("spinal / epidural anaesthesia")
    NERVE_BLOCK = "nerve_block", _("nerve block")
    SEDATION = "sedation", _("monitored sedation")
    LOCAL = "local", _("local anaesthesia")


class AnaesthesiaClinicStatus(models.TextChoices):
    NOT_REQUIRED = "not_required", _("not required")
    PENDING = "pending", _("pending")
    PASSED = "passed", _("passed")
    FAILED = "failed", _("failed")


class PreopAssessmentStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    PASSED = "passed", _("passed")
    NEEDS_ATTENTION = "needs_attention", _("passed, needs attention")
    NOT_SUITABLE = "not_suitable", _("not suitable")


class TheatreScheduleStatus(models.TextChoices):
    NOT_SENT = "not_sent", _("not sent")
    SENT_NOT_SCHEDULED = "sent_not_scheduled", _("sent, not scheduled")
    SCHEDULED = "scheduled", _("scheduled")
    NOT_TO_BE_SCHEDULED = "not_to_be_scheduled", _("not to be scheduled")


class CancelStage(models.TextChoices):
    BEFORE_DAY = "before_day", _("before the day of surgery")
    ON_DAY_BEFORE_ARRIVAL = "on_day_before_arrival", _("on the day, before arrival")
    AFTER_ARRIVAL = "after_arrival", _("after arrival")


class CancelReason(models.TextChoices):
    PATIENT_REQUEST = "patient_request", _("patient's own request")
    PATIENT_UNWELL = "patient_unwell", _("patient unwell (fever, infection, blood pressure…)")
    ABNORMAL_RESULTS = "abnormal_results", _("abnormal test or exam results")
    NOT_FASTING = "not_fasting", _("pre-operative preparation not followed")
    SURGEON_UNAVAILABLE = "surgeon_unavailable", _("surgeon unavailable")
    THEATRE_UNAVAILABLE = "theatre_unavailable", _("theatre or equipment unavailable")
    BED_UNAVAILABLE = "bed_unavailable", _("no bed available")
    FINANCIAL = "financial", _("financial or insurance reasons")
    CHANGED_PLAN = "changed_plan", _("treatment plan changed")
    OTHER = "other", _("other")


class RescheduleReason(models.TextChoices):
    PATIENT_REQUEST = "patient_request", _("patient's own request")
    PATIENT_UNWELL = "patient_unwell", _("patient unwell (fever, infection, blood pressure…)")
    RESULTS_PENDING = "results_pending", _("results pending or abnormal")
    SURGEON_UNAVAILABLE = "surgeon_unavailable", _("surgeon unavailable")
    THEATRE_UNAVAILABLE = "theatre_unavailable", _("theatre or equipment unavailable")
    BED_UNAVAILABLE = "bed_unavailable", _("no bed available")
    OTHER = "other", _("other")


class LosAlertLevel(models.TextChoices):
    NONE = "none", _("none")
    APPROACHING_24 = "approaching_24", _("approaching 24 h")
    OVER_24 = "over_24", _("over 24 h (delayed discharge)")
    APPROACHING_48 = "approaching_48", _("approaching 48 h")
    OVER_48 = "over_48", _("over 48 h")


LOS_LEVEL_RANK = {level: rank for rank, level in enumerate(LosAlertLevel.values)}


class SurgicalPosition(models.TextChoices):
    SUPINE = "supine", _("supine")
    PRONE = "prone", _("prone")
    LATERAL_LEFT = "lateral_left", _("left lateral")
    LATERAL_RIGHT = "lateral_right", _("right lateral")
    LITHOTOMY = "lithotomy", _("lithotomy")
    SITTING = "sitting", _("sitting / beach chair")
    TRENDELENBURG = "trendelenburg", _("Trendelenburg")
    JACKKNIFE = "jackknife", _("prone jackknife")
    OTHER = "other", _("other")


class BookingMode(models.TextChoices):
    OWN = "own", _("own patient")
    GROUP = "group", _("for the medical group")
    CROSS_DEPARTMENT = "cross_department", _("cross-department")
    VIRTUAL = "virtual", _("under a virtual surgeon")
    ON_BEHALF = "on_behalf", _("on behalf of the surgeon")


# One active booking per patient per planned date: these states hold a planned place.
ACTIVE_BOOKING_STATES = (
    CaseState.BOOKED,
    CaseState.APPLICATION_SENT,
    CaseState.SCHEDULED,
    CaseState.ADMITTED,
    CaseState.IN_THEATRE,
    CaseState.OPERATED,
)

DUPLICATE_BOOKING_CONSTRAINT = "uniq_active_booking_per_patient_day"


class ActorKind(models.TextChoices):
    STAFF = "staff", _("staff")
    PATIENT = "patient", _("patient")
    SYSTEM = "system", _("system")


class SurgicalCase(BaseModel):
    """One patient, one planned day-surgery operation. Its `state` changes only through cases.services."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="cases", verbose_name=_("patient"))
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="cases", verbose_name=_("ward"))
    department = models.ForeignKey(
        "org.Department", on_delete=models.PROTECT, related_name="cases", verbose_name=_("department")
    )
    surgeon = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="surgeon_cases", verbose_name=_("surgeon")
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="booked_cases",
        null=True,
        blank=True,
        verbose_name=_("booked by"),
    )
    procedure = models.ForeignKey(
        "catalog.Procedure", on_delete=models.PROTECT, null=True, blank=True, related_name="cases",
        verbose_name=_("procedure"),
    )  # the catalogue entry, when the booking chose one; code and name below are kept as booked
    procedure_code = models.CharField(_("procedure code"), max_length=40, blank=True)
    procedure_name = models.CharField(_("planned procedure"), max_length=200)
    diagnosis_code = models.CharField(_("diagnosis code"), max_length=40, blank=True)
    diagnosis_name = models.CharField(_("diagnosis"), max_length=200, blank=True)
    planned_date = models.DateField(_("planned date"), null=True, blank=True, db_index=True)
    planned_session = models.CharField(_("session"), max_length=2, choices=Session.choices, blank=True)
    anaesthesia_method = models.CharField(
        _("anaesthesia method"), max_length=20, choices=AnaesthesiaMethod.choices, blank=True
    )

    # The booking (B2): the HIS visit it came from and what the booking doctor asked for.
    visit_no = models.CharField(_("visit number (就诊号)"), max_length=40, blank=True)
    triage_level = models.PositiveSmallIntegerField(
        _("triage level"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    expected_duration_minutes = models.PositiveIntegerField(_("expected duration (minutes)"), null=True, blank=True)
    preferred_suite = models.ForeignKey(
        "org.TheatreSuite", on_delete=models.PROTECT, null=True, blank=True, related_name="preferred_cases",
        verbose_name=_("preferred theatre suite"),
    )
    preferred_room = models.ForeignKey(
        "org.TheatreRoom", on_delete=models.PROTECT, null=True, blank=True, related_name="preferred_cases",
        verbose_name=_("preferred theatre room"),
    )
    position = models.CharField(_("surgical position"), max_length=20, choices=SurgicalPosition.choices, blank=True)
    preferred_sequence = models.PositiveSmallIntegerField(_("preferred sequence"), null=True, blank=True)
    assistants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="assisted_cases", verbose_name=_("assistants")
    )
    booking_mode = models.CharField(_("booking mode"), max_length=20, choices=BookingMode.choices, blank=True)
    virtual_surgeon = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="virtual_cases",
        verbose_name=_("virtual surgeon"),
    )  # booked under a virtual surgeon; `surgeon` becomes the real one at assignment
    surgeon_assigned_at = models.DateTimeField(_("surgeon assigned at"), null=True, blank=True)
    surgeon_assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("surgeon assigned by"),
    )

    # Kept by the day-surgery manager (P3): editable until the surgery application is sent.
    companion_name = models.CharField(_("companion"), max_length=50, blank=True)
    companion_phone = EncryptedTextField(_("companion's phone"), blank=True, default="")
    remarks = models.TextField(_("remarks"), blank=True, max_length=1000)

    state = models.CharField(_("state"), max_length=30, choices=CaseState.choices, default=CaseState.DRAFT)
    previous_state = models.CharField(_("previous state"), max_length=30, choices=CaseState.choices, blank=True)
    state_changed_at = models.DateTimeField(_("state changed at"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    # Milestones beside the main state.
    anaesthesia_clinic_status = models.CharField(
        _("anaesthesia clinic"), max_length=20, choices=AnaesthesiaClinicStatus.choices,
        default=AnaesthesiaClinicStatus.PENDING,
    )
    preop_assessment_status = models.CharField(
        _("pre-operative assessment"), max_length=20, choices=PreopAssessmentStatus.choices,
        default=PreopAssessmentStatus.PENDING,
    )
    theatre_schedule_status = models.CharField(
        _("theatre schedule"), max_length=24, choices=TheatreScheduleStatus.choices,
        default=TheatreScheduleStatus.NOT_SENT,
    )

    # Facts captured when they happen (indicators need them; never reconstructed from text).
    booked_at = models.DateTimeField(_("booked at"), null=True, blank=True)
    application_sent_at = models.DateTimeField(_("application sent at"), null=True, blank=True)
    theatre_scheduled_at = models.DateTimeField(_("scheduled by theatre at"), null=True, blank=True)
    scheduled_start = models.DateTimeField(_("scheduled start"), null=True, blank=True)
    theatre_room = models.ForeignKey(
        "org.TheatreRoom", on_delete=models.PROTECT, null=True, blank=True, related_name="cases",
        verbose_name=_("theatre room"),
    )
    theatre_sequence = models.PositiveSmallIntegerField(_("sequence in room"), null=True, blank=True)
    admitted_at = models.DateTimeField(_("admitted at"), null=True, blank=True, db_index=True)
    theatre_in_at = models.DateTimeField(_("entered theatre at"), null=True, blank=True)
    incision_start_at = models.DateTimeField(_("incision start"), null=True, blank=True)
    incision_end_at = models.DateTimeField(_("incision end"), null=True, blank=True)
    theatre_out_at = models.DateTimeField(_("left theatre at"), null=True, blank=True)
    operated_at = models.DateTimeField(_("operation finished at"), null=True, blank=True)
    discharged_at = models.DateTimeField(_("discharged at"), null=True, blank=True)
    follow_up_started_at = models.DateTimeField(_("follow-up started at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    # Cancellation / no-show / termination.
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    cancelled_by_type = models.CharField(_("cancelled by (kind)"), max_length=10, choices=ActorKind.choices, blank=True)
    cancelled_by_id = models.CharField(_("cancelled by (id)"), max_length=64, blank=True)
    cancelled_by_name = models.CharField(_("cancelled by"), max_length=100, blank=True)
    cancel_reason_code = models.CharField(_("cancellation reason"), max_length=30, choices=CancelReason.choices, blank=True)
    cancel_reason_text = models.CharField(_("cancellation details"), max_length=500, blank=True)
    cancel_stage = models.CharField(_("cancellation stage"), max_length=30, choices=CancelStage.choices, blank=True)
    end_reason = models.CharField(_("reason"), max_length=500, blank=True)  # no-show / termination / pool

    # Transfer to an inpatient ward (G3, W6): the link to the inpatient stay is kept on this case.
    transferred_at = models.DateTimeField(_("transferred at"), null=True, blank=True)
    inpatient_ward_name = models.CharField(_("inpatient ward"), max_length=100, blank=True)
    inpatient_admission_no = models.CharField(_("inpatient admission number"), max_length=40, blank=True)
    transfer_reason = models.CharField(_("transfer reason"), max_length=500, blank=True)

    # Length-of-stay clock (G3).
    los_alert_level = models.CharField(
        _("length-of-stay alert"), max_length=20, choices=LosAlertLevel.choices, default=LosAlertLevel.NONE
    )
    los_alert_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-planned_date", "-id"]
        indexes = [
            models.Index(fields=["ward", "state", "planned_date"], name="case_ward_state_date_idx"),
            models.Index(fields=["state", "admitted_at"], name="case_state_admitted_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "planned_date"],
                condition=models.Q(state__in=[s.value for s in ACTIVE_BOOKING_STATES]),
                name=DUPLICATE_BOOKING_CONSTRAINT,
            ),
        ]

    def __str__(self):
        return f"{self.patient.name} {self.procedure_name} ({self.get_state_display()})"

    @property
    def length_of_stay_hours(self):
        if not self.admitted_at:
            return None
        end = self.discharged_at or self.transferred_at or timezone.now()
        return round((end - self.admitted_at).total_seconds() / 3600, 2)

    @property
    def delayed_discharge(self):
        """Stayed longer than 24 h (一日内出院 exceeded): the delayed-discharge indicator."""
        hours = self.length_of_stay_hours
        return hours is not None and hours > settings.CASE_LOS_LIMIT_24_HOURS


class CaseEvent(models.Model):
    """Append-only history of a case. The timeline, pushes and indicator facts derive from these rows."""

    uuid = models.UUIDField(default=uuid_lib.uuid4, unique=True, editable=False)
    case = models.ForeignKey(SurgicalCase, on_delete=models.CASCADE, related_name="events")
    sequence = models.PositiveIntegerField()
    type = models.CharField(max_length=80, db_index=True)  # "cases.case.booked"
    occurred_at = models.DateTimeField(db_index=True)  # when it happened in the hospital
    recorded_at = models.DateTimeField(default=timezone.now)  # when we learned about it
    actor_type = models.CharField(max_length=10, choices=ActorKind.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    actor_name = models.CharField(max_length=100, blank=True)
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30, blank=True)
    payload = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["case", "sequence"]
        constraints = [models.UniqueConstraint(fields=["case", "sequence"], name="uniq_case_event_sequence")]

    def __str__(self):
        return f"{self.case_id}#{self.sequence} {self.type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("case events are append-only")
        super().save(*args, **kwargs)
