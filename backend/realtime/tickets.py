"""Short-lived single-use WebSocket tickets (never a long-lived token in a URL).

A client holding a JWT asks `POST /api/v1/realtime/tickets/` for a ticket and connects to
`ws/events/?ticket=...` within REALTIME_TICKET_TTL seconds. The ticket is kept in the shared cache (Redis in
production) only as a hash; connecting consumes it atomically, so a replayed ticket is refused.
"""

import hashlib
import secrets
import time

from django.conf import settings
from django.core.cache import cache

KEY_PREFIX = "realtime:ticket:"
STAFF = "staff"
PATIENT = "patient"


def ticket_ttl() -> int:
    return int(getattr(settings, "REALTIME_TICKET_TTL", 45))


def _now() -> float:
    return time.time()


def _key(ticket: str) -> str:
    return KEY_PREFIX + hashlib.sha256(ticket.encode("utf-8", "replace")).hexdigest()


def ticket_issue(*, principal, sid=None) -> tuple[str, int]:
    """A fresh ticket for an authenticated staff user or patient account; returns (ticket, ttl seconds).
    `sid` is the login session of the token that asked for it: logging that session out closes the socket."""
    if principal is None or not getattr(principal, "is_authenticated", False):
        raise ValueError("tickets are issued to authenticated principals only")
    kind = PATIENT if getattr(principal, "is_patient", False) else STAFF
    ticket = secrets.token_urlsafe(32)
    ttl = ticket_ttl()
    cache.set(_key(ticket), {"kind": kind, "uuid": str(principal.uuid), "sid": sid, "exp": _now() + ttl},
              timeout=ttl)
    return ticket, ttl


def ticket_consume_session(ticket: str | None):
    """(principal, sid) a ticket was issued to, or (None, None) (unknown, expired, already used, disabled)."""
    if not ticket or not isinstance(ticket, str) or len(ticket) > 200:
        return None, None
    key = _key(ticket)
    value = cache.get(key)
    if value is None:
        return None, None
    if not cache.delete(key):  # somebody else consumed it between our get and delete: only one wins
        return None, None
    if value.get("exp", 0) < _now():
        return None, None
    principal = _load_principal(value.get("kind"), value.get("uuid"))
    return principal, (value.get("sid") if principal is not None else None)


def ticket_consume(ticket: str | None):
    """The principal a ticket was issued to, or None (see ticket_consume_session)."""
    return ticket_consume_session(ticket)[0]


def _load_principal(kind, uuid):
    from django.apps import apps

    if kind == STAFF:
        model = apps.get_model("accounts", "User")
    elif kind == PATIENT:
        try:
            model = apps.get_model("accounts", "PatientAccount")
        except LookupError:
            return None
    else:
        return None
    principal = model.objects.filter(uuid=uuid, is_active=True).first()
    if principal is None or getattr(principal, "is_virtual", False):
        return None
    return principal


def principal_refresh(principal):
    """The principal as it is now (enabled, not virtual), or None: a socket outlives the ticket that opened it."""
    if principal is None:
        return None
    kind = PATIENT if getattr(principal, "is_patient", False) else STAFF
    return _load_principal(kind, str(principal.uuid))
