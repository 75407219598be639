"""WebSocket auth by single-use ticket and group policies: a ward-B user never receives ward-A events."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from config.asgi import application
from realtime import tickets
from realtime.groups import user_group, ward_group
from realtime.publisher import apublish, publish
from tests.builders import authenticate, make_staff, make_ward

ORIGIN = [(b"origin", b"http://testserver")]


def communicator(ticket):
    path = "/ws/events/" + (f"?ticket={ticket}" if ticket is not None else "")
    return WebsocketCommunicator(application, path, headers=ORIGIN)


@pytest.fixture
async def close_worker_connections():
    """Consumers query the database from asgiref's worker thread: close its connection after each test so the
    test database can be dropped at the end of the run."""
    yield
    from django.db import connections

    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def two_wards(transactional_db, close_worker_connections):
    ward_a, ward_b = make_ward(), make_ward()
    return {
        "ward_a": ward_a,
        "ward_b": ward_b,
        "nurse_a": make_staff("nurse", ward=ward_a),
        "nurse_b": make_staff("nurse", ward=ward_b),
    }


@pytest.mark.django_db
def test_ticket_endpoint_needs_authentication():
    assert APIClient().post("/api/v1/realtime/tickets/").status_code == 401
    user = make_staff("nurse", ward=make_ward())
    client = authenticate(APIClient(), user)
    res = client.post("/api/v1/realtime/tickets/")
    assert res.status_code == 201
    body = res.json()
    assert 30 <= body["expires_in"] <= 60
    assert body["url"] == f"ws://testserver/ws/events/?ticket={body['ticket']}"
    assert tickets.ticket_consume(body["ticket"]) == user
    assert tickets.ticket_consume(body["ticket"]) is None  # single use


@pytest.mark.django_db(transaction=True)
async def test_connect_with_ticket_joins_own_and_ward_groups(two_wards):
    ticket, _ = await database_sync_to_async(tickets.ticket_issue)(principal=two_wards["nurse_a"])
    ws = communicator(ticket)
    connected, _ = await ws.connect()
    assert connected
    ready = await ws.receive_json_from()
    assert ready["type"] == "ready"
    assert set(ready["groups"]) == {user_group(two_wards["nurse_a"].uuid), ward_group(two_wards["ward_a"].id)}
    await ws.send_json_to({"action": "ping"})
    assert await ws.receive_json_from() == {"type": "pong"}
    await ws.send_to(text_data="not json")
    assert (await ws.receive_json_from())["code"] == "invalid"
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_without_ticket_or_with_garbage_the_socket_is_refused(two_wards):
    for ticket in (None, "", "garbage", "x" * 500):
        ws = communicator(ticket)
        connected, code = await ws.connect()
        assert not connected and code == 4401


@pytest.mark.django_db(transaction=True)
async def test_ticket_reuse_is_refused(two_wards):
    ticket, _ = await database_sync_to_async(tickets.ticket_issue)(principal=two_wards["nurse_a"])
    first = communicator(ticket)
    assert (await first.connect())[0]
    second = communicator(ticket)
    connected, _ = await second.connect()
    assert not connected
    await first.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_expired_ticket_is_refused(two_wards, monkeypatch):
    ticket, ttl = await database_sync_to_async(tickets.ticket_issue)(principal=two_wards["nurse_a"])
    issued = tickets._now()
    monkeypatch.setattr(tickets, "_now", lambda: issued + ttl + 1)
    ws = communicator(ticket)
    connected, _ = await ws.connect()
    assert not connected


@pytest.mark.django_db(transaction=True)
async def test_disabled_user_ticket_is_refused(two_wards):
    nurse = two_wards["nurse_a"]
    ticket, _ = await database_sync_to_async(tickets.ticket_issue)(principal=nurse)
    nurse.is_active = False
    await database_sync_to_async(nurse.save)()
    connected, _ = await communicator(ticket).connect()
    assert not connected


@pytest.mark.req("U2")
@pytest.mark.django_db(transaction=True)
async def test_ward_b_user_never_receives_ward_a_events(two_wards):
    ta, _ = await database_sync_to_async(tickets.ticket_issue)(principal=two_wards["nurse_a"])
    tb, _ = await database_sync_to_async(tickets.ticket_issue)(principal=two_wards["nurse_b"])
    ws_a, ws_b = communicator(ta), communicator(tb)
    assert (await ws_a.connect())[0] and (await ws_b.connect())[0]
    await ws_a.receive_json_from()
    await ws_b.receive_json_from()

    assert await apublish(ward_group(two_wards["ward_a"].id), "cases.case.admitted", {"name": "张三"})
    event = await ws_a.receive_json_from()
    assert event == {
        "type": "event", "group": ward_group(two_wards["ward_a"].id), "event": "cases.case.admitted",
        "payload": {"name": "张三"},
    }
    assert await ws_b.receive_nothing(timeout=0.3)
    await apublish(user_group(two_wards["nurse_a"].uuid), "todo.created", {"n": 1})
    assert (await ws_a.receive_json_from())["event"] == "todo.created"
    assert await ws_b.receive_nothing(timeout=0.3)
    # Subscribing to a case that does not exist or is out of scope is refused like an unknown one.
    await ws_b.send_json_to({"action": "subscribe", "case": "00000000-0000-0000-0000-000000000001"})
    assert (await ws_b.receive_json_from())["code"] == "not_found"
    await ws_b.send_json_to({"action": "subscribe", "case": "../ward.1"})
    assert (await ws_b.receive_json_from())["code"] == "not_found"
    await ws_a.disconnect()
    await ws_b.disconnect()


@pytest.mark.django_db
def test_sync_publish_and_on_commit(django_capture_on_commit_callbacks):
    from realtime.publisher import publish_on_commit

    assert publish("ward.1", "x.y.z", {"when": None}) is True
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        publish_on_commit("ward.1", "x.y.z", {})
    assert len(callbacks) == 1


@pytest.fixture
def cases_world(two_wards):
    from tests.builders import make_case, make_patient_account

    case_a = make_case("booked", ward=two_wards["ward_a"])
    case_b = make_case("booked", ward=two_wards["ward_b"])
    return {
        **two_wards,
        "case_a": case_a,
        "case_b": case_b,
        "patient_a": make_patient_account(patient=case_a.patient),
    }


@pytest.mark.req("U2")
@pytest.mark.django_db(transaction=True)
async def test_case_subscription_follows_the_ward_scope(cases_world):
    from realtime.groups import case_group

    ta, _ = await database_sync_to_async(tickets.ticket_issue)(principal=cases_world["nurse_a"])
    tb, _ = await database_sync_to_async(tickets.ticket_issue)(principal=cases_world["nurse_b"])
    ws_a, ws_b = communicator(ta), communicator(tb)
    assert (await ws_a.connect())[0] and (await ws_b.connect())[0]
    await ws_a.receive_json_from()
    await ws_b.receive_json_from()
    case_uuid = str(cases_world["case_a"].uuid)
    await ws_a.send_json_to({"action": "subscribe", "case": case_uuid})
    assert await ws_a.receive_json_from() == {"type": "subscribed", "case": case_uuid}
    await ws_b.send_json_to({"action": "subscribe", "case": case_uuid})
    assert (await ws_b.receive_json_from())["code"] == "not_found"
    await apublish(case_group(case_uuid), "cases.case.confirmed", {"case": case_uuid})
    assert (await ws_a.receive_json_from())["event"] == "cases.case.confirmed"
    assert await ws_b.receive_nothing(timeout=0.3)
    await ws_a.send_json_to({"action": "unsubscribe", "case": case_uuid})
    assert (await ws_a.receive_json_from())["type"] == "unsubscribed"
    await apublish(case_group(case_uuid), "cases.case.admitted", {"case": case_uuid})
    assert await ws_a.receive_nothing(timeout=0.3)
    await ws_a.disconnect()
    await ws_b.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_patient_follows_only_their_own_cases(cases_world):
    from realtime.groups import patient_group

    account = cases_world["patient_a"]
    ticket, _ = await database_sync_to_async(tickets.ticket_issue)(principal=account)
    ws = communicator(ticket)
    assert (await ws.connect())[0]
    ready = await ws.receive_json_from()
    assert ready["groups"] == [patient_group(account.uuid)]  # no ward or staff groups for a patient
    own, other = str(cases_world["case_a"].uuid), str(cases_world["case_b"].uuid)
    await ws.send_json_to({"action": "subscribe", "case": own})
    assert (await ws.receive_json_from())["type"] == "subscribed"
    await ws.send_json_to({"action": "subscribe", "case": other})
    assert (await ws.receive_json_from())["code"] == "not_found"
    await apublish(ward_group(cases_world["ward_a"].id), "cases.case.admitted", {"case": own})
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_origin_policy_lets_native_clients_in_and_keeps_foreign_sites_out(two_wards):
    """Native apps send no Origin: allowed (the ticket authenticates). A foreign web page's Origin is refused."""
    from channels.routing import URLRouter

    from realtime.routing import websocket_urlpatterns
    from realtime.security import ticket_origin_validator

    app = ticket_origin_validator(URLRouter(websocket_urlpatterns))
    for headers, expected in (([], True), ([(b"origin", b"http://testserver")], True),
                              ([(b"origin", b"https://evil.example")], False)):
        ticket, _ = await database_sync_to_async(tickets.ticket_issue)(principal=two_wards["nurse_a"])
        ws = WebsocketCommunicator(app, f"/ws/events/?ticket={ticket}", headers=headers)
        connected, _ = await ws.connect()
        assert connected is expected, headers
        if connected:
            await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_staff_without_the_case_read_permission_follow_no_ward_or_case(cases_world):
    """Like GET /cases/ (cases.view), the socket gives case events only to staff allowed to read cases."""
    nurse = cases_world["nurse_a"]
    await database_sync_to_async(nurse.roles.clear)()  # an administrator took every permission away
    ticket, _ = await database_sync_to_async(tickets.ticket_issue)(principal=nurse)
    ws = communicator(ticket)
    assert (await ws.connect())[0]
    assert (await ws.receive_json_from())["groups"] == [user_group(nurse.uuid)]
    case_uuid = str(cases_world["case_a"].uuid)
    await ws.send_json_to({"action": "subscribe", "case": case_uuid})
    assert (await ws.receive_json_from())["code"] == "not_found"
    await apublish(ward_group(cases_world["ward_a"].id), "cases.case.admitted", {"case": case_uuid})
    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_subscribing_decides_on_the_principal_as_it_is_now(cases_world):
    """A socket outlives its ticket: a ward removed since connecting no longer opens that ward's cases, and a
    disabled account's socket is closed when it asks for more."""
    nurse = cases_world["nurse_a"]
    ticket, _ = await database_sync_to_async(tickets.ticket_issue)(principal=nurse)
    ws = communicator(ticket)
    assert (await ws.connect())[0]
    await ws.receive_json_from()
    case_uuid = str(cases_world["case_a"].uuid)
    nurse.department = cases_world["ward_b"].department  # moved to another department and ward
    await database_sync_to_async(nurse.save)(update_fields=["department"])
    await database_sync_to_async(nurse.wards.set)([cases_world["ward_b"]])
    await ws.send_json_to({"action": "subscribe", "case": case_uuid})
    assert (await ws.receive_json_from())["code"] == "not_found"

    nurse.is_active = False
    await database_sync_to_async(nurse.save)(update_fields=["is_active"])
    await ws.send_json_to({"action": "subscribe", "case": case_uuid})
    assert (await ws.receive_output())["type"] == "websocket.close"
    await ws.disconnect()
