"""Reads of the capacity context: configuration lists and the booking timetable (B4)."""

from collections import defaultdict
from datetime import timedelta

from capacity.governance import QUOTA, RESOURCE, evaluate, levels_for_owner, resources_adopted, slots_for
from capacity.models import CapacitySlot, DateException, WeeklyTemplate, owner_key_of, owner_type_of
from cases.models import Session

_OWNERS = ("surgeon", "group", "department")


def _owned(model, owner=None, kind=None):
    qs = model.objects.select_related(*_OWNERS)
    if owner is not None:
        qs = qs.filter(owner_key=owner_key_of(owner))
    if kind:
        qs = qs.filter(kind=kind)
    return qs


def template_list(*, owner=None, kind=None):
    return _owned(WeeklyTemplate, owner, kind).order_by("owner_key", "kind", "weekday", "session")


def _dated(model, owner, kind, date_from, date_to):
    qs = _owned(model, owner, kind)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    return qs.order_by("date", "session", "owner_key", "kind")


def slot_list(*, owner=None, kind=None, date_from=None, date_to=None):
    return _dated(CapacitySlot, owner, kind, date_from, date_to)


def exception_list(*, owner=None, kind=None, date_from=None, date_to=None):
    return _dated(DateException, owner, kind, date_from, date_to)


def _figures(slot):
    if slot is None:
        return {"resources": None, "max_bookings": None, "used": None, "free": None}
    return {"resources": slot.resources, "max_bookings": slot.max_bookings, "used": slot.used, "free": slot.free}


def timetable(*, owner, date_from, date_to) -> dict:
    """Per day and session: the owner's own resources and places (used / free), closures with their reason, the
    department quota, and what a booking there would meet (`bookable`, `bookable_free`: None = not limited),
    decided by the same rule as place taking (capacity.governance)."""
    owner_type = owner_type_of(owner)
    levels = levels_for_owner(owner_type, owner)
    slots = list(slots_for(levels, date_from=date_from, date_to=date_to).order_by("pk"))
    adopted = any(s.kind == RESOURCE and not s.closed for s in slots) or resources_adopted(levels)
    by_day = defaultdict(list)
    for slot in slots:
        by_day[(slot.date, slot.session)].append(slot)
    own_key = owner_key_of(owner)
    days = []
    for n in range((date_to - date_from).days + 1):
        day = date_from + timedelta(days=n)
        sessions = []
        for session in Session.values:
            day_slots = by_day[(day, session)]
            verdict = evaluate(levels, day_slots, adopted=adopted, date=day.isoformat(), session=session)
            own = next((s for s in day_slots if s.owner_key == own_key and s.kind == RESOURCE), None)
            quota = next((s for s in day_slots if s.owner_key == levels.department_key and s.kind == QUOTA), None)
            closed = next((s for s in day_slots if s.closed), None)
            sessions.append({
                "session": session,
                **_figures(own),
                "closed": closed is not None,
                "reason": closed.reason if closed is not None else "",
                "quota": None if quota is None else {**_figures(quota), "closed": quota.closed},
                "bookable": verdict.free != 0,
                "bookable_free": verdict.free,
                "refusal": verdict.refusal.code if verdict.refusal is not None else "",
            })
        days.append({"date": day, "weekday": day.weekday(), "sessions": sessions})
    return {
        "owner": {"type": owner_type, "uuid": owner.uuid, "name": getattr(owner, "name", str(owner))},
        "from": date_from,
        "to": date_to,
        "resources_limited": adopted,
        "days": days,
    }
