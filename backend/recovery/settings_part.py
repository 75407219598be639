"""Settings this context contributes (read by config/settings/base.py): plain data, no Django imports.

Environment-driven values may be read here with os.environ; app code reads them through django.conf.settings.
"""

BEAT_SCHEDULE: dict = {}  # name -> {"task": ..., "schedule": seconds}
ENUM_NAME_OVERRIDES: dict = {
    "TreatmentPlanItemCategoryEnum": "recovery.models.ItemCategory",
    "TreatmentPlanVersionStatusEnum": "recovery.models.VersionStatus",
}
SETTINGS: dict = {}  # NAME -> value, set on the settings module
