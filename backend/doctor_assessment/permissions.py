"""Function permissions of the doctor's pre-operative assessment (D1–D3, D5, Y9)."""

from accounts.permissions import declare

VIEW_OWN_PATIENTS = declare(
    "doctor_assessment.view_own_patients",
    "See one's own surgical patients (and one's medical groups') by surgery date, with results and high-risk "
    "findings; the daily high-risk list",
    ["doctor"],
)
VIEW_FINDINGS = declare(
    "doctor_assessment.view_findings",
    "Read the high-risk findings and assessment decisions of cases of one's wards",
    ["doctor", "nurse", "anaesthetist", "hospital_admin"],
)
MANAGE_RULES = declare(
    "doctor_assessment.manage_rules",
    "Configure high-risk detection rules per procedure and the results window of one's hospital",
    ["hospital_admin"],
)
