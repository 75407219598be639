"""Reads of the surgical-case context. Staff reads go through org.scoping; patients see only their own cases."""

from django.db.models import Prefetch

from cases.models import CaseEvent, PatientIdentifier, SurgicalCase
from org.scoping import get_scoped_or_404, scope_queryset


def _base():
    return SurgicalCase.objects.select_related(
        "patient", "ward", "department", "surgeon", "booked_by", "theatre_room", "procedure"
    ).prefetch_related(Prefetch("patient__identifiers", queryset=PatientIdentifier.objects.order_by("system")))


def case_list(principal, *, ward=None, state=None, date_from=None, date_to=None, surgeon=None):
    qs = scope_queryset(_base(), principal)
    if ward is not None:
        qs = qs.filter(ward=ward)
    if state:
        qs = qs.filter(state__in=state if isinstance(state, list | tuple) else [state])
    if date_from:
        qs = qs.filter(planned_date__gte=date_from)
    if date_to:
        qs = qs.filter(planned_date__lte=date_to)
    if surgeon is not None:
        qs = qs.filter(surgeon=surgeon)
    return qs.order_by("-planned_date", "planned_session", "-id")


def case_get(principal, uuid) -> SurgicalCase:
    detail = _base().select_related(
        "preferred_suite", "preferred_room", "virtual_surgeon", "surgeon_assigned_by"
    ).prefetch_related("assistants")
    return get_scoped_or_404(detail, principal, uuid=uuid)


def case_events(case):
    return CaseEvent.objects.filter(case=case).order_by("sequence")


def patient_case_list(principal):
    """A patient principal's own cases (empty for anybody else)."""
    from accounts.patient_scope import patient_queryset

    return patient_queryset(_base(), principal).order_by("-planned_date", "-id")
