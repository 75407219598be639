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
    # F2/F4: follow-up tasks whose date has come are created from the plans (idempotent).
    "followup.generate_tasks": {"task": "followup.generate_tasks", "schedule": 300.0},
    # F1: steps past their deadline move on (a voice result that never came is polled first).
    "followup.advance_overdue": {"task": "followup.advance_overdue", "schedule": 120.0},
    "followup.purge_callback_nonces": {"task": "followup.purge_callback_nonces", "schedule": 3600.0},
}
ENUM_NAME_OVERRIDES: dict = {
    "FollowupAnchorEnum": "followup.models.Anchor",
    "FollowupTierEnum": "followup.models.Tier",
    "FollowupTaskStatusEnum": "followup.models.TaskStatus",
    "VoiceCallStatusEnum": "followup.models.CallStatus",
}
SETTINGS: dict = {
    # The voice platform's callback clients {client_id: shared secret}; empty = callbacks refused (results are polled).
    "FOLLOWUP_VOICE_CLIENTS": _clients("FOLLOWUP_VOICE_CLIENTS"),
    "FOLLOWUP_CALLBACK_WINDOW_SECONDS": _int("FOLLOWUP_CALLBACK_WINDOW_SECONDS", 300),
    # Cases operated or discharged this many days ago are still looked at for due time points.
    "FOLLOWUP_LOOKBACK_DAYS": _int("FOLLOWUP_LOOKBACK_DAYS", 200),
    # A time point more than this many days overdue when first seen (e.g. a plan created later) is not created.
    "FOLLOWUP_LATE_GRACE_DAYS": _int("FOLLOWUP_LATE_GRACE_DAYS", 7),
    "FOLLOWUP_VOICE_SCENARIO": os.environ.get("FOLLOWUP_VOICE_SCENARIO", "postop_followup"),
    # The patient-app page of a follow-up form (sent with the self-report link).
    "FOLLOWUP_FORM_LINK": os.environ.get("FOLLOWUP_FORM_LINK", "/pages/forms/fill?assignment={assignment}"),
    # Local hours in which the beat jobs start follow-up calls and self-report links ("" = any time).
    "FOLLOWUP_CONTACT_HOURS": os.environ.get("FOLLOWUP_CONTACT_HOURS", "08:00-20:00"),
}
