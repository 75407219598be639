"""The one scoping mechanism for patient-bearing data (U2).

A staff member sees the wards they are assigned to plus the wards of their department, narrowed to their
management modes if any are set; holders of `org.view_all_wards` see every ward. Patients never pass
through here: their data is reached only through their own binding (see accounts.patient_scope).

Every selector that returns patient data calls `scope_queryset`; every object look-up calls
`get_scoped_or_404`, so a view cannot fetch without authorising.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from core.errors import NotFound


@dataclass(frozen=True)
class WardScope:
    all_wards: bool
    ward_ids: frozenset[int]

    def allows_ward(self, ward_id) -> bool:
        return self.all_wards or ward_id in self.ward_ids


NO_SCOPE = WardScope(all_wards=False, ward_ids=frozenset())


def ward_scope_for(principal) -> WardScope:
    from accounts.permissions import VIEW_ALL_WARDS, has_permission
    from org.models import Ward

    if principal is None or not getattr(principal, "is_authenticated", False) or getattr(principal, "is_patient", False):
        return NO_SCOPE
    if not principal.is_active:
        return NO_SCOPE
    cached = getattr(principal, "_ward_scope_cache", None)
    if cached is not None:
        return cached
    if has_permission(principal, VIEW_ALL_WARDS.slug):
        scope = WardScope(all_wards=True, ward_ids=frozenset())
    else:
        condition = Q(staff=principal)
        if principal.department_id:
            condition |= Q(department_id=principal.department_id)
        wards = Ward.objects.filter(condition)
        if principal.management_modes:
            wards = wards.filter(management_mode__in=principal.management_modes)
        scope = WardScope(all_wards=False, ward_ids=frozenset(wards.values_list("id", flat=True)))
    principal._ward_scope_cache = scope
    return scope


def scope_queryset(qs: QuerySet, principal, *, ward_field: str = "ward") -> QuerySet:
    """Restrict `qs` to rows whose `ward_field` (a FK path to org.Ward) the principal may see."""
    scope = ward_scope_for(principal)
    if scope.all_wards:
        return qs
    if not scope.ward_ids:
        return qs.none()
    return qs.filter(**{f"{ward_field}__in": scope.ward_ids})


def get_scoped_or_404(qs: QuerySet, principal, *, ward_field: str = "ward", **lookup):
    """Fetch one row the principal may see; anything else is indistinguishable from a missing row."""
    obj = scope_queryset(qs, principal, ward_field=ward_field).filter(**lookup).first()
    if obj is None:
        raise NotFound()
    return obj
