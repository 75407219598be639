"""`make demo` for real: `manage.py rundemo` in a subprocess on embedded defaults (SQLite in a temp dir,
in-memory channel layer, eager tasks), the hospital simulator it starts, the printed URLs and the printed
login procedure followed step by step over real sockets, then a clean Ctrl-C."""

import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

BACKEND = Path(__file__).resolve().parents[1] / "backend"
# The flow, not the speed: a smaller hospital (every pathway state still present) keeps the suite short, and the
# limit only catches a hang. How long the full 200-patient demo takes to start is bench/demo_startup's figure.
DEMO_PATIENTS = 40
STARTUP_LIMIT = 300


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, headers=None):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=10) as r:  # noqa: S310
        return r.status, r.headers.get("Content-Type", ""), r.read()


def _post(url, body, headers=None):
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=10) as r:  # noqa: S310
        return r.status, json.loads(r.read() or b"{}")


def _port_closed(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _read_until_banner(proc, timeout):
    """Lines printed until the banner's closing rule (the banner starts and ends with a line of '=')."""
    lines, rules = [], 0
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buffer = b""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            buffer += proc.stdout.read() or b""
            raise AssertionError("rundemo exited early:\n" + (b"\n".join(lines) + buffer).decode(errors="replace"))
        if not sel.select(timeout=0.5):
            continue
        chunk = os.read(proc.stdout.fileno(), 65536)
        buffer += chunk
        while b"\n" in buffer:
            raw, buffer = buffer.split(b"\n", 1)
            lines.append(raw)
            if raw.startswith(b"=" * 20):
                rules += 1
                if rules == 3:  # opening rule, title rule, closing rule
                    return [line.decode() for line in lines]
    shown = b"\n".join(lines).decode(errors="replace")
    raise AssertionError(f"no banner within {timeout}s:\n{shown}")


def _field(lines, label):
    line = next(line for line in lines if line.strip().startswith(label))
    return re.search(r"(https?|wss?)://\S+", line).group(0)


@pytest.mark.slow
def test_make_demo_runs_end_to_end(tmp_path):
    port, sim_port = _free_port(), _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(DSM_VAR_DIR=str(tmp_path / "var"), DEMO_PORT=str(port), DEMO_SIM_PORT=str(sim_port), PYTHONUNBUFFERED="1",
               DEMO_PATIENTS=str(DEMO_PATIENTS))
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "rundemo"], cwd=BACKEND, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        lines = _read_until_banner(proc, STARTUP_LIMIT)
        text = "\n".join(lines)
        # embedded defaults: the database is SQLite in the temp var dir
        assert (tmp_path / "var" / "demo.sqlite3").exists()
        # seeding showed progress and reached the demo's size
        assert f"patients {DEMO_PATIENTS}/{DEMO_PATIENTS}" in text, text
        assert re.search(r"cases \d+/\d+", text), text
        assert "length-of-stay alerts raised: 1" in text

        api_root = _field(lines, "API root")
        status, ctype, body = _get(api_root)
        assert status == 200 and json.loads(body)["version"] == "v1"
        status, ctype, body = _get(_field(lines, "Swagger UI"))
        assert status == 200 and "text/html" in ctype and b"swagger-ui" in body
        bundle = re.search(rb'src="(/static/[^"]+swagger-ui-bundle\.js)"', body).group(1).decode()
        assert _get(f"http://127.0.0.1:{port}{bundle}")[0] == 200  # static files are served too
        status, ctype, body = _get(_field(lines, "Django admin").rstrip("/") + "/login/")
        assert status == 200 and b"csrfmiddlewaretoken" in body
        assert _field(lines, "WebSocket").startswith(f"ws://127.0.0.1:{port}/ws/events/")

        # the printed login procedure, step by step, for the printed surgeon
        sms_url = _field(lines, "SMS sent").split("?")[0]
        surgeon = next(line for line in lines if line.strip().startswith("surgeon"))
        phone = re.search(r"\b1\d{10}\b", surgeon).group(0)
        request_code = next(line for line in lines if "1. request a code:" in line)
        otp_url = re.search(r"-X POST (\S+)", request_code).group(1)
        assert json.loads(re.search(r"-d '(\{.*?\})'", request_code).group(1)) == {"phone": phone}
        status, _ = _post(otp_url, {"phone": phone})
        assert status in (200, 202)
        _, _, body = _get(f"{sms_url}?phone={phone}")
        code = json.loads(body)["items"][-1]["params"]["code"]
        login_line = next(line for line in lines if "3. log in:" in line)
        login_url = re.search(r"-X POST (\S+)", login_line).group(1)
        status, session = _post(login_url, {"phone": phone, "code": code})
        assert status == 200 and session["access"]
        status, _, body = _get(
            f"{api_root.rstrip('/')}/procedures/?page_size=200", headers={"Authorization": f"Bearer {session['access']}"}
        )
        assert status == 200 and json.loads(body)["count"] >= 60

        # B1: the printed doctor-workstation action (the simulator signs a HIS launch) answers a draft and the
        # doctor's sign-in link, and the link signs the doctor in
        workstation = next(line for line in lines if "/_sim/workstation/book-day-surgery" in line)
        launch_url = re.search(r"-X POST (\S+)", workstation).group(1)
        launch_body = json.loads(re.search(r"-d '(\{.*?\})'", workstation).group(1))
        assert launch_body["reg_no"] and launch_body["doctor_employee_no"]
        status, launched = _post(launch_url, launch_body)
        assert status == 201 and launched["draft"] and "ticket=" in launched["link"], launched
        redeem_line = next(line for line in lines if "/api/v1/launch-tickets/redeem/" in line)
        redeem_url = re.search(r"-X POST (\S+)", redeem_line).group(1)
        ticket = re.search(r"ticket=([^&]+)", launched["link"]).group(1)
        status, doctor_session = _post(redeem_url, {"ticket": ticket})
        assert status == 200 and doctor_session["access"] and doctor_session["draft"] == launched["draft"]
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        try:
            out, _ = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
            raise AssertionError("rundemo did not stop on Ctrl-C") from None
    assert proc.returncode == 0, out.decode(errors="replace")[-2000:]
    assert b"stopped" in out
    assert _port_closed(port) and _port_closed(sim_port)  # daphne and the simulator were stopped
