"""Real parallel transactions for concurrency tests: each job in its own thread and database connection."""

import threading

from django.db import connection

from core.errors import DomainError


def race(jobs, *, timeout=120):
    """Run every job at once (released together by a barrier); returns ("ok", value), ("refused", error code) or
    ("error", repr) per job, in completion order. Unexpected errors (a deadlock, a constraint) are returned, not
    raised, so they show up in the test's assertion."""
    barrier = threading.Barrier(len(jobs))
    results, lock = [], threading.Lock()

    def run(job):
        try:
            barrier.wait()
            value = ("ok", job())
        except DomainError as exc:
            value = ("refused", exc.code)
        except Exception as exc:  # noqa: BLE001 - see the docstring
            value = ("error", repr(exc))
        finally:
            connection.close()
        with lock:
            results.append(value)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    return results
