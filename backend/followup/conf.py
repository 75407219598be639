"""Follow-up settings with their defaults (set in followup/settings_part.py; overridable in tests)."""

from django.conf import settings

DEFAULTS = {
    "FOLLOWUP_VOICE_CLIENTS": {},
    "FOLLOWUP_CALLBACK_WINDOW_SECONDS": 300,
    "FOLLOWUP_LOOKBACK_DAYS": 200,
    "FOLLOWUP_LATE_GRACE_DAYS": 7,
    "FOLLOWUP_VOICE_SCENARIO": "postop_followup",
    "FOLLOWUP_FORM_LINK": "/pages/forms/fill?assignment={assignment}",
}


def conf(name):
    return getattr(settings, name, DEFAULTS[name])


def voice_clients() -> dict:
    """{client_id: secret} allowed to post voice results; the HIS clients when none is configured (one
    integration-platform key, as for the theatre callbacks)."""
    return dict(conf("FOLLOWUP_VOICE_CLIENTS") or getattr(settings, "BOOKING_HIS_CLIENTS", {}) or {})
