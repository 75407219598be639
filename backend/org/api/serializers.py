"""Input/output shapes of the organisation API. References to other rows are public UUIDs."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.fields import UUIDRelatedField
from org.models import (
    Bed,
    Campus,
    Department,
    Hospital,
    MedicalGroup,
    TheatreRoom,
    TheatreSession,
    TheatreSuite,
    Ward,
)

COMMON_READ_ONLY = ("uuid", "created_at", "updated_at")


def _check_campus_in_hospital(serializer, attrs, hospital_id):
    """A department's or ward's campus (given now or already saved) must belong to the same hospital."""
    campus = attrs.get("campus", getattr(serializer.instance, "campus", None))
    if campus is not None and hospital_id is not None and campus.hospital_id != hospital_id:
        raise serializers.ValidationError({"campus": [_("The campus belongs to another hospital.")]})


class _OrgSerializer(serializers.ModelSerializer):
    """Uniqueness and constraints are checked once, by the services (org.services), as field messages."""

    class Meta:
        validators = []


class HospitalSerializer(_OrgSerializer):
    class Meta(_OrgSerializer.Meta):
        model = Hospital
        fields = ("uuid", "name", "code", "created_at", "updated_at")
        read_only_fields = COMMON_READ_ONLY


class CampusSerializer(_OrgSerializer):
    hospital = UUIDRelatedField(queryset=Hospital.objects.all())

    class Meta(_OrgSerializer.Meta):
        model = Campus
        fields = ("uuid", "hospital", "name", "code", "created_at", "updated_at")
        read_only_fields = COMMON_READ_ONLY


class DepartmentSerializer(_OrgSerializer):
    hospital = UUIDRelatedField(queryset=Hospital.objects.all())
    campus = UUIDRelatedField(queryset=Campus.objects.all(), required=False, allow_null=True)

    class Meta(_OrgSerializer.Meta):
        model = Department
        fields = ("uuid", "hospital", "campus", "name", "code", "is_active", "created_at", "updated_at")
        read_only_fields = COMMON_READ_ONLY

    def validate(self, attrs):
        hospital = attrs.get("hospital", getattr(self.instance, "hospital", None))
        _check_campus_in_hospital(self, attrs, hospital.id if hospital is not None else None)
        return attrs


class WardSerializer(_OrgSerializer):
    department = UUIDRelatedField(queryset=Department.objects.all())
    campus = UUIDRelatedField(queryset=Campus.objects.all(), required=False, allow_null=True)
    management_mode_display = serializers.CharField(source="get_management_mode_display", read_only=True)

    class Meta(_OrgSerializer.Meta):
        model = Ward
        fields = (
            "uuid", "department", "campus", "name", "code", "management_mode", "management_mode_display",
            "location", "phone", "is_active", "created_at", "updated_at",
        )
        read_only_fields = COMMON_READ_ONLY

    def validate(self, attrs):
        department = attrs.get("department", getattr(self.instance, "department", None))
        _check_campus_in_hospital(self, attrs, department.hospital_id if department is not None else None)
        return attrs


class BedSerializer(_OrgSerializer):
    ward = UUIDRelatedField(queryset=Ward.objects.all())

    class Meta(_OrgSerializer.Meta):
        model = Bed
        fields = ("uuid", "ward", "code", "is_day_bed", "is_active", "created_at", "updated_at")
        read_only_fields = COMMON_READ_ONLY


def _staff():
    return get_user_model().objects.all()


class MedicalGroupSerializer(_OrgSerializer):
    department = UUIDRelatedField(queryset=Department.objects.all())
    leader = UUIDRelatedField(queryset=_staff())
    leader_name = serializers.CharField(source="leader.name", read_only=True)
    members = UUIDRelatedField(queryset=_staff(), many=True, required=False)

    class Meta(_OrgSerializer.Meta):
        model = MedicalGroup
        fields = ("uuid", "department", "name", "leader", "leader_name", "members", "created_at", "updated_at")
        read_only_fields = COMMON_READ_ONLY


class TheatreSuiteSerializer(_OrgSerializer):
    campus = UUIDRelatedField(queryset=Campus.objects.all(), required=False, allow_null=True)

    class Meta(_OrgSerializer.Meta):
        model = TheatreSuite
        fields = ("uuid", "campus", "name", "code", "created_at", "updated_at")
        read_only_fields = COMMON_READ_ONLY


class TheatreRoomSerializer(_OrgSerializer):
    suite = UUIDRelatedField(queryset=TheatreSuite.objects.all())

    class Meta(_OrgSerializer.Meta):
        model = TheatreRoom
        fields = ("uuid", "suite", "name", "code", "is_active", "created_at", "updated_at")
        read_only_fields = COMMON_READ_ONLY


class TheatreSessionSerializer(_OrgSerializer):
    room = UUIDRelatedField(queryset=TheatreRoom.objects.all())
    weekday_display = serializers.CharField(source="get_weekday_display", read_only=True)

    class Meta(_OrgSerializer.Meta):
        model = TheatreSession
        fields = ("uuid", "room", "weekday", "weekday_display", "start_time", "end_time", "created_at", "updated_at")
        read_only_fields = COMMON_READ_ONLY

    def validate(self, attrs):
        start = attrs.get("start_time", getattr(self.instance, "start_time", None))
        end = attrs.get("end_time", getattr(self.instance, "end_time", None))
        if start is not None and end is not None and end <= start:
            raise serializers.ValidationError({"end_time": [_("The session must end after it starts.")]})
        return attrs
