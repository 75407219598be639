"""Laboratory and examination results of a patient's visit, as fetched from the LIS and PACS/ECG (A3–A5).

Copies, not the source of truth: the hospital systems own the reports; we keep what we fetched (with when) so an
assessment can read, search and cite results even while the LIS or PACS is down, and so a cited value stays
what the clinician saw. Report numbers are the hospital systems' own and unique within the hospital.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class Flag(models.TextChoices):
    """HL7 table 0078 subset the Chinese LIS sends (危急值 = HH/LL)."""

    NORMAL = "N", _("normal")
    HIGH = "H", _("high")
    LOW = "L", _("low")
    CRITICAL_HIGH = "HH", _("critically high")
    CRITICAL_LOW = "LL", _("critically low")
    NONE = "", _("not stated")


class Arrow(models.TextChoices):
    UP = "up", _("above the reference range")
    DOWN = "down", _("below the reference range")
    CRITICAL_UP = "critical_up", _("critically high")
    CRITICAL_DOWN = "critical_down", _("critically low")
    NONE = "", _("no arrow")


ARROW_SYMBOLS = {Arrow.UP: "↑", Arrow.DOWN: "↓", Arrow.CRITICAL_UP: "↑↑", Arrow.CRITICAL_DOWN: "↓↓", Arrow.NONE: ""}


class ExamKind(models.TextChoices):
    EXAM = "exam", _("imaging / ultrasound")
    ECG = "ecg", _("ECG")


class LabReport(BaseModel):
    """One LIS report (检验报告单): a panel of results of one visit."""

    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="lab_reports")
    visit_no = models.CharField(_("visit number"), max_length=40, db_index=True)
    report_no = models.CharField(_("report number"), max_length=60, unique=True)
    panel_code = models.CharField(_("panel code"), max_length=40, blank=True)
    name = models.CharField(_("report name"), max_length=100)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    fetched_at = models.DateTimeField(_("fetched at"))

    class Meta:
        ordering = ["-issued_at", "report_no"]
        indexes = [models.Index(fields=["patient", "visit_no"], name="clinical_lab_patient_visit")]

    def __str__(self):
        return f"{self.report_no} {self.name}"


class LabResult(BaseModel):
    """One item of a lab report, with its reference range, the LIS flag and the arrow shown to clinicians (A4)."""

    report = models.ForeignKey(LabReport, on_delete=models.CASCADE, related_name="results")
    position = models.PositiveIntegerField(default=0)  # order on the printed report
    code = models.CharField(_("item code"), max_length=40)
    name = models.CharField(_("item name"), max_length=100)
    value = models.CharField(_("result"), max_length=100, blank=True)  # as reported, may be text (阴性)
    numeric_value = models.DecimalField(_("numeric result"), max_digits=14, decimal_places=4, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    ref_low = models.DecimalField(_("reference low"), max_digits=14, decimal_places=4, null=True, blank=True)
    ref_high = models.DecimalField(_("reference high"), max_digits=14, decimal_places=4, null=True, blank=True)
    ref_text = models.CharField(_("reference range"), max_length=100, blank=True)
    flag = models.CharField(_("flag"), max_length=2, choices=Flag.choices, blank=True)
    arrow = models.CharField(_("arrow"), max_length=15, choices=Arrow.choices, blank=True)

    class Meta:
        ordering = ["report", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["report", "code"], name="clinical_lab_result_item")]
        indexes = [models.Index(fields=["code"], name="clinical_lab_result_code")]

    def __str__(self):
        return f"{self.name} {self.value}{self.unit}{self.arrow_symbol}"

    @property
    def arrow_symbol(self) -> str:
        return ARROW_SYMBOLS.get(self.arrow, "")

    @property
    def abnormal(self) -> bool:
        return self.flag not in (Flag.NORMAL, Flag.NONE)

    @property
    def critical(self) -> bool:
        return self.flag in (Flag.CRITICAL_HIGH, Flag.CRITICAL_LOW)

    @property
    def reference_range(self) -> str:
        """The range as printed: the LIS's text when it sent one, else "low–high" / "<high" / ">low"."""
        if self.ref_text:
            return self.ref_text
        low, high = (None if v is None else f"{v.normalize():f}" for v in (self.ref_low, self.ref_high))
        if low and high:
            return f"{low}–{high}"
        return f"<{high}" if high else (f">{low}" if low else "")


class ExamReport(BaseModel):
    """One imaging/ultrasound or ECG report (检查报告) of a visit (A5)."""

    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, related_name="exam_reports")
    visit_no = models.CharField(_("visit number"), max_length=40, db_index=True)
    report_no = models.CharField(_("report number"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ExamKind.choices)
    code = models.CharField(_("exam code"), max_length=40, blank=True)
    name = models.CharField(_("exam name"), max_length=100)
    findings = models.TextField(_("findings"), blank=True)
    conclusion = models.TextField(_("conclusion"), blank=True)
    abnormal = models.BooleanField(_("abnormal"), null=True, blank=True)  # None: the system did not say
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    fetched_at = models.DateTimeField(_("fetched at"))
    images_synced_at = models.DateTimeField(_("images listed at"), null=True, blank=True)  # None: never asked

    class Meta:
        ordering = ["-issued_at", "report_no"]
        indexes = [models.Index(fields=["patient", "visit_no"], name="clinical_exam_patient_visit")]

    def __str__(self):
        return f"{self.report_no} {self.name}"


class ExamImageStatus(models.TextChoices):
    STORED = "stored", _("stored")
    TOO_LARGE = "too_large", _("above the transfer limit")
    UNSUPPORTED = "unsupported", _("format not viewable")
    FAILED = "failed", _("not fetched")


class ExamImage(BaseModel):
    """One image of an exam report (D3): what the PACS listed, and — when the transfer limit allowed it and the
    content is a viewable image — a copy in object storage (`storage_key`), served through short-lived
    presigned URLs. Images above the limit or in a format a phone cannot show (DICOM) are listed, not copied."""

    report = models.ForeignKey(ExamReport, on_delete=models.CASCADE, related_name="images")
    image_id = models.CharField(_("PACS image id"), max_length=100)
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200, blank=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    declared_size = models.BigIntegerField(_("declared size (bytes)"), null=True, blank=True)
    size_bytes = models.BigIntegerField(_("stored size (bytes)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ExamImageStatus.choices)
    storage_key = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    fetched_at = models.DateTimeField(_("fetched at"))
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        ordering = ["report", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["report", "image_id"], name="clinical_exam_image_item")]

    def __str__(self):
        return f"{self.report.report_no} {self.title or self.image_id}"
