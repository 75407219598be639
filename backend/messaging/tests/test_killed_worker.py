"""A Celery worker killed in the middle of delivering a message loses nothing and duplicates nothing.

Real worker subprocesses (Redis broker, the PostgreSQL test database) deliver a cancellation: the plan fires, and
the patient's SMS goes to the simulator, which is told to hold that request for a few seconds. The worker is
SIGKILLed while the gateway holds it — after the gateway got the request, before our transaction committed. The
gateway then accepts it (as a real one would). A second worker plus the outbox sweeper redeliver: the same
idempotency key goes out again, the gateway recognises it, and the platform ends with exactly one message per
recipient, one accepted attempt, one `messaging.message.sent` event and one SMS on the handset.
"""

import os
import signal
import subprocess
import sys

import pytest
import requests
from django.conf import settings

from cases.models import CaseEvent
from core.models import OutboxDelivery, OutboxMessage
from core.outbox import handlers_for, sweep_outbox
from core.tests.test_outbox_killed_worker import BACKEND, _database_url, _wait, broker_mode  # noqa: F401
from integrations.testing import sent_sms, sim_get, sim_post
from messaging.models import DeliveryAttempt, Message

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs a Redis broker (REDIS_URL)"),
    pytest.mark.skipif(not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), reason="needs PostgreSQL"),
]


def _start_worker(name, log):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_DEBUG": "false",
        "HOSPITAL_SIM_URL": settings.HOSPITAL_SIM_URL,
        "INTEGRATION_TIMEOUT": "30",  # the client waits for the held request: the kill comes first
    }
    cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-l", "info",
           "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h"]
    return subprocess.Popen(cmd, cwd=BACKEND, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _sms_requests(sim):
    return [r for r in sim_get(sim, "requests")["items"]
            if r["method"] == "POST" and r["path"] == "/sms/messages" and r["idempotency_key"].startswith("msg:")]


@pytest.mark.req("W1", "W2")
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_delivery_loses_and_duplicates_nothing(tmp_path, broker_mode, hospital_sim):  # noqa: F811
    from cases.services import case_transition
    from tests.builders import make_case, make_patient

    sim = hospital_sim
    patient = make_patient()  # no WeChat account: the patient's channel is SMS
    case = make_case("booked", patient=patient)
    workers = []
    try:
        with (tmp_path / "worker1.log").open("w") as log1:
            first = _start_worker("msg-first", log1)
        workers.append(first)
        # The booking's own messages (HIS certificate, booking notice by SMS) go through first.
        _wait(lambda: not OutboxMessage.objects.filter(key=str(case.uuid), dispatched_at__isnull=True).exists(), 40,
              "the booking's messages to be delivered")
        before = {r["idempotency_key"] for r in _sms_requests(sim)}
        sim_post(sim, "faults", {"path": "/sms/messages", "delay": 6, "count": 1})
        case_transition(case=case, transition="cancel", actor=None, reason_code="theatre_unavailable")
        _wait(lambda: [r for r in _sms_requests(sim) if r["idempotency_key"] not in before], 40,
              "the first worker to send the patient's SMS")
        os.killpg(first.pid, signal.SIGKILL)  # the gateway holds the request; our transaction is open
        assert first.wait(10) == -signal.SIGKILL
        [message] = Message.objects.filter(case=case, recipient_kind="patient")
        assert message.status == "pending" and not message.attempts.exists()  # nothing of the attempt committed
        booked_notices = len(sent_sms(sim, patient.phone))
        _wait(lambda: len(sent_sms(sim, patient.phone)) > booked_notices, 15, "the gateway to accept the request")

        with (tmp_path / "worker2.log").open("w") as log2:
            second = _start_worker("msg-second", log2)
        workers.append(second)
        assert sweep_outbox(older_than_seconds=0) >= 1  # the killed worker's task is stuck in the broker

        def done():
            message.refresh_from_db()
            return message.status == "sent" and not OutboxMessage.objects.filter(
                topic="messaging.message.dispatch", dispatched_at__isnull=True).exists()

        _wait(done, 40, "the message to be delivered by the second worker")
    finally:
        for proc in workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        requests.delete(f"{sim}/_sim/faults", timeout=5)

    messages = Message.objects.filter(case=case)
    assert sorted(messages.values_list("audience", flat=True)) == ["patient", "surgeon"]  # one per recipient
    skipped, attempt = DeliveryAttempt.objects.filter(message=message).order_by("id")
    assert [(a.channel, a.status) for a in (skipped, attempt)] == [("wechat", "skipped"), ("sms", "sent")]
    [sms] = [s for s in sent_sms(sim, patient.phone) if s["template"] == "ds_notice"]  # one SMS on the handset
    assert attempt.external_id == sms["message_id"] and sms["idempotency_key"] == attempt.idempotency_key
    keys = [r["idempotency_key"] for r in _sms_requests(sim) if r["idempotency_key"] not in before]
    assert keys == [attempt.idempotency_key, attempt.idempotency_key]  # sent twice, with one key
    assert CaseEvent.objects.filter(case=case, type="messaging.message.sent",
                                    payload__kind="case_cancelled").count() == 1
    dispatch = OutboxMessage.objects.get(topic="messaging.message.dispatch", payload__message=str(message.uuid))
    delivered = sorted(OutboxDelivery.objects.filter(message=dispatch).values_list("handler", flat=True))
    assert delivered == sorted(h.name for h in handlers_for(dispatch.topic) if h.wants(dispatch))  # each once
    assert "messaging.deliver" in delivered
    assert dispatch.attempts >= 2
