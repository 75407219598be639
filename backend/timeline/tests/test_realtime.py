"""Timeline changes are pushed after commit (issue item 12): a WebSocket client of ward A receives ward A's
`timeline.node.changed`, a client of ward B does not; the patient's app hears only about nodes patients see."""

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from config.asgi import application
from realtime import tickets
from tests.builders import make_case, make_patient_account, make_staff, make_ward
from timeline.services import NODE_CHANGED

ORIGIN = [(b"origin", b"http://testserver")]


async def connect(principal):
    ticket, _ = await database_sync_to_async(tickets.ticket_issue)(principal=principal)
    ws = WebsocketCommunicator(application, f"/ws/events/?ticket={ticket}", headers=ORIGIN)
    assert (await ws.connect())[0]
    assert (await ws.receive_json_from())["type"] == "ready"
    return ws


async def node_changes(ws, *, until_node=None, wait=3.0):
    """Timeline pushes received (other events skipped), up to the one about `until_node` or until quiet."""
    found = []
    while not await ws.receive_nothing(timeout=wait if until_node else 0.5):
        message = await ws.receive_json_from()
        if message.get("event") == NODE_CHANGED:
            found.append(message["payload"])
            if until_node and message["payload"]["node"] == until_node:
                return found
    return found


@pytest.fixture
async def close_worker_connections():
    yield
    from django.db import connections

    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def wards(transactional_db, close_worker_connections):
    ward_a, ward_b = make_ward(), make_ward()
    surgeon = make_staff("doctor", ward=ward_a)
    case = make_case("booked", ward=ward_a, surgeon=surgeon,
                     planned_date=timezone.localdate() + timedelta(days=7))
    return {
        "case": case, "surgeon": surgeon,
        "nurse_a": make_staff("nurse", ward=ward_a), "nurse_b": make_staff("nurse", ward=ward_b),
        "account": make_patient_account(patient=case.patient),
    }


@pytest.mark.req("T1")
@pytest.mark.django_db(transaction=True)
async def test_node_changes_reach_the_ward_and_the_patient_but_not_another_ward(wards):
    from cases.services import case_record_milestone
    from timeline.tests.helpers import append

    ws_a, ws_b, ws_patient = (await connect(wards["nurse_a"]), await connect(wards["nurse_b"]),
                              await connect(wards["account"]))
    case = wards["case"]
    await database_sync_to_async(case_record_milestone)(
        case=case, milestone="preop_assessment", status="passed", actor=wards["surgeon"])

    [change] = await node_changes(ws_a, until_node="preop_assessment")
    assert change == {"case": str(case.uuid), "ward": case.ward_id, "node": "preop_assessment", "state": "done",
                      "previous_state": "pending", "event": change["event"], "sequence": change["sequence"]}
    assert change["event"] and change["sequence"] > 1
    patient_changes = await node_changes(ws_patient, until_node="preop_assessment")
    assert patient_changes[-1] == {"case": str(case.uuid), "node": "preop_assessment", "state": "done"}
    assert await node_changes(ws_b) == []

    # A staff-only node (the booking notice) is pushed to the ward, not to the patient's app.
    await database_sync_to_async(append)(case, "messaging.message.sent",
                                         {"channel": "sms", "kind": "booking_notice", "status": "sent"})
    assert (await node_changes(ws_a, until_node="notification"))[-1]["state"] == "done"
    assert all(c["node"] != "notification" for c in await node_changes(ws_patient))
    assert await node_changes(ws_b) == []
    for ws in (ws_a, ws_b, ws_patient):
        await ws.disconnect()
