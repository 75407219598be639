"""G3: the 24 h / 48 h length-of-stay clock flags admitted cases at 20 h and 44 h, idempotently."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import CaseEvent, LosAlertLevel
from cases.services import case_transition, run_los_clock
from cases.tasks import los_clock
from tests.builders import make_case

pytestmark = pytest.mark.django_db


def _events(case):
    return list(CaseEvent.objects.filter(case=case, type="cases.case.los_alert_raised").order_by("sequence"))


@pytest.mark.req("G3")
def test_clock_flags_at_20h_and_44h_and_over_limits():
    now = timezone.now()
    fresh = make_case("admitted", admitted_at=now - timedelta(hours=19, minutes=59))
    near24 = make_case("operated", admitted_at=now - timedelta(hours=20, minutes=1))
    over24 = make_case("admitted", admitted_at=now - timedelta(hours=25))
    near48 = make_case("in_theatre", admitted_at=now - timedelta(hours=44, minutes=1))
    over48 = make_case("operated", admitted_at=now - timedelta(hours=49))
    assert run_los_clock(now=now) == 4
    expected = {
        fresh: LosAlertLevel.NONE,
        near24: LosAlertLevel.APPROACHING_24,
        over24: LosAlertLevel.OVER_24,
        near48: LosAlertLevel.APPROACHING_48,
        over48: LosAlertLevel.OVER_48,
    }
    for case, level in expected.items():
        case.refresh_from_db()
        assert case.los_alert_level == level
        events = _events(case)
        assert len(events) == (0 if level == LosAlertLevel.NONE else 1)
        if events:
            assert events[0].payload["to"] == level and events[0].actor_type == "system"
    assert over24.delayed_discharge and not near24.delayed_discharge


@pytest.mark.req("G3")
def test_clock_is_idempotent_and_escalates_once_per_level():
    admitted_at = timezone.now() - timedelta(hours=21)
    case = make_case("admitted", admitted_at=admitted_at)
    assert run_los_clock() == 1
    assert run_los_clock() == 0  # running twice adds no event
    los_clock.delay()  # the Celery task (eager in tests) is the same job
    assert len(_events(case)) == 1
    later = admitted_at + timedelta(hours=45)
    assert run_los_clock(now=later) == 1
    case.refresh_from_db()
    assert case.los_alert_level == LosAlertLevel.APPROACHING_48
    assert [e.payload["to"] for e in _events(case)] == ["approaching_24", "approaching_48"]


@pytest.mark.req("G3")
def test_cases_not_in_hospital_are_not_flagged():
    long_ago = timezone.now() - timedelta(hours=30)
    discharged = make_case("discharged", admitted_at=long_ago)
    transferred = make_case("transferred_to_inpatient", admitted_at=long_ago)
    booked = make_case("booked")
    before = {c.pk: c.los_alert_level for c in (discharged, transferred, booked)}
    run_los_clock()
    for case in (discharged, transferred, booked):
        case.refresh_from_db()
        assert case.los_alert_level == before[case.pk]
        assert not _events(case)
    # the discharge itself captured the stay: more than 24 h is a delayed discharge
    assert discharged.los_alert_level == LosAlertLevel.OVER_24 and discharged.delayed_discharge


@pytest.mark.req("G3")
def test_case_near_48h_can_be_transferred_keeping_the_link():
    case = make_case("operated", admitted_at=timezone.now() - timedelta(hours=45))
    run_los_clock()
    case.refresh_from_db()
    assert case.los_alert_level == LosAlertLevel.APPROACHING_48
    case = case_transition(case=case, transition="transfer_to_inpatient", actor=None, reason="出血观察",
                           inpatient_ward_name="普外一病区", inpatient_admission_no="ZY2026001")
    assert case.state == "transferred_to_inpatient"
    assert (case.inpatient_ward_name, case.inpatient_admission_no) == ("普外一病区", "ZY2026001")
    assert case.transferred_at is not None and case.length_of_stay_hours >= 45


def test_thresholds_come_from_settings(settings):
    from cases.los import los_level_for_hours

    settings.CASE_LOS_APPROACHING_24_HOURS = 18
    assert los_level_for_hours(18.5) == LosAlertLevel.APPROACHING_24
    settings.CASE_LOS_APPROACHING_24_HOURS = 20
    assert los_level_for_hours(18.5) == LosAlertLevel.NONE


@pytest.mark.django_db(transaction=True)  # the scheduler closes and reopens database connections
def test_periodic_jobs_are_installed_in_the_database_scheduler():
    """`celery beat -S django_celery_beat.schedulers:DatabaseScheduler` installs both jobs from the settings."""
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    from config.celery import app

    scheduler = DatabaseScheduler(app=app, lazy=True)
    scheduler.setup_schedule()
    tasks = dict(PeriodicTask.objects.values_list("name", "task"))
    assert tasks["cases.los_clock"] == "cases.los_clock"
    assert tasks["core.sweep_outbox"] == "core.sweep_outbox"
    import cases.tasks  # noqa: F401 - a worker autodiscovers these modules at start
    import core.tasks  # noqa: F401
    assert "cases.los_clock" in app.tasks and "core.sweep_outbox" in app.tasks
