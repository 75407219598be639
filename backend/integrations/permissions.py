from accounts.permissions import declare

VIEW_CALLS = declare(
    "integrations.view_calls",
    "Read the outbound call log of hospital-system integrations (no patient data in it)",
    ["hospital_admin"],
)
