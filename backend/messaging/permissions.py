"""Function permissions of smart-service messaging (W1–W3, Y10, PA7, M5)."""

from accounts.permissions import ALL_STAFF, declare

VIEW_PLANS = declare(
    "messaging.view_plans", "See the message plans and templates of one's hospital", ALL_STAFF,
)
MANAGE_PLANS = declare(
    "messaging.manage_plans",
    "Configure message plans (triggers, filters, audience, channels) and edit their templates",
    ["hospital_admin"],
)
VIEW_CASE_MESSAGES = declare(
    "messaging.view_case_messages",
    "See the messages sent about a case of one's wards, with every delivery attempt and receipt",
    ALL_STAFF,
)
