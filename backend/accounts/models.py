"""Staff principals, roles and function permissions (SA1, SA5, Y1, Y2).

Patients are a separate principal (see PatientAccount) with their own token type; they are never Users.
"""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import EncryptedTextField, blind_index
from core.identity import mask_id_number
from core.models import BaseModel
from org.models import Department, ManagementMode, Ward


class RoleSlug(models.TextChoices):
    DOCTOR = "doctor", _("Doctor (surgeon)")
    NURSE = "nurse", _("Nurse / day-surgery manager")
    ANAESTHETIST = "anaesthetist", _("Anaesthetist")
    FOLLOWUP_NURSE = "followup_nurse", _("Follow-up nurse")
    HOSPITAL_ADMIN = "hospital_admin", _("Hospital administrator")
    QUALITY_MANAGER = "quality_manager", _("Quality manager")


class FunctionPermission(models.Model):
    """A function permission declared in code (see accounts.permissions) and synced to this table."""

    slug = models.CharField(max_length=100, unique=True)
    context = models.CharField(max_length=40)
    description = models.CharField(max_length=200)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.slug


class Role(models.Model):
    slug = models.CharField(max_length=40, unique=True, choices=RoleSlug.choices)
    name = models.CharField(max_length=60)
    permissions = models.ManyToManyField(FunctionPermission, related_name="roles", blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone, password=None, **extra):
        user = self.model(phone=phone, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("name", "系统管理员")
        return self.create_user(phone, password, **extra)


class User(BaseModel, AbstractBaseUser):
    """A member of hospital staff. Logs in with phone + SMS code (and optionally a password)."""

    phone = models.CharField(_("mobile number"), max_length=20, unique=True, null=True, blank=True)
    name = models.CharField(_("name"), max_length=50)
    employee_no = models.CharField(_("employee number"), max_length=40, blank=True, db_index=True)
    title = models.CharField(_("professional title"), max_length=40, blank=True)
    id_number = EncryptedTextField(_("ID number"), blank=True, default="")
    id_number_index = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="staff", verbose_name=_("department")
    )
    wards = models.ManyToManyField(Ward, blank=True, related_name="staff", verbose_name=_("wards"))
    management_modes = models.JSONField(
        _("management modes"),
        default=list,
        blank=True,
        help_text=_("Restricts the user to these management modes; empty means every mode of their wards."),
    )
    roles = models.ManyToManyField(Role, blank=True, related_name="users", verbose_name=_("roles"))
    extra_permissions = models.ManyToManyField(
        FunctionPermission, blank=True, related_name="users", verbose_name=_("extra permissions")
    )
    is_active = models.BooleanField(_("enabled"), default=True)
    is_staff = models.BooleanField(_("Django admin access"), default=False)
    is_superuser = models.BooleanField(_("superuser"), default=False)
    is_virtual = models.BooleanField(
        _("virtual surgeon"), default=False, help_text=_("A placeholder surgeon for virtual bookings; cannot log in.")
    )
    real_name_verified_at = models.DateTimeField(_("real-name verified at"), null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.id_number_index = blind_index(self.id_number) if self.id_number else ""
        super().save(*args, **kwargs)

    @property
    def masked_id_number(self):
        return mask_id_number(self.id_number)

    # Django admin compatibility: the admin site asks these; function permissions live in accounts.permissions.
    def has_perm(self, perm, obj=None):
        return self.is_active and self.is_superuser

    def has_module_perms(self, app_label):
        return self.is_active and self.is_superuser

    @property
    def is_patient(self):
        return False

    def clean(self):
        super().clean()
        unknown = set(self.management_modes or []) - set(ManagementMode.values)
        if unknown:
            from django.core.exceptions import ValidationError

            raise ValidationError({"management_modes": _("Unknown management mode.")})

    def touch(self):
        self.last_activity_at = timezone.now()
        User.objects.filter(pk=self.pk).update(last_activity_at=self.last_activity_at)


class OtpPurpose(models.TextChoices):
    STAFF_LOGIN = "staff_login", _("Staff login")
    ADMIN_2FA = "admin_2fa", _("Administrator second factor")
    REGISTER = "register", _("Staff real-name registration")
    PATIENT_LOGIN = "patient_login", _("Patient login")
    PATIENT_BIND = "patient_bind", _("Patient real-name binding")


class OtpChallenge(BaseModel):
    """One SMS verification code. Only a salted HMAC of the code is stored; the phone only as a blind index.

    A challenge is single use, expires after OTP_TTL_SECONDS and dies after OTP_MAX_ATTEMPTS wrong guesses.
    """

    phone_index = models.CharField(max_length=64, db_index=True)
    phone_masked = models.CharField(max_length=20)
    purpose = models.CharField(max_length=20, choices=OtpPurpose.choices)
    salt = models.CharField(max_length=32)
    code_hash = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sms_message_id = models.CharField(max_length=100, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["phone_index", "purpose", "created_at"])]

    def __str__(self):
        return f"{self.get_purpose_display()} {self.phone_masked}"


class PatientAccount(BaseModel):
    """A patient principal (mini-program or phone login). Never a User; reaches only its bound Patient."""

    wechat_openid = models.CharField(max_length=64, unique=True, null=True, blank=True)
    wechat_unionid = models.CharField(max_length=64, null=True, blank=True, db_index=True)
    phone = EncryptedTextField(_("mobile number"), blank=True, default="")
    phone_index = models.CharField(max_length=64, blank=True, default="", db_index=True, editable=False)
    phone_verified_at = models.DateTimeField(null=True, blank=True)
    patient = models.ForeignKey(
        "cases.Patient", on_delete=models.PROTECT, null=True, blank=True, related_name="accounts"
    )
    bound_at = models.DateTimeField(null=True, blank=True)
    last_login_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("enabled"), default=True)

    # Principal protocol shared with User (DRF, audit, accounts.permissions, org.scoping).
    is_patient = True
    is_authenticated = True
    is_anonymous = False
    is_staff = False
    is_superuser = False
    is_virtual = False

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.display_name

    def save(self, *args, **kwargs):
        self.phone_index = blind_index(self.phone) if self.phone else ""
        super().save(*args, **kwargs)

    @property
    def display_name(self):
        from core.identity import mask_name, mask_phone

        if self.patient_id:
            return mask_name(self.patient.name)
        return mask_phone(self.phone) or "patient"

    def touch(self):
        self.last_activity_at = timezone.now()
        PatientAccount.objects.filter(pk=self.pk).update(last_activity_at=self.last_activity_at)


class LoginSession(models.Model):
    """When one login session (the `sid` claim shared by all its tokens) last made a request: idle expiry is
    decided per session (accounts.tokens.session_state). A refresh is not a request here. `ended_at` marks a
    logout or an idle expiry: every token of the session is refused. A session without a row counts as idle;
    rows of sessions idle for good are purged (accounts.services.purge_expired)."""

    sid = models.CharField(max_length=64, unique=True)
    last_seen_at = models.DateTimeField(db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)  # logout or idle expiry: every token refused

    def __str__(self):
        return f"session {self.sid[:8]}…"
