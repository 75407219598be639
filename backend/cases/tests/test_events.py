"""Event + outbox + audit are written with the change, in the same transaction; refusals write nothing."""

import threading
from datetime import datetime

import pytest
from django.db import connection, transaction

from audit.models import AuditEntry
from cases import services
from cases.models import CaseEvent, CaseState, SurgicalCase
from cases.services import case_transition
from core import outbox
from core.errors import DomainError
from core.models import OutboxDelivery, OutboxMessage
from tests.builders import make_case, make_patient_account, make_staff


@pytest.mark.django_db
def test_transition_writes_event_outbox_message_and_audit_entry():
    case = make_case("draft")
    nurse = make_staff("nurse", ward=case.ward)
    case = case_transition(case=case, transition="confirm", actor=nurse)
    event = case.events.order_by("-sequence").first()
    assert (event.type, event.sequence, event.actor_type, event.actor_id, event.actor_name) == (
        "cases.case.booked", 2, "staff", str(nurse.uuid), nurse.name,
    )
    assert (event.from_state, event.to_state) == ("draft", "booked")
    assert event.recorded_at >= event.occurred_at
    message = OutboxMessage.objects.filter(key=str(case.uuid)).order_by("-id").first()
    assert message.topic == "cases.case.booked"
    assert message.payload["event"] == str(event.uuid) and message.payload["state"] == "booked"
    assert message.payload["ward"] == case.ward_id and message.payload["version"] == case.version
    assert message.payload["occurred_at"].endswith("+08:00")  # local time, as the REST API writes it
    pushed_at = datetime.fromisoformat(message.payload["occurred_at"])
    assert abs((pushed_at - event.occurred_at).total_seconds()) < 0.001  # JSON keeps milliseconds
    audit = AuditEntry.objects.filter(target_id=str(case.uuid), action="transition").get()
    assert (audit.actor_id, audit.detail, audit.before["state"], audit.after["state"]) == (
        str(nurse.uuid), "confirm", "draft", "booked",
    )


@pytest.mark.django_db
def test_a_failure_after_the_event_rolls_everything_back(monkeypatch):
    case = make_case("draft")
    counts = (CaseEvent.objects.count(), OutboxMessage.objects.count(), AuditEntry.objects.count())

    def broken_audit(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        case_transition(case=case, transition="confirm", actor=None)
    case.refresh_from_db()
    assert case.state == CaseState.DRAFT
    assert (CaseEvent.objects.count(), OutboxMessage.objects.count(), AuditEntry.objects.count()) == counts


@pytest.mark.django_db
def test_event_occurred_at_may_be_back_dated_but_recorded_at_is_now():
    from datetime import timedelta

    from django.utils import timezone

    case = make_case("scheduled")
    at = timezone.now() - timedelta(hours=1)
    case = case_transition(case=case, transition="admit", actor=None, occurred_at=at)
    event = case.events.order_by("-sequence").first()
    assert case.admitted_at == at and event.occurred_at == at and event.recorded_at > at
    assert event.actor_type == "system"


@pytest.fixture
def case_probe():
    calls = []
    outbox.discover_handlers()
    outbox.outbox_handler("cases.case.*", name="tests.case_probe")(lambda m: calls.append(m.topic))
    yield calls
    outbox._HANDLERS.pop("tests.case_probe", None)


@pytest.mark.django_db(transaction=True)
def test_outbox_delivers_case_events_after_commit_and_nothing_on_rollback(case_probe, hospital_sim):
    case = make_case("draft")
    assert case_probe == ["cases.case.created"]  # delivered once the creation committed
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            case_transition(case=case, transition="confirm", actor=None)
            raise RuntimeError("the surrounding request failed")
    assert case_probe == ["cases.case.created"]
    assert not OutboxMessage.objects.filter(topic="cases.case.booked").exists()
    case_transition(case=case, transition="confirm", actor=None)
    assert case_probe == ["cases.case.created", "cases.case.booked"]
    booked = OutboxMessage.objects.get(topic="cases.case.booked")
    assert booked.dispatched_at is not None
    delivered = set(OutboxDelivery.objects.filter(message=booked).values_list("handler", flat=True))
    assert delivered == {h.name for h in outbox.handlers_for("cases.case.booked")}  # every consumer, once
    # among them the booking's certificate and notice, which talk to the (simulated) HIS and SMS gateway
    assert {"cases.realtime_push", "tests.case_probe", "booking.his_certificate", "booking.patient_notice"} <= delivered


@pytest.mark.django_db(transaction=True)
def test_realtime_handler_publishes_to_case_and_ward_groups():
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    case = make_case("draft")
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"case.{case.uuid}", channel)
    ward_channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"ward.{case.ward_id}", ward_channel)
    account = make_patient_account(patient=case.patient)
    patient_channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"patient.{account.uuid}", patient_channel)
    case_transition(case=case, transition="confirm", actor=None)
    for ch, group in (
        (channel, f"case.{case.uuid}"), (ward_channel, f"ward.{case.ward_id}"),
        (patient_channel, f"patient.{account.uuid}"),
    ):
        # Other case events of the booking (e.g. the notice sent to the patient) may be pushed first: order across
        # events is not promised (clients re-read), each event is.
        for _ in range(30):
            message = async_to_sync(_receive_within)(layer, ch, 5)
            assert message["type"] == "realtime.event" and message["group"] == group
            if message["event"] == "cases.case.booked":
                break
        assert message["event"] == "cases.case.booked"
        assert message["payload"]["case"] == str(case.uuid) and message["payload"]["state"] == "booked"
        assert "name" not in str(message["payload"])  # no personal data on the push channel


@pytest.mark.django_db(transaction=True)
def test_concurrent_transitions_on_one_case_exactly_one_wins():
    """Two real transactions race (cancel vs terminate): the row lock lets one through, the other is refused."""
    case = make_case("booked")
    barrier = threading.Barrier(2)
    results = {}

    def attempt(name, data):
        try:
            barrier.wait(5)
            fresh = SurgicalCase.objects.get(pk=case.pk)
            results[name] = case_transition(case=fresh, transition=name, actor=None, **data).state
        except DomainError as exc:
            results[name] = exc.code
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=("cancel", {"reason_code": "patient_request"})),
        threading.Thread(target=attempt, args=("terminate", {"reason": "麻醉评估不通过"})),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    outcomes = sorted(results.values())
    assert len(outcomes) == 2
    winners = [v for v in outcomes if v in ("cancelled", "terminated")]
    assert len(winners) == 1 and "invalid_transition" in outcomes, results
    case.refresh_from_db()
    assert case.state == winners[0]
    assert case.events.filter(type__in=["cases.case.cancelled", "cases.case.terminated"]).count() == 1
    assert list(case.events.values_list("sequence", flat=True)) == list(range(1, case.events.count() + 1))


@pytest.mark.django_db(transaction=True)
def test_concurrent_same_transition_twice_one_wins():
    case = make_case("draft")
    barrier = threading.Barrier(2)
    results = []

    def attempt():
        try:
            barrier.wait(5)
            results.append(case_transition(case=SurgicalCase.objects.get(pk=case.pk), transition="confirm",
                                           actor=None).state)
        except DomainError as exc:
            results.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(results) == ["booked", "invalid_transition"]
    assert CaseEvent.objects.filter(case=case, type="cases.case.booked").count() == 1


@pytest.mark.django_db(transaction=True)
def test_case_events_of_other_contexts_are_pushed_to_their_ward_only():
    """Bed cards, the timeline and the schedule derive from case events of many contexts: each reaches the case's
    ward group and no other ward's; messages that are not case events are not pushed."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    from tests.builders import make_ward

    case = make_case("booked")
    other_ward = make_ward()
    layer = get_channel_layer()
    mine, other = async_to_sync(layer.new_channel)(), async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(f"ward.{case.ward_id}", mine)
    async_to_sync(layer.group_add)(f"ward.{other_ward.pk}", other)
    with transaction.atomic():
        outbox.outbox_publish(topic="clinical.results.fetched", key="x", payload={"patient": str(case.patient.uuid)})
        services.case_append_event(services.case_lock(case), type="education.material.read", actor=None,
                                   payload={"kind": "preop"})
    message = async_to_sync(layer.receive)(mine)
    assert message["event"] == "education.material.read" and message["payload"]["case"] == str(case.uuid)
    with pytest.raises(TimeoutError):
        async_to_sync(_receive_within)(layer, other, 0.3)
    from cases.handlers import is_case_event

    assert not is_case_event(OutboxMessage.objects.get(topic="clinical.results.fetched"))


async def _receive_within(layer, channel, seconds):
    import asyncio

    return await asyncio.wait_for(layer.receive(channel), seconds)
