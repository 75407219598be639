"""P2 + realtime: a bed-card change reaches the screens of its ward (single-use ticket WebSocket) after commit,
and never another ward's."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from config.asgi import application
from realtime import tickets
from tests.builders import make_case, make_staff, make_ward

ORIGIN = [(b"origin", b"http://testserver")]


@pytest.fixture
async def close_worker_connections():
    yield
    from django.db import connections

    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def two_wards(transactional_db, close_worker_connections):
    ward_a, ward_b = make_ward(), make_ward()
    return {
        "ward_a": ward_a, "ward_b": ward_b,
        "nurse_a": make_staff("nurse", ward=ward_a), "nurse_b": make_staff("nurse", ward=ward_b),
        "case_a": make_case("booked", ward=ward_a), "case_b": make_case("booked", ward=ward_b),
    }


async def _connect(principal):
    ticket, _ttl = await database_sync_to_async(tickets.ticket_issue)(principal=principal)
    ws = WebsocketCommunicator(application, f"/ws/events/?ticket={ticket}", headers=ORIGIN)
    connected, _code = await ws.connect()
    assert connected
    assert (await ws.receive_json_from())["type"] == "ready"
    return ws


def _complete_details(case):
    """The patient completes their details in the app (the event issue 6 will publish): one case event."""
    from cases.services import case_append_event, case_lock

    with transaction.atomic():
        case_append_event(case_lock(case), type="patient.details.completed", actor=None, payload={})


async def _events_until(ws, wanted, *, limit=10):
    seen = []
    for _n in range(limit):
        message = await ws.receive_json_from(timeout=5)
        seen.append(message)
        if message.get("event") == wanted:
            return message, seen
    raise AssertionError(f"{wanted} not received: {seen}")


@pytest.mark.req("P2")
@pytest.mark.django_db(transaction=True)
async def test_ward_a_receives_its_bed_card_change_and_ward_b_does_not(two_wards):
    ws_a, ws_b = await _connect(two_wards["nurse_a"]), await _connect(two_wards["nurse_b"])
    case = two_wards["case_a"]
    await database_sync_to_async(_complete_details)(case)
    message, _seen = await _events_until(ws_a, "preop.bed_card.changed")
    assert message["group"] == f"ward.{two_wards['ward_a'].pk}"
    assert message["payload"]["case"] == str(case.uuid) and "details_completed" in message["payload"]["icons"]
    assert case.patient.name not in str(message)
    assert await ws_b.receive_nothing(timeout=0.5)
    await ws_a.disconnect()
    await ws_b.disconnect()
