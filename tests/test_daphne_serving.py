"""DC1: daphne serves the REST API, the Swagger UI and the WebSocket endpoint from one ASGI application.

Runs a real daphne process on a loopback port (dev settings, a fresh SQLite database, in-memory channel
layer) and talks to it over real sockets: HTTP with requests, the WebSocket with a raw RFC 6455 handshake.
"""

import base64
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]
BACKEND = REPO / "backend"
DAPHNE = Path(sys.executable).with_name("daphne")

TOKEN_SCRIPT = """
from accounts.models import User
from accounts.permissions import sync_permissions
sync_permissions()
user = User.objects.create_user("13900001111", name="daphne")
from accounts.tokens import issue_staff_tokens
token = issue_staff_tokens(user)["access"]
print("TOKEN=" + token)
"""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def daphne_server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("daphne")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "REDIS_", "DATABASE_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        DSM_VAR_DIR=str(tmp),
        PYTHONUNBUFFERED="1",
    )
    run = lambda *args: subprocess.run(  # noqa: E731
        [sys.executable, "manage.py", *args], cwd=BACKEND, env=env, capture_output=True, text=True, timeout=300
    )
    migrated = run("migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    shell = run("shell", "-c", TOKEN_SCRIPT)
    assert shell.returncode == 0, shell.stdout + shell.stderr
    token = next(line[6:] for line in shell.stdout.splitlines() if line.startswith("TOKEN="))

    port = _free_port()
    log = open(tmp / "daphne.log", "w+")
    proc = subprocess.Popen(
        [str(DAPHNE), "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=BACKEND, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(base + "/api/v1/", timeout=2)
                break
            except requests.RequestException:  # refused until daphne listens; a read timeout on a loaded machine
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    pytest.fail("daphne did not start:\n" + log.read()[-3000:])
                time.sleep(0.3)
        yield {"base": base, "port": port, "token": token}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _ws_handshake(port, path, origin=True):
    """Open a WebSocket; returns (status line, socket, bytes after the head). The caller closes the socket."""
    key = base64.b64encode(os.urandom(16)).decode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    origin_header = f"Origin: http://127.0.0.1:{port}\r\n" if origin else ""
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{origin_header}\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    status = head.split(b"\r\n", 1)[0].decode()
    return status, sock, head.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in head else b""


def _read_text_frame(sock, buffered=b""):
    data = buffered

    def need(n):
        nonlocal data
        while len(data) < n:
            chunk = sock.recv(4096)
            if not chunk:
                raise ConnectionError("socket closed")
            data += chunk

    need(2)
    opcode, length = data[0] & 0x0F, data[1] & 0x7F
    offset = 2
    if length == 126:
        need(4)
        length, offset = int.from_bytes(data[2:4], "big"), 4
    elif length == 127:
        need(10)
        length, offset = int.from_bytes(data[2:10], "big"), 10
    need(offset + length)
    return opcode, data[offset : offset + length]


@pytest.mark.slow
@pytest.mark.req("DC1")
def test_daphne_serves_api_docs_and_websocket(daphne_server):
    base, port = daphne_server["base"], daphne_server["port"]
    root = requests.get(base + "/api/v1/", timeout=10)
    assert root.status_code == 200 and root.json()["docs"].endswith("/api/docs/")
    docs = requests.get(base + "/api/docs/", timeout=10)
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
    assert requests.get(base + "/api/schema/", timeout=10).status_code == 200

    res = requests.post(
        base + "/api/v1/realtime/tickets/", headers={"Authorization": f"Bearer {daphne_server['token']}"}, timeout=10
    )
    assert res.status_code == 201, res.text
    ticket = res.json()["ticket"]
    assert res.json()["url"] == f"ws://127.0.0.1:{port}/ws/events/?ticket={ticket}"

    status, sock, rest = _ws_handshake(port, f"/ws/events/?ticket={ticket}")
    try:
        assert status.startswith("HTTP/1.1 101"), status
        opcode, payload = _read_text_frame(sock, rest)
        assert opcode == 0x1
        assert json.loads(payload)["type"] == "ready"
    finally:
        sock.close()

    # A native client (no Origin header) with its own fresh ticket connects too.
    native = requests.post(
        base + "/api/v1/realtime/tickets/", headers={"Authorization": f"Bearer {daphne_server['token']}"}, timeout=10
    ).json()["ticket"]
    status, sock, _ = _ws_handshake(port, f"/ws/events/?ticket={native}", origin=False)
    sock.close()
    assert status.startswith("HTTP/1.1 101"), status

    for path in ("/ws/events/", f"/ws/events/?ticket={ticket}"):  # no ticket; a ticket already used
        status, sock, _ = _ws_handshake(port, path)
        sock.close()
        assert not status.startswith("HTTP/1.1 101"), (path, status)
        assert " 403 " in status + " ", status
