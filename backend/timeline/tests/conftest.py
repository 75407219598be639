"""Fixtures of the timeline tests: a day-surgery centre ward with its nurse, surgeon, anaesthetist and a hospital
administrator, and helpers that run the outbox (deliveries happen after commit, as in production)."""

import pytest
from django.utils import timezone

from tests.builders import admin_token, make_hospital, make_staff, make_ward

OWN_HANDLERS = {"timeline.apply_case_events", "cases.realtime_push"}


@pytest.fixture(autouse=True)
def only_timeline_handlers(monkeypatch):
    """Deliver case events to the timeline (and the generic realtime push) only: other contexts' consumers (theatre
    submission, SMS…) are tested in their apps; here their events are appended explicitly when a test needs them."""
    from core import outbox

    original = outbox.handlers_for
    monkeypatch.setattr(outbox, "handlers_for", lambda topic: [h for h in original(topic) if h.name in OWN_HANDLERS])


@pytest.fixture
def world(db):
    ward = make_ward()
    other = make_ward()
    return {
        "hospital": make_hospital()[0],
        "ward": ward,
        "other_ward": other,
        "nurse": make_staff("nurse", ward=ward, name="护士甲"),
        "surgeon": make_staff("doctor", ward=ward, name="医生甲"),
        "anaesthetist": make_staff("anaesthetist", ward=ward, name="麻醉医生甲"),
        "other_nurse": make_staff("nurse", ward=other, name="护士乙"),
        "admin": make_staff("hospital_admin", department=ward.department, name="管理员甲"),
    }


@pytest.fixture
def admin_client(api_client, world):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(world['admin'])}")
    return api_client


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """`run(fn, *args, **kwargs)`: call fn and deliver the outbox messages it commits (handlers run)."""

    def call(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return call


def tomorrow():
    return timezone.localdate() + timezone.timedelta(days=1)


def states(case):
    from timeline.models import CaseNode

    return dict(CaseNode.objects.filter(case=case).values_list("key", "state"))
