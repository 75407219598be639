"""The theatre system's signed callbacks (S1 a): the theatre is a system client, not a logged-in user.

Same scheme as the HIS workstation launches (booking.signing, hospital_sim.server.his_signature):

    X-Client-Id, X-Timestamp (unix seconds), X-Nonce (8–64 url-safe characters, unique per request),
    X-Signature: hex(HMAC-SHA256(secret, "<timestamp>\\n<nonce>\\n<METHOD>\\n<path>\\n" + hex(SHA256(body))))

Clients: settings.SCHEDULING_THEATRE_CLIENTS, else BOOKING_HIS_CLIENTS (one integration-platform key). A timestamp
outside the window, a nonce seen before or a wrong signature is refused with 401 before anything is read.
"""

import hmac
import re
import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.signing import his_signature
from scheduling.conf import conf, theatre_clients
from scheduling.errors import CallbackSignatureRefused
from scheduling.models import TheatreCallbackNonce

NONCE_RE = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
TIMESTAMP_RE = re.compile(r"^[0-9]{1,12}$")
SIGNATURE_RE = re.compile(r"^[0-9A-Fa-f]{64}$")
CLIENT_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


def callback_verify(*, headers, method: str, path: str, body: bytes) -> str:
    """The client id of a correctly signed, fresh, first-seen callback; else CallbackSignatureRefused (401)."""
    client_id = headers.get("X-Client-Id", "")
    timestamp = headers.get("X-Timestamp", "")
    nonce = headers.get("X-Nonce", "")
    signature = headers.get("X-Signature", "")
    secret = theatre_clients().get(client_id) if CLIENT_RE.fullmatch(client_id or "") else None
    if not secret or not SIGNATURE_RE.fullmatch(signature) or not NONCE_RE.fullmatch(nonce) or (
        not TIMESTAMP_RE.fullmatch(timestamp)
    ):
        raise CallbackSignatureRefused()
    if abs(time.time() - int(timestamp)) > conf("SCHEDULING_CALLBACK_WINDOW_SECONDS"):
        raise CallbackSignatureRefused(_("The request timestamp is outside the allowed window."),
                                       code="signature_expired")
    expected = his_signature(secret, timestamp=timestamp, nonce=nonce, method=method, path=path, body=body)
    if not hmac.compare_digest(expected, signature.lower()):
        raise CallbackSignatureRefused()
    try:
        with transaction.atomic():
            TheatreCallbackNonce.objects.create(client_id=client_id, nonce=nonce, seen_at=timezone.now())
    except IntegrityError:
        raise CallbackSignatureRefused(_("This request was already received."), code="signature_replayed") from None
    return client_id


def purge_nonces(*, now=None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=2 * conf("SCHEDULING_CALLBACK_WINDOW_SECONDS"))
    deleted, _by_model = TheatreCallbackNonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted
