from accounts.permissions import declare

VIEW_AUDIT = declare(
    "audit.view", "Read the audit log (who did what to which record, when, from where)",
    ["hospital_admin", "quality_manager"],
)
