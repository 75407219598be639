"""Test-only outbox handlers, loaded into a real Celery worker through OUTBOX_EXTRA_HANDLER_MODULES.

Never imported by the application itself. Both append to files under $OUTBOX_PROBE_DIR so the test can see
what ran in the worker process:
- "probe.a_counter" records each message it completes (it runs first: handlers run in name order);
- "probe.b_blocking" records each start; on the first start ever it blocks for a long time (the test kills
  the worker meanwhile), afterwards it completes at once.
"""

import os
import time
from pathlib import Path

from core.outbox import outbox_handler


def _append(name, line):
    path = Path(os.environ["OUTBOX_PROBE_DIR"]) / name
    with path.open("a") as f:
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())
    return path


@outbox_handler("cases.case.*", name="probe.a_counter")
def counter(message):
    _append("counter.log", str(message.uuid))


@outbox_handler("cases.case.*", name="probe.b_blocking")
def blocking(message):
    path = _append("blocking-started.log", str(message.uuid))
    if len(path.read_text().splitlines()) == 1:
        time.sleep(120)  # the first delivery hangs until the worker is killed
    _append("blocking-done.log", str(message.uuid))
