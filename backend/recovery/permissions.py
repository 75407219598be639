"""Function permissions of recovery after discharge (SA8, PA9)."""

from accounts.permissions import declare

VIEW_PLAN = declare(
    "recovery.view_plan", "Read the first-week-after-discharge treatment plans of patients of one's wards",
    ["doctor", "nurse", "followup_nurse"],
)
MANAGE_PLAN = declare(
    "recovery.manage_plan",
    "Write and publish a patient's first-week-after-discharge treatment plan (drugs, dressing, activity, diet, "
    "warning signs)",
    ["doctor", "nurse"],
)
VIEW_FOLLOWUP_PATIENT = declare(
    "recovery.view_followup_patient",
    "Open the follow-up patient view of one's wards: patient details, the stay, lab and exam records, discharge "
    "instructions, the treatment plan and the recovery answers",
    ["doctor", "nurse", "followup_nurse"],
)
