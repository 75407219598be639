"""Input and output shapes of the case API. Lists always mask ID numbers and phones."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.permissions import has_permission
from cases.models import (
    AnaesthesiaClinicStatus,
    AnaesthesiaMethod,
    CancelReason,
    CancelStage,
    CaseEvent,
    CaseState,
    IdentifierSystem,
    Patient,
    PreopAssessmentStatus,
    RescheduleReason,
    Session,
    SurgicalCase,
)
from cases.pathway import care_pathway
from cases.state_machine import TRANSITIONS, available_transitions

# --- output ----------------------------------------------------------------------------------------------------


class RefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class IdentifierSerializer(serializers.Serializer):
    system = serializers.ChoiceField(choices=IdentifierSystem.choices, read_only=True)
    value = serializers.CharField(read_only=True)


class MaskedIdentifierSerializer(serializers.Serializer):
    system = serializers.ChoiceField(choices=IdentifierSystem.choices, read_only=True)
    value = serializers.CharField(source="masked_value", read_only=True)


class PatientListSerializer(serializers.ModelSerializer):
    """In lists: 登记号 in clear (it is how wards call patients), ID numbers and phone masked."""

    reg_no = serializers.CharField(read_only=True)
    phone = serializers.CharField(source="masked_phone", read_only=True)
    id_number = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = ["uuid", "name", "sex", "birth_date", "reg_no", "id_number", "phone"]

    @extend_schema_field(serializers.CharField())
    def get_id_number(self, obj):
        from core.identity import mask_id_number

        return mask_id_number(obj.identifier(IdentifierSystem.ID_CARD))


class PatientDetailSerializer(serializers.ModelSerializer):
    """In a case detail (an audited read): identifiers in clear for the staff who treat the patient."""

    reg_no = serializers.CharField(read_only=True)
    identifiers = IdentifierSerializer(many=True, read_only=True)

    class Meta:
        model = Patient
        fields = ["uuid", "name", "sex", "birth_date", "reg_no", "phone", "identifiers"]


class PatientOwnSerializer(PatientListSerializer):
    """What the patient app shows about the patient themself (masked: screens get photographed)."""


class CaseListSerializer(serializers.ModelSerializer):
    patient = PatientListSerializer(read_only=True)
    ward = RefSerializer(read_only=True)
    department = RefSerializer(read_only=True)
    surgeon = RefSerializer(read_only=True)
    procedure = RefSerializer(read_only=True, allow_null=True)
    length_of_stay_hours = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = SurgicalCase
        fields = [
            "uuid", "patient", "ward", "department", "surgeon", "procedure", "procedure_code", "procedure_name",
            "planned_date", "planned_session", "anaesthesia_method", "state", "anaesthesia_clinic_status",
            "preop_assessment_status", "theatre_schedule_status", "los_alert_level", "length_of_stay_hours",
            "admitted_at", "discharged_at", "version", "created_at", "triage_level", "booking_mode",
        ]
        read_only_fields = fields


class PathwayStageSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    status = serializers.ChoiceField(choices=["done", "current", "pending", "skipped"])
    result = serializers.CharField(allow_blank=True)


class PathwaySerializer(serializers.Serializer):
    current = serializers.CharField(allow_null=True)
    outcome = serializers.ChoiceField(choices=CaseState.choices, allow_null=True)
    stages = PathwayStageSerializer(many=True)


class TheatreRoomRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    code = serializers.CharField(read_only=True)


class CaseDetailSerializer(CaseListSerializer):
    patient = PatientDetailSerializer(read_only=True)
    booked_by = RefSerializer(read_only=True, allow_null=True)
    theatre_room = TheatreRoomRefSerializer(read_only=True, allow_null=True)
    delayed_discharge = serializers.BooleanField(read_only=True)
    preferred_suite = RefSerializer(read_only=True, allow_null=True)
    preferred_room = TheatreRoomRefSerializer(read_only=True, allow_null=True)
    assistants = RefSerializer(many=True, read_only=True)
    virtual_surgeon = RefSerializer(read_only=True, allow_null=True)
    surgeon_assigned_by = RefSerializer(read_only=True, allow_null=True)
    pathway = serializers.SerializerMethodField()
    available_transitions = serializers.SerializerMethodField()

    class Meta(CaseListSerializer.Meta):
        fields = CaseListSerializer.Meta.fields + [
            "booked_by", "diagnosis_code", "diagnosis_name", "companion_name", "companion_phone", "remarks",
            "previous_state", "state_changed_at",
            "booked_at", "application_sent_at", "theatre_scheduled_at", "scheduled_start", "theatre_room",
            "theatre_sequence", "theatre_in_at", "incision_start_at", "incision_end_at", "theatre_out_at",
            "operated_at", "follow_up_started_at", "closed_at", "ended_at", "cancelled_by_type",
            "cancelled_by_name", "cancel_reason_code", "cancel_reason_text", "cancel_stage", "end_reason",
            "transferred_at", "inpatient_ward_name", "inpatient_admission_no", "transfer_reason",
            "los_alert_changed_at", "delayed_discharge", "pathway", "available_transitions", "updated_at",
            "visit_no", "triage_level", "expected_duration_minutes", "preferred_suite", "preferred_room", "position",
            "preferred_sequence", "assistants", "booking_mode", "virtual_surgeon", "surgeon_assigned_at",
            "surgeon_assigned_by",
        ]
        read_only_fields = fields

    @extend_schema_field(PathwaySerializer)
    def get_pathway(self, obj):
        return care_pathway(obj)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_transitions(self, obj):
        # Only the actions this principal's role may perform: a nurse and a doctor see different buttons (U3).
        request = self.context.get("request")
        principal = request.user if request else None
        return [
            TRANSITIONS[n].slug
            for n in available_transitions(obj)
            if principal is not None and has_permission(principal, TRANSITIONS[n].permission.slug)
        ]


class PatientCaseSerializer(serializers.ModelSerializer):
    """A patient's own case: the pathway and the practical facts, masked identifiers, no staff internals."""

    patient = PatientOwnSerializer(read_only=True)
    ward = RefSerializer(read_only=True)
    surgeon = RefSerializer(read_only=True)
    pathway = serializers.SerializerMethodField()

    class Meta:
        model = SurgicalCase
        fields = [
            "uuid", "patient", "ward", "surgeon", "procedure_name", "planned_date", "planned_session", "state",
            "admitted_at", "discharged_at", "cancel_reason_code", "cancel_stage", "pathway", "version",
        ]
        read_only_fields = fields

    @extend_schema_field(PathwaySerializer)
    def get_pathway(self, obj):
        return care_pathway(obj)


# Events whose payload names results (a positive HIV or syphilis screen...): readers without
# clinical.view_results (follow-up nurses, quality managers, administrators) see only these keys of it.
RESULT_EVENT_KEYS = {"clinical.findings.flagged": ("high_risk", "categories")}


class CaseEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CaseEvent
        fields = [
            "uuid", "sequence", "type", "occurred_at", "recorded_at", "actor_type", "actor_name", "from_state",
            "to_state", "payload",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        kept = RESULT_EVENT_KEYS.get(instance.type)
        if kept is not None and not self._may_read_results():
            data["payload"] = {k: v for k, v in (data["payload"] or {}).items() if k in kept}
        return data

    def _may_read_results(self) -> bool:
        if "may_read_results" not in self.context:
            from accounts.permissions import has_permission

            request = self.context.get("request")
            self.context["may_read_results"] = bool(
                request and has_permission(request.user, "clinical.view_results"))
        return self.context["may_read_results"]


# --- input -----------------------------------------------------------------------------------------------------


class CaseCreateSerializer(serializers.Serializer):
    patient = serializers.UUIDField(required=False, help_text=_("A known patient's UUID; or give reg_no."))
    reg_no = serializers.CharField(
        required=False, max_length=40, help_text=_("登记号: the patient is looked up in the HIS when not known yet.")
    )
    ward = serializers.UUIDField()
    surgeon = serializers.UUIDField()
    procedure = serializers.UUIDField(required=False, help_text=_("A catalogue procedure; fills code and name."))
    procedure_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    procedure_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    diagnosis_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    diagnosis_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    planned_date = serializers.DateField(required=False, allow_null=True, default=None)
    planned_session = serializers.ChoiceField(choices=Session.choices, required=False, allow_blank=True, default="")
    anaesthesia_method = serializers.ChoiceField(
        choices=AnaesthesiaMethod.choices, required=False, allow_blank=True, default=""
    )
    anaesthesia_clinic_required = serializers.BooleanField(required=False, default=True)

    def validate(self, attrs):
        if not attrs.get("patient") and not attrs.get("reg_no"):
            raise serializers.ValidationError({"patient": [_("Give the patient or their registration number.")]})
        if not attrs.get("procedure") and not attrs.get("procedure_name", "").strip():
            raise serializers.ValidationError({"procedure_name": [_("Give the procedure or its name.")]})
        return attrs


class MilestoneInputSerializer(serializers.Serializer):
    milestone = serializers.ChoiceField(choices=[("anaesthesia_clinic", _("anaesthesia clinic")),
                                                 ("preop_assessment", _("pre-operative assessment"))])
    status = serializers.ChoiceField(
        choices=sorted(set(AnaesthesiaClinicStatus.choices) | set(PreopAssessmentStatus.choices))
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    occurred_at = serializers.DateTimeField(required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class TransitionInputBase(serializers.Serializer):
    """Every transition accepts when it happened (default: now) and the version the client saw (409 if stale)."""

    occurred_at = serializers.DateTimeField(required=False)
    version = serializers.IntegerField(required=False, min_value=1)

    def validate_occurred_at(self, value):
        if value > timezone.now() + timezone.timedelta(minutes=5):
            raise serializers.ValidationError(_("The time cannot be in the future."))
        return value


def _field(name, required, transition=""):
    reason = _("Reason")
    if (transition, name) == ("reschedule", "reason_code"):
        return serializers.ChoiceField(choices=RescheduleReason.choices, required=required)
    factories = {
        "reason": lambda: serializers.CharField(max_length=500, required=required, label=reason),
        "note": lambda: serializers.CharField(max_length=500, required=required, allow_blank=not required),
        "planned_date": lambda: serializers.DateField(required=required),
        "planned_session": lambda: serializers.ChoiceField(choices=Session.choices, required=required),
        "reason_code": lambda: serializers.ChoiceField(choices=CancelReason.choices, required=required),
        "reason_text": lambda: serializers.CharField(max_length=500, required=required, allow_blank=not required),
        "stage": lambda: serializers.ChoiceField(choices=CancelStage.choices, required=required),
        "scheduled_start": lambda: serializers.DateTimeField(required=required),
        "theatre_room": lambda: serializers.UUIDField(required=required),
        "theatre_sequence": lambda: serializers.IntegerField(required=required, min_value=1, max_value=99),
        "incision_start_at": lambda: serializers.DateTimeField(required=required),
        "incision_end_at": lambda: serializers.DateTimeField(required=required),
        "theatre_out_at": lambda: serializers.DateTimeField(required=required),
        "inpatient_ward_name": lambda: serializers.CharField(max_length=100, required=required, allow_blank=True),
        "inpatient_admission_no": lambda: serializers.CharField(max_length=40, required=required, allow_blank=True),
    }
    return factories[name]()


def _camel(name):
    return "".join(part.capitalize() for part in name.split("_"))


def _build_input_serializers():
    result = {}
    for name, t in TRANSITIONS.items():
        attrs = {f: _field(f, True, name) for f in t.required}
        attrs.update({f: _field(f, False, name) for f in t.optional})
        attrs["__module__"] = __name__
        attrs["__doc__"] = f"Input of the `{t.slug}` action."
        result[name] = type(f"{_camel(name)}Input", (TransitionInputBase,), attrs)
    return result


TRANSITION_INPUTS = _build_input_serializers()


class PatientCancelSerializer(serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=CancelReason.choices)
    reason_text = serializers.CharField(max_length=500, required=False, allow_blank=True)


class CaseDetailsUpdateSerializer(serializers.Serializer):
    """Fields the booking and the day-surgery manager keep (P3); send only what changes."""

    procedure_name = serializers.CharField(max_length=200, required=False)
    procedure_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    diagnosis_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    diagnosis_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    anaesthesia_method = serializers.ChoiceField(choices=AnaesthesiaMethod.choices, required=False, allow_blank=True)
    companion_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    companion_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    remarks = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1)
