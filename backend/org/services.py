"""Writes to the organisation structure (U1, Y4). Every change is a configuration change in the audit log.

The API validates shape and references; these services own the transaction, the last-line integrity checks
(unique codes, a session that ends after it starts, rows still in use) and the audit entry.
"""

from django.db import IntegrityError, models, transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction
from audit.services import audit_record
from core.errors import Conflict, InvalidInput
from org.models import (
    Bed,
    Campus,
    Department,
    Hospital,
    MedicalGroup,
    TheatreRoom,
    TheatreSession,
    TheatreSuite,
    Ward,
)

ORG_MODELS = (Hospital, Campus, Department, Ward, Bed, MedicalGroup, TheatreSuite, TheatreRoom, TheatreSession)


def snapshot(instance) -> dict:
    """A JSON-able picture of a row for the audit log: concrete fields and many-to-many ids."""
    data = {}
    for field in instance._meta.concrete_fields:
        value = field.value_from_object(instance)
        data[field.attname] = value
    if instance.pk is not None:
        for field in instance._meta.many_to_many:
            data[field.name] = sorted(getattr(instance, field.name).values_list("pk", flat=True))
    return data


def _validate(instance):
    """Model-level validation (unique constraints, check constraints) as field messages, never a 500."""
    if isinstance(instance, TheatreSession) and instance.start_time and instance.end_time:
        if instance.end_time <= instance.start_time:
            raise InvalidInput(fields={"end_time": [_("The session must end after it starts.")]})
    from django.core.exceptions import ValidationError

    try:
        instance.validate_unique()
        instance.validate_constraints()
    except ValidationError as exc:
        fields = {}
        has_code = any(f.name == "code" for f in instance._meta.fields)
        for key, errors in exc.error_dict.items():
            for error in errors:
                if key == "__all__" and error.code == "unique_together" and has_code:
                    # Codes are unique within their parent (hospital, suite, ward): say so on the code field.
                    name, message = "code", _("This code is already used.")
                else:
                    name, message = ("non_field_errors" if key == "__all__" else key), " ".join(error.messages)
                fields.setdefault(name, []).append(str(message))
        raise InvalidInput(fields=fields) from exc


def _save(instance, m2m):
    _validate(instance)
    try:
        with transaction.atomic():
            instance.save()
            for name, values in (m2m or {}).items():
                getattr(instance, name).set(values)
    except IntegrityError as exc:  # a concurrent writer won the race on a unique code
        raise Conflict(_("A record with the same code already exists."), code="duplicate") from exc


def _split(model, data):
    m2m_names = {f.name for f in model._meta.many_to_many}
    plain = {k: v for k, v in data.items() if k not in m2m_names}
    m2m = {k: v for k, v in data.items() if k in m2m_names}
    return plain, m2m


@transaction.atomic
def org_object_create(*, actor, model: type[models.Model], data: dict):
    """Create one organisation row (hospital, campus, department, ward, bed, group, theatre suite/room/session)."""
    if model not in ORG_MODELS:
        raise ValueError(f"{model} is not an organisation model")
    plain, m2m = _split(model, data)
    instance = model(**plain)
    _save(instance, m2m)
    audit_record(actor=actor, action=AuditAction.CONFIG, target=instance, before=None, after=snapshot(instance),
                 detail=f"create {model._meta.model_name}")
    return instance


@transaction.atomic
def org_object_update(*, actor, instance, data: dict):
    model = type(instance)
    if model not in ORG_MODELS:
        raise ValueError(f"{model} is not an organisation model")
    instance = model.objects.select_for_update().get(pk=instance.pk)
    before = snapshot(instance)
    plain, m2m = _split(model, data)
    for key, value in plain.items():
        setattr(instance, key, value)
    _save(instance, m2m)
    audit_record(actor=actor, action=AuditAction.CONFIG, target=instance, before=before, after=snapshot(instance),
                 detail=f"update {model._meta.model_name}")
    return instance


def _in_use(instance) -> bool:
    """Anything refers to the row (beds of a ward, staff assigned to it, sessions of a room...): deleting it
    would cascade or orphan silently, so it is refused and the row is disabled instead."""
    for rel in instance._meta.related_objects:
        accessor = rel.get_accessor_name()
        if not accessor:
            continue
        if rel.one_to_one:
            if rel.related_model._default_manager.filter(**{rel.field.name: instance}).exists():
                return True
        elif getattr(instance, accessor).exists():
            return True
    return False


@transaction.atomic
def org_object_delete(*, actor, instance):
    """Delete a row that nothing refers to; a row in use is refused (disable it instead)."""
    model = type(instance)
    if model not in ORG_MODELS:
        raise ValueError(f"{model} is not an organisation model")
    before = snapshot(instance)
    target_id, target_repr = str(instance.uuid), str(instance)[:200]
    if _in_use(instance):
        raise Conflict(
            _("This record is still in use and cannot be deleted; disable it instead."), code="in_use"
        )
    try:
        with transaction.atomic():
            instance.delete()
    except (ProtectedError, RestrictedError, IntegrityError) as exc:
        raise Conflict(
            _("This record is still in use and cannot be deleted; disable it instead."), code="in_use"
        ) from exc
    audit_record(actor=actor, action=AuditAction.CONFIG, target_type=model._meta.label_lower, target_id=target_id,
                 target_repr=target_repr, before=before, after=None, detail=f"delete {model._meta.model_name}")
