"""Settings this context contributes (read by config/settings/base.py): plain data, no Django imports.

Environment-driven values may be read here with os.environ; app code reads them through django.conf.settings.
"""

import os


def _int(name, default):
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _clients(name):
    """"id:secret,id2:secret2" → {id: secret} (like BOOKING_HIS_CLIENTS)."""
    items = [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]
    return dict(item.split(":", 1) for item in items if ":" in item)


BEAT_SCHEDULE: dict = {
    # S1 (b): read the theatre's schedule of the coming days and the state of every open application.
    "scheduling.poll_theatre_schedule": {"task": "scheduling.poll_theatre_schedule", "schedule": 300.0},
    # Submissions the theatre system did not answer, and withdrawals that did not reach it, are tried again.
    "scheduling.retry_theatre_calls": {"task": "scheduling.retry_theatre_calls", "schedule": 60.0},
    "scheduling.purge_callback_nonces": {"task": "scheduling.purge_callback_nonces", "schedule": 3600.0},
}
ENUM_NAME_OVERRIDES: dict = {
    "TheatreApplicationStatusEnum": "scheduling.models.ApplicationStatus",
    "ScheduleExclusionKindEnum": "scheduling.models.ExclusionKind",
}
SETTINGS: dict = {
    # The theatre system's callback clients {client_id: shared secret}; empty = the HIS clients
    # (BOOKING_HIS_CLIENTS), for hospitals whose integration platform signs every system's calls with one key.
    "SCHEDULING_THEATRE_CLIENTS": _clients("SCHEDULING_THEATRE_CLIENTS"),
    "SCHEDULING_CALLBACK_WINDOW_SECONDS": _int("SCHEDULING_CALLBACK_WINDOW_SECONDS", 300),
    "SCHEDULING_POLL_DAYS": _int("SCHEDULING_POLL_DAYS", 7),  # today and the next N-1 days
    "SCHEDULING_SUBMIT_MAX_ATTEMPTS": _int("SCHEDULING_SUBMIT_MAX_ATTEMPTS", 12),
    "SCHEDULING_RETRY_BACKOFF_SECONDS": _int("SCHEDULING_RETRY_BACKOFF_SECONDS", 60),  # 60, 120, 240… s
    "SCHEDULING_RETRY_BACKOFF_MAX_SECONDS": _int("SCHEDULING_RETRY_BACKOFF_MAX_SECONDS", 1800),
    "SCHEDULING_APPLICATION_PREFIX": os.environ.get("SCHEDULING_APPLICATION_PREFIX", "DS"),
    "SCHEDULING_MAX_RANGE_DAYS": _int("SCHEDULING_MAX_RANGE_DAYS", 31),  # schedule list / export date range
}
