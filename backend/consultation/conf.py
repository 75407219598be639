"""Settings of the consultation context with their defaults (override in Django settings)."""

from django.conf import settings

DEFAULTS = {
    # Wound photos: limits of one upload, and what is stored (a re-encoded JPEG and a thumbnail).
    "CONSULTATION_PHOTO_LIMITS": {
        "max_bytes": 15 * 1024 * 1024,  # a 50-megapixel phone JPEG is ~12 MB
        "max_width": 10000, "max_height": 10000,
        "max_pixels": 52_000_000,
        "min_width": 200, "min_height": 200,  # smaller shows nothing of a wound
        "max_photos": 9,  # the mini-program's chooseMedia maximum
        "stored_max_side": 2560,
        "thumbnail_max_side": 480,
        "jpeg_quality": 88,
    },
    "CONSULTATION_DESCRIPTION_MAX_CHARS": 1000,
    "CONSULTATION_MAX_OPEN_WOUND": 3,  # unanswered wound consultations per case
    "CONSULTATION_MESSAGE_MAX_CHARS": 2000,
    "CONSULTATION_PHOTO_URL_SECONDS": 300,  # lifetime of a photo's presigned URL
    "CONSULTATION_HISTORY_PAGE": 50,
    "CONSULTATION_PATIENT_MESSAGES_PER_MINUTE": 20,  # a patient's messages in one conversation (flood guard)
}


def conf(name):
    value = getattr(settings, name, None)
    default = DEFAULTS[name]
    if isinstance(default, dict):
        return {**default, **(value or {})}
    return default if value is None else value
