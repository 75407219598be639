"""The outbound-call log: one row per logical call to an external system (all attempts of it).

Written by `integrations.http.run_call` for every adapter. It answers "did we send it, how often, and what
did the other side say" without storing the payload: `request_summary` holds only non-sensitive facts
(method, path, which parameters were sent — values of identifying parameters are masked).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel


class CallStatus(models.TextChoices):
    OK = "ok", _("Succeeded")
    CLIENT_ERROR = "client_error", _("Refused by the remote system (4xx)")
    SERVER_ERROR = "server_error", _("Remote system error (5xx)")
    NETWORK_ERROR = "network_error", _("Connection failed")
    TIMEOUT = "timeout", _("Timed out")


class ExternalCall(BaseModel):
    port = models.CharField(max_length=40, db_index=True)  # "his", "sms", "wechat" ...
    operation = models.CharField(max_length=80)  # "find_patient", "send" ...
    idempotency_key = models.CharField(max_length=100, blank=True, db_index=True)
    request_summary = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=20, choices=CallStatus.choices, db_index=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=1)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["port", "status", "created_at"])]

    def __str__(self):
        return f"{self.port}.{self.operation} {self.status}"
