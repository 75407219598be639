"""Places taken and given back by the case transitions (B4, B6): capacity is checked at booking, released on
cancel / no-show / termination, moved atomically on reschedule; no resources configured = no limit."""

from datetime import timedelta

import pytest
from django.utils import timezone

from capacity.models import BookingPlace, CapacitySlot
from capacity.places import place_release
from capacity.services import exception_create
from cases.models import SurgicalCase
from cases.services import case_transition
from core.errors import DomainError
from org.models import MedicalGroup
from tests.builders import make_capacity, make_case, make_staff, make_ward

pytestmark = pytest.mark.django_db


def _day(offset=7):
    return timezone.localdate() + timedelta(days=offset)


@pytest.fixture
def ward():
    return make_ward()


@pytest.fixture
def surgeon(ward):
    return make_staff("doctor", ward=ward)


def _draft(ward, surgeon):
    return make_case("draft", ward=ward, surgeon=surgeon)


def _confirm(case, day, session="am"):
    return case_transition(case=case, transition="confirm", actor=None, planned_date=day, planned_session=session)


def _refusal(fn, *args, **kwargs):
    with pytest.raises(DomainError) as caught:
        fn(*args, **kwargs)
    return caught.value


def _reload(slot):
    slot.refresh_from_db()
    return slot


@pytest.mark.req("B4")
def test_no_resources_configured_books_without_limit(ward, surgeon):
    """Gradual adoption: a department that has not configured capacity books as before."""
    for _ in range(3):
        case = _confirm(_draft(ward, surgeon), _day())
        assert case.state == "booked"
    assert not BookingPlace.objects.exists()


@pytest.mark.req("B4")
def test_confirm_takes_a_place_and_cancel_gives_it_back(ward, surgeon):
    day = _day()
    slot = make_capacity(surgeon, day=day, max_bookings=2)
    case = _confirm(_draft(ward, surgeon), day)
    assert _reload(slot).used == 1
    assert BookingPlace.objects.get(case=case).slot == slot
    case_transition(case=case, transition="cancel", actor=None, reason_code="patient_request")
    assert _reload(slot).used == 0
    assert not BookingPlace.objects.filter(case=case).exists()
    place_release(case=case)  # idempotent: nothing left to give back
    assert _reload(slot).used == 0


@pytest.mark.req("B4")
def test_booking_outside_resources_is_refused(ward, surgeon):
    day = _day()
    make_capacity(surgeon, day=day, session="am")
    error = _refusal(_confirm, _draft(ward, surgeon), day, "pm")
    assert (error.status_code, error.code) == (409, "outside_resources")
    assert "planned_session" in error.fields
    # A day the template does not cover at all is outside resources too.
    assert _refusal(_confirm, _draft(ward, surgeon), day + timedelta(days=1)).code == "outside_resources"
    # And with capacity configured a session is required.
    draft = _draft(ward, surgeon)
    SurgicalCase.objects.filter(pk=draft.pk).update(planned_session="")
    error = _refusal(case_transition, case=draft, transition="confirm", actor=None, planned_date=day)
    assert error.code == "outside_resources" and "planned_session" in error.fields


@pytest.mark.req("B4")
def test_full_slot_refuses_with_no_places_left(ward, surgeon):
    day = _day()
    slot = make_capacity(surgeon, day=day, max_bookings=1)
    _confirm(_draft(ward, surgeon), day)
    case = _draft(ward, surgeon)
    error = _refusal(_confirm, case, day)
    assert (error.status_code, error.code) == (409, "no_places_left")
    case.refresh_from_db()
    assert case.state == "draft" and _reload(slot).used == 1


@pytest.mark.req("Y5")
def test_a_closed_day_refuses_with_its_reason(ward, surgeon):
    day = _day()
    make_capacity(surgeon, day=day)
    exception_create(actor=None, owner=ward.department, kind="resource", date=day, reason="国庆节")
    error = _refusal(_confirm, _draft(ward, surgeon), day)
    assert error.code == "outside_resources" and error.extra["reason"] == "国庆节"


@pytest.mark.req("B4")
def test_capacities_nest_surgeon_group_and_department(ward, surgeon):
    """A booking takes one place at each level that has a slot: the surgeon's, one group's, the department's."""
    day = _day()
    other = make_staff("doctor", ward=ward)
    group = MedicalGroup.objects.create(department=ward.department, name="一组", leader=other)
    group.members.add(surgeon)
    own = make_capacity(surgeon, day=day, max_bookings=5)
    group_slot = make_capacity(group, day=day, max_bookings=5)
    department = make_capacity(ward.department, day=day, max_bookings=2)
    _confirm(_draft(ward, surgeon), day)
    assert [_reload(s).used for s in (own, group_slot, department)] == [1, 1, 1]
    _confirm(_draft(ward, other), day)  # the leader has no own slot: the group and the department
    assert [_reload(s).used for s in (own, group_slot, department)] == [1, 2, 2]
    error = _refusal(_confirm, _draft(ward, surgeon), day)  # the department's two places are gone
    assert error.code == "no_places_left"
    assert [_reload(s).used for s in (own, group_slot, department)] == [1, 2, 2]  # nothing half-taken


@pytest.mark.req("B6")
def test_department_quota_is_shared_by_its_surgeons(ward, surgeon):
    day = _day()
    quota = make_capacity(ward.department, day=day, max_bookings=2, kind="quota")
    colleague = make_staff("doctor", ward=ward)
    _confirm(_draft(ward, surgeon), day)
    _confirm(_draft(ward, colleague), day)
    error = _refusal(_confirm, _draft(ward, colleague), day)
    assert (error.status_code, error.code) == (409, "no_places_left")
    assert str(error.message) and _reload(quota).used == 2
    # Another session has no quota row: not limited (a quota alone does not adopt resources).
    assert _confirm(_draft(ward, colleague), day, "pm").state == "booked"


@pytest.mark.req("B4")
def test_reschedule_moves_the_place_and_a_full_target_keeps_the_old_one(ward, surgeon):
    day, later = _day(7), _day(14)
    first = make_capacity(surgeon, day=day, max_bookings=3)
    second = make_capacity(surgeon, day=later, max_bookings=1)
    case = _confirm(_draft(ward, surgeon), day)
    case = case_transition(case=case, transition="reschedule", actor=None, planned_date=later, planned_session="am",
                           reason="改期")
    assert (_reload(first).used, _reload(second).used) == (0, 1)
    other = _confirm(_draft(ward, surgeon), day)
    error = _refusal(case_transition, case=other, transition="reschedule", actor=None, planned_date=later,
                     planned_session="am", reason="改期")
    assert error.code == "no_places_left"
    other.refresh_from_db()
    assert other.planned_date == day and (_reload(first).used, _reload(second).used) == (1, 1)
    assert BookingPlace.objects.get(case=other).slot == first


@pytest.mark.req("B4")
@pytest.mark.parametrize(("transition", "data"), [
    ("no_show", {"reason": "未到院"}),
    ("terminate", {"reason": "麻醉评估未通过"}),
])
def test_ending_a_booking_releases_its_place(ward, surgeon, transition, data):
    day = timezone.localdate()  # a no-show is recorded on the planned day
    slot = make_capacity(surgeon, day=day)
    case = _confirm(_draft(ward, surgeon), day)
    case_transition(case=case, transition=transition, actor=None, **data)
    assert _reload(slot).used == 0


@pytest.mark.req("B4")
def test_a_case_that_went_on_keeps_its_place(ward, surgeon):
    """Operated cases keep the place they used: the past timetable shows who came."""
    day = timezone.localdate()
    slot = make_capacity(surgeon, day=day)
    case = make_case("draft", ward=ward, surgeon=surgeon)
    _confirm(case, day)
    case.refresh_from_db()
    from cases.services import case_record_milestone

    case_record_milestone(case=case, milestone="preop_assessment", status="passed", actor=None)
    case_record_milestone(case=case, milestone="anaesthesia_clinic", status="passed", actor=None)
    for name in ("send_application", "theatre_scheduled", "admit", "enter_theatre", "finish_operation", "discharge"):
        case = case_transition(case=case, transition=name, actor=None)
    assert case.state == "discharged" and _reload(slot).used == 1


@pytest.mark.req("B4")
def test_counters_match_the_places_held(ward, surgeon):
    day = _day()
    slot = make_capacity(surgeon, day=day, max_bookings=4)
    cases = [_confirm(_draft(ward, surgeon), day) for _ in range(3)]
    case_transition(case=cases[0], transition="cancel", actor=None, reason_code="patient_request")
    assert _reload(slot).used == BookingPlace.objects.filter(slot=slot).count() == 2
    assert CapacitySlot.objects.filter(used__gt=0).count() == 1
