"""Writes of the forms context: templates and their versions, assignments to a patient's case, responses.

Every write on a patient's form locks the case row first (cases.services.case_lock), then the assignment, checks,
changes, and records a case event + audit entry in the same transaction. Events (the contract of issue 6):
- `forms.form.assigned`: assignment, form, title, source, available_from, link, notify (+ version, kind, due_at)
- `forms.response.submitted`: assignment, form, version, source, channel, score, abnormal, has_abnormal, complete
  (+ response, tags, missing)
- `forms.assignment.reopened` / `forms.assignment.cancelled`: assignment, form, reason.
"""

import uuid as uuid_lib

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.permissions import has_permission
from audit.services import audit_record
from cases.services import actor_info, case_append_event, case_lock
from core.errors import InvalidInput, NotAllowed, NotFound
from forms import errors
from forms import permissions as perms
from forms import schema as schema_mod
from forms.models import (
    OPEN_STATUSES,
    AssignmentSource,
    AssignmentStatus,
    Form,
    FormAssignment,
    FormKind,
    FormResponse,
    FormVersion,
    ResponseChannel,
)
from org.hospital_config import assert_can_edit_config
from org.scoping import ward_scope_for

PATIENT_FORM_LINK = "/pages/forms/fill?assignment={uuid}"


def case_hospital_id(case):
    return case.ward.department.hospital_id


def _authorise_staff(actor, case, slug):
    """Ward scope first (an invisible case is a missing case), then the function permission. None = the system."""
    if actor is None:
        return
    if getattr(actor, "is_patient", False) or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise NotAllowed()
    if not ward_scope_for(actor).allows_ward(case.ward_id):
        raise NotFound()
    if not has_permission(actor, slug.slug if hasattr(slug, "slug") else slug):
        raise NotAllowed()


def _patient_owns(actor, case):
    from accounts.patient_scope import patient_for

    patient = patient_for(actor)
    return patient is not None and patient.pk == case.patient_id


# --- templates -------------------------------------------------------------------------------------------------


def _check_procedure(procedure):
    if procedure is not None and not procedure.is_active:
        raise InvalidInput(fields={"procedure": [_("This procedure is switched off.")]})


def _version_add(form, *, schema, actor, note="", title=None) -> FormVersion:
    clean = schema_mod.schema_clean(schema)
    last = form.versions.order_by("-version").values_list("version", flat=True).first() or 0
    version = FormVersion.objects.create(
        form=form, version=last + 1, title=title or form.title, schema=clean,
        max_score=schema_mod.max_score(clean), note=note, created_by=actor_info(actor)["user"],
    )
    form.current_version = version
    form.save(update_fields=["current_version", "updated_at"])
    return version


@transaction.atomic
def form_create(*, hospital, kind, code, title, schema, actor, procedure=None, description="", case=None,
                note="") -> Form:
    """A questionnaire template of `hospital` (None: a platform default, for the system and superusers), with its
    first published version."""
    assert_can_edit_config(actor, hospital.pk if hospital is not None else None)
    if actor is not None and not has_permission(actor, perms.MANAGE_FORMS.slug) and case is None:
        raise NotAllowed()
    if kind not in FormKind.values:
        raise InvalidInput(fields={"kind": [_("Unknown form kind.")]})
    _check_procedure(procedure)
    user = actor_info(actor)["user"]
    try:
        with transaction.atomic():
            form = Form.objects.create(hospital=hospital, procedure=procedure, kind=kind, code=code, title=title,
                                       description=description, case=case, created_by=user, updated_by=user)
    except IntegrityError:
        raise errors.FormCodeTaken(fields={"code": [errors.FormCodeTaken.default_message]}) from None
    version = _version_add(form, schema=schema, actor=actor, note=note)
    audit_record(actor=actor, system=actor is None, action="create", target=form,
                 after={"kind": kind, "code": code, "version": version.version,
                        "hospital": str(hospital.uuid) if hospital else None})
    return form


def _lock_form(form, actor):
    locked = Form.objects.select_for_update().get(pk=form.pk)
    assert_can_edit_config(actor, locked.hospital_id)
    if actor is not None and not has_permission(actor, perms.MANAGE_FORMS.slug):
        raise NotAllowed()
    if locked.case_id is not None:
        raise errors.FormNotPublished(message=_("A custom form made for one patient cannot be edited; push a new "
                                                "one instead."))
    return locked


@transaction.atomic
def form_update(*, form, actor, **changes) -> Form:
    """Title, description, procedure, enabled. The schema changes only through a new version."""
    locked = _lock_form(form, actor)
    allowed = {"title", "description", "procedure", "is_active"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(fields={name: [_("This cannot be changed here.")] for name in unknown})
    if "procedure" in changes:
        _check_procedure(changes["procedure"])
    before = {name: getattr(locked, name) for name in changes}
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.updated_by = actor_info(actor)["user"]
    locked.save()
    audit_record(actor=actor, system=actor is None, action="update", target=locked,
                 before={k: str(v) if v is not None else None for k, v in before.items()},
                 after={k: str(v) if v is not None else None for k, v in changes.items()})
    if form is not locked:
        form.refresh_from_db()
    return locked


@transaction.atomic
def form_version_publish(*, form, schema, actor, note="", title=None) -> FormVersion:
    """Validate `schema` and publish it as the form's next version (assignments made before keep theirs)."""
    locked = _lock_form(form, actor)
    if title:
        locked.title = title
        locked.updated_by = actor_info(actor)["user"]
        locked.save(update_fields=["title", "updated_by", "updated_at"])
    version = _version_add(locked, schema=schema, actor=actor, note=note, title=title)
    audit_record(actor=actor, system=actor is None, action="update", target=locked,
                 after={"version": version.version, "note": note})
    if form is not locked:
        form.refresh_from_db()
    return version


# --- assignments -----------------------------------------------------------------------------------------------


def _assignment_event(assignment, locked_case, actor, *, type="forms.form.assigned"):
    case_append_event(
        locked_case, type=type, actor=actor,
        payload={
            "assignment": str(assignment.uuid), "form": str(assignment.form.uuid), "title": assignment.version.title,
            "kind": assignment.form.kind, "version": assignment.version.version, "source": assignment.source,
            "available_from": timezone.localtime(assignment.available_from).isoformat(),
            "due_at": timezone.localtime(assignment.due_at).isoformat() if assignment.due_at else None,
            "link": PATIENT_FORM_LINK.format(uuid=assignment.uuid),
            # Tell the patient now only if the form can be filled in now: a link the server would refuse (M6) is
            # sent by assignments_notify_available when the form opens (forms.form.available).
            "notify": assignment.notified_at is not None,
        },
    )


@transaction.atomic
def assignment_create(*, case, version, available_from=None, due_at=None, source, actor, notify, note="", key="",
                      origin_response=None) -> FormAssignment:
    """Give `version` of a form to the case's patient, fillable from `available_from` (default now). With a `key`,
    a second call with the same key returns the first assignment (for handlers and beat jobs that may re-run)."""
    if key:
        existing = FormAssignment.objects.filter(key=key).select_related("form", "version").first()
        if existing is not None:
            return existing
    locked = case_lock(case)
    _authorise_staff(actor, locked, perms.ASSIGN_FORMS)
    if source not in AssignmentSource.values:
        raise InvalidInput(fields={"source": [_("Unknown source.")]})
    form = version.form
    hospital_id = case_hospital_id(locked)
    if form.hospital_id not in (None, hospital_id) or (form.case_id is not None and form.case_id != locked.pk):
        raise NotFound()
    if not form.is_active:
        raise errors.FormNotPublished()
    now = timezone.now()
    available_from = available_from or now
    if due_at is not None and due_at < available_from:
        raise InvalidInput(fields={"due_at": [_("The due time is before the form becomes available.")]})
    try:
        with transaction.atomic():
            assignment = FormAssignment.objects.create(
                form=form, version=version, case=locked, ward_id=locked.ward_id, patient_id=locked.patient_id,
                source=source, available_from=available_from, due_at=due_at, notify=bool(notify), note=note,
                notified_at=now if notify and available_from <= now else None,
                key=key, origin_response=origin_response, assigned_by=actor_info(actor)["user"],
            )
    except IntegrityError:
        if not key:
            raise
        return FormAssignment.objects.select_related("form", "version").get(key=key)  # a concurrent twin won
    _assignment_event(assignment, locked, actor)
    audit_record(actor=actor, system=actor is None, action="create", target=assignment,
                 after={"case": str(locked.uuid), "form": form.code, "version": version.version, "source": source,
                        "available_from": available_from, "notify": bool(notify)})
    return assignment


@transaction.atomic
def custom_form_push(*, case, title, schema, actor, available_from=None, due_at=None, note="",
                     origin_response=None, notify=True) -> FormAssignment:
    """F8: staff who saw an abnormal answer write a form for this one patient on the spot and push it."""
    locked = case_lock(case)
    _authorise_staff(actor, locked, perms.ASSIGN_FORMS)
    if origin_response is not None and origin_response.case_id != locked.pk:
        raise InvalidInput(fields={"origin_response": [_("This answer belongs to another case.")]})
    form = form_create(
        hospital=locked.ward.department.hospital, kind=FormKind.CUSTOM, code=f"custom-{uuid_lib.uuid4().hex[:20]}",
        title=title, schema=schema, actor=None, procedure=None, description=note[:500], case=locked,
    )
    if actor is not None:
        Form.objects.filter(pk=form.pk).update(created_by=actor, updated_by=actor)
        FormVersion.objects.filter(pk=form.current_version_id).update(created_by=actor)
    return assignment_create(case=locked, version=form.current_version, available_from=available_from, due_at=due_at,
                             source=AssignmentSource.CUSTOM, actor=actor, notify=notify, note=note,
                             origin_response=origin_response)


def _lock_assignment(assignment):
    locked_case = case_lock(assignment.case)
    locked = (FormAssignment.objects.select_for_update(of=("self",)).select_related("form", "version")
              .get(pk=assignment.pk))
    return locked_case, locked


@transaction.atomic
def assignment_reopen(*, assignment, actor, reason="") -> FormAssignment:
    """Let a completed form be answered again (the earlier responses stay)."""
    locked_case, locked = _lock_assignment(assignment)
    _authorise_staff(actor, locked_case, perms.ASSIGN_FORMS)
    if locked.status != AssignmentStatus.COMPLETED:
        raise errors.FormNotCompleted()
    locked.status = AssignmentStatus.PENDING
    locked.reopened_at = timezone.now()
    locked.reopen_count += 1
    locked.save(update_fields=["status", "reopened_at", "reopen_count", "updated_at"])
    case_append_event(locked_case, type="forms.assignment.reopened", actor=actor,
                      payload={"assignment": str(locked.uuid), "form": str(locked.form.uuid), "reason": reason})
    audit_record(actor=actor, system=actor is None, action="update", target=locked,
                 before={"status": AssignmentStatus.COMPLETED}, after={"status": locked.status, "reason": reason})
    assignment.refresh_from_db()
    return locked


@transaction.atomic
def assignment_cancel(*, assignment, actor, reason="") -> FormAssignment:
    """Withdraw an open form (staff, or the system when the follow-up no longer needs it)."""
    locked_case, locked = _lock_assignment(assignment)
    _authorise_staff(actor, locked_case, perms.ASSIGN_FORMS)
    if locked.status not in OPEN_STATUSES:
        raise errors.FormNotOpen()
    before = locked.status
    locked.status = AssignmentStatus.CANCELLED
    locked.cancelled_at = timezone.now()
    locked.save(update_fields=["status", "cancelled_at", "updated_at"])
    case_append_event(locked_case, type="forms.assignment.cancelled", actor=actor,
                      payload={"assignment": str(locked.uuid), "form": str(locked.form.uuid), "reason": reason})
    audit_record(actor=actor, system=actor is None, action="update", target=locked,
                 before={"status": before}, after={"status": locked.status, "reason": reason})
    assignment.refresh_from_db()
    return locked


# --- responses -------------------------------------------------------------------------------------------------


def answers_parse(version, raw: dict) -> tuple[dict, list]:
    """Voice keypresses / recognised text by question key → (clean answers, missing required keys). Values that
    cannot be understood are left out (and so count as missing when required)."""
    return schema_mod.answers_parse_schema(version.schema, raw if isinstance(raw, dict) else {})


def _authorise_response(actor, case, channel):
    if channel not in ResponseChannel.values:
        raise InvalidInput(fields={"channel": [_("Unknown channel.")]})
    if actor is not None and getattr(actor, "is_patient", False):
        if not _patient_owns(actor, case):
            raise NotFound()
        if channel != ResponseChannel.MOBILE:
            raise NotAllowed()
        return
    _authorise_staff(actor, case, perms.RECORD_RESPONSES)
    if actor is not None and channel != ResponseChannel.STAFF:
        raise InvalidInput(fields={"channel": [_("Staff record answers on the staff channel.")]})


@transaction.atomic
def response_submit(*, assignment, answers, channel, actor, allow_partial=False, after_completion=False
                    ) -> FormResponse:
    """Record answers to an assignment. Refused while the form is not yet available (M6), after it was completed
    (unless reopened) or withdrawn. `allow_partial` (voice) accepts unanswered required questions: the response
    is then `complete=False` and the assignment `partial`. `after_completion` keeps answers that arrive after
    the form was completed (the voice platform reporting after the patient answered on the app) as one more
    response, evaluated like any other — a fever reported on the call must still raise its flag — while the
    assignment stays completed."""
    locked_case, locked = _lock_assignment(assignment)
    _authorise_response(actor, locked_case, channel)
    now = timezone.now()
    if locked.status == AssignmentStatus.CANCELLED:
        raise errors.FormWithdrawn()
    already_completed = locked.status == AssignmentStatus.COMPLETED
    if already_completed and not after_completion:
        raise errors.FormAlreadyCompleted()
    if locked.available_from > now:
        raise errors.FormNotYetAvailable(
            message=_("This form can be filled in from %(time)s.")
            % {"time": timezone.localtime(locked.available_from).strftime("%Y-%m-%d %H:%M")},
            extra={"available_from": timezone.localtime(locked.available_from).isoformat()},
        )
    version = locked.version
    clean, missing = schema_mod.answers_validate(version.schema, answers, allow_partial=allow_partial)
    if not clean:
        raise InvalidInput(fields={"answers": [_("Answer at least one question.")]})
    complete = not missing
    total = schema_mod.score(version.schema, clean)
    matched = schema_mod.abnormal(version.schema, clean)
    codes = [m["code"] for m in matched]
    tags = list(dict.fromkeys(t for m in matched for t in m["tags"]))
    who = actor_info(actor)
    response = FormResponse.objects.create(
        assignment=locked, version=version, case=locked_case, ward_id=locked_case.ward_id,
        patient_id=locked_case.patient_id, channel=channel, answers=clean, complete=complete, missing=missing,
        score=total, abnormal=codes, abnormal_details=matched, tags=tags, has_abnormal=bool(codes),
        submitted_at=now, submitted_by=who["user"], submitted_by_type=who["type"], submitted_by_name=who["name"],
    )
    if not already_completed:
        locked.status = AssignmentStatus.COMPLETED if complete else AssignmentStatus.PARTIAL
        locked.completed_at = now if complete else None
        locked.save(update_fields=["status", "completed_at", "updated_at"])
    case_append_event(
        locked_case, type="forms.response.submitted", actor=actor,
        payload={
            "assignment": str(locked.uuid), "form": str(locked.form.uuid), "version": version.version,
            "response": str(response.uuid), "kind": locked.form.kind, "source": locked.source, "channel": channel,
            "score": float(total) if total is not None else None, "abnormal": codes, "has_abnormal": bool(codes),
            "tags": tags, "complete": complete, "missing": missing, "after_completion": already_completed,
        },
    )
    audit_record(actor=actor, system=actor is None, action="create", target=response,
                 after={"assignment": str(locked.uuid), "channel": channel, "complete": complete,
                        "abnormal": codes})
    assignment.refresh_from_db()
    return response


def assignments_notify_available(*, now=None) -> int:
    """Beat job: forms given with `notify` whose time has come (available_from passed since they were given) are
    announced to the patient with `forms.form.available`. Idempotent, and safe beside a concurrent run (rows
    another run holds are skipped). Returns how many were announced."""
    now = now or timezone.now()
    announced = 0
    due = FormAssignment.objects.filter(notify=True, notified_at__isnull=True, status__in=OPEN_STATUSES,
                                        available_from__lte=now).values_list("pk", flat=True)
    for pk in list(due[:500]):
        with transaction.atomic():
            assignment = (FormAssignment.objects.select_for_update(skip_locked=True)
                          .select_related("form", "version", "case").filter(pk=pk, notified_at__isnull=True).first())
            if assignment is None:
                continue
            locked_case = case_lock(assignment.case)
            assignment.notified_at = now
            assignment.save(update_fields=["notified_at", "updated_at"])
            _assignment_event(assignment, locked_case, None, type="forms.form.available")
            announced += 1
    return announced


# --- platform defaults -----------------------------------------------------------------------------------------


@transaction.atomic
def forms_sync_defaults() -> int:
    """Create or update the platform's default forms (forms.defaults); a changed schema publishes a new version.
    Idempotent: run after every migrate and test-database flush. Returns the number of forms created or changed."""
    from forms.defaults import DEFAULT_FORMS

    changed = 0
    for spec in DEFAULT_FORMS:
        clean = schema_mod.schema_clean(spec["schema"])
        form = Form.objects.select_for_update().filter(hospital__isnull=True, code=spec["code"]).first()
        if form is None:
            form_create(hospital=None, kind=spec["kind"], code=spec["code"], title=spec["title"],
                        description=spec["description"], schema=clean, actor=None, note="platform default")
            changed += 1
            continue
        fields = {"kind": spec["kind"], "title": spec["title"], "description": spec["description"]}
        if any(getattr(form, k) != v for k, v in fields.items()):
            Form.objects.filter(pk=form.pk).update(**fields, updated_at=timezone.now())
            form.refresh_from_db()
            changed += 1
        current = form.current_version
        if current is None or current.schema != clean or current.title != spec["title"]:
            _version_add(form, schema=clean, actor=None, note="platform default updated", title=spec["title"])
            changed += 1
    return changed


def registration_assign_on_booking(*, case) -> FormAssignment | None:
    """PA2: the centre registration questionnaire that applies to the case, given once when it is booked."""
    from forms.selectors import form_for_case

    version = form_for_case(case, FormKind.REGISTRATION)
    if version is None:
        return None
    return assignment_create(case=case, version=version, source=AssignmentSource.REGISTRATION, actor=None,
                             notify=False, key=f"registration:{case.uuid}")
