"""Which groups a principal may listen to. Consumers ask here; they never decide themselves (U2, PA1)."""

import uuid as uuid_lib

from django.apps import apps

from accounts.permissions import has_permission
from org.scoping import scope_queryset, ward_scope_for
from realtime.groups import case_group, patient_group, user_group, ward_group

# Ward and case groups carry case events: staff follow them only with the permission to read cases, as over REST.
VIEW_CASES = "cases.view"


def initial_groups(principal) -> list[str]:
    """Groups joined on connect: a staff member's own group and each ward in scope; a patient's own group."""
    if principal is None or not getattr(principal, "is_active", False):
        return []
    if getattr(principal, "is_patient", False):
        return [patient_group(principal.uuid)]
    groups = [user_group(principal.uuid)]
    if not has_permission(principal, VIEW_CASES):
        return groups
    scope = ward_scope_for(principal)
    if scope.all_wards:
        from org.models import Ward

        ward_ids = Ward.objects.values_list("id", flat=True)
    else:
        ward_ids = sorted(scope.ward_ids)
    groups.extend(ward_group(ward_id) for ward_id in ward_ids)
    return groups


def _case_model():
    try:
        return apps.get_model("cases", "SurgicalCase")
    except LookupError:
        return None


def can_subscribe_case(principal, case_uuid) -> str | None:
    """The case's group name if the principal may follow that case, else None (unknown and refused look alike)."""
    try:
        case_uuid = uuid_lib.UUID(str(case_uuid))
    except (TypeError, ValueError, AttributeError):
        return None
    model = _case_model()
    if model is None or principal is None or not getattr(principal, "is_active", False):
        return None
    qs = model.objects.filter(uuid=case_uuid)
    if getattr(principal, "is_patient", False):
        patient_id = getattr(principal, "patient_id", None)
        if not patient_id:
            return None
        allowed = qs.filter(patient_id=patient_id).exists()
    elif not has_permission(principal, VIEW_CASES):
        return None
    else:
        allowed = scope_queryset(qs, principal, ward_field=getattr(model, "SCOPE_WARD_FIELD", "ward")).exists()
    return case_group(case_uuid) if allowed else None
