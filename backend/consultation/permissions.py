"""Function permissions of the consultation context (wound consultations F9, online consultation PA8)."""

from accounts.permissions import declare

CARE_TEAM = ["doctor", "nurse", "followup_nurse"]

VIEW_CONSULTATIONS = declare(
    "consultation.view",
    "Read the wound consultations (with photos) and consultation conversations of patients in one's wards",
    CARE_TEAM,
)
ANSWER_WOUND = declare(
    "consultation.answer_wound", "Answer a patient's wound consultation with advice", CARE_TEAM,
)
CHAT = declare(
    "consultation.chat", "Reply to patients in the online consultation of a case (care team)", CARE_TEAM,
)
