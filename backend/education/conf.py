"""Education settings with their defaults (overridable in settings; see settings_part.py)."""

from django.conf import settings

DEFAULTS = {
    # Largest video accepted (bytes) and how long a presigned video URL lives (seconds).
    "EDUCATION_VIDEO_MAX_BYTES": 300 * 1024 * 1024,
    "EDUCATION_VIDEO_URL_SECONDS": 3600,
    # Default minimum reading time of a text item: its characters at this pace, within the bounds below.
    "EDUCATION_READING_CHARS_PER_SECOND": 8,
    "EDUCATION_MIN_READ_SECONDS_FLOOR": 15,
    "EDUCATION_MIN_READ_SECONDS_MAX": 3600,
    # Longest text body (characters).
    "EDUCATION_BODY_MAX_CHARS": 50000,
}


def conf(name):
    return getattr(settings, name, DEFAULTS[name])
