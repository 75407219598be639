from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Procedure
from clinical.api.serializers import ClinicalExamReportSerializer, ClinicalLabResultSerializer
from doctor_assessment.models import (
    Comparator,
    Decision,
    DoctorAssessment,
    ExamScope,
    FindingCategory,
    HighRiskRule,
    HighRiskRuleVersion,
    RuleKind,
    Severity,
)
from org.models import Department

MAX_RANGE_DAYS = 31


def age_on(birth_date, day) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


# --- queries ------------------------------------------------------------------------------------------------------
class DoctorPatientsQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text=_("One surgery date (default today)"))
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    high_risk = serializers.BooleanField(required=False, default=False, help_text=_("Only high-risk patients"))

    def validate(self, attrs):
        if attrs.get("date") and (attrs.get("date_from") or attrs.get("date_to")):
            raise serializers.ValidationError({"date": [_("Give either a date or a date range, not both.")]})
        start = attrs.get("date_from") or attrs.get("date")
        end = attrs.get("date_to") or attrs.get("date") or start
        if start is None:
            start = end
        if start and end:
            if end < start:
                raise serializers.ValidationError({"date_to": [_("The end date is before the start date.")]})
            if (end - start).days >= MAX_RANGE_DAYS:
                raise serializers.ValidationError({"date_to": [_("Give at most %(n)d days.") % {"n": MAX_RANGE_DAYS}]})
        attrs["range"] = (start, end)
        return attrs


class HighRiskQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text=_("Surgery date (default today)"))
    unreviewed = serializers.BooleanField(required=False, default=False,
                                          help_text=_("Only patients not assessed since their findings changed"))


# --- lists --------------------------------------------------------------------------------------------------------
class HighRiskFlagSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=FindingCategory.choices)
    code = serializers.CharField()
    label = serializers.CharField()
    rule = serializers.CharField(allow_blank=True)


class DoctorResultsSummarySerializer(serializers.Serializer):
    labs = serializers.IntegerField()
    labs_abnormal = serializers.IntegerField()
    labs_critical = serializers.IntegerField()
    lab_reports = serializers.IntegerField()
    exams = serializers.IntegerField()
    exams_abnormal = serializers.IntegerField()
    latest_issued_at = serializers.DateTimeField(allow_null=True)
    window_from = serializers.DateTimeField(allow_null=True)
    window_to = serializers.DateTimeField(allow_null=True)
    evaluated_at = serializers.DateTimeField(allow_null=True)
    pulled_at = serializers.DateTimeField(allow_null=True)
    pull_error = serializers.CharField(allow_blank=True)


class DoctorLatestDecisionSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    note = serializers.CharField(allow_blank=True)
    author = serializers.CharField()
    decided_at = serializers.DateTimeField()


_EMPTY_SUMMARY = {"labs": 0, "labs_abnormal": 0, "labs_critical": 0, "lab_reports": 0, "exams": 0,
                  "exams_abnormal": 0, "latest_issued_at": None}


def summary_of(case) -> dict:
    state = getattr(case, "risk_state", None)
    summary = {**_EMPTY_SUMMARY, **((state.summary or {}) if state else {})}
    summary.update(window_from=state.window_from if state else None, window_to=state.window_to if state else None,
                   evaluated_at=state.evaluated_at if state else None,
                   pulled_at=state.results_pulled_at if state else None, pull_error=state.pull_error if state else "")
    return summary


def _risk(case):
    try:
        return case.risk_state
    except Exception:  # noqa: BLE001 — RelatedObjectDoesNotExist: never evaluated
        return None


class DoctorPatientSerializer(serializers.Serializer):
    """One of the doctor's patients on the list (D1): who, what, when, and what needs a look."""

    uuid = serializers.UUIDField()
    planned_date = serializers.DateField(allow_null=True)
    planned_session = serializers.CharField()
    state = serializers.CharField()
    ward = serializers.SerializerMethodField()
    patient = serializers.SerializerMethodField()
    procedure_name = serializers.CharField()
    procedure_code = serializers.CharField()
    surgeon = serializers.SerializerMethodField()
    preop_assessment_status = serializers.CharField()
    anaesthesia_clinic_status = serializers.CharField()
    high_risk = serializers.SerializerMethodField()
    max_severity = serializers.SerializerMethodField()
    categories = serializers.SerializerMethodField()
    flags = serializers.SerializerMethodField()
    results = serializers.SerializerMethodField()
    latest_decision = serializers.SerializerMethodField()
    reviewed = serializers.SerializerMethodField()

    def get_ward(self, case) -> dict:
        return {"uuid": str(case.ward.uuid), "name": case.ward.name}

    def get_patient(self, case) -> dict:
        p = case.patient
        return {"uuid": str(p.uuid), "name": p.name, "sex": p.sex, "reg_no": p.reg_no,
                "age": age_on(p.birth_date, case.planned_date) if p.birth_date and case.planned_date else None}

    def get_surgeon(self, case) -> dict:
        return {"uuid": str(case.surgeon.uuid), "name": case.surgeon.name}

    def get_high_risk(self, case) -> bool:
        state = _risk(case)
        return bool(state and state.high_risk)

    def get_max_severity(self, case) -> str:
        state = _risk(case)
        return state.max_severity if state else ""

    def get_categories(self, case) -> list[str]:
        state = _risk(case)
        return list(state.categories) if state else []

    @extend_schema_field(HighRiskFlagSerializer(many=True))
    def get_flags(self, case) -> list:
        state = _risk(case)
        return list(state.flags) if state else []

    @extend_schema_field(DoctorResultsSummarySerializer)
    def get_results(self, case) -> dict:
        if _risk(case) is None:
            return DoctorResultsSummarySerializer({**_EMPTY_SUMMARY, "window_from": None, "window_to": None,
                                             "evaluated_at": None, "pulled_at": None, "pull_error": ""}).data
        return DoctorResultsSummarySerializer(summary_of(case)).data

    @extend_schema_field(DoctorLatestDecisionSerializer(allow_null=True))
    def get_latest_decision(self, case) -> dict | None:
        decision = getattr(case, "latest_decision", None)
        if not decision:
            return None
        return {"decision": decision, "note": case.latest_note or "", "author": case.latest_author or "",
                "decided_at": serializers.DateTimeField().to_representation(case.latest_decided_at)}

    def get_reviewed(self, case) -> bool:
        """A decision exists and was taken after the findings last changed."""
        decided = getattr(case, "latest_decided_at", None)
        if decided is None:
            return False
        state = _risk(case)
        return state is None or state.changed_at is None or decided >= state.changed_at


class HighRiskFindingSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    rule = serializers.SerializerMethodField()
    rule_key = serializers.CharField()
    category = serializers.CharField()
    severity = serializers.CharField()
    source = serializers.CharField()
    code = serializers.CharField()
    label = serializers.CharField()
    value = serializers.CharField()
    lab_result = serializers.SerializerMethodField()
    exam_report = serializers.SerializerMethodField()
    issued_at = serializers.DateTimeField(allow_null=True)
    detected_at = serializers.DateTimeField()

    def get_rule(self, finding) -> str:
        return str(finding.rule.uuid) if finding.rule_id else ""

    def get_lab_result(self, finding) -> str | None:
        return str(finding.lab_result.uuid) if finding.lab_result_id else None

    def get_exam_report(self, finding) -> str | None:
        return str(finding.exam_report.uuid) if finding.exam_report_id else None


class DoctorDecisionSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author_name")
    decision_display = serializers.CharField(source="get_decision_display")

    class Meta:
        model = DoctorAssessment
        fields = ["uuid", "decision", "decision_display", "note", "author", "decided_at", "high_risk", "flags",
                  "case_version"]


class DoctorDecisionInputSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    expected_version = serializers.IntegerField(required=False, min_value=1,
                                                help_text=_("The case version the doctor saw"))


class DoctorCaseWorkspaceSerializer(serializers.Serializer):
    """The assessment workspace of one case: the case, its findings, its results in the window, the decisions."""

    case = DoctorPatientSerializer()
    version = serializers.IntegerField()
    findings = HighRiskFindingSerializer(many=True)
    labs = ClinicalLabResultSerializer(many=True)
    exams = ClinicalExamReportSerializer(many=True)
    assessments = DoctorDecisionSerializer(many=True)
    can_decide = serializers.BooleanField()


class DoctorResultsPullSerializer(serializers.Serializer):
    labs = serializers.IntegerField()
    exams = serializers.IntegerField()
    images = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)


# --- rules and settings (administration) -------------------------------------------------------------------------
class HighRiskRuleSerializer(serializers.ModelSerializer):
    hospital = serializers.SerializerMethodField()
    source = serializers.SerializerMethodField()
    procedure = serializers.SlugRelatedField(slug_field="uuid", queryset=Procedure.objects.all(), required=False,
                                             allow_null=True)
    procedure_name = serializers.SerializerMethodField()
    department = serializers.SlugRelatedField(slug_field="uuid", queryset=Department.objects.all(), required=False,
                                              allow_null=True)
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    category = serializers.ChoiceField(choices=FindingCategory.choices, required=False, allow_blank=True)
    comparator = serializers.ChoiceField(choices=Comparator.choices, required=False, allow_blank=True)
    exam_kind = serializers.ChoiceField(choices=ExamScope.choices, required=False, allow_blank=True)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    codes = serializers.ListField(child=serializers.CharField(max_length=40), required=False, max_length=20)
    keywords = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=30)
    threshold = serializers.DecimalField(max_digits=14, decimal_places=4, required=False, allow_null=True)

    class Meta:
        model = HighRiskRule
        fields = ["uuid", "hospital", "source", "key", "label", "kind", "category", "codes", "comparator",
                  "threshold", "exam_kind", "keywords", "procedure", "procedure_name", "department", "severity",
                  "is_enabled", "position", "note", "version", "updated_at"]
        read_only_fields = ["uuid", "hospital", "source", "version", "updated_at"]
        extra_kwargs = {"key": {"validators": []}}

    def get_hospital(self, rule) -> str | None:
        return rule.hospital.code if rule.hospital_id else None

    def get_source(self, rule) -> str:
        return "hospital" if rule.hospital_id else "default"

    def get_procedure_name(self, rule) -> str:
        return rule.procedure.name if rule.procedure_id else ""


class HighRiskRuleUpdateSerializer(HighRiskRuleSerializer):
    expected_version = serializers.IntegerField(required=False, min_value=1)

    class Meta(HighRiskRuleSerializer.Meta):
        fields = [*HighRiskRuleSerializer.Meta.fields, "expected_version"]
        extra_kwargs = {"key": {"validators": [], "required": False}, "label": {"required": False}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].required = False


class HighRiskRuleVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = HighRiskRuleVersion
        fields = ["version", "action", "snapshot", "actor_name", "at"]


class DoctorAssessmentSettingsSerializer(serializers.Serializer):
    results_window_days = serializers.IntegerField(min_value=1, max_value=365, required=False)
    pull_ahead_days = serializers.IntegerField(min_value=0, max_value=30, required=False)
    custom = serializers.BooleanField(read_only=True)
