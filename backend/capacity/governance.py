"""Which capacities govern a booking, and what they allow on one date and session.

One rule, used by place taking (capacity.places) and by the timetable (capacity.selectors), so what the
timetable shows as free is exactly what a booking would get:

- The levels of a booking are its surgeon, the surgeon's medical groups (one pool: a booking takes a place in
  one of them) and its department. Capacities nest: a booking takes one place at every level that has a slot
  on that date and session, and one place in the department's quota when a quota slot exists.
- Gradual adoption: while no level has any resources configured (a template row or an open slot), bookings
  are not limited by resources. Once one has, the booking must fit at least one level's slot that day.
- A closed slot (holiday, closure) at any level refuses the booking, whether or not resources are adopted.
"""

from dataclasses import dataclass, field

from django.db.models import Case, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _

from capacity.errors import OutsideResources
from capacity.models import CapacityKind, CapacitySlot, OwnerType, WeeklyTemplate, owner_key

RESOURCE, QUOTA = CapacityKind.RESOURCE, CapacityKind.QUOTA


@dataclass(frozen=True)
class Levels:
    surgeon_key: str | None = None
    group_keys: tuple[str, ...] = ()
    department_key: str | None = None

    @property
    def resource_tiers(self) -> list[tuple[str, ...]]:
        tiers = [(self.surgeon_key,) if self.surgeon_key else (), self.group_keys,
                 (self.department_key,) if self.department_key else ()]
        return [t for t in tiers if t]

    @property
    def keys(self) -> list[str]:
        return [k for tier in self.resource_tiers for k in tier]


def _surgeon_levels(surgeon, department_id) -> Levels:
    from org.models import MedicalGroup

    groups = (
        MedicalGroup.objects.filter(Q(leader=surgeon) | Q(members=surgeon))
        .annotate(led=Case(When(leader=surgeon, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("led", "pk")
        .values_list("pk", flat=True)
    )  # (the members join repeats a group once per member: de-duplicated below, keeping the order)
    return Levels(
        surgeon_key=owner_key(OwnerType.SURGEON, surgeon.pk),
        group_keys=tuple(dict.fromkeys(owner_key(OwnerType.GROUP, pk) for pk in groups)),
        department_key=owner_key(OwnerType.DEPARTMENT, department_id) if department_id else None,
    )


def levels_for_case(case) -> Levels:
    # A booking under a virtual surgeon (B5) holds the virtual surgeon's place, also after the real one is assigned.
    surgeon = getattr(case, "virtual_surgeon", None) or case.surgeon
    return _surgeon_levels(surgeon, case.department_id)


def levels_for_owner(owner_type, owner) -> Levels:
    """The levels a booking for this owner would meet (a group's and a department's surgeons vary: no surgeon)."""
    if owner_type == OwnerType.SURGEON:
        return _surgeon_levels(owner, owner.department_id)
    if owner_type == OwnerType.GROUP:
        return Levels(group_keys=(owner_key(OwnerType.GROUP, owner.pk),),
                      department_key=owner_key(OwnerType.DEPARTMENT, owner.department_id))
    return Levels(department_key=owner_key(OwnerType.DEPARTMENT, owner.pk))


def resources_adopted(levels: Levels) -> bool:
    """Has any level resources configured at all (gradual adoption: none = bookings are not limited)?"""
    keys = levels.keys
    return (
        WeeklyTemplate.objects.filter(kind=RESOURCE, owner_key__in=keys).exists()
        or CapacitySlot.objects.filter(kind=RESOURCE, owner_key__in=keys, closed=False).exists()
    )


def slots_for(levels: Levels, *, date_from, date_to, session=None):
    qs = CapacitySlot.objects.filter(owner_key__in=levels.keys, date__gte=date_from, date__lte=date_to)
    return qs.filter(session=session) if session else qs


@dataclass
class Verdict:
    """What the capacities allow on one date and session: a refusal, or the places to take.

    `needs`: one tuple per governing capacity; a booking takes one place in one slot of each tuple.
    """

    refusal: Exception | None = None
    needs: list[tuple[CapacitySlot, ...]] = field(default_factory=list)

    @property
    def free(self) -> int | None:
        """Places a booking could still take here (None: not limited)."""
        if self.refusal is not None:
            return 0
        if not self.needs:
            return None
        return min(max(s.free for s in alternatives) for alternatives in self.needs)


def evaluate(levels: Levels, day_slots, *, adopted: bool, date, session) -> Verdict:
    """The verdict for one date and session, from the slots of `levels` on that date and session."""
    by_key = {(s.owner_key, s.kind): s for s in day_slots}
    closed = next((s for s in sorted(day_slots, key=lambda s: s.pk) if s.closed), None)
    if closed is not None:
        message = _("Closed on this date: %(reason)s") % {"reason": closed.reason}
        return Verdict(refusal=OutsideResources(
            message, fields={"planned_date": [message]},
            extra={"date": date, "session": session, "reason": closed.reason},
        ))
    needs = []
    for tier in levels.resource_tiers:
        alternatives = tuple(by_key[(k, RESOURCE)] for k in tier if (k, RESOURCE) in by_key)
        if alternatives:
            needs.append(alternatives)
    if adopted and not needs:
        message = _("The surgeon has no bookable resources on this date and session.")
        return Verdict(refusal=OutsideResources(
            message, fields={"planned_session": [message]}, extra={"date": date, "session": session},
        ))
    quota = by_key.get((levels.department_key, QUOTA))
    if quota is not None:
        needs.append((quota,))
    return Verdict(needs=needs)
