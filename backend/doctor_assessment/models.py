"""The surgeon's pre-operative assessment (D1–D3, D5, Y9).

- `AssessmentSettings`: per hospital, the results window (how many days before surgery a result counts) and how
  far ahead results are pulled from the LIS/PACS.
- `HighRiskRule`: administrators' detection rules (Y9) — per hospital (or the platform defaults, hospital empty),
  for one procedure, one department's procedures or all: a lab item over/under a threshold, a qualitative lab
  result that is positive (术前四项: HBsAg, anti-HCV, anti-HIV, syphilis), or a keyword in an exam/ECG
  conclusion. A hospital's rule with the key of a default replaces the default for that hospital.
  `HighRiskRuleVersion` keeps every version (who, when, what).
- `CaseRiskState` + `CaseFinding`: what the rules found in a case's results within its window (derived: rebuilt
  by `findings_evaluate`), with a summary of the results for the doctor's list. When the set of findings changes
  a `clinical.findings.flagged` case event is appended (bed-card icons, timeline, realtime feed on it).
- `DoctorAssessment`: each decision (pass / needs attention / not suitable) with its note, author, time and the
  findings the doctor saw; the newest is the case's current decision, earlier ones are its history.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class AssessmentSettings(BaseModel):
    hospital = models.OneToOneField("org.Hospital", on_delete=models.CASCADE, related_name="doctor_assessment_settings")
    results_window_days = models.PositiveSmallIntegerField(_("results window (days before surgery)"), default=30)
    pull_ahead_days = models.PositiveSmallIntegerField(_("pull results for cases planned within (days)"), default=7)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    def __str__(self):
        return f"{self.hospital} {self.results_window_days}d"


class RuleKind(models.TextChoices):
    LAB_NUMERIC = "lab_numeric", _("lab value compared with a threshold")
    LAB_POSITIVE = "lab_positive", _("qualitative lab result positive")
    EXAM_KEYWORD = "exam_keyword", _("keyword in an exam or ECG report")


class FindingCategory(models.TextChoices):
    LAB_THRESHOLD = "lab_threshold", _("lab value over threshold")
    EXAM_KEYWORD = "exam_keyword", _("exam finding")
    INFECTIOUS = "infectious", _("infectious disease")


class Comparator(models.TextChoices):
    GT = "gt", ">"
    GE = "ge", "≥"
    LT = "lt", "<"
    LE = "le", "≤"


class ExamScope(models.TextChoices):
    ANY = "", _("any exam or ECG")
    EXAM = "exam", _("imaging / ultrasound")
    ECG = "ecg", _("ECG")


class Severity(models.TextChoices):
    ATTENTION = "attention", _("needs attention")
    HIGH = "high", _("high risk")
    CRITICAL = "critical", _("critical")


SEVERITY_ORDER = {Severity.ATTENTION: 1, Severity.HIGH: 2, Severity.CRITICAL: 3}


class HighRiskRule(BaseModel):
    hospital = models.ForeignKey("org.Hospital", on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="high_risk_rules")  # empty: a platform default
    key = models.SlugField(_("key"), max_length=60)
    label = models.CharField(_("label"), max_length=100)  # shown on the list and the bed card: names a test
    kind = models.CharField(_("kind"), max_length=20, choices=RuleKind.choices)
    category = models.CharField(_("category"), max_length=20, choices=FindingCategory.choices)
    codes = models.JSONField(_("item codes"), default=list, blank=True)  # lab item codes / exam codes
    comparator = models.CharField(_("comparator"), max_length=2, choices=Comparator.choices, blank=True)
    threshold = models.DecimalField(_("threshold"), max_digits=14, decimal_places=4, null=True, blank=True)
    exam_kind = models.CharField(_("exam kind"), max_length=10, choices=ExamScope.choices, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="high_risk_rules")
    department = models.ForeignKey("org.Department", on_delete=models.CASCADE, null=True, blank=True,
                                   related_name="high_risk_rules")
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.HIGH)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    note = models.CharField(_("note"), max_length=500, blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["position", "key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "key"], name="uniq_high_risk_rule_key"),
            models.UniqueConstraint(fields=["key"], condition=Q(hospital__isnull=True),
                                    name="uniq_high_risk_default_key"),
        ]

    def __str__(self):
        return f"{self.key} {self.label}"


class HighRiskRuleVersion(models.Model):
    """One version of a rule as it was saved (or deleted): the history administrators and auditors read."""

    rule = models.ForeignKey(HighRiskRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="versions")
    rule_uuid = models.UUIDField(db_index=True)
    hospital = models.ForeignKey("org.Hospital", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    version = models.PositiveIntegerField()
    action = models.CharField(max_length=10)  # created / updated / deleted
    snapshot = models.JSONField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    actor_name = models.CharField(max_length=100, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.rule_uuid} v{self.version} {self.action}"


class CaseRiskState(BaseModel):
    case = models.OneToOneField("cases.SurgicalCase", on_delete=models.CASCADE, related_name="risk_state")
    high_risk = models.BooleanField(default=False, db_index=True)
    categories = models.JSONField(default=list)
    flags = models.JSONField(default=list)  # as last published: [{category, code, label, rule}]
    max_severity = models.CharField(max_length=10, choices=Severity.choices, blank=True)
    summary = models.JSONField(default=dict)  # counts of the results within the window
    window_from = models.DateTimeField(null=True, blank=True)
    window_to = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)  # when the set of findings last changed
    results_pulled_at = models.DateTimeField(null=True, blank=True)
    pull_error = models.CharField(max_length=60, blank=True)

    def __str__(self):
        return f"{self.case_id} high_risk={self.high_risk}"


class FindingSource(models.TextChoices):
    LAB = "lab", _("lab result")
    EXAM = "exam", _("exam report")


class CaseFinding(BaseModel):
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="findings")
    rule = models.ForeignKey(HighRiskRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    rule_key = models.CharField(max_length=60)
    category = models.CharField(max_length=20, choices=FindingCategory.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    source = models.CharField(max_length=10, choices=FindingSource.choices)
    code = models.CharField(max_length=40, blank=True)  # the lab item or exam code
    label = models.CharField(max_length=100)
    value = models.CharField(max_length=200, blank=True)  # the result or the matched words, as the doctor reads it
    lab_result = models.ForeignKey("clinical.LabResult", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    exam_report = models.ForeignKey("clinical.ExamReport", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    issued_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField()

    class Meta:
        ordering = ["case", "-severity", "category", "label", "id"]
        indexes = [models.Index(fields=["case", "category"], name="da_finding_case_category")]

    def __str__(self):
        return f"{self.case_id} {self.label}"


class Decision(models.TextChoices):
    PASSED = "passed", _("passed")
    NEEDS_ATTENTION = "needs_attention", _("passed, needs attention")
    NOT_SUITABLE = "not_suitable", _("not suitable")


class DoctorAssessment(BaseModel):
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="doctor_assessments")
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    author_name = models.CharField(max_length=100)
    decided_at = models.DateTimeField(_("decided at"))
    high_risk = models.BooleanField(default=False)  # as the doctor saw it
    flags = models.JSONField(default=list)  # the findings the doctor saw when deciding
    case_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["case", "-decided_at"], name="da_assessment_case_time")]

    def __str__(self):
        return f"{self.case_id} {self.decision}"
