"""Function permissions of the follow-up context (F1–F7, Y8, Y13)."""

from accounts.permissions import ALL_STAFF, declare

VIEW_FOLLOWUP = declare(
    "followup.view",
    "Read the follow-up list of one's wards: tasks, voice calls, answers, tags, plan trees and tag counts",
    [r for r in ALL_STAFF if r != "anaesthetist"],
)
RECORD_CALL = declare(
    "followup.record_call", "Record the result of a manual follow-up call (answers on the patient's behalf)",
    ["followup_nurse", "nurse", "doctor"],
)
MANAGE_TAGS = declare(
    "followup.manage_tags", "Add and remove follow-up tags on a patient's case", ["followup_nurse", "nurse", "doctor"]
)
CONFIGURE = declare(
    "followup.configure", "Configure the hospital's follow-up plans and tag definitions",
    ["hospital_admin", "followup_nurse"],
)
