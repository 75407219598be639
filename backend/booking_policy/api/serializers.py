"""Input/output shapes of the booking-policy API. References are public UUIDs."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from booking_policy.models import (
    AdmissionRule,
    BodySitePolicy,
    BookingModeGrant,
    GrantableMode,
    GranteeKind,
    RuleKind,
    RuleScope,
    SurgeonAssignmentTask,
)
from cases.models import BookingMode, Patient, SurgicalCase
from catalog.models import Procedure
from core.api.fields import UUIDRelatedField
from org.models import Department, Hospital, ManagementMode, MedicalGroup, Ward


class _Ref(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


# --- admission rules ---------------------------------------------------------------------------------------------

_RULE_OUTPUT = (
    "uuid", "hospital", "name", "kind", "scope", "department", "ward", "management_mode", "is_enabled", "message",
    "position", "min_age", "max_age", "grades", "body_sites", "body_site_policy", "triage_levels",
    "max_active_bookings", "created_at", "updated_at",
)


class AdmissionRuleSerializer(serializers.ModelSerializer):
    hospital = _Ref(read_only=True)
    department = _Ref(read_only=True, allow_null=True)
    ward = _Ref(read_only=True, allow_null=True)

    class Meta:
        model = AdmissionRule
        fields = _RULE_OUTPUT
        read_only_fields = fields


class AdmissionRuleWriteSerializer(serializers.Serializer):
    """Shape only; which parameters a kind needs is checked by booking_policy.services (field messages)."""

    hospital = UUIDRelatedField(queryset=Hospital.objects.all())
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=RuleKind.choices)
    scope = serializers.ChoiceField(choices=RuleScope.choices, default=RuleScope.HOSPITAL)
    department = UUIDRelatedField(queryset=Department.objects.all(), required=False, allow_null=True)
    ward = UUIDRelatedField(queryset=Ward.objects.select_related("department"), required=False, allow_null=True)
    management_mode = serializers.ChoiceField(choices=ManagementMode.choices, required=False, allow_blank=True)
    is_enabled = serializers.BooleanField(default=True)
    message = serializers.CharField(max_length=300, required=False, allow_blank=True)
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    min_age = serializers.IntegerField(min_value=0, max_value=150, required=False, allow_null=True)
    max_age = serializers.IntegerField(min_value=0, max_value=150, required=False, allow_null=True)
    grades = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=4), required=False,
                                   max_length=4)
    body_sites = serializers.ListField(child=serializers.CharField(max_length=100), required=False, max_length=100)
    body_site_policy = serializers.ChoiceField(choices=BodySitePolicy.choices, required=False)
    triage_levels = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=4), required=False,
                                          max_length=4)
    max_active_bookings = serializers.IntegerField(min_value=1, max_value=100, required=False, allow_null=True)


class AdmissionRuleUpdateSerializer(AdmissionRuleWriteSerializer):
    """Every field optional (PATCH); the hospital of a rule does not change."""

    hospital = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


# --- evaluation (dry run) ---------------------------------------------------------------------------------------


class AdmissionEvaluateSerializer(serializers.Serializer):
    """Either an existing case, or what a booking form holds before the case exists."""

    case = UUIDRelatedField(queryset=SurgicalCase.objects.all(), required=False)
    patient = UUIDRelatedField(queryset=Patient.objects.all(), required=False)
    ward = UUIDRelatedField(queryset=Ward.objects.select_related("department"), required=False)
    department = UUIDRelatedField(queryset=Department.objects.all(), required=False, allow_null=True)
    surgeon = UUIDRelatedField(queryset=User.objects.filter(is_active=True), required=False)
    procedure = UUIDRelatedField(queryset=Procedure.objects.all(), required=False, allow_null=True)
    planned_date = serializers.DateField(required=False)
    triage_level = serializers.IntegerField(min_value=1, max_value=4, required=False, allow_null=True)

    def validate(self, attrs):
        if attrs.get("case") is None:
            missing = [f for f in ("patient", "ward", "surgeon") if attrs.get(f) is None]
            if missing:
                raise serializers.ValidationError(
                    {f: [_("Give a case, or the patient, ward and surgeon.")] for f in missing}
                )
        return attrs


class VerdictRuleSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    scope = serializers.CharField()


class VerdictSerializer(serializers.Serializer):
    rule = VerdictRuleSerializer()
    passed = serializers.BooleanField()
    reason_code = serializers.CharField()
    reason = serializers.CharField()
    message = serializers.CharField()


class BookingModeVerdictSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=BookingMode.choices, allow_blank=True)
    authorised = serializers.BooleanField()
    message = serializers.CharField(allow_blank=True)


class AdmissionEvaluationSerializer(serializers.Serializer):
    admitted = serializers.BooleanField()
    verdicts = VerdictSerializer(many=True)
    booking_mode = BookingModeVerdictSerializer()


# --- booking-mode grants ----------------------------------------------------------------------------------------


class BookingModeGrantSerializer(serializers.ModelSerializer):
    grantee_department = _Ref(read_only=True, allow_null=True)
    grantee_group = _Ref(read_only=True, allow_null=True)
    grantee_user = _Ref(read_only=True, allow_null=True)
    target_department = _Ref(read_only=True, allow_null=True)
    granted_by = _Ref(read_only=True, allow_null=True)
    revoked_by = _Ref(read_only=True, allow_null=True)

    class Meta:
        model = BookingModeGrant
        fields = (
            "uuid", "mode", "grantee_kind", "grantee_department", "grantee_group", "grantee_user",
            "target_department", "valid_from", "valid_until", "note", "granted_by", "created_at", "revoked_at",
            "revoked_by", "revoke_reason",
        )
        read_only_fields = fields


class BookingModeGrantCreateSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=GrantableMode.choices)
    grantee_kind = serializers.ChoiceField(choices=GranteeKind.choices)
    grantee_department = UUIDRelatedField(queryset=Department.objects.all(), required=False, allow_null=True)
    grantee_group = UUIDRelatedField(queryset=MedicalGroup.objects.all(), required=False, allow_null=True)
    grantee_user = UUIDRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    target_department = UUIDRelatedField(queryset=Department.objects.all(), required=False, allow_null=True)
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_until = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class GrantRevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


# --- virtual-surgeon to-dos ---------------------------------------------------------------------------------------


class _CaseRef(serializers.ModelSerializer):
    patient = serializers.CharField(source="patient.masked_name", read_only=True)

    class Meta:
        model = SurgicalCase
        fields = ("uuid", "patient", "procedure_name", "planned_date", "planned_session", "state", "version")
        read_only_fields = fields


class SurgeonAssignmentSerializer(serializers.ModelSerializer):
    case = _CaseRef(read_only=True)
    ward = _Ref(read_only=True)
    virtual_surgeon = _Ref(read_only=True)
    assigned_surgeon = _Ref(read_only=True, allow_null=True)
    assigned_by = _Ref(read_only=True, allow_null=True)

    class Meta:
        model = SurgeonAssignmentTask
        fields = (
            "uuid", "case", "ward", "planned_date", "virtual_surgeon", "status", "assigned_surgeon", "assigned_by",
            "closed_at", "created_at",
        )
        read_only_fields = fields


class SurgeonAssignInputSerializer(serializers.Serializer):
    surgeon = UUIDRelatedField(queryset=User.objects.all())
    version = serializers.IntegerField(required=False, min_value=1)

