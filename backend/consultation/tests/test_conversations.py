"""PA8: the patient ↔ care-team conversation of a case: persisted messages with sequences, read receipts, REST
history with paging, a WebSocket of its own authenticated by single-use tickets, and the isolation rules (staff of
other wards and other patients refused, over REST and over the socket)."""

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from cases.models import CaseEvent
from consultation.models import Conversation, Message
from consultation.routing import websocket_urlpatterns
from realtime import tickets
from realtime.security import ticket_origin_validator
from tests.builders import make_case

pytestmark = pytest.mark.req("PA8")

ORIGIN = [(b"origin", b"http://testserver")]


def _application():
    """The ASGI websocket stack as config.asgi builds it (origin check → URL router) with this context's route."""
    from realtime.routing import websocket_urlpatterns as events

    return ticket_origin_validator(URLRouter(list(events) + list(websocket_urlpatterns)))


def communicator(case_uuid, ticket):
    path = f"/ws/consultations/{case_uuid}/" + (f"?ticket={ticket}" if ticket is not None else "")
    return WebsocketCommunicator(_application(), path, headers=ORIGIN)


def send(client, base, body, **extra):
    return client.post(f"{base}messages/", {"body": body, **extra}, format="json")


@pytest.mark.django_db
def test_rest_conversation_with_read_receipts_and_paging(client_for, account, case, nurse, doctor):
    mine, staff_base = f"/api/v1/my/cases/{case.uuid}/conversation/", f"/api/v1/cases/{case.uuid}/conversation/"
    patient, team = client_for(account), client_for(nurse)
    empty = patient.get(mine).json()
    assert empty["last_sequence"] == 0 and empty["uuid"] is None and empty["can_send"] is True

    res = send(patient, mine, "医生您好，术后第三天伤口还有些疼，可以洗澡吗？", client_id="m-1")
    assert res.status_code == 201, res.content
    first = res.json()
    assert first["sequence"] == 1 and first["sender"] == "patient" and first["read"] is False
    retry = send(patient, mine, "医生您好，术后第三天伤口还有些疼，可以洗澡吗？", client_id="m-1")
    assert retry.status_code == 200 and retry.json()["uuid"] == first["uuid"]
    assert Message.objects.count() == 1

    # the care team's inbox shows it unread; reading it is the receipt the patient sees
    inbox = team.get("/api/v1/consultation-conversations/?unread=true").json()["results"]
    assert [row["case"] for row in inbox] == [str(case.uuid)] and inbox[0]["unread"] == 1
    assert inbox[0]["patient"]["name"] == "王小明"
    assert team.post(f"{staff_base}read/", {}, format="json").json()["staff_read_sequence"] == 1
    assert team.get("/api/v1/consultation-conversations/?unread=true").json()["results"] == []
    history = patient.get(f"{mine}messages/").json()
    assert history["results"][0]["read"] is True and history["conversation"]["staff_read_at"]

    reply = send(team, staff_base, "可以淋浴，避免伤口浸泡，洗后保持干燥。疼痛可按医嘱服用止痛药。")
    assert reply.status_code == 201 and reply.json()["sender"] == "staff" and reply.json()["sender_name"] == nurse.name
    assert patient.get(mine).json()["unread"] == 1
    assert patient.post(f"{mine}read/", {"sequence": 2}, format="json").json()["patient_read_sequence"] == 2
    assert team.get(f"{staff_base}messages/").json()["results"][1]["read"] is True

    # the contract event, once per message, with who sent it
    events = list(CaseEvent.objects.filter(case=case, type="consultation.message.sent").order_by("sequence"))
    conversation = Conversation.objects.get(case=case)
    assert [(e.payload["sender"], e.payload["conversation"]) for e in events] == [
        ("patient", str(conversation.uuid)), ("staff", str(conversation.uuid))]
    assert events[1].payload["message"] == reply.json()["uuid"]

    # paging: newest page first, then backwards; `after` catches up
    for n in range(3, 8):
        send(client_for(doctor) if n % 2 else patient, staff_base if n % 2 else mine, f"第{n}条")
    page = patient.get(f"{mine}messages/?limit=3").json()
    assert [m["sequence"] for m in page["results"]] == [5, 6, 7] and page["has_more"] is True
    older = patient.get(f"{mine}messages/?limit=3&before=5").json()
    assert [m["sequence"] for m in older["results"]] == [2, 3, 4] and older["has_more"] is True
    newer = team.get(f"{staff_base}messages/?after=5").json()
    assert [m["sequence"] for m in newer["results"]] == [6, 7] and newer["has_more"] is False
    bad = patient.get(f"{mine}messages/?before=3&after=1")
    assert bad.status_code == 400 and "after" in bad.json()["error"]["fields"]
    assert send(patient, mine, "   ").status_code == 400


@pytest.mark.django_db
def test_other_wards_and_other_patients_are_refused(client_for, account, case, other_nurse, stranger, nurse):
    mine, staff_base = f"/api/v1/my/cases/{case.uuid}/conversation/", f"/api/v1/cases/{case.uuid}/conversation/"
    send(client_for(account), mine, "您好")
    b = client_for(other_nurse)
    assert b.get(staff_base).status_code == 404
    assert b.get(f"{staff_base}messages/").status_code == 404
    assert send(b, staff_base, "越权回复").status_code == 404
    assert b.post(f"{staff_base}read/", {}, format="json").status_code == 404
    assert b.get("/api/v1/consultation-conversations/").json()["results"] == []
    other = client_for(stranger)
    assert other.get(f"{mine}messages/").status_code == 404
    assert send(other, mine, "冒充").status_code == 404
    assert client_for(account).get(f"{staff_base}messages/").status_code == 403  # a patient token on staff routes
    assert client_for(nurse).get(f"{mine}messages/").status_code == 403
    assert Message.objects.count() == 1 and Conversation.objects.get().staff_read_sequence == 0


@pytest.mark.django_db
def test_no_conversation_before_the_case_is_booked(client_for, account, patient, ward):
    draft = make_case("draft", ward=ward, patient=patient)
    res = send(client_for(account), f"/api/v1/my/cases/{draft.uuid}/conversation/", "你好")
    assert res.status_code == 409 and res.json()["error"]["code"] == "consultation_conversation_closed"


# --- the socket ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_flooding_patient_is_slowed_down(client_for, account, case, nurse, settings):
    settings.CONSULTATION_PATIENT_MESSAGES_PER_MINUTE = 3
    mine = f"/api/v1/my/cases/{case.uuid}/conversation/"
    patient = client_for(account)
    assert [send(patient, mine, f"第{n}条").status_code for n in range(3)] == [201, 201, 201]
    res = send(patient, mine, "第4条")
    assert res.status_code == 429 and res.json()["error"]["code"] == "consultation_rate_limited"
    assert send(client_for(nurse), f"/api/v1/cases/{case.uuid}/conversation/", "请慢慢说").status_code == 201


# --- the socket (one transactional test: each costs a database flush) --------------------------------------------


@pytest.fixture
async def close_worker_connections():
    """Consumers query the database from asgiref's worker thread: close its connection after the test."""
    yield
    from django.db import connections

    await database_sync_to_async(connections.close_all)()


async def _ticket(principal):
    ticket, _ttl = await database_sync_to_async(tickets.ticket_issue)(principal=principal)
    return ticket


async def _receive_until(ws, predicate, attempts=6):
    for _ in range(attempts):
        message = await ws.receive_json_from(timeout=3)
        if predicate(message):
            return message
    raise AssertionError("expected message not received")


async def _refusals(case, other_nurse, stranger, account):
    for principal in (other_nurse, stranger):  # another ward's nurse, another patient
        connected, code = await communicator(case.uuid, await _ticket(principal)).connect()
        assert not connected and code == 4403
    for ticket in (None, "", "garbage"):
        connected, code = await communicator(case.uuid, ticket).connect()
        assert not connected and code == 4401
    ticket = await _ticket(account)
    ws = communicator(case.uuid, ticket)
    assert (await ws.connect())[0]
    await ws.disconnect()
    connected, code = await communicator(case.uuid, ticket).connect()  # a ticket is single use
    assert not connected and code == 4401


def _parallel_senders(case, account, nurse):
    """Patient and nurse sending at the same moment on separate PostgreSQL connections: every message stored once,
    sequences without gap (the case row lock serialises them)."""
    import threading

    from django.db import connection

    from consultation.services import message_send

    errors = []

    def run(actor, prefix):
        try:
            for n in range(5):
                message_send(actor=actor, case=case, body=f"{prefix}{n}")
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(account, "患者")), threading.Thread(target=run, args=(nurse, "护士"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    conversation = Conversation.objects.get(case=case)
    assert sorted(Message.objects.filter(conversation=conversation).values_list("sequence", flat=True)) == list(
        range(1, conversation.last_sequence + 1))
    return conversation.last_sequence


@pytest.mark.django_db(transaction=True)
async def test_socket_chat_isolation_and_parallel_senders(close_worker_connections, account, case, nurse,
                                                          other_nurse, stranger):
    from config.asgi import application

    await _refusals(case, other_nurse, stranger, account)

    # the events socket of the patient's app and of the ward (conversation closed): they hear of messages
    patient_events = WebsocketCommunicator(application, f"/ws/events/?ticket={await _ticket(account)}",
                                           headers=ORIGIN)
    assert (await patient_events.connect())[0]
    await patient_events.receive_json_from()  # ready
    staff_events = WebsocketCommunicator(application, f"/ws/events/?ticket={await _ticket(nurse)}", headers=ORIGIN)
    assert (await staff_events.connect())[0]
    await staff_events.receive_json_from()

    patient_ws = communicator(case.uuid, await _ticket(account))
    assert (await patient_ws.connect())[0]
    ready = await patient_ws.receive_json_from()
    assert ready["type"] == "ready" and ready["conversation"]["last_sequence"] == 0
    staff_ws = communicator(case.uuid, await _ticket(nurse))
    assert (await staff_ws.connect())[0]
    assert (await staff_ws.receive_json_from())["type"] == "ready"

    await patient_ws.send_json_to({"action": "send", "body": "伤口有少量渗血，需要换药吗？", "client_id": "ws-1"})
    sent = await _receive_until(patient_ws, lambda m: m["type"] == "sent")
    assert sent["client_id"] == "ws-1" and sent["message"]["sequence"] == 1
    pushed = await _receive_until(staff_ws, lambda m: m["type"] == "event")
    assert pushed["event"] == "consultation.message.sent"
    assert pushed["payload"]["message"]["body"] == "伤口有少量渗血，需要换药吗？"
    assert pushed["payload"]["message"]["sender"] == "patient"
    # the ward's screens hear of it without the text
    notice = await _receive_until(staff_events, lambda m: m.get("event") == "consultation.message.sent")
    assert notice["payload"]["case"] == str(case.uuid) and "渗血" not in str(notice)

    await staff_ws.send_json_to({"action": "read", "sequence": 1})
    receipt = await _receive_until(patient_ws, lambda m: m.get("event") == "consultation.message.read")
    assert receipt["payload"]["reader"] == "staff" and receipt["payload"]["sequence"] == 1

    await staff_ws.send_json_to({"action": "send", "body": "少量渗血属正常，明天来门诊换药。", "client_id": "n-1"})
    reply = await _receive_until(patient_ws, lambda m: m.get("event") == "consultation.message.sent")
    assert reply["payload"]["message"]["sender"] == "staff" and reply["payload"]["message"]["sequence"] == 2
    for _ in range(2):  # the patient's app hears of both messages (identifiers only)
        heard = await _receive_until(patient_events, lambda m: m.get("event") == "consultation.message.sent")
        assert heard["payload"]["case"] == str(case.uuid) and "换药" not in str(heard)

    await staff_ws.send_json_to({"action": "send", "body": ""})
    error = await _receive_until(staff_ws, lambda m: m["type"] == "error")
    assert error["code"] == "invalid" and "body" in error["fields"]
    await patient_ws.send_json_to({"action": "dance"})
    assert (await _receive_until(patient_ws, lambda m: m["type"] == "error"))["code"] == "invalid"
    for ws in (patient_ws, staff_ws, patient_events, staff_events):
        await ws.disconnect()

    def persisted():
        conversation = Conversation.objects.get(case=case)
        return (list(Message.objects.filter(conversation=conversation).values_list("sequence", "sender")),
                conversation.staff_read_sequence, conversation.patient_read_sequence)

    assert await database_sync_to_async(persisted)() == ([(1, "patient"), (2, "staff")], 2, 1)
    assert await database_sync_to_async(_parallel_senders)(case, account, nurse) == 12
    events = await database_sync_to_async(
        lambda: CaseEvent.objects.filter(case=case, type="consultation.message.sent").count())()
    assert events == 12
