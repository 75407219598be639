"""Which hospital's configuration (message plans, forms, tags, materials...) a staff member reads and edits.

Configuration rows carry `hospital` (null = a platform default shipped with the product). Staff read the platform
defaults and their own hospital's rows and edit only their own hospital's; superusers (and the system, actor None)
edit any. A staff account without a department belongs to no hospital: it reads the platform defaults and edits
nothing, so an administrator created without a department cannot change another hospital's settings.
"""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.errors import NotAllowed


class HospitalConfigNotAllowed(NotAllowed):
    default_code = "hospital_not_allowed"
    default_message = _("You may change only your own hospital's configuration.")


def actor_hospital(actor):
    department = getattr(actor, "department", None)
    return department.hospital if department is not None else None


def config_queryset(qs: QuerySet, actor, *, hospital_field: str = "hospital") -> QuerySet:
    """Platform defaults plus the actor's hospital's rows (every row for superusers)."""
    if getattr(actor, "is_superuser", False):
        return qs
    own = actor_hospital(actor)
    condition = Q(**{f"{hospital_field}__isnull": True})
    if own is not None:
        condition |= Q(**{hospital_field: own})
    return qs.filter(condition)


def assert_can_edit_config(actor, hospital_id) -> None:
    """Refuse a write to a row of `hospital_id` (None = platform default) unless it is the actor's hospital."""
    if actor is None or getattr(actor, "is_superuser", False):
        return
    own = actor_hospital(actor)
    if own is None or hospital_id is None or own.pk != hospital_id:
        raise HospitalConfigNotAllowed()


def platform_defaults_sync(model, specs, *, versioned=False) -> int:
    """Write code-shipped defaults (dicts with a "key") as `model` rows without a hospital; the caller holds a
    transaction. Hospitals' own rows are never touched; a default that disappeared from the code is switched off
    (is_active False); with `versioned`, a changed default gets its `version` bumped. Returns how many changed."""
    changed = 0
    keys = set()
    for spec in specs:
        keys.add(spec["key"])
        values = {**{k: v for k, v in spec.items() if k != "key"}, "is_active": True}
        row = model.objects.filter(hospital__isnull=True, key=spec["key"]).first()
        if row is None:
            model.objects.create(hospital=None, key=spec["key"], **values)
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            if versioned:
                row.version += 1
            row.save()
            changed += 1
    changed += model.objects.filter(hospital__isnull=True, is_active=True).exclude(key__in=keys).update(
        is_active=False)
    return changed
