"""Quota grab under real parallel transactions (B6): many connections confirm at once against M places; exactly M
win, the others get no_places_left, and the counters equal the bookings. Opposite reschedules never deadlock."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from capacity.models import BookingPlace, CapacitySlot
from cases.models import SurgicalCase
from cases.services import case_transition
from tests.builders import make_capacity, make_case, make_staff, make_ward
from tests.concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks of a real server")


@pytest.mark.req("B6")
def test_parallel_confirms_never_exceed_the_quota():
    _needs_postgres()
    places, requests = 5, 16
    day = timezone.localdate() + timedelta(days=3)
    ward = make_ward()
    quota = make_capacity(ward.department, day=day, max_bookings=places, kind="quota")
    surgeons = [make_staff("doctor", ward=ward) for _ in range(4)]
    case_ids = [make_case("draft", ward=ward, surgeon=surgeons[n % 4]).pk for n in range(requests)]

    def confirm(pk):
        return lambda: case_transition(case=SurgicalCase.objects.get(pk=pk), transition="confirm", actor=None,
                                       planned_date=day, planned_session="am").state

    results = race([confirm(pk) for pk in case_ids])
    assert sorted(results) == sorted([("ok", "booked")] * places + [("refused", "no_places_left")] * (requests - places))
    quota.refresh_from_db()
    booked = SurgicalCase.objects.filter(pk__in=case_ids, state="booked").count()
    assert quota.used == booked == places == BookingPlace.objects.filter(slot=quota).count()


@pytest.mark.req("B4")
def test_parallel_bookings_at_nested_levels_and_opposite_reschedules():
    """Surgeon slots inside a department slot, booked in parallel; then cases rescheduled in opposite directions at
    the same moment: every slot is locked in one order, so no deadlock, and the counters stay exact."""
    _needs_postgres()
    day1 = timezone.localdate() + timedelta(days=3)
    day2 = day1 + timedelta(days=1)
    ward = make_ward()
    surgeons = [make_staff("doctor", ward=ward) for _ in range(3)]
    department = [make_capacity(ward.department, day=d, max_bookings=6) for d in (day1, day2)]
    for surgeon in surgeons:
        for d in (day1, day2):
            make_capacity(surgeon, day=d, max_bookings=3)
    cases = {d: [make_case("draft", ward=ward, surgeon=surgeons[n % 3]).pk for n in range(5)] for d in (day1, day2)}

    def step(pk, transition, d):
        return lambda: case_transition(case=SurgicalCase.objects.get(pk=pk), transition=transition, actor=None,
                                       planned_date=d, planned_session="am").state

    results = race([step(pk, "confirm", d) for d in (day1, day2) for pk in cases[d]])
    assert [r[0] for r in results].count("ok") == 10, results
    results = race([step(pk, "reschedule", day2 if d == day1 else day1) for d in (day1, day2) for pk in cases[d]])
    assert all(r[0] in ("ok", "refused") for r in results), results
    for slot in CapacitySlot.objects.all():
        assert slot.used == BookingPlace.objects.filter(slot=slot).count() <= slot.max_bookings
    for slot, d in zip(department, (day1, day2), strict=True):
        slot.refresh_from_db()
        assert slot.used == SurgicalCase.objects.filter(state="booked", planned_date=d).count()
