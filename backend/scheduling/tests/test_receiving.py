"""S1: the schedule comes back from the theatre system — by polling and by its signed callback — and moves the
case: scheduled (room, sequence, planned start), re-scheduled, cancelled by the theatre. Idempotent; a late
callback never undoes a newer state."""

import json
import time
from contextlib import contextmanager
from datetime import datetime
from datetime import time as dtime

import pytest
import requests
from django.test import override_settings
from django.utils import timezone

from booking.signing import signed_headers
from cases.models import CaseState, SurgicalCase, TheatreScheduleStatus
from hospital_sim.server import start_in_thread
from integrations.ports.theatre import TheatreBooking
from scheduling import services
from scheduling.models import ApplicationStatus, TheatreApplication, TheatreCallbackNonce
from scheduling.tests.conftest import booked, event_types
from tests.builders import authenticate
from tests.concurrency import race

CALLBACK = "/api/v1/theatre-schedule/callbacks/"
CLIENT_ID, SECRET = "THEATRE-SIM", "theatre-callback-test-secret"


def _at(day, hh, mm):
    return timezone.make_aware(datetime.combine(day, dtime(hh, mm)))


# --- polling -----------------------------------------------------------------------------------------------------


@pytest.mark.req("S1")
@pytest.mark.django_db
def test_polling_brings_the_theatres_schedule_onto_the_case(world, theatre, send):
    case = send(days=1)
    app = TheatreApplication.objects.get(case=case)
    assert services.schedule_poll()["changed"] == 0  # received, not scheduled yet
    theatre.schedule(app.application_no, room="OR-03", sequence=2, start=_at(case.planned_date, 9, 40))
    stats = services.schedule_poll()
    assert stats["changed"] == 1 and stats["errors"] == 0
    case.refresh_from_db()
    assert case.state == CaseState.SCHEDULED
    assert case.theatre_schedule_status == TheatreScheduleStatus.SCHEDULED
    assert case.theatre_room == world["rooms"]["OR-03"]  # the theatre's room code → the platform's room
    assert case.theatre_sequence == 2
    assert case.scheduled_start == _at(case.planned_date, 9, 40)
    event = case.events.get(type="cases.case.theatre_scheduled")
    assert event.actor_type == "system" and event.payload["theatre_room"]["name"] == "3号手术间"
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SCHEDULED and app.last_source == "poll"
    # Polling again changes nothing and records nothing.
    before = case.events.count()
    assert services.schedule_poll()["changed"] == 0
    assert case.events.count() == before


@pytest.mark.req("S1", "P4")
@pytest.mark.django_db
def test_once_scheduled_the_application_cannot_be_withdrawn_without_the_theatre(world, theatre, send, api_client):
    case = send(days=1)
    app = TheatreApplication.objects.get(case=case)
    theatre.schedule(app.application_no, room="OR-01", sequence=1)
    services.schedule_poll()
    authenticate(api_client, world["nurse"])
    res = api_client.post(f"/api/v1/cases/{case.uuid}/roll-back-application/", {"reason": "想改期"}, format="json")
    assert res.status_code == 409 and res.json()["error"]["code"] == "application_already_scheduled"
    assert theatre.application(app.application_no)["status"] == "scheduled"


@pytest.mark.req("S1")
@pytest.mark.django_db
def test_the_theatre_moving_an_operation_and_then_cancelling_it_follows_on_the_case(world, theatre, send):
    case = send(days=1)
    app = TheatreApplication.objects.get(case=case)
    theatre.schedule(app.application_no, room="OR-01", sequence=1, start=_at(case.planned_date, 8, 0))
    services.schedule_poll()
    theatre.schedule(app.application_no, room="OR-04", sequence=3, start=_at(case.planned_date, 11, 15))
    assert services.schedule_poll()["changed"] == 1
    case.refresh_from_db()
    assert (case.theatre_room, case.theatre_sequence) == (world["rooms"]["OR-04"], 3)
    assert event_types(case, "cases.case.theatre") == [
        "cases.case.theatre_scheduled", "cases.case.theatre_schedule_cancelled", "cases.case.theatre_scheduled"]
    # The theatre cancels (the room is closed): the case waits for the theatre again, staff see why.
    theatre.cancel(app.application_no, reason="手术间设备检修")
    services.schedule_poll()
    case.refresh_from_db()
    assert case.state == CaseState.APPLICATION_SENT
    assert case.theatre_schedule_status == TheatreScheduleStatus.SENT_NOT_SCHEDULED
    assert case.theatre_room is None and case.scheduled_start is None
    cancelled = case.events.filter(type="cases.case.theatre_schedule_cancelled").last()
    assert cancelled.payload["reason"] == "手术间设备检修"
    app.refresh_from_db()
    assert app.status == ApplicationStatus.CANCELLED_BY_THEATRE


@pytest.mark.req("S1")
@pytest.mark.django_db
def test_a_room_the_platform_does_not_know_still_schedules_the_case_and_keeps_the_theatres_code(world, theatre,
                                                                                              send):
    case = send(days=1)
    app = TheatreApplication.objects.get(case=case)
    theatre.schedule(app.application_no, room="DSA-9", sequence=1)
    services.schedule_poll()
    case.refresh_from_db()
    app.refresh_from_db()
    assert case.state == CaseState.SCHEDULED and case.theatre_room is None
    assert app.theatre_room_code == "DSA-9"


@pytest.mark.req("S1")
@pytest.mark.django_db
def test_a_late_answer_never_undoes_a_newer_one(world, theatre, send):
    case = send(days=1)
    app = TheatreApplication.objects.get(case=case)
    start = _at(case.planned_date, 8, 0)
    newer = TheatreBooking(app.application_no, "scheduled", room="OR-02", sequence=1, scheduled_start=start,
                           revision=5)
    older = TheatreBooking(app.application_no, "cancelled", revision=4, reason="旧消息")
    assert services.booking_apply(booking=newer, source="callback") == "scheduled"
    assert services.booking_apply(booking=older, source="callback") == "stale"
    assert services.booking_apply(booking=newer, source="callback") == "unchanged"
    case.refresh_from_db()
    assert case.state == CaseState.SCHEDULED and case.events.filter(type__contains="theatre").count() == 1


@pytest.mark.req("S1")
@pytest.mark.django_db(transaction=True)
def test_callback_and_polling_racing_on_the_same_answer_schedule_the_case_once(world, theatre):
    case = booked(ward=world["ward"], surgeon=world["surgeon"])
    from cases.services import case_transition

    case = case_transition(case=case, transition="send_application", actor=None)  # delivered (transactional test)
    app = TheatreApplication.objects.get(case=case)
    booking = TheatreBooking(app.application_no, "scheduled", room="OR-01", sequence=1,
                             scheduled_start=_at(case.planned_date, 8, 0), revision=2)
    results = race([lambda: services.booking_apply(booking=booking, source="callback"),
                    lambda: services.booking_apply(booking=booking, source="poll")])
    assert sorted(results) == [("ok", "scheduled"), ("ok", "unchanged")]
    case.refresh_from_db()
    assert case.events.filter(type="cases.case.theatre_scheduled").count() == 1


# --- the signed callback ------------------------------------------------------------------------------------------


def _post(url, payload, *, secret=SECRET, client_id=CLIENT_ID, headers=None):
    raw = json.dumps(payload).encode()
    signed = signed_headers(client_id, secret, method="POST", path=CALLBACK, body=raw)
    return requests.post(url + CALLBACK, data=raw, timeout=10,
                         headers={"Content-Type": "application/json", **signed, **(headers or {})})


@contextmanager
def _theatre_calling_back(platform_url, *, delay=0.3):
    """A simulator that calls the platform back when it schedules (as `make demo` runs it)."""
    server, thread = start_in_thread("127.0.0.1", 0, theatre_delay=delay, platform_url=platform_url,
                                     client_id=CLIENT_ID, client_secret=SECRET)
    try:
        with override_settings(HOSPITAL_SIM_URL=server.base_url, SCHEDULING_THEATRE_CLIENTS={CLIENT_ID: SECRET}):
            yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _wait_for(predicate, seconds=15):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.req("S1")
@pytest.mark.django_db(transaction=True)
def test_the_theatre_calls_back_when_it_schedules_and_the_case_is_scheduled(world, live_server):
    from cases.services import case_transition

    with _theatre_calling_back(live_server.url) as sim:
        case = booked(ward=world["ward"], surgeon=world["surgeon"])
        case_transition(case=case, transition="send_application", actor=world["nurse"])
        app = TheatreApplication.objects.get(case=case)
        assert app.status == ApplicationStatus.SUBMITTED
        # Nobody polls: the simulator schedules after its delay and posts the signed callback.
        assert _wait_for(lambda: SurgicalCase.objects.get(pk=case.pk).state == CaseState.SCHEDULED), \
            sim.state.theatre_callback_log
        case.refresh_from_db()
        remote = sim.state.applications[app.application_no]
        assert case.theatre_room == world["rooms"][remote["room"]]
        assert case.theatre_sequence == remote["sequence"]
        assert timezone.localtime(case.scheduled_start).isoformat() == remote["scheduled_start"]
        app.refresh_from_db()
        assert app.last_source == "callback" and app.revision == remote["revision"]
        assert _wait_for(lambda: sim.state.theatre_callback_log)  # logged once the platform answered
        assert [c["http_status"] for c in sim.state.theatre_callback_log] == [200]
        # The theatre cancels the operation: called back again.
        requests.post(f"{sim.base_url}/_sim/theatre/applications/{app.application_no}/cancel",
                      json={"reason": "急诊占用手术间"}, timeout=5).raise_for_status()
        assert _wait_for(lambda: SurgicalCase.objects.get(pk=case.pk).state == CaseState.APPLICATION_SENT)
        assert case.events.filter(type="cases.case.theatre_schedule_cancelled").get().payload["reason"] == \
            "急诊占用手术间"


@pytest.mark.req("S1")
@pytest.mark.django_db(transaction=True)
def test_callbacks_are_signed_fresh_and_once_and_name_a_known_application(world, live_server, theatre):
    case = booked(ward=world["ward"], surgeon=world["surgeon"])
    from cases.services import case_transition

    case_transition(case=case, transition="send_application", actor=None)
    app = TheatreApplication.objects.get(case=case)
    body = {"application_no": app.application_no, "status": "scheduled", "room": "OR-02", "sequence": 1,
            "scheduled_start": _at(case.planned_date, 8, 0).isoformat(), "revision": 2}
    with override_settings(SCHEDULING_THEATRE_CLIENTS={CLIENT_ID: SECRET}):
        unsigned = requests.post(live_server.url + CALLBACK, json=body, timeout=10)
        assert unsigned.status_code == 401
        assert _post(live_server.url, body, secret="wrong").status_code == 401
        assert _post(live_server.url, body, client_id="HIS-OTHER").status_code == 401
        stale = signed_headers(CLIENT_ID, SECRET, method="POST", path=CALLBACK, body=json.dumps(body).encode(),
                               timestamp=time.time() - 3600)
        assert _post(live_server.url, body, headers=stale).status_code == 401
        assert SurgicalCase.objects.get(pk=case.pk).state == CaseState.APPLICATION_SENT  # nothing applied
        ok = _post(live_server.url, body)
        assert ok.status_code == 200 and ok.json() == {"application_no": app.application_no, "outcome": "scheduled"}
        # The same request again (same nonce): a replay.
        raw = json.dumps(body).encode()
        headers = signed_headers(CLIENT_ID, SECRET, method="POST", path=CALLBACK, body=raw)
        first = requests.post(live_server.url + CALLBACK, data=raw, timeout=10,
                              headers={"Content-Type": "application/json", **headers})
        replay = requests.post(live_server.url + CALLBACK, data=raw, timeout=10,
                               headers={"Content-Type": "application/json", **headers})
        assert first.json()["outcome"] == "unchanged"
        assert replay.status_code == 401 and replay.json()["error"]["code"] == "signature_replayed"
        assert TheatreCallbackNonce.objects.count() == 2
        unknown = _post(live_server.url, {**body, "application_no": "DS-NOPE"})
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_application"
        bad = _post(live_server.url, {**body, "status": "maybe"})
        assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]
        naive = _post(live_server.url, {**body, "scheduled_start": "2030-01-01T08:00:00"})
        assert naive.status_code == 400
    assert SurgicalCase.objects.get(pk=case.pk).events.filter(type="cases.case.theatre_scheduled").count() == 1


@pytest.mark.req("S1")
@pytest.mark.django_db
def test_room_codes_are_matched_loosely_but_never_confused(world, theatre, send):
    assert services.room_code_key("OR-01") == services.room_code_key("or 1") == services.room_code_key("OR1")
    assert services.room_code_key("OR-10") != services.room_code_key("OR-01")
    case = send(days=1)
    app = TheatreApplication.objects.get(case=case)
    theatre.schedule(app.application_no, room="OR4", sequence=1)  # the theatre writes "OR4", we configured "OR-04"
    services.schedule_poll()
    case.refresh_from_db()
    assert case.theatre_room == world["rooms"]["OR-04"]


@pytest.mark.req("S1")
@pytest.mark.django_db
def test_the_operator_command_retries_and_reads_the_schedule_now(world, theatre, send):
    from io import StringIO

    from django.core.management import call_command

    theatre.fault(status=503, count=3)
    failed = send(days=1)
    ok = send(days=2)
    theatre.schedule(TheatreApplication.objects.get(case=ok).application_no, room="OR-01", sequence=1,
                     start=_at(ok.planned_date, 8, 0))
    out = StringIO()
    call_command("theatre_sync", stdout=out)
    assert "retried: 1 submitted" in out.getvalue() and "1 cases changed" in out.getvalue()
    assert TheatreApplication.objects.get(case=failed).status == ApplicationStatus.SUBMITTED
    ok.refresh_from_db()
    assert ok.state == CaseState.SCHEDULED


@pytest.mark.req("S1")
@pytest.mark.django_db
def test_a_theatre_answering_in_local_time_without_an_offset_is_read_as_china_time_and_polled_once(world, theatre,
                                                                                                   send):
    """Many theatre systems give "2026-11-27T08:30:00" (local wall time, no offset): it is Asia/Shanghai time,
    and reading the same answer again must not move the case again."""
    from integrations.adapters.http_json import _booking

    case = send(days=1)
    app = TheatreApplication.objects.get(case=case)
    body = {"application_no": app.application_no, "status": "scheduled", "room": "OR-02", "sequence": 1,
            "scheduled_start": f"{case.planned_date.isoformat()}T08:30:00"}
    assert _booking(body).scheduled_start == _at(case.planned_date, 8, 30)
    assert services.booking_apply(booking=_booking(body), source="poll") == "scheduled"
    assert services.booking_apply(booking=_booking(body), source="poll") == "unchanged"
    case.refresh_from_db()
    assert case.scheduled_start == _at(case.planned_date, 8, 30)
    assert case.events.filter(type="cases.case.theatre_scheduled").count() == 1
