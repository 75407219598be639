"""Input and output serializers of the consultation API."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.api.serializers import PatientListSerializer, RefSerializer
from consultation.models import Sender, WoundAdvice, WoundStatus
from consultation.selectors import photo_urls

# --- inputs -------------------------------------------------------------------------------------------------------


class WoundSubmitInput(serializers.Serializer):
    """multipart/form-data: `description` and one `photos` part per photo (JPEG, PNG, WebP; HEIC if enabled)."""

    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    photos = serializers.ListField(child=serializers.FileField(allow_empty_file=True), allow_empty=True,
                                   required=False, default=list, max_length=50)
    client_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=64,
                                      help_text="the client's id of this submission: a retry returns the same one")


class WoundAnswerInput(serializers.Serializer):
    answer = serializers.CharField(max_length=2000)
    advice = serializers.ChoiceField(choices=WoundAdvice.choices)


class WoundListQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=WoundStatus.choices, required=False)
    ward = serializers.UUIDField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_from"] > attrs["date_to"]:
            raise serializers.ValidationError({"date_to": [_("The end date is before the start date.")]})
        return attrs


class ConversationListQuery(serializers.Serializer):
    ward = serializers.UUIDField(required=False)
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)


class HistoryQuery(serializers.Serializer):
    before = serializers.IntegerField(required=False, min_value=1, max_value=2_000_000_000)
    after = serializers.IntegerField(required=False, min_value=0, max_value=2_000_000_000)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200)

    def validate(self, attrs):
        if attrs.get("before") is not None and attrs.get("after") is not None:
            raise serializers.ValidationError({"after": [_("Give either before or after, not both.")]})
        return attrs


class MessageInput(serializers.Serializer):
    body = serializers.CharField(max_length=4000)
    client_id = serializers.CharField(required=False, allow_blank=True, default="", max_length=64,
                                      help_text="the client's id of this message: a retry returns the same one")


class ReadInput(serializers.Serializer):
    sequence = serializers.IntegerField(required=False, min_value=0, max_value=2_000_000_000,
                                        help_text="read up to this message (default: all)")


# --- outputs ------------------------------------------------------------------------------------------------------


class WoundPhotoSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    position = serializers.IntegerField(read_only=True)
    width = serializers.IntegerField(read_only=True)
    height = serializers.IntegerField(read_only=True)
    size_bytes = serializers.IntegerField(read_only=True)
    content_type = serializers.CharField(read_only=True)
    sha256 = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    expires_in = serializers.SerializerMethodField()

    def _urls(self, obj):
        cache = self.context.setdefault("_photo_urls", {})
        if obj.pk not in cache:
            cache[obj.pk] = photo_urls(obj)
        return cache[obj.pk]

    @extend_schema_field(serializers.CharField())
    def get_url(self, obj):
        return self._urls(obj)["url"]

    @extend_schema_field(serializers.CharField())
    def get_thumbnail_url(self, obj):
        return self._urls(obj)["thumbnail_url"]

    @extend_schema_field(serializers.IntegerField())
    def get_expires_in(self, obj):
        return self._urls(obj)["expires_in"]


class WoundConsultationSerializer(serializers.Serializer):
    """A wound consultation as its patient sees it."""

    uuid = serializers.UUIDField(read_only=True)
    case = serializers.UUIDField(source="case.uuid", read_only=True)
    status = serializers.ChoiceField(choices=WoundStatus.choices, read_only=True)
    description = serializers.CharField(read_only=True)
    photos = WoundPhotoSerializer(many=True, read_only=True)
    answer = serializers.CharField(read_only=True)
    advice = serializers.CharField(read_only=True, help_text="home_care, clinic_visit, emergency (empty: no answer)")
    advice_label = serializers.CharField(source="get_advice_display", read_only=True)
    answered_by = RefSerializer(read_only=True, allow_null=True)
    answered_at = serializers.DateTimeField(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)


class CaseBriefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    state = serializers.CharField(read_only=True)
    procedure_name = serializers.CharField(read_only=True)
    planned_date = serializers.DateField(read_only=True, allow_null=True)
    ward = RefSerializer(read_only=True)
    surgeon = RefSerializer(read_only=True, allow_null=True)


class StaffWoundConsultationSerializer(WoundConsultationSerializer):
    """In follow-up management: with the patient and the case."""

    patient = PatientListSerializer(read_only=True)
    case_detail = CaseBriefSerializer(source="case", read_only=True)


class ConversationSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True, allow_null=True)
    case = serializers.UUIDField(read_only=True)
    last_sequence = serializers.IntegerField(read_only=True)
    last_message_at = serializers.DateTimeField(read_only=True, allow_null=True)
    last_sender = serializers.CharField(read_only=True, help_text="patient, staff (empty: no message yet)")
    unread = serializers.IntegerField(read_only=True, help_text="messages of the other side the viewer's side "
                                                                 "has not read")
    patient_read_sequence = serializers.IntegerField(read_only=True)
    patient_read_at = serializers.DateTimeField(read_only=True, allow_null=True)
    staff_read_sequence = serializers.IntegerField(read_only=True)
    staff_read_at = serializers.DateTimeField(read_only=True, allow_null=True)
    can_send = serializers.BooleanField(read_only=True)


class StaffConversationSerializer(ConversationSerializer):
    patient = PatientListSerializer(read_only=True)
    case_detail = CaseBriefSerializer(read_only=True)


class MessageSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    sequence = serializers.IntegerField(read_only=True)
    sender = serializers.ChoiceField(choices=Sender.choices, read_only=True)
    sender_name = serializers.CharField(read_only=True)
    body = serializers.CharField(read_only=True)
    client_id = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    read = serializers.SerializerMethodField(help_text="the other side has read it")

    @extend_schema_field(serializers.BooleanField())
    def get_read(self, obj):
        conversation = self.context.get("conversation")
        if conversation is None:
            return False
        mark = conversation.staff_read_sequence if obj.sender == Sender.PATIENT else conversation.patient_read_sequence
        return obj.sequence <= mark


class MessagePageSerializer(serializers.Serializer):
    conversation = ConversationSerializer(read_only=True)
    results = MessageSerializer(many=True, read_only=True)
    has_more = serializers.BooleanField(read_only=True)

