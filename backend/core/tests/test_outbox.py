"""The transactional outbox: written with the change, delivered after commit, once per handler, retried."""

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from core import outbox
from core.models import OutboxDelivery, OutboxMessage


def _catch_all():
    """The handlers every topic reaches (those registered on "*"), whichever contexts are installed."""
    return {h.name for h in outbox.discover_handlers().values() if h.pattern == "*"}


@pytest.fixture
def probe():
    """Register in-process handlers for topic 'tests.*' and remove them afterwards."""
    calls = {"ok": [], "flaky": []}
    state = {"fail": True}

    def ok(message):
        calls["ok"].append(message.uuid)

    def flaky(message):
        calls["flaky"].append(message.uuid)
        if state["fail"]:
            raise RuntimeError("consumer down")

    outbox.discover_handlers()
    outbox.outbox_handler("tests.*", name="tests.ok")(ok)
    outbox.outbox_handler("tests.*", name="tests.flaky")(flaky)
    yield calls, state
    outbox._HANDLERS.pop("tests.ok", None)
    outbox._HANDLERS.pop("tests.flaky", None)


@pytest.mark.django_db
def test_handlers_match_topic_patterns(probe):
    handlers = outbox.handlers_for("tests.thing.happened")
    assert [h.name for h in handlers if h.pattern != "*"] == ["tests.flaky", "tests.ok"]
    assert "cases.realtime_push" in [h.name for h in handlers]  # catch-alls (they act on case events only)
    assert "cases.realtime_push" in [h.name for h in outbox.handlers_for("cases.case.booked")]
    assert "tests.ok" not in [h.name for h in outbox.handlers_for("cases.case.booked")]


@pytest.mark.django_db
def test_failing_handler_does_not_block_others_and_redelivery_is_idempotent(probe):
    calls, state = probe
    with transaction.atomic():
        message = outbox.outbox_publish(topic="tests.thing.happened", payload={"n": 1}, key="k")
    with pytest.raises(outbox.DeliveryIncomplete):
        outbox.deliver_message(message.pk)
    message.refresh_from_db()
    assert calls["ok"] == [message.uuid] and calls["flaky"] == [message.uuid]
    assert message.dispatched_at is None and "consumer down" in message.last_error and message.attempts == 1
    delivered = set(message.deliveries.values_list("handler", flat=True))
    assert delivered == {"tests.ok"}  # the catch-alls' applies() refused a non-case message: no row, no transaction

    state["fail"] = False
    assert outbox.deliver_message(message.pk) == ["tests.flaky"]  # only the one still owed
    assert outbox.deliver_message(message.pk) == []  # fully delivered: nothing runs again
    message.refresh_from_db()
    assert calls["ok"] == [message.uuid] and len(calls["flaky"]) == 2
    assert message.dispatched_at is not None and message.last_error == "" and message.attempts == 2
    assert OutboxDelivery.objects.filter(message=message).count() == 2


@pytest.mark.django_db(transaction=True)
def test_delivery_happens_after_commit_only(probe):
    calls, state = probe
    state["fail"] = False
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            outbox.outbox_publish(topic="tests.rolled.back", payload={}, key="x")
            raise RuntimeError("the change failed")
    assert OutboxMessage.objects.count() == 0 and calls["ok"] == []

    with transaction.atomic():
        message = outbox.outbox_publish(topic="tests.committed", payload={"a": 1}, key="y")
        assert calls["ok"] == []  # nothing leaves before the commit
    # committed → on_commit enqueued the Celery task (eager in tests) → delivered
    assert calls["ok"] == [message.uuid]
    message.refresh_from_db()
    assert message.dispatched_at is not None


@pytest.mark.django_db
def test_sweeper_requeues_only_old_undelivered_messages(probe, monkeypatch):
    calls, state = probe
    state["fail"] = False
    old = OutboxMessage.objects.create(topic="tests.old", payload={}, created_at=timezone.now() - timedelta(minutes=5))
    fresh = OutboxMessage.objects.create(topic="tests.fresh", payload={})
    done = OutboxMessage.objects.create(
        topic="tests.done", payload={}, created_at=timezone.now() - timedelta(minutes=5), dispatched_at=timezone.now()
    )
    dead = OutboxMessage.objects.create(
        topic="tests.dead", payload={}, created_at=timezone.now() - timedelta(minutes=5), attempts=1000
    )
    enqueued = []
    monkeypatch.setattr(outbox, "enqueue_delivery", enqueued.append)
    assert outbox.sweep_outbox(older_than_seconds=60) == 1
    assert enqueued == [old.pk]
    assert fresh.pk not in enqueued and done.pk not in enqueued and dead.pk not in enqueued


@pytest.mark.django_db
def test_broker_outage_on_enqueue_is_not_raised(monkeypatch):
    from core import tasks

    def broken(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.deliver_outbox_message, "delay", broken)
    outbox.enqueue_delivery(12345)  # logged; the sweeper will pick the message up


@pytest.mark.django_db
def test_sweep_task_purges_only_old_delivered_messages():
    from core.tasks import sweep_outbox_task

    now = timezone.now()
    old_done = OutboxMessage.objects.create(topic="tests.a", payload={}, dispatched_at=now - timedelta(days=40))
    OutboxDelivery.objects.create(message=old_done, handler="tests.ok")
    recent_done = OutboxMessage.objects.create(topic="tests.b", payload={}, dispatched_at=now - timedelta(days=1))
    old_pending = OutboxMessage.objects.create(topic="tests.c", payload={}, created_at=now - timedelta(days=40),
                                               attempts=1000)
    sweep_outbox_task.delay()
    remaining = set(OutboxMessage.objects.values_list("pk", flat=True))
    assert remaining == {recent_done.pk, old_pending.pk}
    assert not OutboxDelivery.objects.filter(message_id=old_done.pk).exists()


@pytest.mark.django_db
def test_a_consumer_outage_does_not_burn_the_attempts_the_sweeper_backs_off(probe, monkeypatch):
    """The sweeper runs every 30 s; re-enqueuing a failing message on every run would use up
    OUTBOX_MAX_ATTEMPTS in minutes and strand the message. After a failure it waits for the backoff."""
    from django.conf import settings

    calls, state = probe
    clock = {"now": timezone.now()}
    monkeypatch.setattr(outbox.timezone, "now", lambda: clock["now"])
    message = OutboxMessage.objects.create(topic="tests.outage", payload={})
    enqueued = []
    monkeypatch.setattr(outbox, "enqueue_delivery", enqueued.append)

    def sweep_and_deliver():
        before = len(enqueued)
        outbox.sweep_outbox()
        for message_id in enqueued[before:]:
            try:
                outbox.deliver_message(message_id)
            except outbox.DeliveryIncomplete:
                pass

    for _tick in range(2 * 15):  # fifteen minutes of a consumer outage, one sweep every 30 s
        clock["now"] += timedelta(seconds=30)
        sweep_and_deliver()
    message.refresh_from_db()
    assert message.dispatched_at is None and 1 <= message.attempts < settings.OUTBOX_MAX_ATTEMPTS // 2
    assert outbox.sweep_outbox() == 0  # waiting for the backoff, not re-enqueued on every run

    state["fail"] = False  # the consumer is back: the message is still delivered
    for _tick in range(2 * 10):
        clock["now"] += timedelta(seconds=30)
        sweep_and_deliver()
    message.refresh_from_db()
    assert message.dispatched_at is not None


@pytest.mark.django_db
def test_a_case_event_reaches_every_catch_all(probe):
    from tests.builders import make_case

    case = make_case("booked")
    with transaction.atomic():
        message = outbox.outbox_publish(topic="tests.case.touched", key=str(case.uuid), payload={
            "event": "e-1", "type": "tests.case.touched", "case": str(case.uuid), "ward": case.ward_id,
            "ward_uuid": str(case.ward.uuid), "patient": str(case.patient.uuid), "sequence": 99, "state": case.state,
            "version": case.version, "occurred_at": timezone.now().isoformat(), "data": {}})
    state = probe[1]
    state["fail"] = False
    delivered = set(outbox.deliver_message(message.pk))
    assert _catch_all() and _catch_all() <= delivered
    assert set(message.deliveries.values_list("handler", flat=True)) == delivered


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_one_message_run_each_handler_once():
    """Two workers deliver the same message at once (a redelivered task, the sweeper): the second one's claim
    waits for the first one's transaction and then skips; when the first one fails, the second one runs it."""
    import threading

    from django.db import connection

    entered, release = threading.Event(), threading.Event()
    runs, outcomes = [], {}
    fail_first = {"value": False}

    def slow(message):
        runs.append(threading.current_thread().name)
        if len(runs) == 1:
            entered.set()
            release.wait(10)
            if fail_first["value"]:
                raise RuntimeError("first worker's handler failed")

    def worker(message_id):
        try:
            outcomes[threading.current_thread().name] = outbox.deliver_message(message_id)
        except outbox.DeliveryIncomplete:
            outcomes[threading.current_thread().name] = "incomplete"
        finally:
            connection.close()

    outbox.discover_handlers()
    outbox.outbox_handler("tests.race", name="tests.slow")(slow)
    try:
        for fail in (False, True):
            fail_first["value"] = fail
            runs.clear(), outcomes.clear(), entered.clear(), release.clear()
            message = OutboxMessage.objects.create(topic="tests.race", payload={})
            first = threading.Thread(target=worker, args=(message.pk,), name="first")
            second = threading.Thread(target=worker, args=(message.pk,), name="second")
            first.start()
            assert entered.wait(10)
            second.start()
            time.sleep(0.5)  # the second worker is now waiting on the first one's claim
            assert runs == ["first"]
            release.set()
            first.join(10), second.join(10)
            if fail:
                assert runs == ["first", "second"] and outcomes == {"first": "incomplete", "second": ["tests.slow"]}
            else:
                assert runs == ["first"] and outcomes == {"first": ["tests.slow"], "second": []}
            assert OutboxDelivery.objects.filter(message=message, handler="tests.slow").count() == 1
    finally:
        outbox._HANDLERS.pop("tests.slow", None)
