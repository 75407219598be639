"""Settings this context contributes (read by config/settings/base.py): plain data, no Django imports.

Environment-driven values may be read here with os.environ; app code reads them through django.conf.settings.
"""

BEAT_SCHEDULE: dict = {
    # T1: nodes past their expected time become overdue (reads show it at once; this persists and pushes it).
    "timeline.mark_overdue": {"task": "timeline.mark_overdue", "schedule": 300.0},
}
ENUM_NAME_OVERRIDES: dict = {
    "TimelineNodeStateEnum": "timeline.models.NodeState",
    "TimelineAudienceEnum": "timeline.models.Audience",
    "TimelineAnchorEnum": "timeline.models.Anchor",
    "TimelineDetailKindEnum": "timeline.models.DetailKind",
    "TimelineDueForEnum": "timeline.models.DueFor",
}
SETTINGS: dict = {}  # NAME -> value, set on the settings module
