"""Base model and the transactional outbox shared by every context."""

import uuid

from django.db import models
from django.utils import timezone


class BaseModel(models.Model):
    """Every domain row: an internal integer key for joins and a public UUID for the API."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class OutboxMessage(models.Model):
    """A domain event waiting for delivery, written in the same transaction as the change (see core.outbox)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    topic = models.CharField(max_length=120, db_index=True)  # e.g. "cases.case.booked"
    key = models.CharField(max_length=64, blank=True, db_index=True)  # aggregate id, e.g. the case uuid
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    dispatched_at = models.DateTimeField(null=True, blank=True, db_index=True)  # every handler delivered
    attempts = models.PositiveIntegerField(default=0)
    # After a failed attempt: not before this time does the sweeper re-enqueue it (exponential backoff).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["dispatched_at", "created_at"], name="outbox_pending_idx")]

    def __str__(self):
        return f"{self.topic} {self.uuid}"


class OutboxDelivery(models.Model):
    """One handler has processed one message; the unique pair makes redelivery a no-op for that handler."""

    message = models.ForeignKey(OutboxMessage, on_delete=models.CASCADE, related_name="deliveries")
    handler = models.CharField(max_length=200)
    delivered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "handler"], name="uniq_outbox_delivery")]

    def __str__(self):
        return f"{self.handler} ← {self.message_id}"


class SignedRequestNonce(models.Model):
    """A nonce of a signed system request seen within the replay window (booking.signing): a replay is refused.
    Each system client's table subclasses this with its own unique (client_id, nonce) constraint."""

    client_id = models.CharField(max_length=64)
    nonce = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.client_id}:{self.nonce}"
