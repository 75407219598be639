"""Follow-up settings with their defaults (set in followup/settings_part.py; overridable in tests)."""

from django.conf import settings

DEFAULTS = {
    "FOLLOWUP_VOICE_CLIENTS": {},
    "FOLLOWUP_CALLBACK_WINDOW_SECONDS": 300,
    "FOLLOWUP_LOOKBACK_DAYS": 200,
    "FOLLOWUP_LATE_GRACE_DAYS": 7,
    "FOLLOWUP_VOICE_SCENARIO": "postop_followup",
    "FOLLOWUP_FORM_LINK": "/pages/forms/fill?assignment={assignment}",
    # When the beat jobs may contact patients (local "HH:MM-HH:MM"; empty = any time): no follow-up call or
    # self-report SMS is started at night; steps due then wait for the morning.
    "FOLLOWUP_CONTACT_HOURS": "08:00-20:00",
}


def conf(name):
    return getattr(settings, name, DEFAULTS[name])


def voice_clients() -> dict:
    """{client_id: secret} allowed to post voice results. No fallback to the HIS clients: the voice vendor is
    outside the hospital's integration platform, and the HIS key must not be able to forge follow-up answers."""
    return dict(conf("FOLLOWUP_VOICE_CLIENTS") or {})


def contact_hours_open(now) -> bool:
    """Is `now` (aware) within FOLLOWUP_CONTACT_HOURS, hospital local time? A malformed value never blocks."""
    from django.utils import timezone

    value = (conf("FOLLOWUP_CONTACT_HOURS") or "").strip()
    try:
        start, end = ((int(h), int(m)) for h, m in (part.strip().split(":") for part in value.split("-")))
    except ValueError:
        return True
    local = timezone.localtime(now)
    minute = local.hour * 60 + local.minute
    lo, hi = start[0] * 60 + start[1], end[0] * 60 + end[1]
    return lo <= minute < hi if lo <= hi else (minute >= lo or minute < hi)
