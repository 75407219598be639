"""Input and output serializers of the accounts API. ID numbers only ever leave masked."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import OtpPurpose, Role
from core.api.fields import IdNumberField, PhoneField, UUIDRelatedField
from org.models import Department, ManagementMode, Ward

# --- fields ---------------------------------------------------------------------------------------------------


class CodeField(serializers.RegexField):
    def __init__(self, **kwargs):
        super().__init__(r"^\d{6}$", max_length=6, min_length=6,
                         error_messages={"invalid": _("Enter the 6-digit verification code.")}, **kwargs)


# --- auth inputs ---------------------------------------------------------------------------------------------


class StaffOtpRequestInput(serializers.Serializer):
    phone = PhoneField()
    purpose = serializers.ChoiceField(
        choices=[(OtpPurpose.STAFF_LOGIN, OtpPurpose.STAFF_LOGIN.label), (OtpPurpose.REGISTER, OtpPurpose.REGISTER.label)],
        default=OtpPurpose.STAFF_LOGIN,
    )


class PatientOtpRequestInput(serializers.Serializer):
    phone = PhoneField()
    purpose = serializers.ChoiceField(
        choices=[(OtpPurpose.PATIENT_LOGIN, OtpPurpose.PATIENT_LOGIN.label),
                 (OtpPurpose.PATIENT_BIND, OtpPurpose.PATIENT_BIND.label)],
        default=OtpPurpose.PATIENT_LOGIN,
    )


class OtpSentOutput(serializers.Serializer):
    expires_in = serializers.IntegerField(help_text="seconds the code stays valid")
    resend_after = serializers.IntegerField(help_text="seconds before another code may be requested")


class StaffLoginInput(serializers.Serializer):
    phone = PhoneField()
    code = CodeField(required=False)
    password = serializers.CharField(required=False, max_length=128, trim_whitespace=False, style={"input_type": "password"})

    def validate(self, attrs):
        if bool(attrs.get("code")) == bool(attrs.get("password")):
            raise serializers.ValidationError({"code": [_("Give either the SMS code or the password.")]})
        return attrs


class AdminOtpInput(serializers.Serializer):
    phone = PhoneField()
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class AdminLoginInput(AdminOtpInput):
    code = CodeField()


class RegisterInput(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    id_number = IdNumberField()
    phone = PhoneField()
    code = CodeField()


class RefreshInput(serializers.Serializer):
    refresh = serializers.CharField(max_length=2000)


class TokenPairOutput(serializers.Serializer):
    access = serializers.CharField()
    refresh = serializers.CharField()


class WechatLoginInput(serializers.Serializer):
    code = serializers.CharField(max_length=128, help_text="the code returned by wx.login()")


class PatientLoginInput(serializers.Serializer):
    phone = PhoneField()
    code = CodeField()


class PatientBindInput(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    id_number = IdNumberField()
    phone = PhoneField()
    code = CodeField(required=False, help_text="SMS code (purpose patient_bind) unless the phone is already verified")


# --- outputs ---------------------------------------------------------------------------------------------------


class DepartmentBriefOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()


class WardBriefOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()
    management_mode = serializers.CharField()


class UserOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    phone = serializers.CharField(allow_null=True)
    name = serializers.CharField()
    employee_no = serializers.CharField()
    title = serializers.CharField()
    id_number = serializers.CharField(source="masked_id_number", help_text="masked")
    department = DepartmentBriefOutput(allow_null=True)
    wards = WardBriefOutput(many=True)
    management_modes = serializers.ListField(child=serializers.CharField())
    roles = serializers.SerializerMethodField()
    extra_permissions = serializers.SerializerMethodField()
    is_active = serializers.BooleanField()
    is_virtual = serializers.BooleanField()
    real_name_verified_at = serializers.DateTimeField(allow_null=True)
    last_login = serializers.DateTimeField(allow_null=True)
    last_activity_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_roles(self, obj) -> list[str]:
        return [r.slug for r in obj.roles.all()]

    def get_extra_permissions(self, obj) -> list[str]:
        return [p.slug for p in obj.extra_permissions.all()]


class UserListItemOutput(UserOutput):
    """A row of the user list: the phone number masked as well (the full number is on the user's detail)."""

    phone = serializers.SerializerMethodField()

    def get_phone(self, obj) -> str | None:
        from core.identity import mask_phone

        return mask_phone(obj.phone) if obj.phone else None


class StaffSessionOutput(TokenPairOutput):
    user = UserOutput()


class MeOutput(serializers.Serializer):
    principal = serializers.CharField(default="staff")
    user = UserOutput()
    roles = serializers.ListField(child=serializers.CharField())
    permissions = serializers.ListField(child=serializers.CharField())
    all_wards = serializers.BooleanField()
    wards = WardBriefOutput(many=True)


class PatientBriefOutput(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    phone = serializers.CharField(source="masked_phone")
    reg_no = serializers.CharField()


class PatientAccountOutput(serializers.Serializer):
    principal = serializers.SerializerMethodField()
    uuid = serializers.UUIDField()
    phone = serializers.SerializerMethodField()
    phone_verified = serializers.SerializerMethodField()
    wechat_linked = serializers.SerializerMethodField()
    bound = serializers.SerializerMethodField()
    patient = PatientBriefOutput(allow_null=True)
    last_login_at = serializers.DateTimeField(allow_null=True)

    def get_principal(self, obj) -> str:
        return "patient"

    def get_phone(self, obj) -> str:
        from core.identity import mask_phone

        return mask_phone(obj.phone)

    def get_phone_verified(self, obj) -> bool:
        return obj.phone_verified_at is not None

    def get_wechat_linked(self, obj) -> bool:
        return bool(obj.wechat_openid)

    def get_bound(self, obj) -> bool:
        return obj.patient_id is not None


class PatientSessionOutput(TokenPairOutput):
    account = PatientAccountOutput()


# --- administration --------------------------------------------------------------------------------------------


class UserCreateInput(serializers.Serializer):
    phone = PhoneField(required=False, allow_null=True)
    name = serializers.CharField(max_length=50)
    employee_no = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    title = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    id_number = IdNumberField(required=False, allow_blank=True, default="")
    department = UUIDRelatedField(queryset=Department.objects.all(), required=False, allow_null=True, default=None)
    wards = UUIDRelatedField(queryset=Ward.objects.all(), many=True, required=False, default=list)
    management_modes = serializers.ListField(
        child=serializers.ChoiceField(choices=ManagementMode.choices), required=False, default=list
    )
    roles = serializers.SlugRelatedField(slug_field="slug", queryset=Role.objects.all(), many=True, required=False,
                                         default=list)
    is_active = serializers.BooleanField(required=False, default=True)
    is_virtual = serializers.BooleanField(required=False, default=False)


class UserUpdateInput(serializers.Serializer):
    phone = PhoneField(required=False, allow_null=True)
    name = serializers.CharField(max_length=50, required=False)
    employee_no = serializers.CharField(max_length=40, required=False, allow_blank=True)
    title = serializers.CharField(max_length=40, required=False, allow_blank=True)
    id_number = IdNumberField(required=False)
    department = UUIDRelatedField(queryset=Department.objects.all(), required=False, allow_null=True)
    wards = UUIDRelatedField(queryset=Ward.objects.all(), many=True, required=False)
    management_modes = serializers.ListField(child=serializers.ChoiceField(choices=ManagementMode.choices),
                                             required=False)
    roles = serializers.SlugRelatedField(slug_field="slug", queryset=Role.objects.all(), many=True, required=False)
    is_active = serializers.BooleanField(required=False)
    is_virtual = serializers.BooleanField(required=False)


class PermissionOutput(serializers.Serializer):
    slug = serializers.CharField()
    context = serializers.CharField()
    description = serializers.CharField()


class RoleOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    permissions = serializers.SerializerMethodField()

    def get_permissions(self, obj) -> list[str]:
        return sorted(p.slug for p in obj.permissions.all())


class PermissionSlugsInput(serializers.Serializer):
    permissions = serializers.ListField(child=serializers.CharField(max_length=100), allow_empty=True)


class PermissionSlugsOutput(serializers.Serializer):
    permissions = serializers.ListField(child=serializers.CharField())


class UserFilterInput(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")
    department = serializers.UUIDField(required=False, allow_null=True, default=None)
    ward = serializers.UUIDField(required=False, allow_null=True, default=None)
    role = serializers.ChoiceField(choices=[], required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.models import RoleSlug

        self.fields["role"].choices = RoleSlug.choices
