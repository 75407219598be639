"""Booking contention benchmark (B6): N concurrent booking confirmations against a department quota of M places.

    .venv/bin/python bench/booking_contention/run.py [--bookings 200] [--places 20] [--processes 8]

Creates a fresh PostgreSQL database (BENCH_DATABASE_URL names the server, default
postgres://postgres@127.0.0.1:5432/postgres), migrates it, seeds one department with a quota of M places on one
date and session, N draft cases (distinct patients, 10 surgeons, a catalogue procedure) and staff tokens, serves
the product with daphne, fires the N confirmations at once from several processes (http.client, one connection
per request), then the same number of requests at a bare endpoint that inserts one row on the same server. Prints
successes, refusals, overbooked (counted in the database: must be 0), throughput and p50/p95 latency for both,
and the throughput ratio. The database is dropped afterwards.
"""

import argparse
import http.client
import json
import math
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
BACKEND = REPO / "backend"
SURGEONS = 10


# --- inside Django (run as subprocesses of this script: the firing processes never import Django) -------------


def _django():
    import django

    sys.path[:0] = [str(HERE), str(BACKEND), str(REPO)]
    django.setup()


def seed(bookings, places):
    _django()
    from datetime import timedelta

    from django.db import connection
    from django.urls import Resolver404, resolve
    from django.utils import timezone

    from accounts.tokens import issue_staff_tokens
    from cases.services import case_create
    from catalog.services import procedure_create
    from tests.builders import make_capacity, make_patient, make_staff, make_ward

    ward = make_ward()
    surgeons = [make_staff("doctor", ward=ward) for _ in range(SURGEONS)]
    procedure = procedure_create(actor=None, code="BENCH.01", name="腹腔镜胆囊切除术", grade=3, incision_class="II",
                                 department=ward.department, wards=[ward])
    day = timezone.localdate() + timedelta(days=3)
    make_capacity(ward.department, day=day, session="am", max_bookings=places, kind="quota")
    tokens = {s.pk: issue_staff_tokens(s)["access"] for s in surgeons}
    # The booking flow's confirm endpoint when it is there, else the case transition it calls.
    probe = "/api/v1/bookings/00000000-0000-4000-8000-000000000000/confirm/"
    try:
        resolve(probe)
        endpoint = "/api/v1/bookings/{}/confirm/"
    except Resolver404:
        endpoint = "/api/v1/cases/{}/confirm/"
    body = json.dumps({"planned_date": day.isoformat(), "planned_session": "am"})
    requests = []
    for n in range(bookings):
        surgeon = surgeons[n % SURGEONS]
        case = case_create(actor=None, patient=make_patient(), ward=ward, surgeon=surgeon, procedure=procedure,
                           planned_date=day, planned_session="am", anaesthesia_method="general",
                           anaesthesia_clinic_required=False)
        requests.append((endpoint.format(case.uuid), tokens[surgeon.pk], body))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_ping (id bigserial PRIMARY KEY, at timestamptz NOT NULL)")
    bare = [("/bench/insert/", tokens[surgeons[n % SURGEONS].pk], "{}") for n in range(bookings)]
    print(json.dumps({"booking": requests, "bare": bare, "endpoint": endpoint, "department": ward.department.pk,
                      "day": day.isoformat()}))


def check(department, day):
    _django()
    from capacity.models import BookingPlace, CapacitySlot, OwnerType, owner_key
    from cases.models import SurgicalCase

    slot = CapacitySlot.objects.get(owner_key=owner_key(OwnerType.DEPARTMENT, department), kind="quota", date=day,
                                    session="am")
    booked = SurgicalCase.objects.filter(department_id=department, planned_date=day, state="booked").count()
    print(json.dumps({"booked": booked, "max": slot.max_bookings, "used": slot.used,
                      "places": BookingPlace.objects.filter(slot=slot).count()}))


# --- firing -------------------------------------------------------------------------------------------------------


def _send(conn, path, token, body):
    began = time.perf_counter()
    try:
        conn.request("POST", path, body=body.encode(), headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        response = conn.getresponse()
        status, payload = response.status, response.read()
    except OSError as exc:  # counted, never hidden: a reset or timeout is a failed request
        conn.close()
        return 0, type(exc).__name__, time.perf_counter() - began, time.time()
    code = ""
    if status >= 400:
        try:
            code = json.loads(payload)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = payload[:80].decode(errors="replace")
    return status, code, time.perf_counter() - began, time.time()


def _client(port, queue, start_at):
    """One client thread: a keep-alive connection sending its requests one after the other."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    results = [_send(conn, *request) for request in queue]
    conn.close()
    return results


def _worker(job):
    """One client process: `threads` clients sharing its requests."""
    from concurrent.futures import ThreadPoolExecutor

    port, share, threads, start_at = job
    queues = [share[i::threads] for i in range(threads)]
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return [r for rs in pool.map(lambda q: _client(port, q, start_at), queues) for r in rs]


def fire(port, requests, processes, concurrency):
    """Send every request from `processes` processes with `concurrency` requests in flight in all."""
    shares = [requests[i::processes] for i in range(processes)]
    threads = max(1, concurrency // processes)
    start_at = time.time() + 2.0  # every process and thread ready before the first request leaves
    with multiprocessing.Pool(processes) as pool:
        results = [r for share in pool.map(_worker, [(port, s, threads, start_at) for s in shares]) for r in share]
    elapsed = max(r[3] for r in results) - start_at
    latencies = sorted(r[2] for r in results)
    return {
        "results": results,
        "throughput": len(results) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)] * 1000,
        "elapsed": elapsed,
    }


# --- orchestration ------------------------------------------------------------------------------------------------


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(server, name):
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _run_self(env, *args):
    done = subprocess.run([sys.executable, str(Path(__file__)), *args], cwd=BACKEND, env=env, capture_output=True,
                          text=True, timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _wait_ready(port, proc, log_path):
    deadline = time.monotonic() + 90
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
            conn.request("GET", "/api/v1/")
            conn.getresponse().read()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("daphne did not start:\n" + Path(log_path).read_text()[-3000:]) from None
            time.sleep(0.3)


def _report(title, run, successes, refusals):
    print(f"{title}")
    print(f"  requests     {len(run['results'])}")
    print(f"  successes    {successes}")
    if refusals is not None:
        print(f"  refusals     {refusals}")
    print(f"  throughput   {run['throughput']:.1f} requests/s  ({run['elapsed']:.2f} s)")
    print(f"  latency      p50 {run['p50']:.0f} ms   p95 {run['p95']:.0f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=200, help="concurrent booking requests (N)")
    parser.add_argument("--places", type=int, default=20, help="places in the department quota (M)")
    parser.add_argument("--processes", type=int, default=5, help="client processes firing the requests")
    parser.add_argument("--concurrency", type=int, default=50,
                        help="requests in flight at once, over all processes (each holds a database connection on "
                             "the server: keep it below PostgreSQL's max_connections)")
    args = parser.parse_args()

    import psycopg

    server = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"bench_booking_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    tmp = tempfile.mkdtemp(prefix="bench-booking-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_", "REDIS_"))}
    env.update(DJANGO_SETTINGS_MODULE="bench_settings", DATABASE_URL=_database_url(server, name), DSM_VAR_DIR=tmp,
               PYTHONPATH=os.pathsep.join([str(HERE), str(BACKEND), str(REPO)]), PYTHONUNBUFFERED="1")
    daphne = None
    try:
        print(f"database {name}: migrating and seeding {args.bookings} draft cases, quota {args.places} …", flush=True)
        migrated = subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=BACKEND, env=env,
                                  capture_output=True, text=True, timeout=900)
        if migrated.returncode != 0:
            raise SystemExit(migrated.stdout[-2000:] + migrated.stderr[-4000:])
        plan = _run_self(env, "--seed", str(args.bookings), str(args.places))
        port = _free_port()
        log_path = Path(tmp) / "daphne.log"
        with open(log_path, "w") as log:
            daphne = subprocess.Popen(
                [str(Path(sys.executable).with_name("daphne")), "-b", "127.0.0.1", "-p", str(port),
                 "config.asgi:application"], cwd=BACKEND, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
        _wait_ready(port, daphne, log_path)
        print(f"daphne on port {port}; booking endpoint {plan['endpoint'].format('<uuid>')}; "
              f"{args.processes} client processes, {args.concurrency} requests in flight\n", flush=True)

        booking = fire(port, [tuple(r) for r in plan["booking"]], args.processes, args.concurrency)
        statuses = [r[0] for r in booking["results"]]
        codes = [r[1] for r in booking["results"] if r[0] >= 400]
        successes = sum(1 for s in statuses if s < 300)
        refusals = codes.count("no_places_left")
        other = sorted(set(codes) - {"no_places_left"})
        db = _run_self(env, "--check", str(plan["department"]), plan["day"])
        overbooked = max(0, db["booked"] - db["max"]) + abs(db["used"] - db["booked"]) + abs(db["places"] - db["booked"])
        _report(f"booking confirmations (N={args.bookings}, M={args.places})", booking, successes, refusals)
        if other:
            print(f"  other errors {len(codes) - refusals}: {other}")
        print(f"  in database  booked {db['booked']}, quota used {db['used']} of {db['max']}, places {db['places']}")
        print(f"  overbooked   {overbooked}")

        bare = fire(port, [tuple(r) for r in plan["bare"]], args.processes, args.concurrency)
        _report("\nbare endpoint (one INSERT, same server, same authentication)", bare,
                sum(1 for r in bare["results"] if r[0] < 300), None)
        print(f"\nthroughput ratio booking / bare insert: {booking['throughput'] / bare['throughput']:.2f}")
        print(f"latency ratio p50 booking / bare insert: {booking['p50'] / bare['p50']:.2f}")
        if overbooked or successes != min(args.places, args.bookings) or other:
            raise SystemExit("FAILED: the booking figures are not what the quota allows")
    finally:
        if daphne is not None:
            daphne.terminate()
            try:
                daphne.wait(timeout=15)
            except subprocess.TimeoutExpired:
                daphne.kill()
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--seed":
        seed(int(sys.argv[2]), int(sys.argv[3]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--check":
        check(int(sys.argv[2]), sys.argv[3])
    else:
        main()
