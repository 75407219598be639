"""Resource configuration (Y5): weekly templates, generation, copies of weeks and templates, date exceptions —
all audited, never below the places bookings already hold."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from capacity import services
from capacity.models import CapacitySlot, WeeklyTemplate, owner_key_of
from core.errors import DomainError
from tests.builders import make_capacity, make_case, make_staff, make_ward

pytestmark = pytest.mark.django_db


def _monday(weeks_ahead=1):
    today = timezone.localdate()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)


def _slots(owner, first, last, kind="resource"):
    return {
        (s.date, s.session): (s.resources, s.max_bookings, s.closed)
        for s in CapacitySlot.objects.filter(owner_key=owner_key_of(owner), kind=kind, date__gte=first, date__lte=last)
    }


@pytest.fixture
def surgeon():
    return make_staff("doctor", ward=make_ward())


WEEK = [
    {"weekday": 0, "session": "am", "resources": 2, "max_bookings": 8},
    {"weekday": 0, "session": "pm", "resources": 1, "max_bookings": 4},
    {"weekday": 3, "session": "am", "resources": 1, "max_bookings": 6},
]


@pytest.mark.req("Y5")
def test_template_generates_dated_slots_and_is_audited(surgeon):
    monday = _monday()
    services.template_set(actor=None, owner=surgeon, kind="resource", rows=WEEK)
    result = services.slots_generate(actor=None, owner=surgeon, kind="resource", date_from=monday,
                                     date_to=monday + timedelta(days=13))
    assert result.created == 6
    slots = _slots(surgeon, monday, monday + timedelta(days=13))
    assert slots[(monday, "am")] == (2, 8, False)
    assert slots[(monday + timedelta(days=10), "am")] == (1, 6, False)  # the Thursday of the second week
    assert (monday + timedelta(days=1), "am") not in slots
    details = set(AuditEntry.objects.filter(action="config").values_list("detail", flat=True))
    assert {"template set (resource)", "slots generated (resource)"} <= details


@pytest.mark.req("Y5")
def test_copy_a_week_onto_other_weeks_and_other_surgeons(surgeon):
    monday = _monday()
    services.template_set(actor=None, owner=surgeon, kind="resource", rows=WEEK)
    services.slots_generate(actor=None, owner=surgeon, kind="resource", date_from=monday,
                            date_to=monday + timedelta(days=6))
    colleague = make_staff("doctor", ward=make_ward())
    targets = [monday + timedelta(weeks=n) for n in (1, 2, 3)]
    result = services.week_copy(actor=None, owner=surgeon, kind="resource", source_week=monday,
                                target_weeks=targets, targets=[surgeon, colleague])
    assert result.created == 2 * 3 * 3
    for owner in (surgeon, colleague):
        for week in targets:
            assert _slots(owner, week, week + timedelta(days=6)) == {
                (week, "am"): (2, 8, False), (week, "pm"): (1, 4, False), (week + timedelta(days=3), "am"): (1, 6, False),
            }
    assert AuditEntry.objects.filter(detail="week copied (resource)").exists()


@pytest.mark.req("Y5")
def test_copy_a_template_onto_other_owners(surgeon):
    services.template_set(actor=None, owner=surgeon, kind="resource", rows=WEEK)
    others = [make_staff("doctor", ward=make_ward()) for _ in range(2)]
    services.template_copy(actor=None, owner=surgeon, kind="resource", targets=others)
    for other in others:
        rows = WeeklyTemplate.objects.filter(owner_key=owner_key_of(other))
        assert sorted((r.weekday, r.session, r.resources, r.max_bookings) for r in rows) == sorted(
            (r["weekday"], r["session"], r["resources"], r["max_bookings"]) for r in WEEK
        )


@pytest.mark.req("Y5")
def test_exceptions_win_over_the_template_and_deleting_one_restores_it(surgeon):
    monday = _monday()
    department = surgeon.department
    services.template_set(actor=None, owner=department, kind="resource", rows=WEEK)
    holiday = services.exception_create(actor=None, owner=department, kind="resource", date=monday, reason="元旦")
    services.exception_create(actor=None, owner=department, kind="resource", date=monday + timedelta(days=3),
                              session="am", closed=False, max_bookings=12, reason="加开手术间")
    services.slots_generate(actor=None, owner=department, kind="resource", date_from=monday,
                            date_to=monday + timedelta(days=6))
    slots = _slots(department, monday, monday + timedelta(days=6))
    assert slots[(monday, "am")][2] and slots[(monday, "pm")][2]  # closed all day
    assert CapacitySlot.objects.get(owner_key=owner_key_of(department), date=monday, session="am").reason == "元旦"
    assert slots[(monday + timedelta(days=3), "am")] == (1, 12, False)
    services.exception_delete(actor=None, exception=holiday)
    assert _slots(department, monday, monday)[(monday, "am")] == (2, 8, False)


@pytest.mark.req("Y5")
def test_changes_never_drop_below_places_taken(surgeon):
    ward = surgeon.wards.first()
    day = _monday()
    slot = make_capacity(surgeon, day=day, max_bookings=3)
    from cases.services import case_transition

    for case in [make_case("draft", ward=ward, surgeon=surgeon) for _ in range(2)]:
        case_transition(case=case, transition="confirm", actor=None, planned_date=day, planned_session="am")
    services.template_set(actor=None, owner=surgeon, kind="resource",
                          rows=[{"weekday": day.weekday(), "session": "am", "max_bookings": 1}])
    for attempt in (
        lambda: services.slots_generate(actor=None, owner=surgeon, kind="resource", date_from=day, date_to=day),
        lambda: services.exception_create(actor=None, owner=surgeon, kind="resource", date=day, reason="停诊"),
        lambda: services.slot_update(actor=None, slot=slot, max_bookings=1),
    ):
        with pytest.raises(DomainError) as caught:
            attempt()
        assert (caught.value.status_code, caught.value.code) == (409, "places_taken")
        [conflict] = caught.value.extra["conflicts"]
        assert (conflict["date"], conflict["session"], conflict["used"]) == (day.isoformat(), "am", 2)
    slot.refresh_from_db()
    assert (slot.max_bookings, slot.used, slot.closed) == (3, 2, False)
    services.slot_update(actor=None, slot=slot, max_bookings=2)  # down to exactly the places taken is fine


@pytest.mark.req("Y5")
def test_validation_refusals(surgeon):
    monday = _monday()
    past = timezone.localdate() - timedelta(days=1)
    cases = [
        (lambda: services.slots_generate(actor=None, owner=surgeon, kind="resource", date_from=past, date_to=monday),
         "date_from"),
        (lambda: services.slots_generate(actor=None, owner=surgeon, kind="resource", date_from=monday,
                                         date_to=monday - timedelta(days=1)), "date_to"),
        (lambda: services.template_set(actor=None, owner=surgeon, kind="quota", rows=[]), "kind"),
        (lambda: services.template_set(actor=None, owner=surgeon, kind="resource", rows=WEEK + WEEK[:1]), "rows"),
        (lambda: services.week_copy(actor=None, owner=surgeon, kind="resource", source_week=monday + timedelta(days=1),
                                    target_weeks=[monday]), "source_week"),
        (lambda: services.exception_create(actor=None, owner=surgeon, kind="resource", date=monday, reason=" "),
         "reason"),
        (lambda: services.exception_create(actor=None, owner=surgeon, kind="resource", date=monday, closed=False,
                                           reason="加号"), "max_bookings"),
    ]
    for attempt, field in cases:
        with pytest.raises(DomainError) as caught:
            attempt()
        assert caught.value.status_code == 400 and field in caught.value.fields, (field, caught.value.fields)


@pytest.mark.req("Y5", "B4")
def test_rolling_release_fills_only_unreleased_dates_up_to_the_horizon(surgeon):
    monday = _monday()
    services.template_set(actor=None, owner=surgeon, kind="resource", rows=WEEK)
    services.slots_generate(actor=None, owner=surgeon, kind="resource", date_from=monday, date_to=monday)
    edited = CapacitySlot.objects.get(owner_key=owner_key_of(surgeon), date=monday, session="am")
    services.slot_update(actor=None, slot=edited, max_bookings=3)  # an administrator's hand edit

    result = services.slots_release_horizon(days=14, today=monday)

    slots = _slots(surgeon, monday, monday + timedelta(days=30))
    assert slots[(monday, "am")] == (2, 3, False)  # released before: left as the administrator set it
    assert slots[(monday + timedelta(days=3), "am")] == (1, 6, False)
    assert slots[(monday + timedelta(days=7), "pm")] == (1, 4, False)
    assert max(day for day, _session in slots) == monday + timedelta(days=10)  # Thursday of week 2: inside 14 days
    assert result.created == 4
    assert services.slots_release_horizon(days=14, today=monday).created == 0  # idempotent


@pytest.mark.req("Y5")
def test_a_row_another_administrator_inserted_meanwhile_is_a_409_not_a_500(surgeon):
    monday = _monday()
    services.template_set(actor=None, owner=surgeon, kind="resource", rows=WEEK)
    services.slots_generate(actor=None, owner=surgeon, kind="resource", date_from=monday, date_to=monday)
    twin = CapacitySlot(kind="resource", surgeon=surgeon, date=monday, session="am", resources=1, max_bookings=1)

    with pytest.raises(DomainError) as refused:
        services._insert(twin)  # what the second of two simultaneous writers meets at the unique index

    assert refused.value.status_code == 409 and refused.value.code == "capacity_changed_concurrently"
    assert CapacitySlot.objects.filter(owner_key=owner_key_of(surgeon), date=monday, session="am").count() == 1
