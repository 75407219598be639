from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import User
from capacity.models import CapacityKind, CapacitySlot, DateException, WeeklyTemplate
from capacity.services import MAX_COPY_WEEKS, MAX_TARGET_OWNERS
from cases.models import Session
from core.api.fields import UUIDRelatedField
from org.models import Department, MedicalGroup, Weekday

OWNER_NAMES = ("surgeon", "group", "department")
TIMETABLE_MAX_DAYS = 62


class OwnerInputSerializer(serializers.Serializer):
    """Exactly one owner: a surgeon, a medical group or a department (by UUID)."""

    surgeon = UUIDRelatedField(queryset=User.objects.all(), required=False)
    group = UUIDRelatedField(queryset=MedicalGroup.objects.all(), required=False)
    department = UUIDRelatedField(queryset=Department.objects.all(), required=False)
    owner_required = True

    def validate(self, attrs):
        given = [name for name in OWNER_NAMES if attrs.get(name) is not None]
        if len(given) > 1 or (self.owner_required and not given):
            raise serializers.ValidationError(
                {"owner": [_("Give exactly one of surgeon, group or department.")]}, code="owner"
            )
        attrs["owner"] = attrs[given[0]] if given else None
        return attrs


class _KindMixin(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CapacityKind.choices, default=CapacityKind.RESOURCE)


class _RangeQuerySerializer(serializers.Serializer):
    """`from` and `to` query parameters (Python keywords, hence added here)."""

    range_required = False

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=self.range_required)
        fields["to"] = serializers.DateField(required=self.range_required)
        return fields

    def validate(self, attrs):
        attrs = super().validate(attrs)
        start, end = attrs.get("from"), attrs.get("to")
        if start and end and end < start:
            raise serializers.ValidationError({"to": [_("The end date must not be before the start date.")]})
        return attrs


class ListQuerySerializer(_RangeQuerySerializer, OwnerInputSerializer):
    owner_required = False
    kind = serializers.ChoiceField(choices=CapacityKind.choices, required=False)


class TimetableQuerySerializer(_RangeQuerySerializer, OwnerInputSerializer):
    range_required = True

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if (attrs["to"] - attrs["from"]).days >= TIMETABLE_MAX_DAYS:
            raise serializers.ValidationError({"to": [_("The timetable covers at most 62 days.")]})
        return attrs


class OwnerSerializer(serializers.Serializer):
    type = serializers.CharField()
    uuid = serializers.UUIDField()
    name = serializers.CharField()


class _OwnedOutput(serializers.ModelSerializer):
    owner = serializers.SerializerMethodField()

    @extend_schema_field(OwnerSerializer)
    def get_owner(self, obj):
        return {"type": obj.owner_type, "uuid": str(obj.owner.uuid), "name": getattr(obj.owner, "name", "")}


class TemplateRowSerializer(_OwnedOutput):
    class Meta:
        model = WeeklyTemplate
        fields = ["uuid", "owner", "kind", "weekday", "session", "resources", "max_bookings", "updated_at"]
        read_only_fields = fields


class SlotSerializer(_OwnedOutput):
    free = serializers.IntegerField(read_only=True)

    class Meta:
        model = CapacitySlot
        fields = ["uuid", "owner", "kind", "date", "session", "resources", "max_bookings", "used", "free", "closed",
                  "reason", "source", "updated_at"]
        read_only_fields = fields


class ExceptionSerializer(_OwnedOutput):
    class Meta:
        model = DateException
        fields = ["uuid", "owner", "kind", "date", "session", "closed", "resources", "max_bookings", "reason",
                  "created_at"]
        read_only_fields = fields


class TemplateRowInputSerializer(serializers.Serializer):
    weekday = serializers.ChoiceField(choices=Weekday.choices)
    session = serializers.ChoiceField(choices=Session.choices)
    resources = serializers.IntegerField(min_value=0, max_value=99, default=1)
    max_bookings = serializers.IntegerField(min_value=0, max_value=999)


class TemplateSetSerializer(_KindMixin, OwnerInputSerializer):
    rows = TemplateRowInputSerializer(many=True, allow_empty=True, max_length=14)


class TemplateCopySerializer(_KindMixin, OwnerInputSerializer):
    targets = OwnerInputSerializer(many=True, allow_empty=False, max_length=MAX_TARGET_OWNERS)


class GenerateSerializer(_KindMixin, OwnerInputSerializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()


class WeekCopySerializer(_KindMixin, OwnerInputSerializer):
    source_week = serializers.DateField(help_text=_("The Monday of the week to copy."))
    target_weeks = serializers.ListField(
        child=serializers.DateField(), allow_empty=False, max_length=MAX_COPY_WEEKS,
        help_text=_("The Mondays of the weeks to copy onto."),
    )
    targets = OwnerInputSerializer(many=True, required=False, max_length=MAX_TARGET_OWNERS,
                                   help_text=_("Other owners to copy onto (default: the owner itself)."))


class MaterializeResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    removed = serializers.IntegerField()
    unchanged = serializers.IntegerField()


class SlotUpdateSerializer(serializers.Serializer):
    resources = serializers.IntegerField(min_value=0, max_value=99, required=False)
    max_bookings = serializers.IntegerField(min_value=0, max_value=999, required=False)


class ExceptionCreateSerializer(_KindMixin, OwnerInputSerializer):
    date = serializers.DateField()
    session = serializers.ChoiceField(choices=Session.choices, required=False, allow_blank=True, default="",
                                      help_text=_("Blank: the whole day."))
    closed = serializers.BooleanField(default=True)
    resources = serializers.IntegerField(min_value=0, max_value=99, required=False, allow_null=True)
    max_bookings = serializers.IntegerField(min_value=0, max_value=999, required=False, allow_null=True)
    reason = serializers.CharField(max_length=200)


class _FiguresSerializer(serializers.Serializer):
    resources = serializers.IntegerField(allow_null=True)
    max_bookings = serializers.IntegerField(allow_null=True)
    used = serializers.IntegerField(allow_null=True)
    free = serializers.IntegerField(allow_null=True)


class _QuotaFiguresSerializer(_FiguresSerializer):
    closed = serializers.BooleanField()


class TimetableSessionSerializer(_FiguresSerializer):
    session = serializers.ChoiceField(choices=Session.choices)
    closed = serializers.BooleanField()
    reason = serializers.CharField()
    quota = _QuotaFiguresSerializer(allow_null=True)
    bookable = serializers.BooleanField()
    bookable_free = serializers.IntegerField(allow_null=True, help_text=_("Null: not limited."))
    refusal = serializers.CharField(help_text=_("The error code a booking would get here, or blank."))


class TimetableDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    weekday = serializers.IntegerField()
    sessions = TimetableSessionSerializer(many=True)


class TimetableSerializer(serializers.Serializer):
    owner = OwnerSerializer()
    resources_limited = serializers.BooleanField()
    days = TimetableDaySerializer(many=True)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        fields["to"] = serializers.DateField()
        return fields
