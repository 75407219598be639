"""Taking and giving back booking places (B4, B6). Called by the effects of cases.state_machine, inside
cases.services.case_transition: the case row is locked and everything commits or rolls back with the transition.

Never more bookings than places, also with many processes booking at once on PostgreSQL:
- the slots a booking may touch are locked (SELECT … FOR UPDATE) in primary-key order before any changes, so
  concurrent bookings, releases and moves queue on the rows instead of deadlocking on each other;
- each place is taken by a conditional UPDATE (`used = used + 1 WHERE used < max_bookings AND NOT closed`);
- the database itself refuses `used > max_bookings` (check constraint), the last line if code ever got it wrong.
A `BookingPlace` row records each place taken, so a release gives back exactly those places, once.
"""

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from capacity.errors import NoPlacesLeft, OutsideResources
from capacity.governance import RESOURCE, evaluate, levels_for_case, resources_adopted, slots_for
from capacity.models import BookingPlace, CapacitySlot


def _lock(slot_filter: Q) -> list[CapacitySlot]:
    return list(CapacitySlot.objects.filter(slot_filter).select_for_update().order_by("pk"))


def _held_slot_ids(case) -> list[int]:
    return list(BookingPlace.objects.filter(case=case).values_list("slot_id", flat=True))


def place_take(*, case, planned_date, session):
    """Take one place in every capacity that governs the booking of `case` on `planned_date` and `session`.

    Raises OutsideResources (no session where capacity applies, a closed day, no resources then) or
    NoPlacesLeft. Not limited at all while neither the surgeon, their groups nor the department have resources
    and the department has no quota that day (gradual adoption).
    """
    levels = levels_for_case(case)
    if not session:
        if resources_adopted(levels) or slots_for(levels, date_from=planned_date, date_to=planned_date).exists():
            message = _("Choose a session: bookings here are limited by resources.")
            raise OutsideResources(message, fields={"planned_session": [message]})
        return
    date_filter = {"date_from": planned_date, "date_to": planned_date, "session": session}
    slots = _lock(Q(pk__in=slots_for(levels, **date_filter).values("pk")))
    adopted = any(s.kind == RESOURCE and not s.closed for s in slots) or resources_adopted(levels)
    verdict = evaluate(levels, slots, adopted=adopted, date=planned_date.isoformat(), session=session)
    if verdict.refusal is not None:
        raise verdict.refusal
    for alternatives in verdict.needs:
        for slot in alternatives:  # medical groups: the first one with room
            taken = CapacitySlot.objects.filter(pk=slot.pk, closed=False, used__lt=F("max_bookings")).update(
                used=F("used") + 1
            )
            if taken:
                BookingPlace.objects.create(case=case, slot_id=slot.pk)
                break
        else:
            # The transition's transaction rolls back the places already taken at the other levels.
            raise NoPlacesLeft(extra={"date": planned_date.isoformat(), "session": session})


def place_release(*, case):
    """Give back every place `case` holds. Idempotent: a second call finds nothing to give back."""
    slot_ids = _held_slot_ids(case)
    if not slot_ids:
        return
    _lock(Q(pk__in=slot_ids))
    CapacitySlot.objects.filter(pk__in=slot_ids, used__gt=0).update(used=F("used") - 1)
    BookingPlace.objects.filter(case=case).delete()


def place_move(*, case, planned_date, session):
    """Release the places of `case` and take places for the new date and session, atomically: when the new
    date is full or closed the error rolls the whole transition back and the old places stay held."""
    new = slots_for(levels_for_case(case), date_from=planned_date, date_to=planned_date, session=session or None)
    _lock(Q(pk__in=_held_slot_ids(case)) | Q(pk__in=new.values("pk")))  # old and new together, in one order
    place_release(case=case)
    place_take(case=case, planned_date=planned_date, session=session)
