"""Settings this context contributes (read by config/settings/base.py): plain data, no Django imports.

Environment-driven values may be read here with os.environ; app code reads them through django.conf.settings.
"""

import os

BEAT_SCHEDULE: dict = {
    # Forms pushed with a later start (F8, M6) are announced to the patient when they open.
    "forms.notify_available": {"task": "forms.notify_available", "schedule": 300.0},
}
ENUM_NAME_OVERRIDES: dict = {
    "FormKindEnum": "forms.models.FormKind",
    "FormAssignmentSourceEnum": "forms.models.AssignmentSource",
    "FormAssignmentStatusEnum": "forms.models.AssignmentStatus",
    "FormResponseChannelEnum": "forms.models.ResponseChannel",
}
SETTINGS: dict = {
    # PA2: a booked patient is given the centre registration questionnaire that applies to the procedure.
    "FORMS_REGISTRATION_ON_BOOKING": os.environ.get("FORMS_REGISTRATION_ON_BOOKING", "1") not in ("0", "false"),
}
