"""Scheduling settings with their defaults (set in scheduling/settings_part.py; overridable in tests)."""

from django.conf import settings

DEFAULTS = {
    "SCHEDULING_THEATRE_CLIENTS": {},
    "SCHEDULING_CALLBACK_WINDOW_SECONDS": 300,
    "SCHEDULING_POLL_DAYS": 7,
    "SCHEDULING_SUBMIT_MAX_ATTEMPTS": 12,
    "SCHEDULING_RETRY_BACKOFF_SECONDS": 60,
    "SCHEDULING_RETRY_BACKOFF_MAX_SECONDS": 1800,
    "SCHEDULING_APPLICATION_PREFIX": "DS",
    "SCHEDULING_MAX_RANGE_DAYS": 31,
}


def conf(name):
    return getattr(settings, name, DEFAULTS[name])


def theatre_clients() -> dict:
    """{client_id: secret} allowed to call back; the HIS clients when no theatre client is configured."""
    return dict(conf("SCHEDULING_THEATRE_CLIENTS") or getattr(settings, "BOOKING_HIS_CLIENTS", {}) or {})
