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


def require_own_hospital(actor, hospital_id) -> None:
    """Hospital configuration (consent forms, result mapping rules) is managed by that hospital's staff, as the risk
    knowledge base is (superusers, system jobs and staff without a department: any)."""
    from core.errors import NotAllowed
    from risk.services import actor_hospital

    if actor is None or getattr(actor, "is_superuser", False) or hospital_id is None:
        return
    own = actor_hospital(actor)
    if own is not None and own.pk != hospital_id:
        raise NotAllowed(code="hospital_not_allowed")
