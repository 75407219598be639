"""Open sockets are revoked with the session: logout closes the sockets of that login session, disabling an
account closes all of the user's sockets."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from rest_framework.test import APIClient

from accounts import services
from accounts.tokens import issue_patient_tokens, issue_staff_tokens
from config.asgi import application
from tests.builders import make_patient_account, make_staff, make_ward

ORIGIN = [(b"origin", b"http://testserver")]


@pytest.fixture
async def close_worker_connections():
    yield
    from django.db import connections

    await database_sync_to_async(connections.close_all)()


def _ticket(access):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    response = client.post("/api/v1/realtime/tickets/")
    assert response.status_code == 201, response.content
    return response.json()["ticket"]


async def _open(access):
    ticket = await database_sync_to_async(_ticket)(access)
    ws = WebsocketCommunicator(application, f"/ws/events/?ticket={ticket}", headers=ORIGIN)
    connected, _ = await ws.connect()
    assert connected
    assert (await ws.receive_json_from())["type"] == "ready"
    return ws


async def _assert_closed(ws):
    assert await ws.receive_json_from(timeout=2) == {"type": "session_ended"}
    closing = await ws.receive_output(timeout=2)
    assert closing == {"type": "websocket.close", "code": 4401}


async def _assert_open(ws):
    await ws.send_json_to({"action": "ping"})
    assert await ws.receive_json_from(timeout=2) == {"type": "pong"}


def _logout(refresh, principal="staff"):
    url = "/api/v1/patient-auth/logout/" if principal == "patient" else "/api/v1/auth/logout/"
    assert APIClient().post(url, {"refresh": refresh}, format="json").status_code == 204


@pytest.mark.django_db(transaction=True)
async def test_logout_closes_the_sockets_of_that_session_only(close_worker_connections):
    user = await database_sync_to_async(make_staff)("nurse", ward=await database_sync_to_async(make_ward)())
    desk = await database_sync_to_async(issue_staff_tokens)(user)
    phone = await database_sync_to_async(issue_staff_tokens)(user)
    desk_ws, phone_ws = await _open(desk["access"]), await _open(phone["access"])

    await database_sync_to_async(_logout)(desk["refresh"])

    await _assert_closed(desk_ws)
    await _assert_open(phone_ws)  # the user's other login keeps its socket
    await phone_ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_disabling_a_user_closes_all_their_sockets(close_worker_connections):
    ward = await database_sync_to_async(make_ward)()
    admin = await database_sync_to_async(make_staff)("hospital_admin")
    user = await database_sync_to_async(make_staff)("nurse", ward=ward)
    colleague = await database_sync_to_async(make_staff)("nurse", ward=ward)
    sockets = [await _open((await database_sync_to_async(issue_staff_tokens)(user))["access"]) for _ in range(2)]
    colleague_ws = await _open((await database_sync_to_async(issue_staff_tokens)(colleague))["access"])

    await database_sync_to_async(services.user_update)(actor=admin, user=user, is_active=False)

    for ws in sockets:
        await _assert_closed(ws)
    await _assert_open(colleague_ws)
    await colleague_ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_other_user_changes_do_not_close_sockets(close_worker_connections):
    admin = await database_sync_to_async(make_staff)("hospital_admin")
    user = await database_sync_to_async(make_staff)("nurse", ward=await database_sync_to_async(make_ward)())
    ws = await _open((await database_sync_to_async(issue_staff_tokens)(user))["access"])
    await database_sync_to_async(services.user_update)(actor=admin, user=user, title="Head nurse")
    await _assert_open(ws)
    await ws.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_patient_logout_closes_the_patients_socket(close_worker_connections):
    account = await database_sync_to_async(make_patient_account)()
    tokens = await database_sync_to_async(issue_patient_tokens)(account)
    other = await database_sync_to_async(issue_patient_tokens)(account)
    ws, other_ws = await _open(tokens["access"]), await _open(other["access"])
    await database_sync_to_async(_logout)(tokens["refresh"], "patient")
    await _assert_closed(ws)
    await _assert_open(other_ws)
    await other_ws.disconnect()
