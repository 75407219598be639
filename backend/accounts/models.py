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
