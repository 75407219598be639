"""Function permissions of the timeline context (T1–T3, Y6)."""

from accounts.permissions import ALL_STAFF, declare

VIEW_TIMELINE = declare(
    "timeline.view",
    "Read the pre-operative timeline of one's wards' cases (node states, history, details) and its configuration",
    ALL_STAFF,
)
MANAGE_DEFINITIONS = declare(
    "timeline.manage_definitions",
    "Configure the hospital's timeline nodes: names, audience, trigger events, expected times, overdue rules",
    ["hospital_admin"],
)
