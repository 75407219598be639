from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from cases.models import AnaesthesiaMethod
from catalog.models import IncisionClass, Procedure, SurgicalGrade, TestPackageItem, TestPackageKind
from org.models import Department, Ward


class _DepartmentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["uuid", "code", "name"]


class _WardRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ward
        fields = ["uuid", "code", "name"]


class DoctorRefSerializer(serializers.ModelSerializer):
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
    admitted_doctors = DoctorRefSerializer(many=True, read_only=True)
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
    body_site = serializers.CharField(max_length=100, required=False, allow_blank=True)
    anaesthesia_methods = serializers.ListField(
        child=serializers.ChoiceField(choices=AnaesthesiaMethod.choices), required=False, max_length=5
    )
    notice_text = serializers.CharField(max_length=4000, required=False, allow_blank=True, trim_whitespace=False)
    patient_instructions = serializers.CharField(
        max_length=4000, required=False, allow_blank=True, trim_whitespace=False
    )


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
    warnings = ProcedureSyncSkippedSerializer(many=True)
    not_modified = serializers.BooleanField(help_text="the HIS catalogue had not changed since the last sync")
    version = serializers.CharField()


class ProcedureSyncRequestSerializer(serializers.Serializer):
    full = serializers.BooleanField(
        required=False, default=False, help_text="read the whole catalogue even if the HIS says it is unchanged"
    )


class AdmittedDoctorsSerializer(serializers.Serializer):
    doctors = serializers.SlugRelatedField(
        slug_field="uuid", queryset=User.objects.select_related("department"), many=True, allow_empty=True,
        help_text=_("Staff UUIDs; an empty list admits every surgeon of an admitting department."),
    )


class TestPackageItemInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=TestPackageKind.choices)


class TestPackageSerializer(serializers.Serializer):
    items = TestPackageItemInputSerializer(many=True, allow_empty=True, max_length=50)


class TestPackageReadSerializer(serializers.Serializer):
    items = TestPackageItemSerializer(many=True)
    updated_at = serializers.DateTimeField(allow_null=True)
    pushed_at = serializers.DateTimeField(allow_null=True)
    his_id = serializers.CharField()


class WardProceduresSerializer(serializers.Serializer):
    procedures = serializers.SlugRelatedField(
        slug_field="uuid", queryset=Procedure.objects.all(), many=True, allow_empty=True
    )
