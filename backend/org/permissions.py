from accounts.permissions import declare

MANAGE_ORG = declare("org.manage", "Maintain campuses, departments, wards, beds, groups and theatres", ["hospital_admin"])
VIEW_ORG = declare(
    "org.view", "Read the organisation structure", ["doctor", "nurse", "anaesthetist", "followup_nurse", "hospital_admin", "quality_manager"]
)
