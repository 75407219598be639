"""Input and output shapes of the anaesthesia clinic API. Lists mask identifiers; an assessment's detail is an
audited read. The sections' own validation lives in anaesthesia.validation (built from anaesthesia.form)."""

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from anaesthesia.models import (
    AnaesthesiaAssessment,
    AssessmentCitation,
    AssessmentNotification,
    CitationKind,
    MappingKind,
    ResultMappingRule,
)
from anaesthesia.selectors import bmi_of
from anaesthesia.services import evaluation_state
from anaesthesia.validation import StrictCharField
from cases.api.serializers import PatientListSerializer, RefSerializer
from org.models import Hospital

# --- output ------------------------------------------------------------------------------------------------------


class ClinicWardRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class AssessmentRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    status = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class QueueItemSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["case", "sedation_appointment"], read_only=True)
    uuid = serializers.UUIDField(read_only=True, help_text=_("The case or sedation appointment"))
    patient = PatientListSerializer(read_only=True)
    ward = ClinicWardRefSerializer(read_only=True)
    procedure_kind = serializers.CharField(read_only=True)
    procedure_name = serializers.CharField(read_only=True)
    date = serializers.DateField(read_only=True, allow_null=True)
    scheduled_at = serializers.DateTimeField(read_only=True, allow_null=True)
    doctor_name = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    assessment = AssessmentRefSerializer(read_only=True, allow_null=True)


class CitationSerializer(serializers.ModelSerializer):
    cited_by = RefSerializer(read_only=True)

    class Meta:
        model = AssessmentCitation
        fields = ["uuid", "kind", "source_uuid", "snapshot", "note", "cited_by", "created_at"]
        read_only_fields = fields


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = AssessmentNotification
        fields = ["channel", "recipient", "status", "external_id", "detail", "delivered_at"]
        read_only_fields = fields


class AssessmentListSerializer(serializers.ModelSerializer):
    patient = PatientListSerializer(read_only=True)
    ward = ClinicWardRefSerializer(read_only=True)
    case = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    sedation_appointment = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    anaesthetist = RefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = AnaesthesiaAssessment
        fields = ["uuid", "assessment_no", "status", "version", "procedure_kind", "patient", "ward", "case",
                  "sedation_appointment", "anaesthetist", "concluded_at", "created_at", "updated_at"]
        read_only_fields = fields


class AssessmentSerializer(AssessmentListSerializer):
    bmi = serializers.SerializerMethodField()
    evaluation = serializers.SerializerMethodField()
    citations = CitationSerializer(many=True, read_only=True)
    notifications = NotificationSerializer(many=True, read_only=True)
    concluded_by = RefSerializer(read_only=True, allow_null=True)
    amends = serializers.SlugRelatedField(slug_field="uuid", read_only=True,
                                          help_text=_("The concluded assessment this one re-opens"))

    class Meta(AssessmentListSerializer.Meta):
        fields = AssessmentListSerializer.Meta.fields + [
            "general", "sections", "sources", "bmi", "evaluation", "recommendations", "recommendations_suggested",
            "recommendations_edited", "opinion", "conclusion_reason", "concluded_by", "citations", "notifications",
            "amends", "amendment_reason",
        ]
        read_only_fields = fields

    def get_bmi(self, obj) -> float | None:
        return bmi_of(obj.sections or {})

    def get_evaluation(self, obj) -> dict:
        """The last risk evaluation and whether it still describes the data (stale results cannot conclude)."""
        return {
            "uuid": obj.evaluation_uuid, "state": evaluation_state(obj), "evaluated_at": obj.evaluated_at,
            "summary": obj.risk_summary or None,
        }


FACTOR_MIN = Decimal("0.000001")


class MappingRuleSerializer(serializers.ModelSerializer):
    hospital = serializers.SlugRelatedField(slug_field="uuid", queryset=Hospital.objects.all(), allow_null=True,
                                            required=False)
    factor = serializers.DecimalField(max_digits=12, decimal_places=6, min_value=FACTOR_MIN, required=False,
                                      default=Decimal(1))

    class Meta:
        model = ResultMappingRule
        fields = ["uuid", "hospital", "kind", "code", "name", "target", "source_unit", "factor", "is_enabled",
                  "position", "updated_at"]
        read_only_fields = ["uuid", "updated_at"]
        validators = []  # duplicates are refused by the service (field-level, with the hospital default in mind)


class MappingRuleUpdateSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, required=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    target = serializers.CharField(max_length=40, required=False)
    source_unit = serializers.CharField(max_length=20, required=False, allow_blank=True)
    factor = serializers.DecimalField(max_digits=12, decimal_places=6, min_value=FACTOR_MIN, required=False)
    is_enabled = serializers.BooleanField(required=False)
    position = serializers.IntegerField(min_value=0, max_value=100000, required=False)


class LabResultSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    report_no = serializers.CharField(source="report.report_no", read_only=True)
    report_name = serializers.CharField(source="report.name", read_only=True)
    visit_no = serializers.CharField(source="report.visit_no", read_only=True)
    issued_at = serializers.DateTimeField(source="report.issued_at", read_only=True, allow_null=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    value = serializers.CharField(read_only=True)
    unit = serializers.CharField(read_only=True)
    ref_low = serializers.DecimalField(max_digits=14, decimal_places=4, read_only=True, allow_null=True)
    ref_high = serializers.DecimalField(max_digits=14, decimal_places=4, read_only=True, allow_null=True)
    ref_text = serializers.CharField(read_only=True)
    flag = serializers.CharField(read_only=True)
    arrow = serializers.CharField(read_only=True)
    arrow_symbol = serializers.CharField(read_only=True)


class ExamReportSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    visit_no = serializers.CharField(read_only=True)
    report_no = serializers.CharField(read_only=True)
    kind = serializers.CharField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    findings = serializers.CharField(read_only=True)
    conclusion = serializers.CharField(read_only=True)
    abnormal = serializers.BooleanField(read_only=True, allow_null=True)
    issued_at = serializers.DateTimeField(read_only=True, allow_null=True)


class ReportDataSerializer(serializers.Serializer):
    """The report as data (anaesthesia.selectors.assessment_report_data) plus the structured results."""

    report = serializers.JSONField()
    status = serializers.CharField()
    opinion = serializers.CharField()
    plan = serializers.JSONField()
    events = serializers.JSONField(help_text=_("Per adverse event: level and the models' results"))
    disposition = serializers.CharField(allow_blank=True)
    recommendations = serializers.JSONField()
    evaluation_state = serializers.CharField()
    superseded = serializers.BooleanField(help_text=_("Re-opened for an amendment; a new conclusion is pending"))


# --- input -------------------------------------------------------------------------------------------------------


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, required=False,
                                       help_text=_("The version the client saw; a different one answers 409"))


class AssessmentStartSerializer(serializers.Serializer):
    # Plain UUIDs, looked up through the caller's ward scope: an invisible case is answered like a missing one.
    case = serializers.UUIDField(required=False, allow_null=True)
    sedation_appointment = serializers.UUIDField(required=False, allow_null=True)

    def validate(self, attrs):
        if bool(attrs.get("case")) == bool(attrs.get("sedation_appointment")):
            raise serializers.ValidationError({"case": [_("Give either a case or a sedation appointment.")]})
        return attrs


class AssessmentUpdateSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text=_("The version the client saw (optimistic locking)"))
    sections = serializers.JSONField(required=False, help_text=_(
        "Partial sections: {section: {field: value}}; null clears a field. See /anaesthesia-assessment-form/."))
    recommendations = serializers.JSONField(required=False, allow_null=True, help_text=_(
        "The edited recommendations; null resets them to the model's suggestion."))
    opinion = StrictCharField(required=False, allow_blank=True, max_length=2000)


class AutofillSerializer(VersionSerializer):
    overwrite = serializers.BooleanField(required=False, default=False,
                                         help_text=_("Also replace values typed by hand"))


class CitationCreateSerializer(VersionSerializer):
    kind = serializers.ChoiceField(choices=CitationKind.choices)
    result = serializers.UUIDField(help_text=_("The lab result or exam report uuid"))
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ConcludeSerializer(VersionSerializer):
    result = serializers.ChoiceField(choices=[("pass", _("pass")), ("fail", _("fail"))])
    opinion = StrictCharField(max_length=2000)
    reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


class AmendSerializer(VersionSerializer):
    reason = StrictCharField(max_length=500)


class AutofillResultSerializer(serializers.Serializer):
    filled = serializers.JSONField()
    kept = serializers.JSONField(help_text=_("Values typed by hand that were kept, with the suggested value"))
    skipped = serializers.JSONField()
    fetch = serializers.JSONField()
    version = serializers.IntegerField()


class QueueQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False)
    status = serializers.ChoiceField(choices=["waiting", "in_progress"], required=False)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=50, required=False, allow_blank=True)
    abnormal_only = serializers.BooleanField(required=False, default=False)
    kind = serializers.ChoiceField(choices=["exam", "ecg"], required=False)


class ValidationQuerySerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=["evaluate", "conclude"], required=False, default="conclude")


class MappingRuleQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MappingKind.choices, required=False)
