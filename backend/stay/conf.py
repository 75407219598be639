"""Stay settings with their defaults (overridable in settings; see settings_part.py)."""

from django.conf import settings

DEFAULTS = {
    "STAY_PADS_READY_SCORE": 9,
    "STAY_PADS_VALID_HOURS": 6,
}


def conf(name):
    return getattr(settings, name, DEFAULTS[name])
