"""Function permissions of pre-operative patient management (P1–P6, D6)."""

from accounts.permissions import ALL_STAFF, declare

VIEW_BOARD = declare(
    "preop.view_board",
    "See the virtual beds, bed cards, pre-op detail pages and search of one's wards",
    ALL_STAFF,
)
VIEW_FULL_DEMOGRAPHICS = declare(
    "preop.view_full_demographics",
    "See patients' full names and phone numbers on bed cards and pre-op lists (others see them masked)",
    ["doctor", "nurse", "anaesthetist", "hospital_admin"],
)
MANAGE_BOOKINGS = declare(
    "preop.manage_bookings",
    "Day-surgery manager: reschedule or cancel any booking of one's wards (doctors: their own patients only)",
    ["nurse"],
)
VIEW_CANCELLATION_STATS = declare(
    "preop.view_cancellation_stats",
    "See cancellation statistics (counts by reason, stage and initiator) of one's wards",
    ["nurse", "doctor", "hospital_admin", "quality_manager"],
)
MANAGE_ICON_RULES = declare(
    "preop.manage_icon_rules",
    "Configure the bed-card icon rules of one's hospital",
    ["hospital_admin"],
)
