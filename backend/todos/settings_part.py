"""Settings this context contributes (read by config/settings/base.py): plain data, no Django imports.

Environment-driven values may be read here with os.environ; app code reads them through django.conf.settings.
"""

BEAT_SCHEDULE: dict = {
    # Open to-dos past their due time are announced once more to their audience (push + staff notice).
    "todos.remind_overdue": {"task": "todos.remind_overdue", "schedule": 300.0},
}
ENUM_NAME_OVERRIDES: dict = {
    "TodoStatusEnum": "todos.models.TodoStatus",
    "TodoPriorityEnum": "todos.models.Priority",
}
SETTINGS: dict = {}  # NAME -> value, set on the settings module
