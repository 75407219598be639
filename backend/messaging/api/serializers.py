from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from messaging.models import (
    PATIENT_CHANNEL_CHOICES,
    STAFF_CHANNEL_CHOICES,
    Anchor,
    AttemptStatus,
    Audience,
    Channel,
    DeliveryAttempt,
    DevicePlatform,
    Message,
    MessagePlan,
    MessageStatus,
    MessageTemplate,
    ReceiptStatus,
    RecipientKind,
    StaffDevice,
    TriggerKind,
)

PLAN_AUDIENCES = [(a.value, a.label) for a in (Audience.PATIENT, Audience.SURGEON, Audience.WARD_MANAGERS)]


class MessagePlanProcedureSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()


class TemplateSerializer(serializers.ModelSerializer):
    procedure = MessagePlanProcedureSerializer(allow_null=True)
    created_by = serializers.CharField(source="created_by.name", default="", allow_null=True)

    class Meta:
        model = MessageTemplate
        fields = ["uuid", "version", "procedure", "patient_title", "patient_body", "staff_title", "staff_body",
                  "sms_template", "wechat_template_id", "wechat_fields", "voice_scenario", "note", "created_at",
                  "created_by"]


class PlanSerializer(serializers.ModelSerializer):
    hospital = serializers.UUIDField(source="hospital.uuid", default=None, allow_null=True)
    procedure = MessagePlanProcedureSerializer(allow_null=True)
    trigger_kind = serializers.ChoiceField(choices=TriggerKind.choices)
    anchor = serializers.ChoiceField(choices=[("", "")] + list(Anchor.choices))
    audiences = serializers.ListField(child=serializers.ChoiceField(choices=PLAN_AUDIENCES))
    patient_channels = serializers.ListField(child=serializers.ChoiceField(choices=PATIENT_CHANNEL_CHOICES))
    staff_channels = serializers.ListField(child=serializers.ChoiceField(choices=STAFF_CHANNEL_CHOICES))
    filters = serializers.ListField(child=serializers.DictField())
    trigger = serializers.DictField()
    current_template = serializers.SerializerMethodField()
    in_force = serializers.SerializerMethodField()

    class Meta:
        model = MessagePlan
        fields = ["uuid", "hospital", "key", "name", "description", "kind", "procedure", "pathway_node",
                  "trigger_kind", "trigger", "anchor", "offset_minutes", "window_minutes", "filters", "audiences",
                  "manager_permission", "patient_channels", "staff_channels", "link", "is_active", "builtin",
                  "version", "in_force", "current_template", "updated_at"]

    @staticmethod
    def _current(obj):
        from messaging.services import template_current

        return template_current(obj)

    def get_current_template(self, obj) -> TemplateSerializer(allow_null=True):
        current = self._current(obj)
        return TemplateSerializer(current).data if current else None

    def get_in_force(self, obj) -> bool:
        """Active and not overridden by the hospital's own plan of the same key."""
        overridden = self.context.get("overridden_keys", set())
        return bool(obj.is_active and not (obj.hospital_id is None and obj.key in overridden))


class TemplateInputSerializer(serializers.Serializer):
    procedure = serializers.UUIDField(required=False, allow_null=True,
                                      help_text=_("A procedure-specific text (empty: the plan's default text)."))
    patient_title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    patient_body = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    staff_title = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    staff_body = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    sms_template = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    wechat_template_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    wechat_fields = serializers.DictField(child=serializers.CharField(max_length=200, allow_blank=True),
                                         required=False, default=dict)
    voice_scenario = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PlanInputSerializer(serializers.Serializer):
    hospital = serializers.UUIDField(required=False, allow_null=True,
                                     help_text=_("Platform administrators only: the hospital the plan is for."))
    key = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    kind = serializers.SlugField(max_length=40, required=False)
    procedure = serializers.UUIDField(required=False, allow_null=True)
    pathway_node = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    trigger_kind = serializers.ChoiceField(choices=TriggerKind.choices)
    trigger = serializers.JSONField(required=False, default=dict)
    anchor = serializers.ChoiceField(choices=Anchor.choices, required=False, allow_blank=True, default="")
    offset_minutes = serializers.IntegerField(required=False, default=0, min_value=-129600, max_value=129600)
    window_minutes = serializers.IntegerField(required=False, default=720, min_value=5, max_value=10080)
    filters = serializers.JSONField(required=False, default=list)
    audiences = serializers.ListField(child=serializers.ChoiceField(choices=PLAN_AUDIENCES), min_length=1,
                                      max_length=3)
    manager_permission = serializers.CharField(max_length=100, required=False, default="preop.manage_bookings")
    patient_channels = serializers.ListField(child=serializers.ChoiceField(choices=PATIENT_CHANNEL_CHOICES), required=False, default=list, max_length=4)
    staff_channels = serializers.ListField(child=serializers.ChoiceField(choices=STAFF_CHANNEL_CHOICES), required=False, default=list, max_length=2)
    link = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)
    template = TemplateInputSerializer(required=False)


class PlanUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    kind = serializers.SlugField(max_length=40, required=False)
    procedure = serializers.UUIDField(required=False, allow_null=True)
    pathway_node = serializers.CharField(max_length=40, required=False, allow_blank=True)
    trigger_kind = serializers.ChoiceField(choices=TriggerKind.choices, required=False)
    trigger = serializers.JSONField(required=False)
    anchor = serializers.ChoiceField(choices=Anchor.choices, required=False, allow_blank=True)
    offset_minutes = serializers.IntegerField(required=False, min_value=-129600, max_value=129600)
    window_minutes = serializers.IntegerField(required=False, min_value=5, max_value=10080)
    filters = serializers.JSONField(required=False)
    audiences = serializers.ListField(child=serializers.ChoiceField(choices=PLAN_AUDIENCES), min_length=1,
                                      max_length=3, required=False)
    manager_permission = serializers.CharField(max_length=100, required=False)
    patient_channels = serializers.ListField(child=serializers.ChoiceField(choices=PATIENT_CHANNEL_CHOICES), required=False, max_length=4)
    staff_channels = serializers.ListField(child=serializers.ChoiceField(choices=STAFF_CHANNEL_CHOICES), required=False, max_length=2)
    link = serializers.CharField(max_length=300, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class OptionSerializer(serializers.Serializer):
    value = serializers.CharField()
    label = serializers.CharField()


class FilterOptionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    params = serializers.DictField(child=serializers.CharField())


class PlanOptionsSerializer(serializers.Serializer):
    filters = FilterOptionSerializer(many=True)
    variables = OptionSerializer(many=True)
    patient_channels = OptionSerializer(many=True)
    staff_channels = OptionSerializer(many=True)
    audiences = OptionSerializer(many=True)
    anchors = OptionSerializer(many=True)


class AttemptSerializer(serializers.ModelSerializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    status = serializers.ChoiceField(choices=AttemptStatus.choices)
    receipt_status = serializers.ChoiceField(choices=ReceiptStatus.choices)

    class Meta:
        model = DeliveryAttempt
        fields = ["channel", "round", "status", "external_id", "detail", "attempted_at", "receipt_status",
                  "receipt_at", "receipt_detail"]


class CaseMessageSerializer(serializers.ModelSerializer):
    recipient_kind = serializers.ChoiceField(choices=RecipientKind.choices)
    audience = serializers.ChoiceField(choices=Audience.choices)
    status = serializers.ChoiceField(choices=MessageStatus.choices)
    recipient_name = serializers.SerializerMethodField()
    attempts = AttemptSerializer(many=True)

    class Meta:
        model = Message
        fields = ["uuid", "kind", "plan_key", "template_version", "recipient_kind", "audience", "recipient_name",
                  "title", "body", "link", "channels", "status", "channel", "round", "next_attempt_at", "created_at",
                  "sent_at", "read_at", "attempts"]

    def get_recipient_name(self, obj) -> str:
        if obj.recipient_user_id:
            return obj.recipient_user.name
        return obj.patient.masked_name if obj.patient_id else ""


class InboxMessageSerializer(serializers.ModelSerializer):
    case = serializers.UUIDField(source="case.uuid", default=None, allow_null=True)
    data = serializers.DictField(child=serializers.CharField())

    class Meta:
        model = Message
        fields = ["uuid", "kind", "title", "body", "link", "case", "data", "created_at", "read_at"]


class InboxQuerySerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)
    case = serializers.UUIDField(required=False)


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class MarkReadSerializer(serializers.Serializer):
    messages = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=200)


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class DeviceSerializer(serializers.ModelSerializer):
    platform = serializers.ChoiceField(choices=DevicePlatform.choices)

    class Meta:
        model = StaffDevice
        fields = ["uuid", "platform", "app_version", "last_seen_at", "is_active", "created_at"]


class DeviceInputSerializer(serializers.Serializer):
    token = serializers.CharField(min_length=8, max_length=255)
    platform = serializers.ChoiceField(choices=DevicePlatform.choices)
    app_version = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")

    def validate_token(self, value):
        if any(c.isspace() for c in value) or not value.isascii():
            raise serializers.ValidationError(_("A device token has no spaces and only ASCII characters."))
        return value


class ReceiptInputSerializer(serializers.Serializer):
    message_id = serializers.CharField(max_length=120)
    status = serializers.ChoiceField(choices=[("delivered", "delivered"), ("undelivered", "undelivered")])
    detail = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    delivered_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class ReceiptAnswerSerializer(serializers.Serializer):
    status = serializers.CharField()
