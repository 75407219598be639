"""Function permissions of the forms context (questionnaires: Y7, F8, M6, PA2)."""

from accounts.permissions import ALL_STAFF, declare

VIEW_FORMS = declare(
    "forms.view",
    "Read questionnaires and the forms given to patients of one's wards with their answers, scores and "
    "abnormal answers",
    ALL_STAFF,
)
MANAGE_FORMS = declare(
    "forms.manage",
    "Create and edit the hospital's questionnaire templates (questions, scoring, abnormal-answer rules)",
    ["hospital_admin", "followup_nurse", "quality_manager"],
)
ASSIGN_FORMS = declare(
    "forms.assign",
    "Give a questionnaire to a patient of one's wards, create a custom form on the spot and push it (F8), "
    "reopen or withdraw a patient's form",
    ["doctor", "nurse", "followup_nurse"],
)
RECORD_RESPONSES = declare(
    "forms.record_responses",
    "Record a patient's answers to a questionnaire (e.g. during a follow-up call)",
    ["doctor", "nurse", "followup_nurse"],
)
