"""Writes to the procedure catalogue. Every change is audited in the same transaction."""

import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction
from audit.services import audit_record
from catalog.models import (
    CatalogSyncState,
    IncisionClass,
    Procedure,
    ProcedureDoctor,
    ProcedureSource,
    ProcedureWard,
    TestPackageItem,
    TestPackageKind,
)
from core.errors import Conflict, ExternalServiceError, InvalidInput
from org.models import Department, Ward

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


# Anaesthesia methods arrive as the HIS names them; matched by the words Chinese hospitals use (checked in
# order: "神经阻滞" before "局部", "监护麻醉" is MAC, i.e. sedation). Our own values are accepted as they are.
_ANAESTHESIA_WORDS = (
    ("general", ("全身麻醉", "全麻", "静吸复合", "全凭静脉", "插管", "喉罩"), ("GA", "GENERAL")),
    ("spinal", ("椎管内", "腰麻", "硬膜外", "腰硬", "蛛网膜下腔", "骶管"), ("SPINAL", "EPIDURAL")),
    ("nerve_block", ("神经阻滞", "臂丛", "阻滞麻醉"), ("NERVE_BLOCK", "NERVE BLOCK")),
    ("sedation", ("监护麻醉", "镇静"), ("MAC", "SEDATION")),
    ("local", ("局部麻醉", "局麻", "局部浸润", "表面麻醉"), ("LA", "LOCAL")),
)


def anaesthesia_method_from_name(value) -> str | None:
    """Our AnaesthesiaMethod value for a HIS name ("全身麻醉", "腰硬联合麻醉", "局麻"...), or None if unknown.

    Chinese names match by the words they contain; Latin abbreviations only as the whole name."""
    text = str(value or "").strip().upper()
    if not text:
        return None
    for method, words, abbreviations in _ANAESTHESIA_WORDS:
        if text in abbreviations or any(word in text for word in words):
            return method
    return None


def _anaesthesia_methods(values) -> list:
    from cases.models import AnaesthesiaMethod  # cases imports catalog

    values = list(values or [])
    unknown = [v for v in values if v not in AnaesthesiaMethod.values]
    if unknown:
        message = _("Unknown anaesthesia method.")
        raise InvalidInput(message, fields={"anaesthesia_methods": [message]})
    return list(dict.fromkeys(values))  # no repeats, order kept


_SNAPSHOT_FIELDS = (
    "code", "name", "grade", "incision_class", "body_site", "anaesthesia_methods", "requires_anaesthesia_clinic",
    "default_duration_minutes", "notice_text", "patient_instructions", "is_active", "source",
)


def _snapshot(procedure):
    data = {f: getattr(procedure, f) for f in _SNAPSHOT_FIELDS}
    data["department"] = procedure.department.code if procedure.department_id else None
    data["wards"] = sorted(procedure.wards.values_list("code", flat=True)) if procedure.pk else []
    return data


def _validate_grade(grade):
    if grade not in (1, 2, 3, 4):
        raise InvalidInput(_("The surgical grade must be 1 to 4."), fields={"grade": [_("The surgical grade must be 1 to 4.")]})


def _replace_links(link_model, owner_field, owner, other_field, others):
    """Make `owner`'s links (rows of `link_model`) point to exactly `others`: delete the extra, add the missing."""
    wanted = {o.pk for o in others}
    links = link_model.objects.filter(**{owner_field: owner})
    current = set(links.values_list(f"{other_field}_id", flat=True))
    links.filter(**{f"{other_field}_id__in": current - wanted}).delete()
    link_model.objects.bulk_create(
        [link_model(**{owner_field: owner, f"{other_field}_id": pk}) for pk in wanted - current]
    )


def _set_wards(procedure, wards):
    _replace_links(ProcedureWard, "procedure", procedure, "ward", wards)


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
    body_site="",
    anaesthesia_methods=(),
    notice_text="",
    patient_instructions="",
):
    """Add a local procedure (one the HIS does not supply)."""
    code = code.strip()
    _validate_grade(grade)
    incision = incision_class_from_name(incision_class)
    anaesthesia_methods = _anaesthesia_methods(anaesthesia_methods)
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
                body_site=body_site.strip(),
                anaesthesia_methods=anaesthesia_methods,
                notice_text=notice_text.strip(),
                patient_instructions=patient_instructions.strip(),
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
# Fields the HIS supplies but a hospital may override: a local value stands until the HIS changes its own.
HIS_DEFAULT_FIELDS = ("body_site", "default_duration_minutes", "anaesthesia_methods")
_UPDATABLE = frozenset(
    {"name", "grade", "incision_class", "department", "requires_anaesthesia_clinic", "default_duration_minutes",
     "is_active", "body_site", "anaesthesia_methods", "notice_text", "patient_instructions"}
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
    if "anaesthesia_methods" in changes:
        changes["anaesthesia_methods"] = _anaesthesia_methods(changes["anaesthesia_methods"])
    for name in ("name", "body_site", "notice_text", "patient_instructions"):
        if name in changes:
            changes[name] = changes[name].strip()
    for name, value in changes.items():
        setattr(procedure, name, value)
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
    warnings: tuple = ()  # (code, reason) for rows taken over with a value left out (an unknown anaesthesia name)
    not_modified: bool = False  # the HIS said its catalogue is still the version we synchronised last
    version: str = ""

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
            "warnings": [{"code": c, "reason": str(r)} for c, r in self.warnings],
            "not_modified": self.not_modified,
            "version": self.version,
        }


@dataclass
class _SyncRun:
    """One sync's working state: what is in the database, what the HIS sent, what happened so far."""

    actor: object
    now: object
    dept_by_code: dict
    existing: dict
    seen: set = field(default_factory=set)
    counts: dict = field(default_factory=lambda: dict.fromkeys(
        ("created", "updated", "unchanged", "deactivated", "reactivated"), 0))
    skipped: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    def audit(self, procedure, action, *, before=None, detail="his sync"):
        audit_record(actor=self.actor, system=self.actor is None, action=action, target=procedure, before=before,
                     after=_snapshot(procedure), detail=detail)


# One sync at a time, across processes (the scheduled job and an administrator's click): a transaction-level
# PostgreSQL advisory lock, taken without waiting so the second caller hears "already running" at once.
_SYNC_LOCK_KEY = int.from_bytes(hashlib.sha1(b"catalog.procedure_sync_from_his").digest()[:4], "big")


def _take_sync_lock():
    if connection.vendor != "postgresql":  # SQLite (the local demo) runs one writer at a time anyway
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_SYNC_LOCK_KEY])
        if not cursor.fetchone()[0]:
            message = _("The procedure catalogue is being synchronised right now; try again in a moment.")
            raise Conflict(message, code="sync_in_progress")


def _his_defaults(row, run):
    """The values the HIS proposes for the fields a hospital may override (None duration: the HIS is silent)."""
    methods = []
    for name in row.anaesthesia_methods:
        method = anaesthesia_method_from_name(name)
        if method is None:
            run.warnings.append((row.code.strip(), _("unknown anaesthesia method: %(name)s") % {"name": name}))
        elif method not in methods:
            methods.append(method)
    values = {"body_site": (row.body_site or "").strip()[:100], "anaesthesia_methods": methods}
    if row.typical_duration_minutes is not None and 5 <= row.typical_duration_minutes <= 720:
        values["default_duration_minutes"] = row.typical_duration_minutes
    return values


def _sync_row(run, row):
    code = (row.code or "").strip()
    if not code or code in run.seen:
        run.skipped.append((code, _("missing or repeated code")))
        return
    try:
        incision = incision_class_from_name(row.incision_class)
        _validate_grade(row.grade)
    except InvalidInput as exc:
        run.skipped.append((code, exc.message))
        return
    run.seen.add(code)
    wanted = {"name": row.name.strip(), "grade": row.grade, "incision_class": incision,
              "department": run.dept_by_code.get(row.department_code or "")}
    defaults = _his_defaults(row, run)
    procedure = run.existing.get(code)
    if procedure is None:
        try:
            with transaction.atomic():
                procedure = Procedure.objects.create(
                    code=code, source=ProcedureSource.HIS, his_synced_at=run.now, his_values=defaults,
                    **wanted, **defaults,
                )
        except IntegrityError:  # a local create of the same code committed since `existing` was read
            message = _("The procedure catalogue was changed while it was being synchronised; try again.")
            raise Conflict(message, code="sync_conflict") from None
        run.counts["created"] += 1
        run.audit(procedure, AuditAction.CREATE)
        return
    before = _snapshot(procedure)
    # HIS-owned fields follow the HIS; the overridable ones only where the HIS changed its own value.
    last = procedure.his_values or {}
    wanted.update({f: v for f, v in defaults.items() if f not in last or last[f] != v})
    changed = [f for f, v in wanted.items() if getattr(procedure, f) != v]
    for f in changed:
        setattr(procedure, f, wanted[f])
    if procedure.source != ProcedureSource.HIS:
        procedure.source = ProcedureSource.HIS
        changed.append("source")
    if procedure.his_removed_at is not None:
        procedure.his_removed_at = None
        procedure.is_active = True
        run.counts["reactivated"] += 1
        changed.append("is_active")
    procedure.his_values = defaults
    procedure.his_synced_at = run.now
    procedure.save()
    if changed:
        run.counts["updated"] += 1
        run.audit(procedure, AuditAction.UPDATE, before=before)
    else:
        run.counts["unchanged"] += 1


def _disable_vanished(run):
    for code, procedure in run.existing.items():
        if code in run.seen or procedure.source != ProcedureSource.HIS or procedure.his_removed_at is not None:
            continue
        before = _snapshot(procedure)
        procedure.is_active = False
        procedure.his_removed_at = run.now
        procedure.save(update_fields=["is_active", "his_removed_at", "updated_at"])
        run.counts["deactivated"] += 1
        run.audit(procedure, AuditAction.UPDATE, before=before, detail="his sync: no longer in the HIS")


SyncProgress = Callable[[int, int, dict], None]  # (done, total, counts so far)


@transaction.atomic
def procedure_sync_from_his(*, actor, hospital=None, full=False, progress: SyncProgress | None = None):
    """Pull the HIS procedure catalogue (Y3): create new codes, update changed ones, disable vanished ones.

    `actor` is the user who asked, or None for the system (the demo seed, a scheduled job). Incremental unless
    `full`: when the HIS says its catalogue is still the version synchronised last, nothing is read or written
    beyond the check time (recorded on CatalogSyncState). `progress(done, total, counts)` is called as rows are
    applied, for long imports.

    The HIS owns code, name, grade, incision class and department. Body site, typical duration and anaesthesia
    methods come from the HIS too, but a local change stands until the HIS changes its own value. Local settings
    (anaesthesia clinic, admitting wards, admitted doctors, test package, notice text, patient instructions) are
    never touched. A procedure an administrator disabled stays disabled; one the sync disabled because the HIS
    dropped it comes back when the HIS lists it again. Local (non-HIS) procedures are left alone. Audited per
    change plus one summary entry.
    """
    from integrations.registry import get_port

    _take_sync_lock()
    state, _created = CatalogSyncState.objects.select_for_update().get_or_create(source="his")
    now = timezone.now()
    try:
        catalogue = get_port("his").procedure_catalogue(known_version="" if full else state.version)
    except ExternalServiceError:
        raise
    except Exception as exc:  # an adapter failure must surface as a clean 502, not a crash
        logger.exception("HIS procedure catalogue could not be read")
        raise ExternalServiceError() from exc

    if catalogue is None:
        result = SyncResult(not_modified=True, version=state.version)
        state.checked_at = now
        state.last_result = result.as_dict()
        state.save(update_fields=["checked_at", "last_result"])
        return result

    departments = Department.objects.all()
    if hospital is not None:
        departments = departments.filter(hospital=hospital)
    run = _SyncRun(
        actor=actor, now=now, dept_by_code={d.code: d for d in departments},
        existing={p.code: p for p in Procedure.objects.select_for_update(of=("self",)).select_related("department")},
    )
    rows = list(catalogue.procedures)
    every = max(1, len(rows) // 10)
    for done, row in enumerate(rows, 1):
        _sync_row(run, row)
        if progress is not None and (done % every == 0 or done == len(rows)):
            progress(done, len(rows), dict(run.counts))
    _disable_vanished(run)

    result = SyncResult(skipped=tuple(run.skipped), warnings=tuple(run.warnings), version=catalogue.version,
                        **run.counts)
    state.version, state.checked_at, state.changed_at = catalogue.version, now, now
    state.last_result = result.as_dict()
    state.save()
    audit_record(
        actor=actor, action=AuditAction.CONFIG, target_type="catalog.procedure", target_id="his-sync",
        target_repr="procedure catalogue sync from HIS", after=result.as_dict(), system=actor is None,
    )
    if run.skipped or run.warnings:
        logger.warning("HIS procedure sync skipped %d rows (%s), warnings %s", len(run.skipped), run.skipped[:10],
                       run.warnings[:10])
    return result


# --- local configuration of a procedure (Y3): admitted doctors, test package, pushed to the HIS ---------------
def _hospital_of(procedure, actor):
    if procedure.department_id:
        return procedure.department.hospital_id
    department = getattr(actor, "department", None)
    return department.hospital_id if department is not None else None


@transaction.atomic
def procedure_set_admitted_doctors(*, actor, procedure, doctors):
    """Replace the surgeons admitted to a procedure (准入医生); empty = any surgeon of an admitting department.

    Only enabled, real (not virtual) staff of the procedure's hospital can be admitted."""
    procedure = Procedure.objects.select_for_update(of=("self",)).select_related("department").get(pk=procedure.pk)
    hospital_id = _hospital_of(procedure, actor)
    doctors = list(dict.fromkeys(doctors))
    refused = [
        d for d in doctors
        if not d.is_active or d.is_virtual or d.department_id is None
        or (hospital_id is not None and d.department.hospital_id != hospital_id)
    ]
    if refused:
        message = _("Only enabled staff of this hospital can be admitted: %(names)s.") % {
            "names": "、".join(d.name for d in refused)}
        raise InvalidInput(message, fields={"doctors": [message]})
    before = sorted(str(u) for u in procedure.doctor_links.values_list("doctor__uuid", flat=True))
    _replace_links(ProcedureDoctor, "procedure", procedure, "doctor", doctors)
    after = sorted(str(d.uuid) for d in doctors)
    if after != before:
        audit_record(actor=actor, action=AuditAction.UPDATE, target=procedure, before={"admitted_doctors": before},
                     after={"admitted_doctors": after}, detail="admitted doctors")
    return procedure


MAX_TEST_PACKAGE_ITEMS = 50


def _package_rows(procedure):
    return [{"code": i.code, "name": i.name, "kind": i.kind} for i in procedure.test_package_items.order_by("position")]


@transaction.atomic
def procedure_set_test_package(*, actor, procedure, items):
    """Replace a procedure's test package (检查检验套餐) with `items` [{code, name, kind}], in that order."""
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    cleaned, errors, codes = [], {}, set()
    if len(items) > MAX_TEST_PACKAGE_ITEMS:
        message = _("A test package holds at most %(n)d items.") % {"n": MAX_TEST_PACKAGE_ITEMS}
        raise InvalidInput(message, fields={"items": [message]})
    for n, item in enumerate(items):
        code, name, kind = (str(item.get(k) or "").strip() for k in ("code", "name", "kind"))
        if not code or not name:
            errors[f"items[{n}]"] = [_("Each item needs a code and a name.")]
        elif kind not in TestPackageKind.values:
            errors[f"items[{n}].kind"] = [_("The kind must be lab or exam.")]
        elif code in codes:
            errors[f"items[{n}].code"] = [_("This item is already in the package.")]
        codes.add(code)
        cleaned.append({"code": code[:40], "name": name[:100], "kind": kind})
    if errors:
        raise InvalidInput(_("The test package has invalid items."), fields=errors)
    before = _package_rows(procedure)
    if cleaned == before:
        return procedure
    procedure.test_package_items.all().delete()
    TestPackageItem.objects.bulk_create(
        [TestPackageItem(procedure=procedure, position=n, **row) for n, row in enumerate(cleaned, 1)]
    )
    procedure.test_package_updated_at = timezone.now()
    procedure.save(update_fields=["test_package_updated_at", "updated_at"])
    audit_record(actor=actor, action=AuditAction.UPDATE, target=procedure, before={"test_package": before},
                 after={"test_package": cleaned}, detail="test package")
    return procedure


def procedure_push_test_package(*, actor, procedure):
    """Send a procedure's test package to the HIS (so it can be ordered as one set) and record the answer.

    The HIS call runs outside any transaction; its idempotency key is derived from the package content, so a
    retried push of the same package is recognised by the HIS."""
    from integrations.ports.his import TestPackage, TestPackageLine
    from integrations.registry import get_port

    rows = _package_rows(procedure)
    if not rows:
        message = _("The procedure has no test package to send.")
        raise InvalidInput(message, code="empty_test_package", fields={"items": [message]})
    package = TestPackage(procedure_code=procedure.code, procedure_name=procedure.name,
                          items=tuple(TestPackageLine(**row) for row in rows))
    digest = hashlib.sha256(json.dumps([procedure.code, rows], ensure_ascii=False).encode()).hexdigest()[:32]
    try:
        receipt = get_port("his").push_test_package(package, idempotency_key=f"test-package-{digest}")
    except ExternalServiceError:
        raise
    except Exception as exc:
        logger.exception("test package of %s could not be pushed to the HIS", procedure.code)
        raise ExternalServiceError() from exc
    with transaction.atomic():
        procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
        before = {"test_package_pushed_at": procedure.test_package_pushed_at, "test_package_his_id": procedure.test_package_his_id}
        procedure.test_package_pushed_at = timezone.now()
        procedure.test_package_his_id = receipt.his_id
        procedure.save(update_fields=["test_package_pushed_at", "test_package_his_id", "updated_at"])
        audit_record(actor=actor, action=AuditAction.UPDATE, target=procedure, before=before,
                     after={"test_package_pushed_at": procedure.test_package_pushed_at,
                            "test_package_his_id": receipt.his_id, "his_version": receipt.version,
                            "test_package": rows},
                     detail="test package pushed to the HIS")
    return procedure


# --- admitting wards from the ward's side (Y4) ----------------------------------------------------------------
@transaction.atomic
def ward_set_procedures(*, actor, ward, procedures):
    """Replace the procedures a ward admits (the same links `procedure_update(wards=...)` edits)."""
    ward = Ward.objects.select_for_update().get(pk=ward.pk)  # one writer per ward's list at a time
    before = sorted(ProcedureWard.objects.filter(ward=ward).values_list("procedure__code", flat=True))
    _replace_links(ProcedureWard, "ward", ward, "procedure", procedures)
    after = sorted({p.code for p in procedures})
    if after != before:
        audit_record(actor=actor, action=AuditAction.UPDATE, target=ward, before={"procedures": before},
                     after={"procedures": after}, detail="admitted procedures")
    return ward
