"""Settings this context contributes (read by config/settings/base.py): plain data, no Django imports.

Environment-driven values may be read here with os.environ; app code reads them through django.conf.settings.
"""

import os

BEAT_SCHEDULE: dict = {}  # name -> {"task": ..., "schedule": seconds}
ENUM_NAME_OVERRIDES: dict = {
    "EducationPhaseEnum": "education.models.Phase",
    "EducationMaterialFormatEnum": "education.models.MaterialFormat",
    "EducationBodyFormatEnum": "education.models.BodyFormat",
}
SETTINGS: dict = {
    # Largest education video accepted (bytes; default 300 MB) and how long its presigned URL lives (seconds).
    "EDUCATION_VIDEO_MAX_BYTES": int(os.environ.get("EDUCATION_VIDEO_MAX_BYTES", str(300 * 1024 * 1024))),
    "EDUCATION_VIDEO_URL_SECONDS": int(os.environ.get("EDUCATION_VIDEO_URL_SECONDS", "3600")),
    # Default minimum reading time of a text item: characters read per second (Chinese: ~ 300–500 a minute).
    "EDUCATION_READING_CHARS_PER_SECOND": int(os.environ.get("EDUCATION_READING_CHARS_PER_SECOND", "8")),
}
urlpatterns: list = []
