"""SA7 + realtime: a new to-do reaches the open staff app of each member of its audience (the user's own group,
single-use ticket WebSocket) after commit, and completing it tells them it is closed; other wards hear nothing."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from config.asgi import application
from realtime import tickets
from tests.builders import make_case, make_staff, make_ward
from todos.tests.conftest import deliver, emit, in_hours, new_id

pytestmark = [pytest.mark.req("SA7")]
ORIGIN = [(b"origin", b"http://testserver")]


@pytest.fixture
async def close_worker_connections():
    yield
    from django.db import connections

    await database_sync_to_async(connections.close_all)()


@pytest.fixture
def wards(transactional_db, close_worker_connections):
    ward_a, ward_b = make_ward(), make_ward()
    return {"ward_a": ward_a, "caller_a": make_staff("followup_nurse", ward=ward_a),
            "caller_b": make_staff("followup_nurse", ward=ward_b),
            "case": make_case("discharged", ward=ward_a)}


async def _connect(principal):
    ticket, _ttl = await database_sync_to_async(tickets.ticket_issue)(principal=principal)
    ws = WebsocketCommunicator(application, f"/ws/events/?ticket={ticket}", headers=ORIGIN)
    connected, _code = await ws.connect()
    assert connected
    assert (await ws.receive_json_from())["type"] == "ready"
    return ws


async def _next_todo_event(ws):
    for _n in range(10):
        message = await ws.receive_json_from(timeout=5)
        if str(message.get("event", "")).startswith("todos."):
            return message
    raise AssertionError("no to-do event")


@pytest.mark.django_db(transaction=True)
async def test_opened_and_closed_todos_are_pushed_to_the_audience_only(wards):
    ws_a, ws_b = await _connect(wards["caller_a"]), await _connect(wards["caller_b"])
    try:
        await database_sync_to_async(emit)(wards["case"], "followup.manual_call.created", task=new_id(),
                                           deadline=in_hours(4))
        await database_sync_to_async(deliver)()
        opened = await _next_todo_event(ws_a)
        assert opened["event"] == "todos.todo.opened"
        assert opened["payload"]["kind"] == "manual_followup_call"
        assert opened["payload"]["case"] == str(wards["case"].uuid)

        from todos.models import Todo
        from todos.services import todo_complete

        todo = await database_sync_to_async(Todo.objects.get)(uuid=opened["payload"]["todo"])
        await database_sync_to_async(todo_complete)(todo=todo, actor=wards["caller_a"])
        closed = await _next_todo_event(ws_a)
        assert (closed["event"], closed["payload"]["status"]) == ("todos.todo.closed", "done")

        await asyncio.sleep(0.2)
        assert await ws_b.receive_nothing(timeout=0.5)  # ward B's caller got nothing (or only non-to-do events)
    finally:
        await ws_a.disconnect()
        await ws_b.disconnect()
