"""Demo start-up benchmark: how long `make demo` takes from launch to its banner, and where the time goes.

    .venv/bin/python bench/demo_startup/run.py [--patients 200]

Runs `manage.py rundemo` on the embedded defaults (SQLite in a temporary directory, eager tasks, the hospital
simulator) exactly as `make demo` does, timestamps every line it prints, and stops it with Ctrl-C once the
banner is out. Prints the time to the banner, the longest gaps between printed lines (the seed stages that
cost most) and, as the baseline measured in the same run, the schema migration (a fixed cost of the machine's
speed): the ratio banner / migration compares across machines.
"""

import argparse
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BACKEND = Path(__file__).resolve().parents[2] / "backend"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed_lines(proc, timeout):
    """(seconds since launch, line) until the banner's third rule of '=' (or the timeout)."""
    started, rules, buffer = time.monotonic(), 0, b""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    while time.monotonic() - started < timeout and proc.poll() is None:
        if not sel.select(timeout=0.5):
            continue
        buffer += os.read(proc.stdout.fileno(), 65536)
        while b"\n" in buffer:
            raw, buffer = buffer.split(b"\n", 1)
            yield time.monotonic() - started, raw.decode(errors="replace")
            if raw.startswith(b"=" * 20):
                rules += 1
                if rules == 3:
                    return
    raise SystemExit(f"no banner after {time.monotonic() - started:.0f} s")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--top", type=int, default=12, help="how many of the longest stages to show")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-demo-") as var:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
        env.update(DSM_VAR_DIR=var, DEMO_PORT=str(free_port()), DEMO_SIM_PORT=str(free_port()),
                   DEMO_PATIENTS=str(args.patients), PYTHONUNBUFFERED="1")
        proc = subprocess.Popen([sys.executable, "manage.py", "rundemo"], cwd=BACKEND, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            lines = list(timed_lines(proc, args.timeout))
        finally:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)

    banner = lines[-1][0]
    migrate = next((float(m.group(1)) for _, line in lines if (m := re.search(r"done in ([\d.]+)s", line))), None)
    gaps = sorted(((at - before, line.strip()) for (before, _), (at, line) in zip(lines, lines[1:], strict=False)),
                  reverse=True)[: args.top]
    print(f"demo with {args.patients} patients: banner after {banner:.1f} s ({len(lines)} lines printed)")
    print(f"baseline, schema migration: {migrate:.1f} s" if migrate else "baseline: migration time not printed")
    print(f"\nlongest {len(gaps)} stages (time before the line that ends them):")
    for seconds, line in gaps:
        print(f"  {seconds:7.1f} s  {line[:110]}")
    if migrate:
        print(f"\nratio banner / migration: {banner / migrate:.1f}")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
