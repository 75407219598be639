"""Signed requests from the HIS doctor workstation (B1): the HIS is a system client, not a logged-in user.

Each client has an id and a shared secret (settings.BOOKING_HIS_CLIENTS). A request carries the headers

    X-Client-Id: <client id>
    X-Timestamp: <unix seconds>
    X-Nonce: <8–64 url-safe characters, unique per request>
    X-Signature: hex(HMAC-SHA256(secret, "<timestamp>\\n<nonce>\\n<METHOD>\\n<path>\\n" + hex(SHA256(body))))

A timestamp outside the window, a nonce seen before (within the window) or a wrong signature is refused
with 401; nothing of the request is processed before the check passes.
"""

import hashlib
import hmac
import re
import time
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from booking.conf import conf
from booking.errors import SignatureRefused
from booking.models import HisRequestNonce

NONCE_RE = re.compile(r"^[A-Za-z0-9_\-]{8,64}$")
TIMESTAMP_RE = re.compile(r"^[0-9]{1,12}$")  # ASCII digits only: str.isdigit() also accepts '²', which int() refuses
SIGNATURE_RE = re.compile(r"^[0-9A-Fa-f]{64}$")  # compare_digest raises TypeError on non-ASCII text


def his_signature(secret: str, *, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> str:
    message = "\n".join([timestamp, nonce, method.upper(), path, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signed_headers(client_id: str, secret: str, *, method: str, path: str, body: bytes, timestamp=None, nonce=None):
    """The headers a HIS client sends (used by tests and as the reference for HIS integrators)."""
    import secrets

    timestamp = str(int(time.time() if timestamp is None else timestamp))
    nonce = nonce or secrets.token_urlsafe(16)
    return {
        "X-Client-Id": client_id,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": his_signature(secret, timestamp=timestamp, nonce=nonce, method=method, path=path, body=body),
    }


def his_request_verify(*, headers, method: str, path: str, body: bytes) -> str:
    """The client id of a correctly signed, fresh, first-seen request; else SignatureRefused (401)."""
    client_id = headers.get("X-Client-Id", "")
    timestamp = headers.get("X-Timestamp", "")
    nonce = headers.get("X-Nonce", "")
    signature = headers.get("X-Signature", "")
    secret = conf("BOOKING_HIS_CLIENTS").get(client_id) if client_id else None
    if not secret or not SIGNATURE_RE.fullmatch(signature) or not NONCE_RE.fullmatch(nonce) or (
        not TIMESTAMP_RE.fullmatch(timestamp)
    ):
        raise SignatureRefused()
    window = conf("BOOKING_HIS_SIGNATURE_WINDOW_SECONDS")
    if abs(time.time() - int(timestamp)) > window:
        raise SignatureRefused(_("The request timestamp is outside the allowed window."), code="signature_expired")
    expected = his_signature(secret, timestamp=timestamp, nonce=nonce, method=method, path=path, body=body)
    if not hmac.compare_digest(expected, signature.lower()):
        raise SignatureRefused()
    try:
        with transaction.atomic():
            HisRequestNonce.objects.create(client_id=client_id, nonce=nonce, seen_at=timezone.now())
    except IntegrityError:
        raise SignatureRefused(_("This request was already received."), code="signature_replayed") from None
    return client_id


def purge_nonces(*, now=None) -> int:
    """Nonces older than twice the window can no longer be replayed (their timestamp is refused anyway)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=2 * conf("BOOKING_HIS_SIGNATURE_WINDOW_SECONDS"))
    deleted, _by_model = HisRequestNonce.objects.filter(seen_at__lt=cutoff).delete()
    return deleted
