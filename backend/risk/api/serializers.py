"""Input/output shapes of the risk API. References are public UUIDs."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.models import Procedure
from core.api.fields import UUIDRelatedField
from org.models import Hospital
from risk.models import (
    ArozullahSurgery,
    CapriniSurgery,
    Disposition,
    Event,
    GuptaCategory,
    KnowledgeBaseEntry,
    KnowledgeBaseVersion,
    Level,
    LipsSurgery,
    ProcedureRiskProfile,
    ProcedureType,
    RiskEvaluation,
    Seniority,
    SortSeverity,
    SortSpecialty,
    SurgicalIncision,
)
from risk.services import MAX_ADVICE_LENGTH, MAX_INPUTS, MAX_ITEM_LENGTH, MAX_LIST_ITEMS


class RiskStaffRef(serializers.Serializer):
    """A staff member or hospital by uuid and name."""

    uuid = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


# --- model catalogue -------------------------------------------------------------------------------------------


class RiskModelCardSerializer(serializers.Serializer):
    """One model's card (metadata from the engine); the remaining card fields are passed through as given."""

    id = serializers.CharField()
    name = serializers.CharField()
    name_zh = serializers.CharField()
    version = serializers.CharField()
    event = serializers.CharField()
    kind = serializers.CharField()
    citation = serializers.CharField()
    card = serializers.SerializerMethodField(help_text=_("The full model card: derivation population, bands with "
                                                         "level and published risk, inputs, confidence, notes."))

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_card(self, obj):
        return obj


# --- evaluations ----------------------------------------------------------------------------------------------------


class RiskEvaluationInputSerializer(serializers.Serializer):
    inputs = serializers.DictField(
        child=serializers.JSONField(), help_text=_("Patient inputs by canonical name (see ml_models/README.md).")
    )
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                    help_text=_("A free label, e.g. the calculator screen; no patient identity."))

    def validate_inputs(self, value):
        if len(value) > MAX_INPUTS:
            raise serializers.ValidationError(_("Too many inputs."))
        return value


class RiskEvaluationSerializer(serializers.ModelSerializer):
    actor = RiskStaffRef(read_only=True, allow_null=True)

    class Meta:
        model = RiskEvaluation
        fields = ("uuid", "created_at", "engine_version", "knowledge_base_number", "subject", "actor", "inputs",
                  "results", "summary")
        read_only_fields = fields


class RiskEvaluationListSerializer(serializers.ModelSerializer):
    disposition = serializers.SerializerMethodField()

    class Meta:
        model = RiskEvaluation
        fields = ("uuid", "created_at", "engine_version", "knowledge_base_number", "subject", "disposition")
        read_only_fields = fields

    def get_disposition(self, obj) -> str:
        return (obj.summary or {}).get("disposition", "")


# --- knowledge base -----------------------------------------------------------------------------------------------


def _text_list():
    return serializers.ListField(
        child=serializers.CharField(max_length=MAX_ITEM_LENGTH, allow_blank=False), max_length=MAX_LIST_ITEMS,
        required=False,
    )


class KnowledgeBaseEntrySerializer(serializers.ModelSerializer):
    version = serializers.UUIDField(source="version.uuid", read_only=True)

    class Meta:
        model = KnowledgeBaseEntry
        fields = ("uuid", "version", "event", "level", "monitoring", "drugs", "seniority", "equipment", "disposition",
                  "advice", "updated_at")
        read_only_fields = fields


_UNKNOWN_CHOICE = {"invalid_choice": _("Unknown value.")}  # never echo the caller's value back


class KnowledgeBaseEntryQuerySerializer(serializers.Serializer):
    version = UUIDRelatedField(queryset=KnowledgeBaseVersion.objects.all(), required=False)
    event = serializers.ChoiceField(choices=Event.choices, required=False, error_messages=_UNKNOWN_CHOICE)
    level = serializers.ChoiceField(choices=Level.choices, required=False, error_messages=_UNKNOWN_CHOICE)
    disposition = serializers.ChoiceField(choices=Disposition.choices, required=False,
                                          error_messages=_UNKNOWN_CHOICE)


class KnowledgeBaseEntryUpdateSerializer(serializers.Serializer):
    monitoring = _text_list()
    drugs = _text_list()
    equipment = _text_list()
    seniority = serializers.ChoiceField(choices=Seniority.choices, required=False)
    disposition = serializers.ChoiceField(choices=Disposition.choices, required=False)
    advice = serializers.CharField(max_length=MAX_ADVICE_LENGTH, required=False, allow_blank=True)


class KnowledgeBaseVersionSerializer(serializers.ModelSerializer):
    hospital = RiskStaffRef(read_only=True)
    created_by = RiskStaffRef(read_only=True, allow_null=True)
    published_by = RiskStaffRef(read_only=True, allow_null=True)
    based_on = serializers.SerializerMethodField()

    class Meta:
        model = KnowledgeBaseVersion
        fields = ("uuid", "hospital", "number", "status", "note", "based_on", "created_by", "created_at",
                  "published_at", "published_by", "retired_at", "updated_at")
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_based_on(self, obj):
        return obj.based_on.number if obj.based_on_id else None


class KnowledgeBaseVersionDetailSerializer(KnowledgeBaseVersionSerializer):
    entries = KnowledgeBaseEntrySerializer(many=True, read_only=True)
    band_cutoffs = serializers.JSONField(read_only=True)
    screening_rules = serializers.JSONField(read_only=True)

    class Meta(KnowledgeBaseVersionSerializer.Meta):
        fields = (*KnowledgeBaseVersionSerializer.Meta.fields, "band_cutoffs", "screening_rules", "entries")
        read_only_fields = fields


class KnowledgeBaseCreateSerializer(serializers.Serializer):
    hospital = UUIDRelatedField(queryset=Hospital.objects.all(), required=False,
                                help_text=_("Default: the hospital of your department."))
    source = UUIDRelatedField(queryset=KnowledgeBaseVersion.objects.select_related("hospital"), required=False,
                              help_text=_("The version to copy; default: the published one."))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class KnowledgeBaseCopySerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)


class KnowledgeBaseUpdateSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)
    band_cutoffs = serializers.DictField(
        child=serializers.DictField(child=serializers.FloatField()), required=False,
        help_text=_('{"gupta_mica": {"intermediate_from": 0.01, "high_from": 0.05}} — probabilities as fractions.'),
    )
    screening_rules = serializers.DictField(child=serializers.JSONField(), required=False)


# --- procedure risk profiles ------------------------------------------------------------------------------------


class _ProcedureRef(serializers.ModelSerializer):
    class Meta:
        model = Procedure
        fields = ("uuid", "code", "name", "grade", "default_duration_minutes")
        read_only_fields = fields


class ProcedureRiskProfileSerializer(serializers.ModelSerializer):
    procedure = _ProcedureRef(read_only=True)
    updated_by = RiskStaffRef(read_only=True, allow_null=True)

    class Meta:
        model = ProcedureRiskProfile
        fields = ("uuid", "procedure", "procedure_type", "procedure_category", "surgical_incision",
                  "rcri_elevated_risk_surgery", "arozullah_surgery", "lips_high_risk_surgery", "caprini_surgery",
                  "sort_severity", "sort_specialty", "general_anaesthesia", "note", "updated_by", "updated_at")
        read_only_fields = fields


class ProcedureRiskProfileWriteSerializer(serializers.Serializer):
    """Blank text choices and null booleans mean "not configured" (derived or reported as missing)."""

    procedure = UUIDRelatedField(queryset=Procedure.objects.all())
    procedure_type = serializers.ChoiceField(choices=ProcedureType.choices, required=False)
    procedure_category = serializers.ChoiceField(choices=GuptaCategory.choices, required=False, allow_blank=True)
    surgical_incision = serializers.ChoiceField(choices=SurgicalIncision.choices, required=False, allow_blank=True)
    rcri_elevated_risk_surgery = serializers.BooleanField(required=False, allow_null=True)
    arozullah_surgery = serializers.ChoiceField(choices=ArozullahSurgery.choices, required=False, allow_blank=True)
    lips_high_risk_surgery = serializers.ChoiceField(choices=LipsSurgery.choices, required=False, allow_blank=True)
    caprini_surgery = serializers.ChoiceField(choices=CapriniSurgery.choices, required=False, allow_blank=True)
    sort_severity = serializers.ChoiceField(choices=SortSeverity.choices, required=False, allow_blank=True)
    sort_specialty = serializers.ChoiceField(choices=SortSpecialty.choices, required=False, allow_blank=True)
    general_anaesthesia = serializers.BooleanField(required=False, allow_null=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ProcedureRiskProfileUpdateSerializer(ProcedureRiskProfileWriteSerializer):
    procedure = None


class DerivedInputSerializer(serializers.Serializer):
    value = serializers.JSONField()
    source = serializers.ChoiceField(choices=[("profile", _("profile")), ("derived", _("derived"))])
    reason = serializers.CharField(allow_blank=True)


class ProcedureRiskInputsSerializer(serializers.Serializer):
    procedure = _ProcedureRef()
    has_profile = serializers.BooleanField()
    inputs = serializers.DictField(child=DerivedInputSerializer())


class ProcedureRiskInputsQuerySerializer(serializers.Serializer):
    procedure = UUIDRelatedField(queryset=Procedure.objects.all())
