"""Input and output shapes of the pre-op API. Cards and beds are built as dicts by preop.selectors and rendered
through these serializers, so the documented shape is the served one."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.models import CancelReason, CancelStage, CaseState, RescheduleReason, Session
from org.models import ManagementMode
from preop.models import IconClass, IconColour, IconRule

# --- cards ----------------------------------------------------------------------------------------------------


class PreopWardRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()
    management_mode = serializers.CharField()


class CardAssessmentSerializer(serializers.Serializer):
    preop_assessment_status = serializers.CharField(help_text="pending / passed / needs_attention / not_suitable")
    preop_assessment_display = serializers.CharField()
    anaesthesia_clinic_status = serializers.CharField()
    theatre_schedule_status = serializers.CharField()


class CardPatientSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Masked (张*) unless the reader holds preop.view_full_demographics.")
    sex = serializers.CharField()
    age = serializers.IntegerField(allow_null=True)
    reg_no = serializers.CharField()
    phone = serializers.CharField()
    masked = serializers.BooleanField()


class PreopPersonRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()


class CardSurgerySerializer(serializers.Serializer):
    procedure_name = serializers.CharField()
    procedure_code = serializers.CharField()
    diagnosis_name = serializers.CharField()
    anaesthesia_method = serializers.CharField()
    surgeon = PreopPersonRefSerializer()
    theatre_room = serializers.CharField()
    theatre_sequence = serializers.IntegerField(allow_null=True)
    scheduled_start = serializers.DateTimeField(allow_null=True)


class CardIconSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    symbol = serializers.CharField()
    colour = serializers.CharField()
    count = serializers.IntegerField(help_text="Events that set it while shown (e.g. messages sent).")
    since = serializers.DateTimeField()
    detail = serializers.JSONField(help_text="The data of the event that last set it (no personal data).")


class CardIconsSerializer(serializers.Serializer):
    alert = CardIconSerializer(many=True)
    lookup = CardIconSerializer(many=True)
    state = CardIconSerializer(many=True)


class BedCardSerializer(serializers.Serializer):
    case = serializers.UUIDField()
    version = serializers.IntegerField()
    state = serializers.CharField()
    state_display = serializers.CharField()
    ward = PreopWardRefSerializer()
    planned_date = serializers.DateField(allow_null=True)
    planned_session = serializers.CharField()
    assessment = CardAssessmentSerializer()
    patient = CardPatientSerializer()
    surgery = CardSurgerySerializer()
    remarks = serializers.CharField()
    icons = CardIconsSerializer()


class BedCardQuerySerializer(serializers.Serializer):
    ward = serializers.UUIDField(required=False)
    date = serializers.DateField(required=False, help_text="First planned date (default today).")
    date_to = serializers.DateField(required=False, help_text="Last planned date (default: `date`); ≤ 14 days.")


# --- virtual beds -----------------------------------------------------------------------------------------------


class VirtualBedsQuerySerializer(serializers.Serializer):
    ward = serializers.UUIDField(required=False, help_text="One ward (default: every ward you see).")
    date = serializers.DateField(required=False, help_text="First date (default today).")
    date_to = serializers.DateField(required=False, help_text="Last date (default: `date`); at most 14 days.")
    management_mode = serializers.ChoiceField(choices=ManagementMode.choices, required=False)


class VirtualBedSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    session = serializers.CharField()
    overflow = serializers.BooleanField(help_text="Beyond the capacity (capacity lowered after booking).")
    card = BedCardSerializer(allow_null=True)


class VirtualBedSessionSerializer(serializers.Serializer):
    session = serializers.CharField()
    capacity = serializers.IntegerField(allow_null=True, help_text="null: not limited by resources.")
    occupied = serializers.IntegerField()


class VirtualBedWardDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    resources_limited = serializers.BooleanField()
    capacity = serializers.IntegerField(allow_null=True)
    occupied = serializers.IntegerField()
    free = serializers.IntegerField(allow_null=True)
    sessions = VirtualBedSessionSerializer(many=True)
    beds = VirtualBedSerializer(many=True)


class VirtualBedWardSerializer(serializers.Serializer):
    ward = PreopWardRefSerializer()
    shared_capacity_with = serializers.ListField(child=serializers.CharField(),
                                                 help_text="Codes of other wards the same surgeons book into.")
    days = VirtualBedWardDaySerializer(many=True)


class VirtualBedModeSerializer(serializers.Serializer):
    management_mode = serializers.CharField()
    label = serializers.CharField()
    wards = VirtualBedWardSerializer(many=True)


class VirtualBedsSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    modes = VirtualBedModeSerializer(many=True)


# --- detail page (P3) -------------------------------------------------------------------------------------------


class PreopBookingFieldsSerializer(serializers.Serializer):
    procedure_name = serializers.CharField()
    procedure_code = serializers.CharField()
    diagnosis_code = serializers.CharField()
    diagnosis_name = serializers.CharField()
    planned_date = serializers.DateField(allow_null=True)
    planned_session = serializers.CharField()
    anaesthesia_method = serializers.CharField()
    surgeon = PreopPersonRefSerializer()
    booked_by = PreopPersonRefSerializer(allow_null=True)
    booked_at = serializers.DateTimeField(allow_null=True)
    booking_mode = serializers.CharField()
    visit_no = serializers.CharField()
    triage_level = serializers.IntegerField(allow_null=True)
    expected_duration_minutes = serializers.IntegerField(allow_null=True)
    position = serializers.CharField()
    department = serializers.CharField()


class PreopManagerFieldsSerializer(serializers.Serializer):
    companion_name = serializers.CharField()
    companion_phone = serializers.CharField()
    remarks = serializers.CharField()


class PreopCaseDetailSerializer(serializers.Serializer):
    card = BedCardSerializer()
    booking = PreopBookingFieldsSerializer(help_text="From the booking: read-only here.")
    manager = PreopManagerFieldsSerializer(help_text="Kept by the day-surgery manager.")
    editable = serializers.BooleanField()
    editable_fields = serializers.ListField(child=serializers.CharField())
    locked_reason = serializers.CharField(help_text="Code: application_sent, case_ended, not_permitted or ''.")
    locked_message = serializers.CharField()
    application_sent_at = serializers.DateTimeField(allow_null=True)
    can_roll_back = serializers.BooleanField()
    can_change_booking = serializers.BooleanField(help_text="Reschedule / cancel allowed to you (P5, D6).")


class PreopCaseUpdateSerializer(serializers.Serializer):
    """The manager's fields only: booking-derived fields sent here are refused, not silently ignored."""

    companion_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    companion_phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    remarks = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs):
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({k: [_("This field cannot be edited here.")] for k in unknown})
        return attrs


class SentMessageSerializer(serializers.Serializer):
    event = serializers.UUIDField(source="uuid")
    occurred_at = serializers.DateTimeField()
    channel = serializers.SerializerMethodField()
    kind = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()

    def get_channel(self, obj) -> str:
        return str(obj.payload.get("channel", ""))

    def get_kind(self, obj) -> str:
        return str(obj.payload.get("kind", ""))

    def get_status(self, obj) -> str:
        return str(obj.payload.get("status", ""))


# --- reschedule / cancel (P5, D6) -------------------------------------------------------------------------------


class PreopRescheduleInputSerializer(serializers.Serializer):
    planned_date = serializers.DateField()
    planned_session = serializers.ChoiceField(choices=Session.choices, required=False)
    reason_code = serializers.ChoiceField(choices=RescheduleReason.choices)
    reason = serializers.CharField(max_length=500, label=_("Reason"))
    version = serializers.IntegerField(required=False, min_value=1)


class PreopCancelInputSerializer(serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=CancelReason.choices)
    reason_text = serializers.CharField(max_length=500, required=False, allow_blank=True)
    stage = serializers.ChoiceField(choices=CancelStage.choices, required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class ChangeReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    category = serializers.CharField(required=False)


class ChangeReasonsSerializer(serializers.Serializer):
    reschedule = ChangeReasonSerializer(many=True)
    cancel = ChangeReasonSerializer(many=True)
    cancel_stages = ChangeReasonSerializer(many=True)


class CancellationStatsQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False, help_text="Default: 30 days ago.")
    date_to = serializers.DateField(required=False, help_text="Default: today.")
    ward = serializers.UUIDField(required=False)
    basis = serializers.ChoiceField(choices=[("cancelled", "cancelled"), ("planned", "planned")], required=False,
                                    help_text="Count by the day of cancellation (default) or the planned day.")

    def to_internal_value(self, data):
        # `from`/`to` are accepted as aliases (the short form of the analytics screens).
        if hasattr(data, "copy"):
            data = data.copy()
            for alias, name in (("from", "date_from"), ("to", "date_to")):
                if alias in data and name not in data:
                    data[name] = data[alias]
        return super().to_internal_value(data)


class StatsCountSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField(required=False)
    count = serializers.IntegerField()


class CancellationStatsSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    basis = serializers.CharField()
    total = serializers.IntegerField()
    by_reason = StatsCountSerializer(many=True)
    by_category = StatsCountSerializer(many=True, help_text="patient / clinical / organisational / other")
    by_stage = StatsCountSerializer(many=True)
    by_initiator = StatsCountSerializer(many=True, help_text="patient / doctor / manager / other_staff / system")


# --- search (P6) ------------------------------------------------------------------------------------------------


class PreopSearchQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    ward = serializers.UUIDField(required=False)
    state = serializers.MultipleChoiceField(choices=CaseState.choices, required=False)
    surgeon = serializers.UUIDField(required=False)
    reg_no = serializers.CharField(max_length=40, required=False, allow_blank=True)

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):
            data = {**data.dict(), "state": data.getlist("state")} if "state" in data else data.dict()
        return super().to_internal_value(data)


class SurgeonCountSerializer(serializers.Serializer):
    surgeon = serializers.UUIDField()
    name = serializers.CharField()
    count = serializers.IntegerField()


class PreopSearchPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    per_surgeon = SurgeonCountSerializer(many=True, help_text="Operations per surgeon over the whole result set.")
    results = BedCardSerializer(many=True)


# --- icon rules -------------------------------------------------------------------------------------------------


class IconRuleSerializer(serializers.ModelSerializer):
    source = serializers.SerializerMethodField()
    hospital = serializers.UUIDField(source="hospital.uuid", read_only=True, allow_null=True)

    class Meta:
        model = IconRule
        fields = ["uuid", "hospital", "source", "key", "icon_class", "label", "description", "symbol", "colour",
                  "set_on", "clear_on", "position", "is_active", "updated_at"]
        read_only_fields = fields

    def get_source(self, obj) -> str:
        """default (platform) or hospital (your hospital's own rule, overriding a default with its key)."""
        return "default" if obj.hospital_id is None else "hospital"


class IconRuleInputSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=40)
    icon_class = serializers.ChoiceField(choices=IconClass.choices)
    label = serializers.CharField(max_length=30)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    symbol = serializers.CharField(max_length=30, required=False, allow_blank=True)
    colour = serializers.ChoiceField(choices=IconColour.choices, required=False)
    set_on = serializers.JSONField()
    clear_on = serializers.JSONField(required=False)
    position = serializers.IntegerField(required=False, min_value=0, max_value=1000)
    is_active = serializers.BooleanField(required=False)
    hospital = serializers.UUIDField(required=False, help_text="Superusers only; others: their own hospital.")


class IconRuleUpdateSerializer(serializers.Serializer):
    icon_class = serializers.ChoiceField(choices=IconClass.choices, required=False)
    label = serializers.CharField(max_length=30, required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    symbol = serializers.CharField(max_length=30, required=False, allow_blank=True)
    colour = serializers.ChoiceField(choices=IconColour.choices, required=False)
    set_on = serializers.JSONField(required=False)
    clear_on = serializers.JSONField(required=False)
    position = serializers.IntegerField(required=False, min_value=0, max_value=1000)
    is_active = serializers.BooleanField(required=False)
