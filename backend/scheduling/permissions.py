"""Function permissions of theatre scheduling (S1–S5)."""

from accounts.permissions import ALL_STAFF, declare

VIEW_SCHEDULE = declare(
    "scheduling.view_schedule", "See the theatre schedule of one's wards and the state of surgery applications",
    ALL_STAFF,
)
EXPORT_SCHEDULE = declare(
    "scheduling.export_schedule", "Export the theatre schedule as an Excel file", ["nurse", "doctor", "hospital_admin"]
)
RESUBMIT_APPLICATION = declare(
    "scheduling.resubmit_application",
    "Send a failed or refused surgery application to the theatre again, or read its state from the theatre now",
    ["nurse", "doctor"],
)
MANAGE_EXCLUSIONS = declare(
    "scheduling.manage_exclusions", "Choose the procedures and departments that are not scheduled by the theatre",
    ["hospital_admin"],
)
MANAGE_EXPORT_LAYOUT = declare(
    "scheduling.manage_export_layout", "Set the hospital's column layout of the schedule export", ["hospital_admin"]
)
