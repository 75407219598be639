"""Smart-service messaging (W1–W3, Y10, PA7, M5): message plans, versioned templates, messages and their delivery.

- `MessagePlan`: one service point of a hospital (or a platform default, hospital None, overridden by key): a
  trigger (a case-event matcher, or a time offset from surgery / admission / discharge), filters that select only
  the cases that need the message, the audience, the patient's channel fallback order and the staff's channels,
  for one procedure (None: every procedure) and optionally one pathway (timeline) node.
- `MessageTemplate`: the text of a plan, per procedure (None: the plan's default text). Rows are immutable
  versions: an edit writes version n+1, and every message records the version it was rendered from (W3).
- `Message`: one rendered message for one recipient (a patient or a staff member) — also the in-app inbox item
  (read/unread). Its idempotency key (plan, trigger, recipient) makes a repeated trigger a no-op.
- `DeliveryAttempt`: each try of one channel in one delivery round, with the gateway's id and any receipt.
- `StaffDevice`: a staff app's FCM registration token.
"""

import uuid as uuid_lib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import BaseModel, SignedRequestNonce


class TriggerKind(models.TextChoices):
    EVENT = "event", _("a case event")
    OFFSET = "offset", _("a time offset")


class Anchor(models.TextChoices):
    SURGERY = "surgery", _("the surgery (its planned date, at the configured time of day)")
    ADMISSION = "admission", _("the admission")
    DISCHARGE = "discharge", _("the discharge")


class Channel(models.TextChoices):
    WECHAT = "wechat", _("WeChat subscribe message")
    SMS = "sms", _("SMS")
    VOICE = "voice", _("voice call")
    INTERNET_HOSPITAL = "internet_hospital", _("internet hospital")
    FCM = "fcm", _("staff app push (FCM)")
    INBOX = "inbox", _("in-app inbox only")


PATIENT_CHANNELS = (Channel.WECHAT, Channel.SMS, Channel.VOICE, Channel.INTERNET_HOSPITAL)
STAFF_CHANNELS = (Channel.FCM, Channel.SMS)
PATIENT_CHANNEL_CHOICES = [(c.value, c.label) for c in PATIENT_CHANNELS]
STAFF_CHANNEL_CHOICES = [(c.value, c.label) for c in STAFF_CHANNELS]


class Audience(models.TextChoices):
    PATIENT = "patient", _("the patient")
    SURGEON = "surgeon", _("the surgeon")
    WARD_MANAGERS = "ward_managers", _("the ward's day-surgery managers")
    STAFF = "staff", _("named staff")  # staff notices requested by another context


class RecipientKind(models.TextChoices):
    PATIENT = "patient", _("patient")
    STAFF = "staff", _("staff")


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    RETRYING = "retrying", _("waiting for a retry")
    SENT = "sent", _("accepted by a channel")
    FAILED = "failed", _("no channel accepted it")


OPEN_STATUSES = (MessageStatus.PENDING, MessageStatus.RETRYING)


class AttemptStatus(models.TextChoices):
    SENT = "sent", _("accepted")
    REJECTED = "rejected", _("refused by the receiving system")
    FAILED = "failed", _("system unavailable")
    SKIPPED = "skipped", _("no address for this channel")


class ReceiptStatus(models.TextChoices):
    NONE = "", _("no receipt")
    DELIVERED = "delivered", _("delivered to the handset")
    UNDELIVERED = "undelivered", _("not delivered")


class MessagePlan(BaseModel):
    hospital = models.ForeignKey("org.Hospital", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="message_plans", verbose_name=_("hospital"))
    key = models.SlugField(_("key"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    description = models.CharField(_("description"), max_length=500, blank=True)
    kind = models.SlugField(_("kind"), max_length=40)  # `kind` of messaging.message.sent
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="message_plans", verbose_name=_("procedure"))
    pathway_node = models.CharField(_("pathway node"), max_length=40, blank=True)  # a timeline node key
    trigger_kind = models.CharField(_("trigger"), max_length=10, choices=TriggerKind.choices)
    trigger = models.JSONField(_("event matcher"), default=dict, blank=True)  # core.event_rules
    anchor = models.CharField(_("anchor"), max_length=12, choices=Anchor.choices, blank=True)
    offset_minutes = models.IntegerField(_("offset (minutes)"), default=0)  # negative: before the anchor
    window_minutes = models.PositiveIntegerField(_("sending window (minutes)"), default=720)
    filters = models.JSONField(_("filters"), default=list, blank=True)  # [{"name": ..., "params": {...}}]
    audiences = models.JSONField(_("audience"), default=list)
    manager_permission = models.CharField(_("managers hold"), max_length=100, default="preop.manage_bookings")
    patient_channels = models.JSONField(_("patient channels (fallback order)"), default=list, blank=True)
    staff_channels = models.JSONField(_("staff channels"), default=list, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)  # the default {link}
    is_active = models.BooleanField(_("active"), default=True)
    builtin = models.BooleanField(_("built in"), default=False)
    version = models.PositiveIntegerField(_("version"), default=1)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["key", "id"]
        constraints = [
            models.UniqueConstraint(fields=["hospital", "key"], condition=Q(retired_at__isnull=True),
                                    nulls_distinct=False, name="uniq_messaging_plan_key"),
        ]
        indexes = [models.Index(fields=["trigger_kind", "is_active"], name="messaging_plan_trigger_idx")]

    def __str__(self):
        return f"{self.key} ({self.hospital_id or 'default'})"


class MessageTemplate(models.Model):
    """One immutable version of a plan's text (per procedure; None: the plan's default text)."""

    uuid = models.UUIDField(default=uuid_lib.uuid4, unique=True, editable=False)
    plan = models.ForeignKey(MessagePlan, on_delete=models.CASCADE, related_name="templates")
    procedure = models.ForeignKey("catalog.Procedure", on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    version = models.PositiveIntegerField()
    patient_title = models.CharField(max_length=100, blank=True)
    patient_body = models.TextField(max_length=1000, blank=True)
    staff_title = models.CharField(max_length=100, blank=True)
    staff_body = models.TextField(max_length=1000, blank=True)
    sms_template = models.CharField(max_length=60, blank=True)  # the gateway's registered template code
    wechat_template_id = models.CharField(max_length=64, blank=True)
    wechat_fields = models.JSONField(default=dict, blank=True)  # {"thing1": "{procedure}", ...}
    voice_scenario = models.CharField(max_length=40, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["plan_id", "procedure_id", "-version"]
        constraints = [models.UniqueConstraint(fields=["plan", "procedure", "version"], nulls_distinct=False,
                                               name="uniq_messaging_template_version")]

    def __str__(self):
        return f"{self.plan_id}/{self.procedure_id or '*'} v{self.version}"


class Message(BaseModel):
    plan = models.ForeignKey(MessagePlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="messages")
    plan_key = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=40)
    template = models.ForeignKey(MessageTemplate, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="messages")
    template_version = models.PositiveIntegerField(null=True, blank=True)
    case = models.ForeignKey("cases.SurgicalCase", on_delete=models.CASCADE, null=True, blank=True,
                             related_name="messages")
    ward = models.ForeignKey("org.Ward", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    patient = models.ForeignKey("cases.Patient", on_delete=models.PROTECT, null=True, blank=True,
                                related_name="messages")
    recipient_kind = models.CharField(max_length=10, choices=RecipientKind.choices)
    recipient_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                                       related_name="inbox_messages")
    audience = models.CharField(max_length=20, choices=Audience.choices)
    title = models.CharField(max_length=100)
    body = models.TextField(max_length=2000, blank=True)
    link = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)  # string values (FCM data, client routing)
    channels = models.JSONField(default=list, blank=True)  # the order tried, fixed when the message is made
    status = models.CharField(max_length=10, choices=MessageStatus.choices, default=MessageStatus.PENDING)
    channel = models.CharField(max_length=20, blank=True)  # the channel that accepted it
    idempotency_key = models.CharField(max_length=200, unique=True)
    trigger_ref = models.CharField(max_length=120, blank=True)  # the event uuid or "offset:<anchor time>"
    round = models.PositiveSmallIntegerField(default=1)  # delivery round (a retry starts the next)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient_user", "read_at"], name="messaging_staff_inbox_idx"),
            models.Index(fields=["patient", "recipient_kind", "read_at"], name="messaging_patient_inbox_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="messaging_retry_idx"),
        ]

    def __str__(self):
        return f"{self.kind} → {self.recipient_kind} ({self.status})"


class DeliveryAttempt(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attempts")
    channel = models.CharField(max_length=20, choices=Channel.choices)
    round = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=AttemptStatus.choices)
    idempotency_key = models.CharField(max_length=220, unique=True)
    external_id = models.CharField(max_length=120, blank=True, db_index=True)
    detail = models.CharField(max_length=500, blank=True)
    attempted_at = models.DateTimeField()
    receipt_status = models.CharField(max_length=12, choices=ReceiptStatus.choices, blank=True)
    receipt_at = models.DateTimeField(null=True, blank=True)
    receipt_detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["message_id", "id"]

    def __str__(self):
        return f"{self.message_id} {self.channel}#{self.round} {self.status}"


class DevicePlatform(models.TextChoices):
    ANDROID = "android", "Android"
    IOS = "ios", "iOS"
    HARMONY = "harmony", "HarmonyOS"


class StaffDevice(BaseModel):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_devices")
    token = models.CharField(max_length=255, unique=True)
    # The login session that registered the token: once it ends (logout, idle expiry) nothing more is pushed to
    # the device until somebody logs in on it again (a shared ward phone shows no patient of the last user).
    sid = models.CharField(max_length=64, blank=True, default="")
    platform = models.CharField(max_length=10, choices=DevicePlatform.choices)
    app_version = models.CharField(max_length=40, blank=True)
    last_seen_at = models.DateTimeField()
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "id"]

    def __str__(self):
        return f"{self.user_id} {self.platform}"


class ReceiptNonce(SignedRequestNonce):
    """Nonces of signed delivery-receipt callbacks seen within the replay window."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client_id", "nonce"], name="uniq_messaging_receipt_nonce")]
