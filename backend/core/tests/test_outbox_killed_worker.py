"""Killing a Celery worker in the middle of a delivery loses nothing, and nothing is delivered twice.

A real worker subprocess (Redis broker, the PostgreSQL test database) runs the outbox task; a probe handler
blocks inside the delivery and the worker is SIGKILLed there. A second worker plus the sweeper finish the
job: every handler ends up delivered exactly once per message, including the interrupted one.
"""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from core.models import OutboxDelivery, OutboxMessage
from core.outbox import handlers_for, sweep_outbox

BACKEND = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs a Redis broker (REDIS_URL)"),
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), reason="needs PostgreSQL"
    ),
]


def _database_url():
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _start_worker(name, probe_dir, log):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "REDIS_KEY_PREFIX": settings.REDIS_KEY_PREFIX,  # same broker keys as this test process
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "OUTBOX_EXTRA_HANDLER_MODULES": "core.tests.outbox_probe",
        "OUTBOX_PROBE_DIR": str(probe_dir),
        "DJANGO_DEBUG": "false",
        "HOSPITAL_SIM_URL": settings.HOSPITAL_SIM_URL,  # booking handlers send to the HIS and SMS gateway
    }
    cmd = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "-l", "info",
           "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"{name}@%h"]
    return subprocess.Popen(cmd, cwd=BACKEND, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _wait(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _lines(path):
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def broker_mode():
    """This process enqueues to the real broker (tests otherwise run Celery eagerly)."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = previous
    # The killed worker leaves its unacknowledged task in Redis under this run's prefix: clean up.
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    for key in client.scan_iter(match=f"{settings.REDIS_KEY_PREFIX}:celery:*"):
        client.delete(key)
    client.close()


@pytest.mark.django_db(transaction=True)
def test_killing_a_worker_mid_delivery_loses_nothing(tmp_path, broker_mode, hospital_sim):
    from tests.builders import make_case

    probe_dir = tmp_path / "probe"
    probe_dir.mkdir()
    workers = []
    try:
        case = make_case("booked")  # two committed changes → two outbox messages on the broker
        messages = list(OutboxMessage.objects.filter(key=str(case.uuid)).order_by("id"))
        assert [m.topic for m in messages] == ["cases.case.created", "cases.case.booked"]

        with (tmp_path / "worker1.log").open("w") as log1:
            first = _start_worker("first", probe_dir, log1)
        workers.append(first)
        started = probe_dir / "blocking-started.log"
        _wait(lambda: _lines(started), 25, "the first worker to start the blocking handler")
        os.killpg(first.pid, signal.SIGKILL)  # mid-delivery: the handler is sleeping inside its transaction
        assert first.wait(10) == -signal.SIGKILL
        interrupted = _lines(started)[0]
        assert not OutboxMessage.objects.get(uuid=interrupted).dispatched_at

        with (tmp_path / "worker2.log").open("w") as log2:
            second = _start_worker("second", probe_dir, log2)
        workers.append(second)
        # The killed worker's task is stuck unacknowledged in the broker: the sweeper re-enqueues it.
        assert sweep_outbox(older_than_seconds=0) >= 1
        _wait(
            lambda: not OutboxMessage.objects.filter(key=str(case.uuid), dispatched_at__isnull=True).exists(),
            25,
            "every message to be fully delivered",
        )
    finally:
        for proc in workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)

    for message in messages:
        delivered = list(OutboxDelivery.objects.filter(message=message).values_list("handler", flat=True))
        expected = {h.name for h in handlers_for(message.topic) if h.wants(message)} | {"probe.a_counter", "probe.b_blocking"}
        assert {"cases.realtime_push", "probe.a_counter", "probe.b_blocking"} <= expected
        assert sorted(delivered) == sorted(expected), message.topic  # every handler, once each
    uuids = {str(m.uuid) for m in messages}
    assert Counter(_lines(probe_dir / "counter.log")) == dict.fromkeys(uuids, 1)  # completed ones never rerun
    assert Counter(_lines(probe_dir / "blocking-done.log")) == dict.fromkeys(uuids, 1)
    assert Counter(_lines(started))[interrupted] == 2  # the interrupted delivery really ran again
