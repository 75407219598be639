"""Demo capacity (Y5, B4, B6): weekly resources for the demo hospital's departments and surgeons over the coming
weeks, one closure, and a department quota. Called by the demo seed after staff and medical groups exist and
before the demo cases are booked (their confirmations take places here). Idempotent.

Capacity is generous on purpose: the demo books about 200 cases, most of them for today, whatever weekday today
is — so departments also open weekend sessions here (a real hospital would configure its own week).
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from capacity.models import CapacityKind, DateException, owner_key_of
from capacity.services import exception_create, slots_generate, template_set

WEEKDAYS, WEEKEND = range(5), (5, 6)
CLOSURE_REASON = "全院手术室设备年检，日间手术停诊（演示）"


def _rows(days, resources, max_bookings):
    return [{"weekday": d, "session": s, "resources": resources, "max_bookings": max_bookings}
            for d in days for s in ("am", "pm")]


@transaction.atomic
def seed_capacity(hospital, *, weeks=6, today=None, write=print) -> dict:
    """Department templates (every day; weekdays larger), surgeon templates (weekdays), a quota for the department
    with the most surgeons, slots for `weeks` weeks from today, and one whole-day closure of every department
    three weeks ahead (beyond the demo's bookings). Returns counts."""
    from accounts.models import User

    today = today or timezone.localdate()
    last = today + timedelta(weeks=weeks) - timedelta(days=1)
    closure = today + timedelta(days=21)
    while closure.weekday() in WEEKEND:
        closure += timedelta(days=1)
    departments = list(hospital.departments.filter(is_active=True).order_by("code"))
    surgeons = list(
        User.objects.filter(department__in=departments, roles__slug="doctor", is_active=True, is_virtual=False)
        .distinct().order_by("pk")
    )
    counts = {"departments": 0, "surgeons": 0, "slots": 0}
    staffed = {d: sum(s.department_id == d.pk for s in surgeons) for d in departments}
    quota_department = max(staffed, key=staffed.get) if any(staffed.values()) else None  # the busiest one
    plans = [(d, CapacityKind.RESOURCE, _rows(WEEKDAYS, 4, 80) + _rows(WEEKEND, 2, 60)) for d in departments]
    plans += [(s, CapacityKind.RESOURCE, _rows(WEEKDAYS, 1, 30)) for s in surgeons]
    if quota_department is not None:
        plans.append((quota_department, CapacityKind.QUOTA, _rows(WEEKDAYS, 1, 70)))
    for owner, kind, rows in plans:
        template_set(actor=None, owner=owner, kind=kind, rows=rows)
        if kind == CapacityKind.RESOURCE and owner in departments:
            exists = DateException.objects.filter(owner_key=owner_key_of(owner), kind=kind, date=closure).exists()
            if not exists:
                exception_create(actor=None, owner=owner, kind=kind, date=closure, reason=CLOSURE_REASON)
        result = slots_generate(actor=None, owner=owner, kind=kind, date_from=today, date_to=last)
        counts["slots"] += result.created + result.updated + result.unchanged
    counts["departments"], counts["surgeons"] = len(departments), len(surgeons)
    write(f"  capacity: {counts['slots']} slots for {len(departments)} departments and {len(surgeons)} surgeons "
          f"until {last}; quota: {quota_department or '-'}; closed {closure}")
    return counts
