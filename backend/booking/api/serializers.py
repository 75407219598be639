"""Input and output shapes of the booking API. Lists mask identifiers; a booking's detail is an audited read."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from booking import derivation
from booking.models import PendingPoolEntry, PoolReason
from booking.selectors import POOL_GROUPS, booking_deliveries
from booking.services import DOCTOR_POOL_REASONS, last_refusal
from cases.api.serializers import PatientDetailSerializer, PatientListSerializer, RefSerializer
from cases.models import AnaesthesiaMethod, Session, SurgicalCase, SurgicalPosition

# --- output ----------------------------------------------------------------------------------------------------


class WardRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
    management_mode = serializers.CharField(read_only=True)
    guidance_text = serializers.CharField(read_only=True)


class ProcedureRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    code = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)
    anaesthesia_methods = serializers.ListField(child=serializers.CharField(), read_only=True)
    default_duration_minutes = serializers.IntegerField(read_only=True)


class DerivedValueSerializer(serializers.Serializer):
    value = serializers.JSONField(allow_null=True)
    derived_from = serializers.CharField(help_text=_("The supplied field this value follows."))
    rule = serializers.CharField(help_text=_("The mapping rule, in words."))


class DeliverySerializer(serializers.Serializer):
    channel = serializers.CharField(help_text=_("his_certificate, wechat, sms; patient_notice while still pending"))
    status = serializers.CharField(help_text=_("sent, undeliverable, or pending (the outbox is retrying)"))
    attempts = serializers.IntegerField(allow_null=True)
    external_id = serializers.CharField(help_text=_("HIS certificate id, WeChat msgid or SMS message id"))
    inpatient_no = serializers.CharField(help_text=_("住院号 assigned by the HIS, if any"))
    detail = serializers.CharField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()


class PoolEntrySerializer(serializers.ModelSerializer):
    requested_by = RefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = PendingPoolEntry
        fields = ["uuid", "reason_code", "reason_text", "rule", "entered_at", "resumed_at", "requested_by"]
        read_only_fields = fields


class RefusalSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    rule = serializers.JSONField()
    reason = serializers.CharField(allow_blank=True)
    occurred_at = serializers.DateTimeField()


class BookingListSerializer(serializers.ModelSerializer):
    patient = PatientListSerializer(read_only=True)
    ward = WardRefSerializer(read_only=True)
    department = RefSerializer(read_only=True)
    surgeon = RefSerializer(read_only=True)
    booked_by = RefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = SurgicalCase
        fields = [
            "uuid", "state", "version", "patient", "ward", "department", "surgeon", "booked_by", "procedure_name",
            "visit_no", "planned_date", "planned_session", "created_at", "updated_at",
        ]
        read_only_fields = fields


class BookingSerializer(BookingListSerializer):
    """A booking (draft or confirmed) with what the doctor supplied, what was derived, and where it was sent."""

    patient = PatientDetailSerializer(read_only=True)
    procedure = ProcedureRefSerializer(read_only=True, allow_null=True)
    preferred_suite = RefSerializer(read_only=True, allow_null=True)
    preferred_room = RefSerializer(read_only=True, allow_null=True)
    assistants = RefSerializer(many=True, read_only=True)
    derived = serializers.SerializerMethodField()
    guidance_text = serializers.CharField(source="ward.guidance_text", read_only=True)
    last_refusal = serializers.SerializerMethodField()
    pool_entries = PoolEntrySerializer(many=True, read_only=True)
    deliveries = serializers.SerializerMethodField()

    class Meta(BookingListSerializer.Meta):
        fields = BookingListSerializer.Meta.fields + [
            "procedure", "procedure_code", "diagnosis_code", "diagnosis_name", "anaesthesia_method",
            "expected_duration_minutes", "preferred_suite", "preferred_room", "position", "preferred_sequence",
            "assistants", "triage_level", "booking_mode", "remarks", "booked_at", "end_reason", "derived",
            "guidance_text", "last_refusal", "pool_entries", "deliveries",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=DerivedValueSerializer()))
    def get_derived(self, obj):
        return derivation.derived_fields(obj)

    @extend_schema_field(RefusalSerializer(allow_null=True))
    def get_last_refusal(self, obj):
        event = last_refusal(obj)
        if event is None:
            return None
        p = event.payload
        return {"code": p.get("code", ""), "message": p.get("message", ""), "rule": p.get("rule") or {},
                "reason": p.get("reason", ""), "occurred_at": event.occurred_at}

    @extend_schema_field(DeliverySerializer(many=True))
    def get_deliveries(self, obj):
        return DeliverySerializer(booking_deliveries(obj), many=True).data


class PoolCaseSerializer(BookingListSerializer):
    entry = serializers.SerializerMethodField()

    class Meta(BookingListSerializer.Meta):
        fields = BookingListSerializer.Meta.fields + ["state_changed_at", "entry"]
        read_only_fields = fields

    @extend_schema_field(PoolEntrySerializer(allow_null=True))
    def get_entry(self, obj):
        entries = list(obj.pool_entries.all())
        return PoolEntrySerializer(entries[0]).data if entries else None


class PoolStatsRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("The date, or the department's / doctor's UUID"))
    label = serializers.CharField()
    count = serializers.IntegerField()
    resumed = serializers.IntegerField()
    by_reason = serializers.DictField(child=serializers.IntegerField())


class PoolStatsSerializer(serializers.Serializer):
    # "from" is a Python keyword: declared below through the fields mapping
    to = serializers.DateField()
    group_by = serializers.CharField()
    total = serializers.IntegerField()
    resumed = serializers.IntegerField()
    rows = PoolStatsRowSerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        return fields


class HisLaunchResultSerializer(serializers.Serializer):
    draft = serializers.UUIDField()
    link = serializers.CharField(help_text=_("Single-use sign-in link that opens the draft for the doctor"))
    expires_at = serializers.DateTimeField()
    visit_no = serializers.CharField()
    diagnosis_code = serializers.CharField()
    diagnosis_name = serializers.CharField()
    ward = serializers.CharField()


class LaunchTokensSerializer(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()
    draft = serializers.UUIDField()


# --- input -----------------------------------------------------------------------------------------------------


class HisLaunchSerializer(serializers.Serializer):
    reg_no = serializers.CharField(max_length=40, help_text=_("登记号"))
    visit_no = serializers.CharField(max_length=40, help_text=_("就诊号"))
    doctor_employee_no = serializers.CharField(max_length=40, help_text=_("The doctor's employee number (工号)"))
    diagnosis_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    diagnosis_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    ward_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class LaunchRedeemSerializer(serializers.Serializer):
    ticket = serializers.CharField(max_length=200)


class BookingStartSerializer(serializers.Serializer):
    patient = serializers.UUIDField(required=False, help_text=_("A known patient's UUID; or give reg_no."))
    reg_no = serializers.CharField(max_length=40, required=False, help_text=_("登记号"))
    visit_no = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    ward = serializers.UUIDField(required=False, help_text=_("Default: the caller's own ward."))
    surgeon = serializers.UUIDField(required=False, help_text=_("Default: the caller."))
    diagnosis_code = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    diagnosis_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if not attrs.get("patient") and not attrs.get("reg_no"):
            raise serializers.ValidationError({"patient": [_("Give the patient or their registration number.")]})
        return attrs


class BookingUpdateSerializer(serializers.Serializer):
    """What the doctor supplies on a draft; send only what changes (null clears)."""

    ward = serializers.UUIDField(required=False)
    surgeon = serializers.UUIDField(required=False)
    procedure = serializers.UUIDField(required=False, allow_null=True)
    anaesthesia_method = serializers.ChoiceField(choices=AnaesthesiaMethod.choices, required=False, allow_blank=True)
    planned_date = serializers.DateField(required=False, allow_null=True)
    planned_session = serializers.ChoiceField(choices=Session.choices, required=False, allow_blank=True)
    expected_duration_minutes = serializers.IntegerField(required=False, allow_null=True, min_value=5,
                                                         max_value=720)
    preferred_suite = serializers.UUIDField(required=False, allow_null=True)
    preferred_room = serializers.UUIDField(required=False, allow_null=True)
    position = serializers.ChoiceField(choices=SurgicalPosition.choices, required=False, allow_blank=True)
    preferred_sequence = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=99)
    assistants = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=10)
    triage_level = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=4)
    diagnosis_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    diagnosis_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    remarks = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1)


class BookingConfirmSerializer(serializers.Serializer):
    planned_date = serializers.DateField(required=False)
    planned_session = serializers.ChoiceField(choices=Session.choices, required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class BookingAbandonSerializer(serializers.Serializer):
    reason_code = serializers.ChoiceField(
        choices=[(c.value, c.label) for c in DOCTOR_POOL_REASONS], default=PoolReason.ABANDONED
    )
    reason_text = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PoolStatsQuerySerializer(serializers.Serializer):
    """?from=&to=&group_by= (dates inclusive; default: the last 30 days)."""

    to = serializers.DateField(required=False)
    group_by = serializers.ChoiceField(choices=sorted(POOL_GROUPS), default="date")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False)
        return fields

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": [_("The end date is before the start date.")]})
        if attrs.get("from") and attrs.get("to") and (attrs["to"] - attrs["from"]).days > 366:
            raise serializers.ValidationError({"to": [_("Ask for at most one year at a time.")]})
        return attrs

