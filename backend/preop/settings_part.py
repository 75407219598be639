"""Settings this context contributes (read by config/settings/base.py): plain data, no Django imports.

Environment-driven values may be read here with os.environ; app code reads them through django.conf.settings.
"""

BEAT_SCHEDULE: dict = {}  # name -> {"task": ..., "schedule": seconds}
ENUM_NAME_OVERRIDES: dict = {  # OpenAPI enum name -> "app.models.Choices" (when two enums collide)
    "RescheduleReasonEnum": "cases.models.RescheduleReason",  # reason_code: reschedule vs cancel reasons
    "PreopIconClassEnum": "preop.models.IconClass",
    "PreopIconColourEnum": "preop.models.IconColour",
}
SETTINGS: dict = {}  # NAME -> value, set on the settings module
