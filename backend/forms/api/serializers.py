"""Input and output serializers of the forms API."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from forms.models import AssignmentSource, AssignmentStatus, FormKind, ResponseChannel

# --- output ----------------------------------------------------------------------------------------------------


class FormProcedureSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()


class FormVersionSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    version = serializers.IntegerField()
    title = serializers.CharField()
    schema = serializers.JSONField(help_text="questions and abnormal-answer rules (see forms.schema)")
    max_score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    created_by_name = serializers.SerializerMethodField()

    def get_created_by_name(self, obj) -> str:
        return obj.created_by.name if obj.created_by_id else ""


class FormSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=FormKind.choices)
    title = serializers.CharField()
    description = serializers.CharField()
    hospital = serializers.SerializerMethodField()
    is_default = serializers.BooleanField()
    procedure = FormProcedureSerializer(allow_null=True)
    is_active = serializers.BooleanField()
    current_version = FormVersionSerializer(allow_null=True)
    updated_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.UUID)
    def get_hospital(self, obj):
        return str(obj.hospital.uuid) if obj.hospital_id else None


class FormSummarySerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    code = serializers.CharField()
    kind = serializers.ChoiceField(choices=FormKind.choices)
    title = serializers.CharField()


class ResponseSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    assignment = serializers.UUIDField(source="assignment.uuid")
    case = serializers.UUIDField(source="case.uuid")
    patient_name = serializers.CharField(source="patient.name")
    form = FormSummarySerializer(source="assignment.form")
    version = serializers.IntegerField(source="version.version")
    channel = serializers.ChoiceField(choices=ResponseChannel.choices)
    answers = serializers.JSONField()
    complete = serializers.BooleanField()
    missing = serializers.ListField(child=serializers.CharField())
    score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    has_abnormal = serializers.BooleanField()
    abnormal = serializers.ListField(child=serializers.CharField())
    abnormal_details = serializers.JSONField(help_text="[{code, label, questions, tags}]")
    tags = serializers.ListField(child=serializers.CharField())
    submitted_at = serializers.DateTimeField()
    submitted_by_type = serializers.CharField()
    submitted_by_name = serializers.CharField()


class AssignmentSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    case = serializers.UUIDField(source="case.uuid")
    patient_name = serializers.CharField(source="patient.name")
    form = FormSummarySerializer()
    version = serializers.IntegerField(source="version.version")
    title = serializers.CharField(source="version.title")
    source = serializers.ChoiceField(choices=AssignmentSource.choices)
    status = serializers.ChoiceField(choices=AssignmentStatus.choices)
    available_from = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)
    notify = serializers.BooleanField()
    note = serializers.CharField()
    origin_response = serializers.SerializerMethodField()
    completed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    reopen_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.UUID)
    def get_origin_response(self, obj):
        return str(obj.origin_response.uuid) if obj.origin_response_id else None


class AssignmentDetailSerializer(AssignmentSerializer):
    schema = serializers.JSONField(source="version.schema")
    max_score = serializers.DecimalField(source="version.max_score", max_digits=8, decimal_places=2, allow_null=True)
    responses = ResponseSerializer(many=True, source="ordered_responses")


# --- patient-facing (no scores, no abnormal rules) ------------------------------------------------------------


def patient_questions(schema):
    """The questions as the patient sees them: option scores and voice aliases stay with the staff."""
    questions = []
    for question in schema.get("questions", []):
        shown = {k: v for k, v in question.items() if k not in ("scores", "scored")}
        if "options" in shown:
            shown["options"] = [{"value": o["value"], "label": o["label"]} for o in shown["options"]]
        questions.append(shown)
    return questions


class MyAssignmentSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    case = serializers.UUIDField(source="case.uuid")
    procedure_name = serializers.CharField(source="case.procedure_name")
    title = serializers.CharField(source="version.title")
    kind = serializers.ChoiceField(source="form.kind", choices=FormKind.choices)
    source = serializers.ChoiceField(choices=AssignmentSource.choices)
    status = serializers.ChoiceField(choices=AssignmentStatus.choices)
    available_from = serializers.DateTimeField()
    available = serializers.SerializerMethodField(help_text="false while the form may not be filled in yet (M6)")
    due_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)

    def get_available(self, obj) -> bool:
        return obj.available_from <= timezone.now()


class MyAssignmentDetailSerializer(MyAssignmentSerializer):
    description = serializers.CharField(source="form.description")
    questions = serializers.SerializerMethodField()
    answers = serializers.SerializerMethodField(
        help_text="the last answers given (a partial voice answer pre-fills the form; a completed one is shown)"
    )

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_questions(self, obj):
        return patient_questions(obj.version.schema)

    @extend_schema_field(serializers.DictField())
    def get_answers(self, obj):
        last = getattr(obj, "last_response", None)
        return dict(last.answers) if last is not None else {}


class MySubmitResultSerializer(serializers.Serializer):
    assignment = serializers.UUIDField(source="assignment.uuid")
    status = serializers.ChoiceField(source="assignment.status", choices=AssignmentStatus.choices)
    complete = serializers.BooleanField()
    submitted_at = serializers.DateTimeField()
    message = serializers.SerializerMethodField()

    def get_message(self, obj) -> str:
        if obj.has_abnormal:
            return str(_("Thank you. Your care team has been told about some of your answers and may contact you."))
        return str(_("Thank you, your answers have been sent."))


class FormChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class FormOptionsSerializer(serializers.Serializer):
    kinds = FormChoiceSerializer(many=True)
    question_types = FormChoiceSerializer(many=True)
    operators = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))
    sources = FormChoiceSerializer(many=True)
    statuses = FormChoiceSerializer(many=True)


# --- input -----------------------------------------------------------------------------------------------------


class SchemaField(serializers.JSONField):
    """A questionnaire schema; validated by forms.schema on save (errors per question/rule path)."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            raise serializers.ValidationError(_("The schema must be an object with questions and rules."))
        return value


class FormQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FormKind.choices, required=False)
    procedure = serializers.UUIDField(required=False)


class FormCreateInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[c for c in FormKind.choices if c[0] != FormKind.CUSTOM])
    code = serializers.SlugField(max_length=60)
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=500, required=False, default="", allow_blank=True)
    procedure = serializers.UUIDField(required=False, allow_null=True, default=None)
    schema = SchemaField()
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class FormUpdateInput(serializers.Serializer):
    title = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    procedure = serializers.UUIDField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)


class FormVersionInput(serializers.Serializer):
    schema = SchemaField()
    title = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class AssignmentQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=AssignmentStatus.choices, required=False)
    kind = serializers.ChoiceField(choices=FormKind.choices, required=False)


class AssignmentListQuery(serializers.Serializer):
    ward = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=AssignmentStatus.choices, required=False)
    source = serializers.ChoiceField(choices=AssignmentSource.choices, required=False)
    kind = serializers.ChoiceField(choices=FormKind.choices, required=False)


class AssignmentCreateInput(serializers.Serializer):
    form = serializers.UUIDField()
    available_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    notify = serializers.BooleanField(required=False, default=True)
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class CustomFormInput(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    schema = SchemaField()
    available_from = serializers.DateTimeField(required=False, allow_null=True, default=None)
    due_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    notify = serializers.BooleanField(required=False, default=True)
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
    origin_response = serializers.UUIDField(required=False, allow_null=True, default=None,
                                            help_text="the abnormal response that led to this form")


class StaffResponseInput(serializers.Serializer):
    answers = serializers.DictField(help_text="question key -> answer")
    partial = serializers.BooleanField(required=False, default=False,
                                       help_text="keep unanswered required questions open (complete=false)")


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class ResponseQuery(serializers.Serializer):
    ward = serializers.UUIDField(required=False)
    abnormal = serializers.BooleanField(required=False, allow_null=True, default=None)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    kind = serializers.ChoiceField(choices=FormKind.choices, required=False)
    channel = serializers.ChoiceField(choices=ResponseChannel.choices, required=False)

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": [_("The end date is before the start date.")]})
        return attrs


class MyAssignmentQuery(serializers.Serializer):
    case = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=AssignmentStatus.choices, required=False)


class MySubmitInput(serializers.Serializer):
    assignment = serializers.UUIDField(help_text="the form given to the patient (my/forms/)")
    answers = serializers.DictField(help_text="question key -> answer")
