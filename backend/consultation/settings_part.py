"""Settings this context contributes (read by config/settings/base.py): plain data, no Django imports.

Environment-driven values may be read here with os.environ; app code reads them through django.conf.settings.
"""

BEAT_SCHEDULE: dict = {}  # name -> {"task": ..., "schedule": seconds}
ENUM_NAME_OVERRIDES: dict = {  # OpenAPI enum name -> "app.models.Choices" (when two enums collide)
    "WoundConsultationStatusEnum": "consultation.models.WoundStatus",
    "WoundAdviceEnum": "consultation.models.WoundAdvice",
    "MessageSenderEnum": "consultation.models.Sender",
}
SETTINGS: dict = {}  # NAME -> value, set on the settings module
