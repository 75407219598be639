"""Writes of the capacity configuration (Y5, B4, B6). Every action is one transaction with one audit entry.

- `template_set` replaces an owner's weekly template; `template_copy` copies it onto other owners;
- `slots_generate` turns the template into dated slots for a date range;
- `week_copy` copies one owner's dated week onto other weeks (and other owners);
- `slot_update` changes one dated slot by hand;
- `exception_create` / `exception_delete` close or change one date (whole day or one session).

Date exceptions win over templates and copies whenever dated slots are written. No write ever leaves fewer
places than bookings already hold (`PlacesTaken`, listing the slots), and dates before today are never changed
(they are the record of what capacity there was).
"""

from dataclasses import asdict, dataclass
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction
from audit.services import audit_record
from capacity.errors import PlacesTaken
from capacity.models import (
    CapacityKind,
    CapacitySlot,
    DateException,
    OwnerType,
    SlotSource,
    WeeklyTemplate,
    owner_fields,
    owner_key_of,
    owner_type_of,
)
from cases.models import Session
from core.errors import Conflict, InvalidInput

MAX_GENERATE_DAYS = 366
MAX_COPY_WEEKS = 53
MAX_TARGET_OWNERS = 100
SESSIONS = tuple(Session.values)


def _owner_repr(owner) -> dict:
    return {"type": owner_type_of(owner), "uuid": str(owner.uuid), "name": getattr(owner, "name", str(owner))}


def _check_kind(kind, owners, field="kind"):
    if kind not in CapacityKind.values:
        raise InvalidInput(fields={field: [_("Unknown capacity kind.")]})
    if kind == CapacityKind.QUOTA and any(owner_type_of(o) != OwnerType.DEPARTMENT for o in owners):
        raise InvalidInput(fields={field: [_("Only a department can have a quota.")]})


def _check_not_past(day, field):
    if day < timezone.localdate():
        raise InvalidInput(fields={field: [_("Dates before today cannot be changed.")]})


def _audit(actor, detail, owner, after):
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target_type="capacity.capacityslot",
                 target_id=str(owner.uuid), target_repr=str(owner), after=after, detail=detail)


# --- weekly templates ---------------------------------------------------------------------------------------


def _template_rows(owner, kind):
    return list(WeeklyTemplate.objects.filter(owner_key=owner_key_of(owner), kind=kind).order_by("weekday", "session"))


def _row_repr(row) -> dict:
    return {"weekday": row.weekday, "session": row.session, "resources": row.resources,
            "max_bookings": row.max_bookings}


@transaction.atomic
def template_set(*, actor, owner, kind, rows) -> list[WeeklyTemplate]:
    """Replace the owner's weekly template of `kind` with `rows` (dicts: weekday, session, resources,
    max_bookings). Dated slots change only when generated (`slots_generate`)."""
    _check_kind(kind, [owner])
    seen = set()
    for i, row in enumerate(rows):
        key = (row["weekday"], row["session"])
        if key in seen:
            raise InvalidInput(fields={"rows": {i: [_("This weekday and session appear twice.")]}})
        seen.add(key)
    before = [_row_repr(r) for r in _template_rows(owner, kind)]
    WeeklyTemplate.objects.filter(owner_key=owner_key_of(owner), kind=kind).delete()
    created = [
        WeeklyTemplate(kind=kind, **owner_fields(owner), weekday=r["weekday"], session=r["session"],
                       resources=r.get("resources", 1), max_bookings=r["max_bookings"])
        for r in rows
    ]
    for row in created:
        _insert(row)
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target_type="capacity.weeklytemplate",
                 target_id=str(owner.uuid), target_repr=str(owner), before=before,
                 after=[_row_repr(r) for r in created], detail=f"template set ({kind})")
    return created


@transaction.atomic
def template_copy(*, actor, owner, kind, targets) -> int:
    """Copy the owner's weekly template of `kind` onto each of `targets` (replacing theirs). Returns the count."""
    _check_kind(kind, [owner, *targets], field="targets")
    if len(targets) > MAX_TARGET_OWNERS:
        raise InvalidInput(fields={"targets": [_("Too many owners at once.")]})
    if any(owner_key_of(t) == owner_key_of(owner) for t in targets):
        raise InvalidInput(fields={"targets": [_("The source cannot be one of the targets.")]})
    rows = [_row_repr(r) for r in _template_rows(owner, kind)]
    if not rows:
        raise InvalidInput(fields={"owner": [_("This owner has no weekly template to copy.")]})
    for target in targets:
        template_set(actor=actor, owner=target, kind=kind, rows=rows)
    return len(targets)


# --- dated slots ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Wanted:
    resources: int
    max_bookings: int
    source: str
    closed: bool = False
    reason: str = ""


KEEP = object()  # the base has nothing to say about this date and session: leave the slot as it is


@dataclass
class MaterializeResult:
    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0

    def as_dict(self):
        return {"created": self.created, "updated": self.updated, "removed": self.removed,
                "unchanged": self.unchanged}


def _with_exception(base, exception):
    """Exceptions win: a closure closes the slot, a change sets its figures."""
    if exception is None:
        return base
    if exception.closed:
        return Wanted(0, 0, SlotSource.EXCEPTION, closed=True, reason=exception.reason)
    resources = exception.resources
    if resources is None:
        resources = base.resources if isinstance(base, Wanted) else 1
    return Wanted(resources, exception.max_bookings, SlotSource.EXCEPTION, reason=exception.reason)


def _conflict(slot, wanted):
    if slot is None or not slot.used:
        return None
    if wanted is None or wanted.closed or wanted.max_bookings < slot.used:
        return {"date": slot.date.isoformat(), "session": slot.session, "used": slot.used,
                "max_bookings": 0 if wanted is None or wanted.closed else wanted.max_bookings}
    return None


def _insert(row):
    """Insert under a savepoint: another administrator writing the same owner's dates at the same moment makes
    the unique index refuse the second insert; that answers 409 (try again), not a 500."""
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise Conflict(code="capacity_changed_concurrently") from None


def _materialize(*, owner, kind, days, base_for) -> MaterializeResult:
    """Write the owner's slots of `kind` on `days` (both sessions): base_for(day, session) → Wanted, None (no
    slot) or KEEP; exceptions win over the base. Raises PlacesTaken (nothing written) when bookings are in the way.
    """
    key = owner_key_of(owner)
    slots = {
        (s.date, s.session): s
        for s in CapacitySlot.objects.filter(owner_key=key, kind=kind, date__in=days).select_for_update().order_by("pk")
    }
    exceptions = {(e.date, e.session): e for e in DateException.objects.filter(owner_key=key, kind=kind, date__in=days)}
    result, conflicts = MaterializeResult(), []
    for day in days:
        for session in SESSIONS:
            base = base_for(day, session)
            if base is KEEP:
                continue
            wanted = _with_exception(base, exceptions.get((day, session)) or exceptions.get((day, "")))
            slot = slots.get((day, session))
            problem = _conflict(slot, wanted)
            if problem:
                conflicts.append(problem)
            elif wanted is None:
                if slot is not None:
                    slot.delete()
                    result.removed += 1
            elif slot is None:
                _insert(CapacitySlot(kind=kind, **owner_fields(owner), date=day, session=session, **asdict(wanted)))
                result.created += 1
            elif any(getattr(slot, k) != v for k, v in asdict(wanted).items()):
                for k, v in asdict(wanted).items():
                    setattr(slot, k, v)
                slot.save()
                result.updated += 1
            else:
                result.unchanged += 1
    if conflicts:
        raise PlacesTaken(extra={"conflicts": conflicts})
    return result


def _template_base(owner, kind):
    rows = {(r.weekday, r.session): r for r in _template_rows(owner, kind)}

    def base_for(day, session):
        row = rows.get((day.weekday(), session))
        return Wanted(row.resources, row.max_bookings, SlotSource.TEMPLATE) if row else None

    return base_for


def _days(first, last):
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@transaction.atomic
def slots_generate(*, actor, owner, kind, date_from: date, date_to: date) -> MaterializeResult:
    """Make the owner's dated slots from `date_from` to `date_to` what the weekly template and the date
    exceptions say (slots a copy or a hand edit set there are replaced)."""
    _check_kind(kind, [owner])
    _check_not_past(date_from, "date_from")
    if date_to < date_from:
        raise InvalidInput(fields={"date_to": [_("The end date must not be before the start date.")]})
    if (date_to - date_from).days >= MAX_GENERATE_DAYS:
        raise InvalidInput(fields={"date_to": [_("At most 366 days at once.")]})
    result = _materialize(owner=owner, kind=kind, days=_days(date_from, date_to), base_for=_template_base(owner, kind))
    _audit(actor, f"slots generated ({kind})", owner, {"owner": _owner_repr(owner), "from": date_from, "to": date_to,
                                                **result.as_dict()})
    return result


@transaction.atomic
def week_copy(*, actor, owner, kind, source_week: date, target_weeks, targets=()) -> MaterializeResult:
    """Copy the owner's slots of the week starting `source_week` (a Monday) onto each week in `target_weeks`
    (Mondays), for the owner itself or for `targets` (other owners). Closed days of the source week are not
    copied (a closure belongs to its date); target dates before today are left alone."""
    targets = list(targets) or [owner]
    _check_kind(kind, [owner, *targets], field="targets")
    problems = {}
    if source_week.weekday() != 0:
        problems["source_week"] = [_("A week starts on a Monday.")]
    if not target_weeks or len(target_weeks) > MAX_COPY_WEEKS:
        problems["target_weeks"] = [_("Give between 1 and 53 weeks.")]
    elif any(w.weekday() != 0 for w in target_weeks):
        problems["target_weeks"] = [_("A week starts on a Monday.")]
    elif source_week in target_weeks and owner_key_of(owner) in {owner_key_of(t) for t in targets}:
        problems["target_weeks"] = [_("The source week cannot be copied onto itself.")]
    if len(targets) > MAX_TARGET_OWNERS:
        problems["targets"] = [_("Too many owners at once.")]
    if problems:
        raise InvalidInput(fields=problems)
    source = {
        (s.date.weekday(), s.session): s
        for s in CapacitySlot.objects.filter(
            owner_key=owner_key_of(owner), kind=kind, date__gte=source_week, date__lt=source_week + timedelta(days=7)
        )
    }
    if not any(not s.closed for s in source.values()):
        raise InvalidInput(fields={"source_week": [_("The source week has no open slots to copy.")]})

    def base_for(day, session):
        slot = source.get((day.weekday(), session))
        if slot is not None and slot.closed:
            return KEEP
        return Wanted(slot.resources, slot.max_bookings, SlotSource.COPY) if slot else None

    today = timezone.localdate()
    days = [d for week in sorted(set(target_weeks)) for d in _days(week, week + timedelta(days=6)) if d >= today]
    total = MaterializeResult()
    for target in targets:
        result = _materialize(owner=target, kind=kind, days=days, base_for=base_for)
        for name, value in result.as_dict().items():
            setattr(total, name, getattr(total, name) + value)
    _audit(actor, f"week copied ({kind})", owner, {
        "owner": _owner_repr(owner), "source_week": source_week, "target_weeks": sorted(set(target_weeks)),
        "targets": [_owner_repr(t) for t in targets], **total.as_dict(),
    })
    return total


@transaction.atomic
def slot_update(*, actor, slot, resources=None, max_bookings=None) -> CapacitySlot:
    """Change one dated slot by hand (a later generation or copy replaces it; an exception wins over it)."""
    slot = CapacitySlot.objects.select_for_update().get(pk=slot.pk)
    _check_not_past(slot.date, "date")
    if slot.closed:
        raise InvalidInput(fields={"non_field_errors": [_("The slot is closed by a date exception; delete it first.")]})
    before = {"resources": slot.resources, "max_bookings": slot.max_bookings}
    if max_bookings is not None and max_bookings < slot.used:
        raise PlacesTaken(extra={"conflicts": [{"date": slot.date.isoformat(), "session": slot.session,
                                                "used": slot.used, "max_bookings": max_bookings}]})
    slot.resources = slot.resources if resources is None else resources
    slot.max_bookings = slot.max_bookings if max_bookings is None else max_bookings
    slot.source = SlotSource.MANUAL
    slot.save()
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=slot, before=before,
                 after={"resources": slot.resources, "max_bookings": slot.max_bookings}, detail="slot updated")
    return slot


# --- date exceptions --------------------------------------------------------------------------------------------


def _exception_repr(exc) -> dict:
    return {"owner": _owner_repr(exc.owner), "kind": exc.kind, "date": exc.date, "session": exc.session,
            "closed": exc.closed, "resources": exc.resources, "max_bookings": exc.max_bookings, "reason": exc.reason}


def _reapply(owner, kind, day, session):
    """Rewrite the slots an exception covers (one session, or both for a whole day); the other stays as it is."""
    template = _template_base(owner, kind)
    _materialize(owner=owner, kind=kind, days=[day],
                 base_for=lambda d, s: template(d, s) if session in ("", s) else KEEP)


@transaction.atomic
def exception_create(*, actor, owner, kind, date, session="", closed=True, resources=None, max_bookings=None,
                     reason) -> DateException:
    """Close (holiday, closure) or change the owner's capacity on `date` (session blank = whole day), with a
    reason. Applies at once; refused while bookings hold more places than the date would keep."""
    _check_kind(kind, [owner])
    _check_not_past(date, "date")
    problems = {}
    if not (reason or "").strip():
        problems["reason"] = [_("Give the reason.")]
    if not closed and max_bookings is None:
        problems["max_bookings"] = [_("Give the maximum bookings for this date.")]
    if session and session not in SESSIONS:
        problems["session"] = [_("Unknown session.")]
    overlapping = DateException.objects.filter(owner_key=owner_key_of(owner), kind=kind, date=date)
    if not session or overlapping.filter(session="").exists():
        overlapping_any = overlapping.exists()
    else:
        overlapping_any = overlapping.filter(session=session).exists()
    if overlapping_any:
        problems["date"] = [_("An exception already covers this date; delete it first.")]
    if problems:
        raise InvalidInput(fields=problems)
    exc = DateException(
        kind=kind, **owner_fields(owner), date=date, session=session, closed=closed,
        resources=None if closed else resources, max_bookings=None if closed else max_bookings,
        reason=reason.strip(), created_by=actor if getattr(actor, "pk", None) else None,
    )
    _insert(exc)
    _reapply(owner, kind, date, session)
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target=exc, after=_exception_repr(exc),
                 detail="date exception created")
    return exc


@transaction.atomic
def exception_delete(*, actor, exception):
    """Remove an exception: the date gets the weekly template's capacity back."""
    exc = DateException.objects.select_for_update().get(pk=exception.pk)
    _check_not_past(exc.date, "date")
    before = _exception_repr(exc)
    owner, kind, day, session = exc.owner, exc.kind, exc.date, exc.session
    exc.delete()
    _reapply(owner, kind, day, session)
    audit_record(actor=actor, system=actor is None, action=AuditAction.CONFIG, target_type="capacity.dateexception",
                 target_id=str(exception.uuid), before=before, detail="date exception deleted")


@transaction.atomic
def slots_release_horizon(*, days: int, today: date | None = None) -> MaterializeResult:
    """Rolling release (放号): every owner with a weekly template gets slots up to `days` days ahead, on dates
    where it has none of that kind yet. Dates already released (generated, copied, edited by hand) are left as
    they are, so the job never undoes an administrator's work. Run daily by the beat (CAPACITY_RELEASE_DAYS)."""
    today = today or timezone.localdate()
    horizon = _days(today, today + timedelta(days=days - 1)) if days > 0 else []
    total = MaterializeResult()
    owners = {}
    for row in WeeklyTemplate.objects.select_related("surgeon", "group", "department").order_by("pk"):
        owners.setdefault((row.owner_key, row.kind), row.surgeon or row.group or row.department)
    for (key, kind), owner in owners.items():
        released = set(
            CapacitySlot.objects.filter(owner_key=key, kind=kind, date__in=horizon).values_list("date", flat=True)
        )
        result = _materialize(
            owner=owner, kind=kind, days=[d for d in horizon if d not in released], base_for=_template_base(owner, kind)
        )
        for name, value in result.as_dict().items():
            setattr(total, name, getattr(total, name) + value)
    if total.created:
        audit_record(
            actor=None, system=True, action=AuditAction.CONFIG, target_type="capacity.capacityslot", target_id="release",
            target_repr="rolling release of capacity slots", after={"days": days, **total.as_dict()},
        )
    return total
