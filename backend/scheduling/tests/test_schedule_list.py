"""S2, S3: the schedule of one's wards, filtered by date, ward, surgeon, surgery type and registration number,
each operation with one of the four schedule states and its marker, and the count per state."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.services import case_transition
from scheduling.models import TheatreApplication
from scheduling.tests.conftest import booked
from tests.builders import authenticate, make_patient

pytestmark = [pytest.mark.django_db]
URL = "/api/v1/theatre-schedule/"


@pytest.fixture
def four(world, theatre, send, deliver):
    """One operation of ward A tomorrow in each of the four states (+ one of ward B)."""
    from scheduling.models import ExclusionKind, ScheduleExclusion

    not_sent = booked(ward=world["ward"], surgeon=world["surgeon"], procedure_name="腹股沟疝修补术")
    sent = send(procedure_name="腹腔镜胆囊切除术")
    scheduled = send(procedure_name="甲状腺结节射频消融术")
    app = TheatreApplication.objects.get(case=scheduled)
    theatre.schedule(app.application_no, room="OR-02", sequence=1)
    from scheduling import services

    services.schedule_poll()
    ScheduleExclusion.objects.create(hospital=world["hospital"], kind=ExclusionKind.DEPARTMENT,
                                     department=world["gs"], reason="局麻小手术在病区治疗室完成")
    excluded = send(procedure_name="体表肿物切除术")
    ScheduleExclusion.objects.all().delete()
    other_ward = booked(ward=world["ward_b"], surgeon=world["surgeon_b"], procedure_name="白内障超声乳化术")
    for case in (not_sent, sent, scheduled, excluded, other_ward):
        case.refresh_from_db()
    return {"not_sent": not_sent, "sent": sent, "scheduled": scheduled, "excluded": excluded, "other": other_ward}


def _get(client, **params):
    res = client.get(URL, {"date": (timezone.localdate() + timedelta(days=1)).isoformat(), **params})
    assert res.status_code == 200, res.content
    return res.json()


@pytest.mark.req("S3")
def test_the_four_states_each_with_its_marker_and_their_counts(world, four, api_client):
    authenticate(api_client, world["nurse"])
    body = _get(api_client)
    rows = {r["case"]: r for r in body["results"]}
    assert set(rows) == {str(four[k].uuid) for k in ("not_sent", "sent", "scheduled", "excluded")}  # not ward B
    expected = {"scheduled": ("scheduled", "●", "green"), "sent": ("sent_not_scheduled", "◐", "amber"),
                "not_sent": ("not_sent", "○", "grey"), "excluded": ("not_to_be_scheduled", "⊘", "blue")}
    for name, (status, symbol, colour) in expected.items():
        row = rows[str(four[name].uuid)]
        assert row["schedule_status"] == status
        assert row["marker"]["key"] == status
        assert (row["marker"]["symbol"], row["marker"]["colour"]) == (symbol, colour)
        assert row["marker"]["label"]  # translated label
        assert row["problem"] is None
    markers = {m["key"]: m["symbol"] for m in body["markers"]}
    assert len(set(markers.values())) == 4  # four distinct markers
    assert body["counts"] == {"scheduled": 1, "sent_not_scheduled": 1, "not_sent": 1, "not_to_be_scheduled": 1}
    scheduled = rows[str(four["scheduled"].uuid)]
    assert scheduled["room"]["code"] == "OR-02" and scheduled["sequence"] == 1 and scheduled["scheduled_start"]
    assert scheduled["application"]["status"] == "scheduled"
    assert rows[str(four["not_sent"].uuid)]["application"] is None
    # Theatre order: the scheduled one first (room, sequence), unscheduled after.
    assert body["results"][0]["case"] == str(four["scheduled"].uuid)
    # The state filter narrows the rows, never the counts.
    only = _get(api_client, status="sent_not_scheduled,not_to_be_scheduled")
    assert {r["case"] for r in only["results"]} == {str(four["sent"].uuid), str(four["excluded"].uuid)}
    assert only["counts"] == body["counts"]


@pytest.mark.req("S3", "S1")
def test_an_application_staff_must_act_on_is_flagged(world, theatre, send, api_client):
    theatre.fault(status=400, count=1)
    case = send()
    authenticate(api_client, world["nurse"])
    row = next(r for r in _get(api_client)["results"] if r["case"] == str(case.uuid))
    assert row["schedule_status"] == "sent_not_scheduled"
    assert row["problem"]["key"] == "rejected" and row["problem"]["colour"] == "red"
    assert row["application"]["last_error"]


@pytest.mark.req("S2")
def test_filters_by_date_ward_surgeon_surgery_type_and_registration_number(world, four, api_client):
    authenticate(api_client, world["admin"])  # sees every ward
    tomorrow = timezone.localdate() + timedelta(days=1)
    everything = _get(api_client)
    assert everything["count"] == 5
    by_ward = _get(api_client, ward=str(world["ward_b"].uuid))
    assert [r["case"] for r in by_ward["results"]] == [str(four["other"].uuid)]
    by_surgeon = _get(api_client, surgeon=str(world["surgeon"].uuid))
    assert by_surgeon["count"] == 4
    by_type = _get(api_client, surgery_type="胆囊")
    assert [r["case"] for r in by_type["results"]] == [str(four["sent"].uuid)]
    assert _get(api_client, surgery_type="51.2300")["count"] == 5  # by procedure code
    reg_no = four["scheduled"].patient.reg_no
    by_reg = _get(api_client, reg_no=reg_no)
    assert [r["case"] for r in by_reg["results"]] == [str(four["scheduled"].uuid)]
    assert by_reg["results"][0]["patient"]["reg_no"] == reg_no
    # A date range; another day has none of them.
    later = booked(ward=world["ward"], surgeon=world["surgeon"], days=3, patient=make_patient())
    ranged = api_client.get(URL, {"date": tomorrow.isoformat(),
                                  "date_to": (tomorrow + timedelta(days=2)).isoformat()}).json()
    assert ranged["count"] == 6 and ranged["results"][-1]["case"] == str(later.uuid)
    assert api_client.get(URL, {"date": (tomorrow + timedelta(days=1)).isoformat()}).json()["count"] == 0


@pytest.mark.req("S2")
def test_cancelled_bookings_leave_the_schedule(world, four, api_client, deliver):
    deliver(case_transition, case=four["sent"], transition="cancel", actor=world["nurse"],
            reason_code="patient_unwell", reason_text="发热")
    authenticate(api_client, world["nurse"])
    body = _get(api_client)
    assert str(four["sent"].uuid) not in {r["case"] for r in body["results"]}
    assert body["counts"]["sent_not_scheduled"] == 0


@pytest.mark.req("S2", "U2")
def test_staff_see_only_their_wards(world, four, api_client):
    authenticate(api_client, world["nurse_b"])
    body = _get(api_client)
    assert [r["case"] for r in body["results"]] == [str(four["other"].uuid)]
    assert body["counts"] == {"scheduled": 0, "sent_not_scheduled": 0, "not_sent": 1, "not_to_be_scheduled": 0}
    filtered = _get(api_client, ward=str(world["ward"].uuid))  # asking for ward A gives nothing
    assert filtered["count"] == 0 and sum(filtered["counts"].values()) == 0


@pytest.mark.req("S2")
def test_bad_filters_are_field_errors(world, api_client):
    authenticate(api_client, world["nurse"])
    today = timezone.localdate()
    cases = [
        ({"date": today.isoformat(), "date_to": (today - timedelta(days=1)).isoformat()}, "date_to"),
        ({"date": today.isoformat(), "date_to": (today + timedelta(days=60)).isoformat()}, "date_to"),
        ({"status": "scheduled,maybe"}, "status"),
        ({"ward": "00000000-0000-0000-0000-000000000000"}, "ward"),
        ({"date": "2026-13-45"}, "date"),
    ]
    for params, field in cases:
        res = api_client.get(URL, params)
        assert res.status_code == 400, params
        assert field in res.json()["error"]["fields"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in res.json()["error"]["message"])


@pytest.mark.req("S2")
def test_the_number_of_queries_does_not_grow_with_the_schedule(world, theatre, send, api_client):
    authenticate(api_client, world["nurse"])
    for _ in range(2):
        send()
    _get(api_client)  # warm the per-process caches (permissions, translations)
    with CaptureQueriesContext(connection) as small:
        assert _get(api_client)["count"] == 2
    for _ in range(4):
        send()
    with CaptureQueriesContext(connection) as large:
        assert _get(api_client)["count"] == 6
    assert len(large.captured_queries) == len(small.captured_queries)
