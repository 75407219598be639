"""The booking flow's own records: HIS launch tickets and replay guard, pending-pool entries, deliveries.

The booking itself is the surgical case (cases.SurgicalCase in state draft → booked): nothing here duplicates it.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel, SignedRequestNonce


class LaunchTicket(BaseModel):
    """A single-use, short-lived sign-in link the HIS hands to its doctor: it opens one draft as that doctor."""

    token_hash = models.CharField(max_length=64, unique=True)  # sha256 of the secret in the link; never the secret
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="launch_tickets")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="launch_tickets")
    client_id = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]


class HisRequestNonce(SignedRequestNonce):
    """Nonces of signed HIS requests seen within the replay window: a replayed request is refused."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client_id", "nonce"], name="uniq_his_nonce")]


class PoolReason(models.TextChoices):
    TIMEOUT = "timeout", _("not confirmed in time")
    REFUSED = "refused", _("refused by the booking rules")
    ABANDONED = "abandoned", _("abandoned by the doctor")
    PATIENT_DECLINED = "patient_declined", _("declined by the patient")
    OTHER = "other", _("other")


class PendingPoolEntry(BaseModel):
    """One entry of a case into the pending booking pool (B7): why, for whom, and whether it was resumed."""

    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="pool_entries")
    event_uuid = models.UUIDField(unique=True)  # the cases.case.moved_to_pending_pool event it records
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("requesting doctor"),
    )
    reason_code = models.CharField(_("reason"), max_length=20, choices=PoolReason.choices)
    reason_text = models.CharField(_("details"), max_length=500, blank=True)
    rule = models.JSONField(default=dict, blank=True)  # the refusing rule {"id", "name", "level"} when refused
    entered_at = models.DateTimeField(db_index=True)
    resumed_at = models.DateTimeField(null=True, blank=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-entered_at", "-id"]


class DeliveryChannel(models.TextChoices):
    HIS_CERTIFICATE = "his_certificate", _("HIS admission certificate")
    WECHAT = "wechat", _("WeChat subscribe message")
    SMS = "sms", _("SMS")


class DeliveryStatus(models.TextChoices):
    SENT = "sent", _("sent")
    REJECTED = "rejected", _("rejected by the receiving system (needs attention, not retried)")
    UNDELIVERABLE = "undeliverable", _("undeliverable (no channel reaches the patient)")
    SKIPPED = "skipped", _("not sent: the booking ended before it went out")


class BookingDelivery(BaseModel):
    """A booking sent out (B8, B9): the certificate to the HIS, the notice to the patient. One row per send."""

    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, related_name="booking_deliveries")
    message_uuid = models.UUIDField()  # the outbox message (cases.case.booked) it answers
    channel = models.CharField(max_length=20, choices=DeliveryChannel.choices)
    status = models.CharField(max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.SENT)
    idempotency_key = models.CharField(max_length=120, unique=True)
    external_id = models.CharField(max_length=100, blank=True)  # HIS certificate id / WeChat msgid / SMS id
    inpatient_no = models.CharField(max_length=40, blank=True)  # 住院号 from the HIS receipt
    detail = models.CharField(max_length=500, blank=True)  # e.g. why WeChat fell back to SMS
    delivered_at = models.DateTimeField()

    class Meta:
        ordering = ["id"]
