"""The day of surgery, admission to discharge (G3, issue items 9 and 10): facts captured when they happen.

Every row belongs to one surgical case and carries its ward (the scoping key) and patient. The case's own state
(admitted, in_theatre, operated, discharged, transferred_to_inpatient) changes only through the case state
machine; these rows hold the structured facts beside it, which the quality indicators read (DOMAIN.md §1.2):
admission (HIS A01: 住院号, bed), theatre times (手麻 time points), complications (Clavien–Dindo), adverse events,
unplanned returns to theatre, discharge assessments (PADS), the discharge (离院方式, instructions, HIS A03) and the
transfer to an inpatient ward (HIS A02, the link to the inpatient stay).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class Source(models.TextChoices):
    MANUAL = "manual", _("recorded by staff")
    THEATRE_SYSTEM = "theatre_system", _("theatre / anaesthesia system")
    HIS = "his", _("hospital information system")


class StayRow(BaseModel):
    """Common columns: the case, its ward (scoping) and patient, who recorded it."""

    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="+", verbose_name=_("case"))
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="+", verbose_name=_("ward"))
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="+", verbose_name=_("patient"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("recorded by"),
    )  # None: the system (an integration)

    class Meta:
        abstract = True


# --- admission (A01) -------------------------------------------------------------------------------------------


class HisSyncStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be sent to the HIS")
    SENT = "sent", _("accepted by the HIS")
    FAILED = "failed", _("the HIS refused it")
    NOT_APPLICABLE = "not_applicable", _("not sent (no HIS stay)")


class Admission(StayRow):
    """The day-surgery admission registration (入院登记), as the HIS accepted it (ADT A01)."""

    case = models.OneToOneField(
        "cases.SurgicalCase", on_delete=models.CASCADE, related_name="stay_admission", verbose_name=_("case")
    )
    admitted_at = models.DateTimeField(_("admitted at"))
    admission_no = models.CharField(_("admission number (住院号)"), max_length=40, db_index=True)
    his_visit_no = models.CharField(_("HIS visit number"), max_length=40, blank=True)
    his_encounter_id = models.CharField(_("HIS encounter"), max_length=64, blank=True)
    bed_no = models.CharField(_("bed"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-admitted_at"]

    def __str__(self):
        return f"{self.admission_no} {self.bed_no}"


# --- theatre day facts -----------------------------------------------------------------------------------------


class TheatrePoint(models.TextChoices):
    """The 手麻 time points in the order they happen (DOMAIN.md §1.2 "OR timeline")."""

    SUITE_IN = "suite_in", _("entered the theatre suite")
    ROOM_IN = "room_in", _("entered the operating room")
    ANAESTHESIA_START = "anaesthesia_start", _("anaesthesia started")
    INCISION = "incision", _("incision (surgery started)")
    SURGERY_END = "surgery_end", _("surgery ended")
    ANAESTHESIA_END = "anaesthesia_end", _("anaesthesia ended")
    ROOM_OUT = "room_out", _("left the operating room")
    RECOVERY_IN = "recovery_in", _("entered recovery (PACU)")
    RECOVERY_OUT = "recovery_out", _("left recovery (PACU)")


POINT_ORDER = {value: rank for rank, value in enumerate(TheatrePoint.values)}


class TheatreTime(StayRow):
    """One time point of the case's operation; a correction replaces the time (the case events keep history)."""

    point = models.CharField(_("time point"), max_length=20, choices=TheatrePoint.choices)
    at = models.DateTimeField(_("time"))
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    corrections = models.PositiveSmallIntegerField(_("corrections"), default=0)
    correction_reason = models.CharField(_("reason for the last correction"), max_length=300, blank=True)

    class Meta:
        ordering = ["case", "at"]
        constraints = [models.UniqueConstraint(fields=["case", "point"], name="stay_uniq_theatre_point")]

    def __str__(self):
        return f"{self.point} {self.at:%H:%M}"


# --- complications, adverse events, unplanned returns ----------------------------------------------------------


class ClavienDindo(models.TextChoices):
    """Clavien–Dindo classification of surgical complications (Dindo et al., Ann Surg 2004)."""

    I = "I", _("Grade I: deviation from the normal course, no intervention beyond allowed regimens")  # noqa: E741
    II = "II", _("Grade II: requires drug treatment beyond grade I (incl. transfusion, parenteral nutrition)")
    IIIA = "IIIa", _("Grade IIIa: intervention not under general anaesthesia")
    IIIB = "IIIb", _("Grade IIIb: intervention under general anaesthesia")
    IVA = "IVa", _("Grade IVa: life-threatening, single organ dysfunction (ICU)")
    IVB = "IVb", _("Grade IVb: life-threatening, multi-organ dysfunction (ICU)")
    V = "V", _("Grade V: death of the patient")


class CareStage(models.TextChoices):
    INTRAOPERATIVE = "intraoperative", _("during the operation")
    RECOVERY = "recovery", _("in recovery / on the day ward")
    AFTER_DISCHARGE = "after_discharge", _("after discharge")


class Complication(StayRow):
    occurred_at = models.DateTimeField(_("occurred at"))
    stage = models.CharField(_("stage"), max_length=20, choices=CareStage.choices)
    clavien_dindo_grade = models.CharField(_("Clavien–Dindo grade"), max_length=4, choices=ClavienDindo.choices)
    diagnosis_code = models.CharField(_("diagnosis code (ICD-10)"), max_length=20, blank=True)
    description = models.CharField(_("description"), max_length=500)
    treatment = models.CharField(_("treatment"), max_length=500, blank=True)

    class Meta:
        ordering = ["case", "occurred_at"]

    def __str__(self):
        return f"{self.clavien_dindo_grade} {self.description[:40]}"


class AdverseEventKind(models.TextChoices):
    FALL = "fall", _("fall")
    FALL_FROM_BED = "fall_from_bed", _("fall from bed")
    MEDICATION_ERROR = "medication_error", _("medication error")
    WRONG_SITE = "wrong_site", _("wrong-site surgery")
    WRONG_PATIENT = "wrong_patient", _("wrong-patient surgery")
    WRONG_PROCEDURE = "wrong_procedure", _("wrong procedure")
    OTHER = "other", _("other")


NEVER_EVENTS = frozenset({AdverseEventKind.WRONG_SITE, AdverseEventKind.WRONG_PATIENT, AdverseEventKind.WRONG_PROCEDURE})


class HarmLevel(models.TextChoices):
    """Harm to the patient (the grading of the national adverse-event reporting: 无 / 轻度 / 中度 / 重度 / 死亡)."""

    NONE = "none", _("no harm")
    MILD = "mild", _("mild harm")
    MODERATE = "moderate", _("moderate harm")
    SEVERE = "severe", _("severe harm")
    DEATH = "death", _("death")


class AdverseEvent(StayRow):
    kind = models.CharField(_("kind"), max_length=20, choices=AdverseEventKind.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    harm = models.CharField(_("harm"), max_length=10, choices=HarmLevel.choices)
    description = models.CharField(_("description"), max_length=1000)
    actions_taken = models.CharField(_("actions taken"), max_length=1000, blank=True)
    reported_externally = models.BooleanField(_("reported to the adverse-event system"), default=False)

    class Meta:
        ordering = ["case", "occurred_at"]

    def __str__(self):
        return f"{self.kind} {self.occurred_at:%Y-%m-%d}"


class UnplannedReturn(StayRow):
    """An unplanned return to theatre (非计划重返手术室再手术): the indicator counts it against the index operation."""

    occurred_at = models.DateTimeField(_("returned to theatre at"))
    reason = models.CharField(_("reason"), max_length=500)
    procedure_name = models.CharField(_("procedure performed"), max_length=200, blank=True)
    complication = models.ForeignKey(
        Complication, on_delete=models.PROTECT, null=True, blank=True, related_name="returns",
        verbose_name=_("related complication"),
    )

    class Meta:
        ordering = ["case", "occurred_at"]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.reason[:40]}"


# --- discharge ------------------------------------------------------------------------------------------------


PADS_ITEMS = ("vital_signs", "activity", "nausea_vomiting", "pain", "surgical_bleeding")


class DischargeAssessment(StayRow):
    """One PADS assessment (Post-Anaesthetic Discharge Scoring System, Chung 1995/1997): five items scored 0–2;
    a total ≥ the ready score (9 by default, STAY_PADS_READY_SCORE) with no item at 0 means ready for home."""

    assessed_at = models.DateTimeField(_("assessed at"))
    tool = models.CharField(_("tool"), max_length=10, default="pads")
    vital_signs = models.PositiveSmallIntegerField(_("vital signs"), validators=[MaxValueValidator(2)])
    activity = models.PositiveSmallIntegerField(_("activity level"), validators=[MaxValueValidator(2)])
    nausea_vomiting = models.PositiveSmallIntegerField(_("nausea and vomiting"), validators=[MaxValueValidator(2)])
    pain = models.PositiveSmallIntegerField(_("pain"), validators=[MaxValueValidator(2)])
    surgical_bleeding = models.PositiveSmallIntegerField(_("surgical bleeding"), validators=[MaxValueValidator(2)])
    score = models.PositiveSmallIntegerField(_("score"), validators=[MaxValueValidator(10)])
    ready_score = models.PositiveSmallIntegerField(_("score needed"), validators=[MinValueValidator(1)])
    passed = models.BooleanField(_("ready for discharge"))
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["case", "-assessed_at", "-id"]

    def __str__(self):
        return f"PADS {self.score}/10"


class DischargeDisposition(models.TextChoices):
    """离院方式 (WS 364.3 CV06.00.226)."""

    ORDERED = "1", _("discharged on medical advice")
    TRANSFERRED_HOSPITAL = "2", _("transferred to another hospital on medical advice")
    TRANSFERRED_COMMUNITY = "3", _("transferred to a community health centre on medical advice")
    AGAINST_ADVICE = "4", _("left against medical advice")
    DEATH = "5", _("death")
    OTHER = "9", _("other")


class Discharge(StayRow):
    case = models.OneToOneField(
        "cases.SurgicalCase", on_delete=models.CASCADE, related_name="stay_discharge", verbose_name=_("case")
    )
    discharged_at = models.DateTimeField(_("discharged at"))
    disposition = models.CharField(_("discharge disposition (离院方式)"), max_length=2, choices=DischargeDisposition.choices)
    assessment = models.ForeignKey(
        DischargeAssessment, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("discharge assessment"),
    )
    override_reason = models.CharField(_("reason for discharging without a passing assessment"), max_length=500,
                                       blank=True)
    # The instructions given to the patient (出院指导), structured so the follow-up and the app can show them.
    instructions = models.JSONField(_("discharge instructions"), default=dict)
    escort_name = models.CharField(_("escorted home by"), max_length=50, blank=True)
    follow_up_date = models.DateField(_("review / follow-up date"), null=True, blank=True)
    his_status = models.CharField(_("HIS (A03)"), max_length=20, choices=HisSyncStatus.choices,
                                  default=HisSyncStatus.PENDING)
    his_synced_at = models.DateTimeField(_("sent to the HIS at"), null=True, blank=True)
    his_error = models.CharField(_("HIS error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-discharged_at"]

    def __str__(self):
        return f"{self.discharged_at:%Y-%m-%d %H:%M} {self.disposition}"


# --- transfer to an inpatient ward (A02) ----------------------------------------------------------------------


class TransferReason(models.TextChoices):
    NOT_MEETING_DISCHARGE_CRITERIA = "not_meeting_criteria", _("does not meet the discharge criteria in time")
    COMPLICATION = "complication", _("complication needing inpatient care")
    EXTENDED_SURGERY = "extended_surgery", _("the operation was extended / converted")
    ANAESTHESIA = "anaesthesia", _("anaesthesia-related (PONV, delayed recovery…)")
    SOCIAL = "social", _("no escort or social reasons")
    PATIENT_REQUEST = "patient_request", _("patient's request")
    OTHER = "other", _("other")


class InpatientTransfer(StayRow):
    """The day-surgery stay continued as an ordinary inpatient stay (日间转普通住院); the case keeps the link."""

    case = models.OneToOneField(
        "cases.SurgicalCase", on_delete=models.CASCADE, related_name="stay_transfer", verbose_name=_("case")
    )
    transferred_at = models.DateTimeField(_("transferred at"))
    reason_code = models.CharField(_("reason"), max_length=30, choices=TransferReason.choices)
    reason_text = models.CharField(_("details"), max_length=500, blank=True)
    target_ward_code = models.CharField(_("inpatient ward code"), max_length=40)
    target_ward_name = models.CharField(_("inpatient ward"), max_length=100)
    target_department_code = models.CharField(_("inpatient department code"), max_length=40, blank=True)
    bed_no = models.CharField(_("bed"), max_length=20, blank=True)
    day_surgery_admission_no = models.CharField(_("day-surgery admission number"), max_length=40, blank=True)
    inpatient_admission_no = models.CharField(_("inpatient admission number"), max_length=40, blank=True)
    inpatient_visit_no = models.CharField(_("inpatient visit number"), max_length=40, blank=True)
    his_encounter_id = models.CharField(_("HIS encounter"), max_length=64, blank=True)
    hours_since_admission = models.DecimalField(_("hours since admission"), max_digits=6, decimal_places=2,
                                                null=True, blank=True)

    class Meta:
        ordering = ["-transferred_at"]

    def __str__(self):
        return f"{self.target_ward_name} {self.inpatient_admission_no}"
