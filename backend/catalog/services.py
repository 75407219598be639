"""Writes to the procedure catalogue. Every change is audited in the same transaction."""

import logging
import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction
from audit.services import audit_record
from catalog.models import IncisionClass, Procedure, ProcedureSource, ProcedureWard
from core.errors import Conflict, ExternalServiceError, InvalidInput
from org.models import Department

logger = logging.getLogger(__name__)

# Incision classes arrive as "0"/"I"/"II"/"III", Roman numerals or full names ("Ⅰ类切口"). Arabic 1–3 are
# refused: CV05.10.022 numbers the classes 1–4 while many HIS use 0–3, so "1" is ambiguous (DOMAIN.md §2.5).
_ROMAN = {"0": IncisionClass.CLASS_0, "I": IncisionClass.CLASS_I, "II": IncisionClass.CLASS_II, "III": IncisionClass.CLASS_III}
_UNICODE_ROMAN = str.maketrans({"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ｉ": "I", "０": "0"})


def incision_class_from_name(value) -> str:
    text = str(value or "").strip().translate(_UNICODE_ROMAN).upper()
    text = re.sub(r"(类切口|类|切口|CLASS)", "", text).strip()
    if text in _ROMAN:
        return _ROMAN[text].value
    raise InvalidInput(
        _("Unknown incision class; use 0类, Ⅰ类, Ⅱ类 or Ⅲ类."), fields={"incision_class": [_("Unknown incision class.")]}
    )


_SNAPSHOT_FIELDS = (
    "code", "name", "grade", "incision_class", "requires_anaesthesia_clinic", "default_duration_minutes",
    "is_active", "source",
)


def _snapshot(procedure):
    data = {f: getattr(procedure, f) for f in _SNAPSHOT_FIELDS}
    data["department"] = procedure.department.code if procedure.department_id else None
    data["wards"] = sorted(procedure.wards.values_list("code", flat=True)) if procedure.pk else []
    return data


def _validate_grade(grade):
    if grade not in (1, 2, 3, 4):
        raise InvalidInput(_("The surgical grade must be 1 to 4."), fields={"grade": [_("The surgical grade must be 1 to 4.")]})


def _set_wards(procedure, wards):
    wanted = {w.pk for w in wards}
    current = set(procedure.ward_links.values_list("ward_id", flat=True))
    ProcedureWard.objects.filter(procedure=procedure, ward_id__in=current - wanted).delete()
    ProcedureWard.objects.bulk_create([ProcedureWard(procedure=procedure, ward_id=w) for w in wanted - current])


@transaction.atomic
def procedure_create(
    *,
    actor,
    code,
    name,
    grade,
    incision_class,
    department=None,
    requires_anaesthesia_clinic=False,
    default_duration_minutes=60,
    is_active=True,
    wards=(),
):
    """Add a local procedure (one the HIS does not supply)."""
    code = code.strip()
    _validate_grade(grade)
    incision = incision_class_from_name(incision_class)
    # The unique index decides, not a look-up first: a concurrent create (or HIS sync) of the same code between
    # a check and the insert would otherwise surface as an IntegrityError, a 500.
    try:
        with transaction.atomic():
            procedure = Procedure.objects.create(
                code=code,
                name=name.strip(),
                grade=grade,
                incision_class=incision,
                department=department,
                requires_anaesthesia_clinic=requires_anaesthesia_clinic,
                default_duration_minutes=default_duration_minutes,
                is_active=is_active,
                source=ProcedureSource.LOCAL,
            )
    except IntegrityError:
        if not Procedure.objects.filter(code=code).exists():
            raise
        message = _("A procedure with this code already exists.")
        raise Conflict(message, code="duplicate", fields={"code": [message]}) from None
    _set_wards(procedure, wards)
    audit_record(actor=actor, system=actor is None, action=AuditAction.CREATE, target=procedure, after=_snapshot(procedure))
    return procedure


# Fields the HIS owns for HIS-sourced procedures; a local edit would be lost at the next sync.
HIS_OWNED_FIELDS = frozenset({"code", "name", "grade", "incision_class", "department"})
_UPDATABLE = frozenset(
    {"name", "grade", "incision_class", "department", "requires_anaesthesia_clinic", "default_duration_minutes", "is_active"}
)


@transaction.atomic
def procedure_update(*, actor, procedure, wards=None, **changes):
    """Change a procedure's settings and/or its admitting wards (Y4).

    For HIS-sourced procedures the HIS owns code, name, grade, incision class and department.
    """
    unknown = set(changes) - _UPDATABLE
    if unknown:
        raise InvalidInput(fields={f: [_("This field cannot be changed.")] for f in sorted(unknown)})
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    if procedure.source == ProcedureSource.HIS:
        owned = sorted(f for f in changes if f in HIS_OWNED_FIELDS and changes[f] != getattr(procedure, f))
        if owned:
            message = _("This field is maintained in the HIS and synchronised from there.")
            raise InvalidInput(message, code="his_owned", fields={f: [message] for f in owned})
    before = _snapshot(procedure)
    if "grade" in changes:
        _validate_grade(changes["grade"])
    if "incision_class" in changes:
        changes["incision_class"] = incision_class_from_name(changes["incision_class"])
    if "name" in changes:
        changes["name"] = changes["name"].strip()
    for field, value in changes.items():
        setattr(procedure, field, value)
    procedure.save()
    if wards is not None:
        _set_wards(procedure, wards)
    after = _snapshot(procedure)
    if after != before:
        audit_record(actor=actor, system=actor is None, action=AuditAction.UPDATE, target=procedure, before=before, after=after)
    return procedure


@dataclass(frozen=True)
class SyncResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    reactivated: int = 0
    skipped: tuple = ()  # (code, reason) for HIS rows that could not be taken over

    @property
    def total(self):
        return self.created + self.updated + self.unchanged

    def as_dict(self):
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deactivated": self.deactivated,
            "reactivated": self.reactivated,
            "skipped": [{"code": c, "reason": str(r)} for c, r in self.skipped],
        }


@transaction.atomic
def procedure_sync_from_his(*, actor, hospital=None):
    """Pull the HIS procedure catalogue (Y3): create new codes, update changed ones, disable vanished ones.

    `actor` is the user who asked, or None for the system (the demo seed, a scheduled job).

    Local settings (anaesthesia clinic, duration, admitting wards) are kept. A procedure an administrator
    disabled stays disabled; one the sync disabled because the HIS dropped it comes back when the HIS lists
    it again. Local (non-HIS) procedures are left alone. Audited per change plus one summary entry.
    """
    from integrations.registry import get_port

    try:
        rows = get_port("his").list_procedures()
    except ExternalServiceError:
        raise
    except Exception as exc:  # an adapter failure must surface as a clean 502, not a crash
        logger.exception("HIS procedure catalogue could not be read")
        raise ExternalServiceError() from exc

    now = timezone.now()
    departments = Department.objects.all()
    if hospital is not None:
        departments = departments.filter(hospital=hospital)
    dept_by_code = {d.code: d for d in departments}
    existing = {p.code: p for p in Procedure.objects.select_for_update(of=("self",)).select_related("department")}
    seen = set()
    counts = {"created": 0, "updated": 0, "unchanged": 0, "deactivated": 0, "reactivated": 0}
    skipped = []

    for row in rows:
        code = (row.code or "").strip()
        if not code or code in seen:
            skipped.append((code, _("missing or repeated code")))
            continue
        try:
            incision = incision_class_from_name(row.incision_class)
            _validate_grade(row.grade)
        except InvalidInput as exc:
            skipped.append((code, exc.message))
            continue
        seen.add(code)
        department = dept_by_code.get(row.department_code or "")
        wanted = {"name": row.name.strip(), "grade": row.grade, "incision_class": incision, "department": department}
        procedure = existing.get(code)
        if procedure is None:
            try:
                with transaction.atomic():
                    procedure = Procedure.objects.create(
                        code=code, source=ProcedureSource.HIS, his_synced_at=now, **wanted
                    )
            except IntegrityError:  # created since `existing` was read: another sync (or a local create) ran
                message = _("The procedure catalogue was changed while it was being synchronised; try again.")
                raise Conflict(message, code="sync_conflict") from None
            counts["created"] += 1
            audit_record(
                actor=actor, system=actor is None, action=AuditAction.CREATE, target=procedure,
                after=_snapshot(procedure), detail="his sync",
            )
            continue
        before = _snapshot(procedure)
        changed = [f for f, v in wanted.items() if getattr(procedure, f) != v]
        for f in changed:
            setattr(procedure, f, wanted[f])
        if procedure.source != ProcedureSource.HIS:
            procedure.source = ProcedureSource.HIS
            changed.append("source")
        if procedure.his_removed_at is not None:
            procedure.his_removed_at = None
            procedure.is_active = True
            counts["reactivated"] += 1
            changed.append("is_active")
        procedure.his_synced_at = now
        procedure.save()
        if changed:
            counts["updated"] += 1
            audit_record(
                actor=actor, system=actor is None, action=AuditAction.UPDATE, target=procedure, before=before,
                after=_snapshot(procedure), detail="his sync",
            )
        else:
            counts["unchanged"] += 1

    for code, procedure in existing.items():
        if code in seen or procedure.source != ProcedureSource.HIS or procedure.his_removed_at is not None:
            continue
        before = _snapshot(procedure)
        procedure.is_active = False
        procedure.his_removed_at = now
        procedure.save(update_fields=["is_active", "his_removed_at", "updated_at"])
        counts["deactivated"] += 1
        audit_record(
            actor=actor, system=actor is None, action=AuditAction.UPDATE, target=procedure, before=before,
            after=_snapshot(procedure), detail="his sync: no longer in the HIS",
        )

    result = SyncResult(skipped=tuple(skipped), **counts)
    audit_record(
        actor=actor, action=AuditAction.CONFIG, target_type="catalog.procedure", target_id="his-sync",
        target_repr="procedure catalogue sync from HIS", after=result.as_dict(), system=actor is None,
    )
    if skipped:
        logger.warning("HIS procedure sync skipped %d rows: %s", len(skipped), skipped[:10])
    return result
