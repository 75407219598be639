"""What a patient principal may reach: only the cases.Patient bound to their account (PA6).

Other apps' patient endpoints (permission `IsPatient`) filter with these helpers instead of org.scoping,
which never lets patients through.
"""


def patient_for(principal):
    """The bound cases.Patient of a patient principal, else None (staff, anonymous, unbound accounts)."""
    if principal is None or not getattr(principal, "is_authenticated", False):
        return None
    if not getattr(principal, "is_patient", False) or not principal.is_active:
        return None
    return principal.patient if principal.patient_id else None


def patient_queryset(qs, principal, *, patient_field="patient"):
    """Restrict `qs` to rows of the principal's own bound patient (empty for anybody else).

    `patient_field` is the path to the patient (e.g. "patient", "case__patient", or "pk" on Patient itself).
    """
    patient = patient_for(principal)
    if patient is None:
        return qs.none()
    return qs.filter(**{patient_field: patient.pk})
