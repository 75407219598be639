"""Function permissions of the anaesthesia clinic (A1–A12, D4)."""

from accounts.permissions import ALL_STAFF, declare

ASSESS = declare(
    "anaesthesia.assess",
    "Capture, evaluate and conclude anaesthesia clinic assessments; see in-progress assessments",
    ["anaesthetist"],
)
VIEW_REPORT = declare(
    "anaesthesia.view_report",
    "Read concluded anaesthesia clinic reports and results of one's wards (surgeons, ward staff)",
    ALL_STAFF,
)
MANAGE_MAPPING = declare(
    "anaesthesia.manage_mapping",
    "Edit the rules that fill assessments from LIS and PACS/ECG results",
    ["hospital_admin"],
)
