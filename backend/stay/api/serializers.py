"""Input and output serializers of the stay API."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.api.serializers import PatientListSerializer, RefSerializer
from cases.models import LosAlertLevel
from stay.models import (
    PADS_ITEMS,
    AdverseEvent,
    AdverseEventKind,
    CareStage,
    ClavienDindo,
    Complication,
    Discharge,
    DischargeAssessment,
    DischargeDisposition,
    HarmLevel,
    InpatientTransfer,
    TheatrePoint,
    TheatreTime,
    TransferReason,
    UnplannedReturn,
)
from stay.services import INSTRUCTION_TOPICS


class _PastTime(serializers.DateTimeField):
    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if parsed > timezone.now() + timezone.timedelta(minutes=5):
            raise serializers.ValidationError(_("The time cannot be in the future."))
        return parsed


class RecorderSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()


def _recorder():
    return RecorderSerializer(read_only=True, allow_null=True)


# --- inputs ----------------------------------------------------------------------------------------------------


class AdmissionInput(serializers.Serializer):
    admitted_at = _PastTime(required=False)
    bed_no = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TheatreTimesInput(serializers.Serializer):
    times = serializers.DictField(child=_PastTime(), allow_empty=False,
                                  help_text="{point: time}; points: " + ", ".join(TheatrePoint.values))
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")

    def validate_times(self, value):
        unknown = sorted(set(value) - set(TheatrePoint.values))
        if unknown:
            raise serializers.ValidationError(_("Unknown time point."))
        return value


class ComplicationInput(serializers.Serializer):
    occurred_at = _PastTime()
    stage = serializers.ChoiceField(choices=CareStage.choices)
    clavien_dindo_grade = serializers.ChoiceField(choices=ClavienDindo.choices)
    description = serializers.CharField(max_length=500)
    diagnosis_code = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    treatment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AdverseEventInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AdverseEventKind.choices)
    occurred_at = _PastTime()
    harm = serializers.ChoiceField(choices=HarmLevel.choices)
    description = serializers.CharField(max_length=1000)
    actions_taken = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    reported_externally = serializers.BooleanField(required=False, default=False)


class UnplannedReturnInput(serializers.Serializer):
    occurred_at = _PastTime()
    reason = serializers.CharField(max_length=500)
    procedure_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    complication = serializers.UUIDField(required=False, allow_null=True)


class DischargeAssessmentInput(serializers.Serializer):
    assessed_at = _PastTime(required=False)
    vital_signs = serializers.IntegerField(min_value=0, max_value=2)
    activity = serializers.IntegerField(min_value=0, max_value=2)
    nausea_vomiting = serializers.IntegerField(min_value=0, max_value=2)
    pain = serializers.IntegerField(min_value=0, max_value=2)
    surgical_bleeding = serializers.IntegerField(min_value=0, max_value=2)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class InstructionsSerializer(serializers.Serializer):
    wound_care = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    diet = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    activity = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    medication = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    warning_signs = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    follow_up = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    other = serializers.CharField(max_length=1000, required=False, allow_blank=True)


assert tuple(InstructionsSerializer().fields) == INSTRUCTION_TOPICS


class DischargeWithInstructionsInput(serializers.Serializer):
    discharged_at = _PastTime(required=False)
    disposition = serializers.ChoiceField(choices=DischargeDisposition.choices)
    instructions = InstructionsSerializer()
    override_reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    escort_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    follow_up_date = serializers.DateField(required=False, allow_null=True)


class InpatientTransferInput(serializers.Serializer):
    transferred_at = _PastTime(required=False)
    reason_code = serializers.ChoiceField(choices=TransferReason.choices)
    reason_text = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    target_ward_code = serializers.CharField(max_length=40)
    target_ward_name = serializers.CharField(max_length=100)
    target_department_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    bed_no = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    inpatient_admission_no = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class TheatreEventInput(serializers.Serializer):
    """A time point pushed by the theatre / anaesthesia system (手麻), signed like the HIS launch."""

    case = serializers.UUIDField(required=False, allow_null=True)
    application_no = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    times = serializers.DictField(child=_PastTime(), allow_empty=False)

    def validate(self, attrs):
        if not attrs.get("case") and not attrs.get("application_no"):
            raise serializers.ValidationError({"case": [_("Give the case or the application number.")]})
        unknown = sorted(set(attrs["times"]) - set(TheatrePoint.values))
        if unknown:
            raise serializers.ValidationError({"times": [_("Unknown time point.")]})
        return attrs


class AlertQuery(serializers.Serializer):
    ward = serializers.UUIDField(required=False)
    all = serializers.BooleanField(required=False, default=False)


# --- outputs ---------------------------------------------------------------------------------------------------


class AdmissionSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    admitted_at = serializers.DateTimeField()
    admission_no = serializers.CharField()
    his_visit_no = serializers.CharField()
    bed_no = serializers.CharField()
    note = serializers.CharField()
    recorded_by = _recorder()


class TheatreTimeSerializer(serializers.ModelSerializer):
    recorded_by = _recorder()

    class Meta:
        model = TheatreTime
        fields = ["uuid", "point", "at", "source", "corrections", "correction_reason", "recorded_by"]


class ComplicationSerializer(serializers.ModelSerializer):
    recorded_by = _recorder()

    class Meta:
        model = Complication
        fields = ["uuid", "occurred_at", "stage", "clavien_dindo_grade", "diagnosis_code", "description", "treatment",
                  "recorded_by", "created_at"]


class AdverseEventSerializer(serializers.ModelSerializer):
    recorded_by = _recorder()
    never_event = serializers.SerializerMethodField()

    class Meta:
        model = AdverseEvent
        fields = ["uuid", "kind", "occurred_at", "harm", "description", "actions_taken", "reported_externally",
                  "never_event", "recorded_by", "created_at"]

    def get_never_event(self, obj) -> bool:
        from stay.models import NEVER_EVENTS

        return obj.kind in NEVER_EVENTS


class UnplannedReturnSerializer(serializers.ModelSerializer):
    recorded_by = _recorder()
    complication = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = UnplannedReturn
        fields = ["uuid", "occurred_at", "reason", "procedure_name", "complication", "recorded_by", "created_at"]


class DischargeAssessmentSerializer(serializers.ModelSerializer):
    recorded_by = _recorder()

    class Meta:
        model = DischargeAssessment
        fields = ["uuid", "assessed_at", "tool", *PADS_ITEMS, "score", "ready_score", "passed", "note",
                  "recorded_by"]


class DischargeSerializer(serializers.ModelSerializer):
    recorded_by = _recorder()
    assessment = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    instructions = InstructionsSerializer()

    class Meta:
        model = Discharge
        fields = ["uuid", "discharged_at", "disposition", "assessment", "override_reason", "instructions",
                  "escort_name", "follow_up_date", "his_status", "his_synced_at", "recorded_by"]


class InpatientTransferSerializer(serializers.ModelSerializer):
    recorded_by = _recorder()

    class Meta:
        model = InpatientTransfer
        fields = ["uuid", "transferred_at", "reason_code", "reason_text", "target_ward_code", "target_ward_name",
                  "target_department_code", "bed_no", "day_surgery_admission_no", "inpatient_admission_no",
                  "inpatient_visit_no", "hours_since_admission", "recorded_by"]


class LosSerializer(serializers.Serializer):
    running = serializers.BooleanField()
    hours = serializers.FloatField()
    level = serializers.ChoiceField(choices=LosAlertLevel.choices)
    deadline_24h = serializers.DateTimeField()
    deadline_48h = serializers.DateTimeField()
    delayed_discharge = serializers.BooleanField()


class StayRecordSerializer(serializers.Serializer):
    case = serializers.UUIDField(source="case.uuid")
    state = serializers.CharField(source="case.state")
    admission = AdmissionSerializer(allow_null=True)
    theatre_times = TheatreTimeSerializer(many=True)
    complications = ComplicationSerializer(many=True)
    adverse_events = AdverseEventSerializer(many=True)
    unplanned_returns = UnplannedReturnSerializer(many=True)
    discharge_assessments = DischargeAssessmentSerializer(many=True)
    discharge = DischargeSerializer(allow_null=True)
    transfer = InpatientTransferSerializer(allow_null=True)
    los = LosSerializer(allow_null=True)


class AlertCaseSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    patient = PatientListSerializer()
    ward = RefSerializer()
    surgeon = RefSerializer()
    procedure_name = serializers.CharField()
    state = serializers.CharField()
    admitted_at = serializers.DateTimeField()


class LatestAssessmentSerializer(serializers.Serializer):
    score = serializers.IntegerField()
    passed = serializers.BooleanField()
    assessed_at = serializers.DateTimeField()


class LosAlertSerializer(serializers.Serializer):
    case = AlertCaseSerializer()
    admission_no = serializers.CharField()
    bed_no = serializers.CharField()
    hours = serializers.FloatField()
    level = serializers.ChoiceField(choices=LosAlertLevel.choices)
    flagged_level = serializers.ChoiceField(choices=LosAlertLevel.choices)
    deadline_24h = serializers.DateTimeField()
    deadline_48h = serializers.DateTimeField()
    action = serializers.ChoiceField(choices=["", "assess_discharge", "discharge_or_transfer"])
    latest_assessment = LatestAssessmentSerializer(allow_null=True)


class ChoiceSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class PadsItemSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    scale = serializers.DictField(child=serializers.CharField())


class StayOptionsSerializer(serializers.Serializer):
    theatre_points = ChoiceSerializer(many=True)
    clavien_dindo_grades = ChoiceSerializer(many=True)
    complication_stages = ChoiceSerializer(many=True)
    adverse_event_kinds = ChoiceSerializer(many=True)
    harm_levels = ChoiceSerializer(many=True)
    discharge_dispositions = ChoiceSerializer(many=True)
    transfer_reasons = ChoiceSerializer(many=True)
    instruction_topics = serializers.ListField(child=serializers.CharField())
    pads_items = PadsItemSerializer(many=True)
    pads_ready_score = serializers.IntegerField()


class MyDischargeSerializer(serializers.ModelSerializer):
    """What the patient app shows: no staff names, no HIS internals, no override reasons."""

    instructions = InstructionsSerializer()

    class Meta:
        model = Discharge
        fields = ["discharged_at", "disposition", "instructions", "follow_up_date"]


class IncidentQuery(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    ward = serializers.UUIDField(required=False)
    kind = serializers.MultipleChoiceField(choices=["complication", "adverse_event", "unplanned_return"],
                                           required=False)

    def validate(self, attrs):
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": [_("The end date is before the start date.")]})
        if (attrs["date_to"] - attrs["date_from"]).days > 92:
            raise serializers.ValidationError({"date_to": [_("Choose a period of at most 93 days.")]})
        return attrs


class IncidentCaseSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    procedure_name = serializers.CharField()
    state = serializers.CharField()


class IncidentSerializer(serializers.Serializer):
    """One row of the quality review list: what happened, how bad, to whom, when."""

    kind = serializers.ChoiceField(choices=["complication", "adverse_event", "unplanned_return"])
    uuid = serializers.UUIDField(source="row.uuid")
    occurred_at = serializers.DateTimeField(source="row.occurred_at")
    case = IncidentCaseSerializer(source="row.case")
    patient = RefSerializer(source="row.patient")
    ward = RefSerializer(source="row.ward")
    code = serializers.SerializerMethodField(help_text="Clavien–Dindo grade, adverse-event kind, or '' (return)")
    harm = serializers.SerializerMethodField()
    never_event = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()

    def get_code(self, obj) -> str:
        row = obj["row"]
        return {"complication": getattr(row, "clavien_dindo_grade", ""),
                "adverse_event": getattr(row, "kind", "")}.get(obj["kind"], "")

    def get_harm(self, obj) -> str:
        return getattr(obj["row"], "harm", "")

    def get_never_event(self, obj) -> bool:
        from stay.models import NEVER_EVENTS

        return obj["kind"] == "adverse_event" and obj["row"].kind in NEVER_EVENTS

    def get_description(self, obj) -> str:
        row = obj["row"]
        return getattr(row, "description", "") or getattr(row, "reason", "")
