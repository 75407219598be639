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
CLIENT_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


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


def signed_request_verify(*, headers, method: str, path: str, body: bytes, clients: dict, window_seconds: int,
                          nonce_model, refused) -> str:
    """The client id of a correctly signed, fresh, first-seen request from one of `clients` ({id: secret});
    else `refused` (a 401 error class). One check for every system client (HIS workstation, theatre system)."""
    client_id = headers.get("X-Client-Id", "")
    timestamp = headers.get("X-Timestamp", "")
    nonce = headers.get("X-Nonce", "")
    signature = headers.get("X-Signature", "")
    secret = clients.get(client_id) if CLIENT_RE.fullmatch(client_id or "") else None
    if not secret or not SIGNATURE_RE.fullmatch(signature) or not NONCE_RE.fullmatch(nonce) or (
        not TIMESTAMP_RE.fullmatch(timestamp)
    ):
        raise refused()
    if abs(time.time() - int(timestamp)) > window_seconds:
        raise refused(_("The request timestamp is outside the allowed window."), code="signature_expired")
    expected = his_signature(secret, timestamp=timestamp, nonce=nonce, method=method, path=path, body=body)
    if not hmac.compare_digest(expected, signature.lower()):
        raise refused()
    try:
        with transaction.atomic():
            nonce_model.objects.create(client_id=client_id, nonce=nonce, seen_at=timezone.now())
    except IntegrityError:
        raise refused(_("This request was already received."), code="signature_replayed") from None
    return client_id


def nonces_purge(nonce_model, window_seconds: int, *, now=None) -> int:
    """Nonces older than twice the window can no longer be replayed (their timestamp is refused anyway)."""
    now = now or timezone.now()
    deleted, _by_model = nonce_model.objects.filter(seen_at__lt=now - timedelta(seconds=2 * window_seconds)).delete()
    return deleted


def his_request_verify(*, headers, method: str, path: str, body: bytes) -> str:
    """The client id of a correctly signed, fresh, first-seen HIS request; else SignatureRefused (401)."""
    return signed_request_verify(
        headers=headers, method=method, path=path, body=body, clients=conf("BOOKING_HIS_CLIENTS"),
        window_seconds=conf("BOOKING_HIS_SIGNATURE_WINDOW_SECONDS"), nonce_model=HisRequestNonce,
        refused=SignatureRefused,
    )


def purge_nonces(*, now=None) -> int:
    return nonces_purge(HisRequestNonce, conf("BOOKING_HIS_SIGNATURE_WINDOW_SECONDS"), now=now)
