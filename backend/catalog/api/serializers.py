from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from catalog.models import IncisionClass, Procedure, SurgicalGrade, TestPackageItem
from org.models import Department, Ward


class _DepartmentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["uuid", "code", "name"]


class _WardRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ward
        fields = ["uuid", "code", "name"]


class _DoctorRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = User
        fields = ["uuid", "name", "employee_no", "title"]


class TestPackageItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = TestPackageItem
        fields = ["code", "name", "kind", "position"]
        read_only_fields = fields


class ProcedureSerializer(serializers.ModelSerializer):
    department = _DepartmentRefSerializer(read_only=True, allow_null=True)
    wards = _WardRefSerializer(many=True, read_only=True)
    admitted_doctors = _DoctorRefSerializer(many=True, read_only=True)
    test_package_items = TestPackageItemSerializer(many=True, read_only=True)

    class Meta:
        model = Procedure
        fields = [
            "uuid", "code", "name", "grade", "incision_class", "department", "body_site", "anaesthesia_methods",
            "requires_anaesthesia_clinic", "default_duration_minutes", "is_active", "source", "his_synced_at",
            "wards", "admitted_doctors", "test_package_items", "notice_text", "patient_instructions",
            "test_package_pushed_at", "test_package_his_id", "updated_at",
        ]
        read_only_fields = fields


class _ProcedureWriteBase(serializers.Serializer):
    department = serializers.SlugRelatedField(
        slug_field="uuid", queryset=Department.objects.all(), required=False, allow_null=True
    )
    wards = serializers.SlugRelatedField(slug_field="uuid", queryset=Ward.objects.all(), many=True, required=False)
    requires_anaesthesia_clinic = serializers.BooleanField(required=False)
    default_duration_minutes = serializers.IntegerField(required=False, min_value=5, max_value=720)
    is_active = serializers.BooleanField(required=False)


class ProcedureCreateSerializer(_ProcedureWriteBase):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=200)
    grade = serializers.ChoiceField(choices=SurgicalGrade.choices)
    incision_class = serializers.ChoiceField(
        choices=IncisionClass.choices, help_text=_("By name: 0类, Ⅰ类, Ⅱ类 or Ⅲ类.")
    )


class ProcedureUpdateSerializer(_ProcedureWriteBase):
    name = serializers.CharField(max_length=200, required=False)
    grade = serializers.ChoiceField(choices=SurgicalGrade.choices, required=False)
    incision_class = serializers.ChoiceField(choices=IncisionClass.choices, required=False)


class ProcedureSyncSkippedSerializer(serializers.Serializer):
    code = serializers.CharField()
    reason = serializers.CharField()


class ProcedureSyncResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    deactivated = serializers.IntegerField()
    reactivated = serializers.IntegerField()
    skipped = ProcedureSyncSkippedSerializer(many=True)
