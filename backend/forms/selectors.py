"""Reads of the forms context. Staff reads go through org.scoping (their wards) or org.hospital_config (templates);
patient reads through accounts.patient_scope (their own forms only)."""

from django.db.models import Q

from accounts.patient_scope import patient_queryset
from forms.models import Form, FormAssignment, FormResponse, FormVersion
from org.hospital_config import config_queryset
from org.scoping import get_scoped_or_404, scope_queryset


def _hospital_id(hospital):
    return getattr(hospital, "pk", hospital)


def _procedure_id(procedure):
    return getattr(procedure, "pk", procedure)


def form_for_procedure(hospital, procedure, kind) -> FormVersion | None:
    """The published version of the form of `kind` that applies to `procedure` in `hospital`: a form for this
    procedure before one for every procedure, the hospital's own before the platform default; a hospital row with
    a default's code replaces that default (also to switch it off). None when no form applies."""
    hospital_id, procedure_id = _hospital_id(hospital), _procedure_id(procedure)
    candidates = (
        Form.objects.filter(kind=kind, case__isnull=True)
        .filter(Q(hospital__isnull=True) | Q(hospital_id=hospital_id))
        .filter(Q(procedure__isnull=True) | Q(procedure_id=procedure_id))
        .select_related("current_version")
    )
    forms = list(candidates)
    overridden = {f.code for f in forms if f.hospital_id is not None}
    usable = [
        f for f in forms
        if f.is_active and f.current_version_id is not None and not (f.hospital_id is None and f.code in overridden)
    ]
    if not usable:
        return None
    usable.sort(key=lambda f: (f.procedure_id is None, f.hospital_id is None, f.code, f.pk))
    version = usable[0].current_version
    version.form = usable[0]
    return version


def form_for_case(case, kind) -> FormVersion | None:
    return form_for_procedure(case.ward.department.hospital_id, case.procedure_id, kind)


# --- templates (staff) -----------------------------------------------------------------------------------------


def form_list(actor, *, kind=None, procedure=None, include_custom=False):
    qs = config_queryset(Form.objects.all(), actor).select_related("procedure", "hospital", "current_version")
    if not include_custom:
        qs = qs.filter(case__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    if procedure is not None:
        qs = qs.filter(Q(procedure__isnull=True) | Q(procedure=procedure))
    return qs


def form_get(actor, uuid) -> Form:
    from core.errors import NotFound

    form = form_list(actor).filter(uuid=uuid).first()
    if form is None:
        raise NotFound()
    return form


def form_versions(form):
    return form.versions.select_related("created_by").order_by("-version")


# --- assignments and responses (staff: their wards) ------------------------------------------------------------


def _assignment_qs():
    return FormAssignment.objects.select_related("form", "version", "case", "patient", "ward")


def assignment_list(actor, *, case=None, status=None, source=None, kind=None, ward=None):
    qs = scope_queryset(_assignment_qs(), actor, ward_field="ward")
    if ward is not None:
        qs = qs.filter(ward=ward)
    if case is not None:
        qs = qs.filter(case=case)
    if status:
        qs = qs.filter(status=status)
    if source:
        qs = qs.filter(source=source)
    if kind:
        qs = qs.filter(form__kind=kind)
    return qs


def assignment_get(actor, uuid) -> FormAssignment:
    return get_scoped_or_404(_assignment_qs(), actor, ward_field="ward", uuid=uuid)


def response_list(actor, *, case=None, assignment=None, has_abnormal=None, ward=None, since=None, until=None,
                  channel=None, kind=None):
    qs = scope_queryset(
        FormResponse.objects.select_related("assignment", "assignment__form", "version", "case", "patient", "ward"),
        actor, ward_field="ward",
    )
    if case is not None:
        qs = qs.filter(case=case)
    if assignment is not None:
        qs = qs.filter(assignment=assignment)
    if has_abnormal is not None:
        qs = qs.filter(has_abnormal=has_abnormal)
    if ward is not None:
        qs = qs.filter(ward=ward)
    if since is not None:
        qs = qs.filter(submitted_at__gte=since)
    if until is not None:
        qs = qs.filter(submitted_at__lt=until)
    if channel:
        qs = qs.filter(channel=channel)
    if kind:
        qs = qs.filter(assignment__form__kind=kind)
    return qs


def response_get(actor, uuid) -> FormResponse:
    return get_scoped_or_404(
        FormResponse.objects.select_related("assignment", "assignment__form", "version", "case", "patient"),
        actor, ward_field="ward", uuid=uuid,
    )


def assignment_latest_response(assignment):
    return assignment.responses.order_by("-submitted_at", "-id").first()


# --- the patient's own forms -----------------------------------------------------------------------------------


def my_assignment_list(principal, *, case=None, status=None):
    qs = patient_queryset(_assignment_qs(), principal).exclude(status="cancelled")
    if case is not None:
        qs = qs.filter(case__uuid=case)
    if status:
        qs = qs.filter(status=status)
    return qs


def my_assignment_get(principal, uuid) -> FormAssignment:
    from core.errors import NotFound

    assignment = patient_queryset(_assignment_qs(), principal).filter(uuid=uuid).first()
    if assignment is None:
        raise NotFound()
    return assignment
