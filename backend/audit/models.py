"""Append-only audit log (MLPS 2.0 安全审计): who did what to which record, before/after, when, from where.

Rows are never updated or deleted by the application (save/delete refuse it), and on PostgreSQL a trigger
refuses UPDATE and DELETE at the database level too.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "create", _("create")
    UPDATE = "update", _("update")
    DELETE = "delete", _("delete")
    READ = "read", _("read patient data")
    TRANSITION = "transition", _("state change")
    LOGIN = "login", _("login")
    LOGOUT = "logout", _("logout")
    LOGIN_FAILED = "login_failed", _("failed login")
    OTP_REQUEST = "otp_request", _("verification code request")
    REGISTER = "register", _("real-name registration")
    CONFIG = "config", _("configuration change")
    PERMISSION = "permission", _("permission change")
    EXPORT = "export", _("export")


class ActorType(models.TextChoices):
    STAFF = "staff", _("staff")
    PATIENT = "patient", _("patient")
    SYSTEM = "system", _("system")
    ANONYMOUS = "anonymous", _("anonymous")


class AuditEntry(models.Model):
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_type = models.CharField(max_length=12, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True, db_index=True)  # public UUID of the principal
    actor_name = models.CharField(max_length=100, blank=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices, db_index=True)
    target_type = models.CharField(max_length=60, blank=True, db_index=True)  # e.g. "cases.case"
    target_id = models.CharField(max_length=64, blank=True, db_index=True)  # public UUID or natural key
    target_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    success = models.BooleanField(default=True)
    detail = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id", "occurred_at"])]

    def __str__(self):
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_name} {self.action} {self.target_type}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("audit entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("audit entries are append-only")
