"""Capacity API: the timetable a client draws (B4, B6), the administration endpoints (Y5), who may do what and the
validation of inputs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from capacity.services import exception_create
from cases.services import case_transition
from tests.builders import (
    admin_token,
    authenticate,
    make_capacity,
    make_case,
    make_staff,
    make_ward,
    staff_token,
)

pytestmark = pytest.mark.django_db


def _monday(weeks_ahead=1):
    today = timezone.localdate()
    return today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)


@pytest.fixture
def world():
    ward = make_ward()
    return {"ward": ward, "surgeon": make_staff("doctor", ward=ward), "admin": make_staff("hospital_admin", ward=ward)}


def _book(world, day, session="am", surgeon=None):
    case = make_case("draft", ward=world["ward"], surgeon=surgeon or world["surgeon"])
    return case_transition(case=case, transition="confirm", actor=None, planned_date=day, planned_session=session)


@pytest.mark.req("B4")
@pytest.mark.req("B6")
def test_timetable_numbers(api_client, world):
    monday = _monday()
    surgeon, department = world["surgeon"], world["ward"].department
    make_capacity(surgeon, day=monday, session="am", max_bookings=3, resources=2)
    make_capacity(department, day=monday, session="am", max_bookings=2, kind="quota")
    make_capacity(surgeon, day=monday + timedelta(days=1), session="pm", max_bookings=4)
    exception_create(actor=None, owner=surgeon, kind="resource", date=monday + timedelta(days=1), reason="外出会诊")
    _book(world, monday)
    authenticate(api_client, world["surgeon"])
    response = api_client.get("/api/v1/timetable/", {"surgeon": str(surgeon.uuid), "from": monday.isoformat(),
                                                     "to": (monday + timedelta(days=2)).isoformat()})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["owner"]["uuid"] == str(surgeon.uuid) and body["resources_limited"] is True
    assert [d["date"] for d in body["days"]] == [(monday + timedelta(days=n)).isoformat() for n in range(3)]
    am = body["days"][0]["sessions"][0]
    assert am["session"] == "am"
    assert {k: am[k] for k in ("resources", "max_bookings", "used", "free", "closed")} == {
        "resources": 2, "max_bookings": 3, "used": 1, "free": 2, "closed": False,
    }
    assert am["quota"] == {"resources": 1, "max_bookings": 2, "used": 1, "free": 1, "closed": False}
    assert (am["bookable"], am["bookable_free"]) == (True, 1)  # the quota is the tighter limit
    pm = body["days"][0]["sessions"][1]
    assert (pm["max_bookings"], pm["bookable"], pm["refusal"]) == (None, False, "outside_resources")
    closed = body["days"][1]["sessions"][1]
    assert (closed["closed"], closed["reason"], closed["bookable"]) == (True, "外出会诊", False)
    # The department's view: its quota, no own resources.
    response = api_client.get("/api/v1/timetable/", {"department": str(department.uuid), "from": monday.isoformat(),
                                                     "to": monday.isoformat()})
    am = response.json()["days"][0]["sessions"][0]
    assert (am["max_bookings"], am["quota"]["used"], am["bookable_free"]) == (None, 1, 1)
    # One more booking fills the quota: the timetable says so, and a booking is refused.
    _book(world, monday)
    response = api_client.get("/api/v1/timetable/", {"surgeon": str(surgeon.uuid), "from": monday.isoformat(),
                                                     "to": monday.isoformat()})
    am = response.json()["days"][0]["sessions"][0]
    assert (am["used"], am["quota"]["free"], am["bookable"], am["bookable_free"]) == (2, 0, False, 0)


@pytest.mark.req("B4")
def test_timetable_without_resources_is_unlimited(api_client, world):
    authenticate(api_client, world["surgeon"])
    day = timezone.localdate()
    response = api_client.get("/api/v1/timetable/", {"surgeon": str(world["surgeon"].uuid), "from": day, "to": day})
    session = response.json()["days"][0]["sessions"][0]
    assert response.json()["resources_limited"] is False
    assert (session["bookable"], session["bookable_free"], session["max_bookings"]) == (True, None, None)


@pytest.mark.req("B4")
def test_timetable_validation(api_client, world):
    authenticate(api_client, world["surgeon"])
    day = timezone.localdate()
    surgeon = str(world["surgeon"].uuid)
    bad = [
        ({"surgeon": surgeon, "to": day}, "from"),
        ({"surgeon": surgeon, "from": day, "to": day - timedelta(days=1)}, "to"),
        ({"surgeon": surgeon, "from": day, "to": day + timedelta(days=62)}, "to"),
        ({"from": day, "to": day}, "owner"),
        ({"surgeon": surgeon, "department": str(world["ward"].department.uuid), "from": day, "to": day}, "owner"),
        ({"surgeon": "not-a-uuid", "from": day, "to": day}, "surgeon"),
        ({"group": "6f1c4a56-0000-4000-8000-000000000000", "from": day, "to": day}, "group"),
        ({"surgeon": surgeon, "from": "2026-13-01", "to": day}, "from"),
    ]
    for params, field in bad:
        response = api_client.get("/api/v1/timetable/", params)
        assert response.status_code == 400, (params, response.content)
        assert field in response.json()["error"]["fields"], (params, response.json())
    ok = api_client.get("/api/v1/timetable/", {"surgeon": surgeon, "from": day, "to": day + timedelta(days=61)})
    assert ok.status_code == 200


@pytest.mark.req("Y5")
def test_administration_needs_capacity_manage_and_the_second_factor(api_client, world):
    monday = _monday()
    body = {"surgeon": str(world["surgeon"].uuid), "kind": "resource",
            "rows": [{"weekday": 0, "session": "am", "resources": 1, "max_bookings": 5}]}
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {staff_token(world['surgeon'])}")
    assert api_client.put("/api/v1/capacity-templates/set/", body, format="json").status_code == 403
    assert api_client.get("/api/v1/capacity-templates/", {"surgeon": body["surgeon"]}).status_code == 200
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {staff_token(world['admin'])}")  # SMS code only
    response = api_client.put("/api/v1/capacity-templates/set/", body, format="json")
    assert response.status_code == 403
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(world['admin'])}")
    response = api_client.put("/api/v1/capacity-templates/set/", body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()[0]["owner"]["uuid"] == body["surgeon"]
    response = api_client.post("/api/v1/capacity-slots/generate/", {
        "surgeon": body["surgeon"], "date_from": monday, "date_to": monday + timedelta(days=6)}, format="json")
    assert response.json() == {"created": 1, "updated": 0, "removed": 0, "unchanged": 0}
    response = api_client.post("/api/v1/capacity-slots/copy-week/", {
        "surgeon": body["surgeon"], "source_week": monday,
        "target_weeks": [monday + timedelta(weeks=1), monday + timedelta(weeks=2)]}, format="json")
    assert response.json()["created"] == 2
    slots = api_client.get("/api/v1/capacity-slots/", {"surgeon": body["surgeon"]}).json()["results"]
    assert [s["date"] for s in slots] == [(monday + timedelta(weeks=n)).isoformat() for n in range(3)]
    response = api_client.post("/api/v1/capacity-exceptions/", {
        "surgeon": body["surgeon"], "date": monday, "reason": "学术会议"}, format="json")
    assert response.status_code == 201 and response.json()["closed"] is True
    slot = api_client.get(f"/api/v1/capacity-slots/{slots[0]['uuid']}/").json()
    assert (slot["closed"], slot["reason"], slot["free"]) == (True, "学术会议", 0)
    assert api_client.delete(f"/api/v1/capacity-exceptions/{response.json()['uuid']}/").status_code == 204
    response = api_client.patch(f"/api/v1/capacity-slots/{slots[1]['uuid']}/", {"max_bookings": 9}, format="json")
    assert (response.status_code, response.json()["max_bookings"], response.json()["source"]) == (200, 9, "manual")
    api_client.credentials()
    assert api_client.get("/api/v1/timetable/").status_code == 401


@pytest.mark.req("Y5")
def test_write_validation(api_client, world):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(world['admin'])}")
    surgeon = str(world["surgeon"].uuid)
    bad = [
        ("put", "/api/v1/capacity-templates/set/", {"kind": "resource", "rows": []}, "owner"),
        ("put", "/api/v1/capacity-templates/set/", {"surgeon": surgeon, "rows": [{"weekday": 9, "session": "am",
                                                                                   "max_bookings": 1}]}, "rows"),
        ("put", "/api/v1/capacity-templates/set/", {"surgeon": surgeon, "kind": "quota", "rows": []}, "kind"),
        ("post", "/api/v1/capacity-templates/copy/", {"surgeon": surgeon, "targets": []}, "targets"),
        ("post", "/api/v1/capacity-slots/generate/", {"surgeon": surgeon, "date_from": "x", "date_to": "y"},
         "date_from"),
        ("post", "/api/v1/capacity-exceptions/", {"surgeon": surgeon, "date": "2020-01-01", "reason": "旧"}, "date"),
        ("post", "/api/v1/capacity-slots/copy-week/", {"surgeon": surgeon, "source_week": _monday(),
                                                       "target_weeks": [_monday(2)]}, "source_week"),
    ]
    for method, url, body, field in bad:
        response = getattr(api_client, method)(url, body, format="json")
        assert response.status_code == 400, (url, body, response.content)
        assert field in response.json()["error"]["fields"], (url, body, response.json())
