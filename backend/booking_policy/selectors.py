"""Reads of the booking policy: rules, grants, their change history (from the audit log) and the to-dos."""

from audit.models import AuditAction, AuditEntry
from booking_policy.models import AdmissionRule, BookingModeGrant, SurgeonAssignmentTask
from org.scoping import scope_queryset


def admission_rule_list():
    return AdmissionRule.objects.select_related("hospital", "department", "ward")


def booking_mode_grant_list():
    return BookingModeGrant.objects.select_related(
        "grantee_department", "grantee_group", "grantee_user", "target_department", "granted_by", "revoked_by"
    )


def config_history(model, *, target_id=None):
    """Configuration changes of `model` rows (all, or one row by public UUID), newest first."""
    qs = AuditEntry.objects.filter(target_type=model._meta.label_lower, action=AuditAction.CONFIG)
    if target_id is not None:
        qs = qs.filter(target_id=str(target_id))
    return qs.order_by("-occurred_at", "-id")


def surgeon_assignment_list(principal):
    """The virtual-surgeon to-dos of the wards the principal sees (patient-bearing: scoped)."""
    qs = SurgeonAssignmentTask.objects.select_related(
        "case", "case__patient", "case__surgeon", "ward", "virtual_surgeon", "assigned_surgeon", "assigned_by"
    )
    return scope_queryset(qs, principal)
