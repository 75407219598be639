"""`manage.py rundemo`: one supervisor for the whole product on one machine.

Runs migrate, compiles translations when needed, starts the hospital simulator and waits for it, seeds the
demo hospital, starts daphne (and, when REDIS_URL is set, a Celery worker and beat), prints the URLs and
demo logins, and on Ctrl-C / SIGTERM stops every child it started. Each child runs with the same
environment plus HOSPITAL_SIM_URL pointing at the simulator it started; logs go to <var>/logs/.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings

BACKEND_DIR = Path(settings.BASE_DIR)


def _set_parent_death_signal():
    """Children die with the supervisor even if it is killed hard (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)
    except Exception:
        pass


def port_is_free(host, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def http_get(url, *, timeout=2.0, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (loopback only)
        return response.status, response.read()


def http_post_json(url, body=None, *, headers=None, timeout=5.0):
    data = json.dumps(body or {}).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": "application/json", **(headers or {})}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return response.status, json.loads(response.read() or b"{}")


class DemoError(Exception):
    pass


class DemoRunner:
    def __init__(self, *, host, port, sim_port, write, seed=True, patients=200):
        self.host = host
        self.port = port
        self.sim_port = sim_port
        self.write = write
        self.seed = seed
        self.patients = patients
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.log_dir = Path(settings.VAR_DIR) / "logs"
        self.sim_url = f"http://{host}:{sim_port}"
        self.base_url = f"http://{host}:{port}"
        self.env = {
            **os.environ,
            "HOSPITAL_SIM_URL": self.sim_url,
            "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.dev"),
            "PYTHONUNBUFFERED": "1",
        }
        self.sim_running = False
        self._stopping = False
        self.his_client_id, self.his_client_note = self._his_client()
        self._point_ports_at_simulator()

    HIS_CLIENT_ID = "HIS-SIM"

    def _his_client(self):
        """The simulator plays the HIS doctor workstation (B1): a fresh shared secret per run, given to the
        platform's processes as BOOKING_HIS_CLIENTS and to the simulator. An operator's own BOOKING_HIS_CLIENTS
        is left alone; the simulator then launches only if it has a HIS-SIM entry. (client id or None, note)."""
        self.sim_env = {"HOSPITAL_SIM_PLATFORM_URL": "", "HOSPITAL_SIM_CLIENT_SECRET": ""}
        configured = os.environ.get("BOOKING_HIS_CLIENTS", "").strip()
        if not configured:
            secret = secrets.token_hex(24)
            self.env["BOOKING_HIS_CLIENTS"] = f"{self.HIS_CLIENT_ID}:{secret}"
        else:
            clients = dict(item.strip().split(":", 1) for item in configured.split(",") if ":" in item)
            secret = clients.get(self.HIS_CLIENT_ID, "")
            if not secret:
                return None, (f"BOOKING_HIS_CLIENTS is set without a {self.HIS_CLIENT_ID} entry: the simulator's "
                              "doctor workstation cannot launch bookings")
        self.sim_env = {"HOSPITAL_SIM_PLATFORM_URL": self.base_url, "HOSPITAL_SIM_CLIENT_ID": self.HIS_CLIENT_ID,
                        "HOSPITAL_SIM_CLIENT_SECRET": secret}
        # The simulator also plays the voice follow-up platform, whose callbacks need their own client entry.
        if not os.environ.get("FOLLOWUP_VOICE_CLIENTS", "").strip():
            self.env["FOLLOWUP_VOICE_CLIENTS"] = f"{self.HIS_CLIENT_ID}:{secret}"
        return self.HIS_CLIENT_ID, ""

    def _point_ports_at_simulator(self):
        """This supervisor also reads the HIS (for the banner): use the simulator it starts, like its children."""
        from django.core.signals import setting_changed

        settings.HOSPITAL_SIM_URL = self.sim_url
        setting_changed.send(sender=type(self), setting="HOSPITAL_SIM_URL", value=self.sim_url, enter=True)

    # ------------------------------------------------------------------------------------------------------
    def run(self):
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        started = time.monotonic()
        try:
            for port, what in ((self.port, "DEMO_PORT"), (self.sim_port, "DEMO_SIM_PORT")):
                if not port_is_free(self.host, port):
                    raise DemoError(f"port {port} on {self.host} is in use; choose another with {what}=<port>")
            self.log_dir.mkdir(parents=True, exist_ok=True)
            self._manage("migrate", "--noinput", "-v", "0", title="migrating the database")
            self._compile_messages()
            self._start_simulator()
            if self.seed:
                self._manage("seed_demo", "--patients", str(self.patients), title="seeding the demo hospital")
            self._start_daphne()
            if os.environ.get("REDIS_URL"):
                self._start_celery()
            self.startup_seconds = time.monotonic() - started
            self._print_banner()
            self._supervise()
        except KeyboardInterrupt:
            pass
        except DemoError as exc:
            self.write(f"demo failed: {exc}")
            self.stop()
            return 1
        self.stop()
        return 0

    def _on_signal(self, signum, frame):
        if not self._stopping:
            raise KeyboardInterrupt

    # ------------------------------------------------------------------------------------------------------
    def _manage(self, *args, title):
        self.write(f"» {title}")
        t0 = time.monotonic()
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=BACKEND_DIR, env=self.env)
        if result.returncode != 0:
            raise DemoError(f"manage.py {' '.join(args)} exited with {result.returncode}")
        self.write(f"  done in {time.monotonic() - t0:.1f}s")

    def _compile_messages(self):
        locale = BACKEND_DIR / "locale"
        stale = [
            po
            for po in locale.rglob("*.po")
            if not po.with_suffix(".mo").exists() or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
        ]
        if not stale:
            return
        if subprocess.run(["which", "msgfmt"], capture_output=True).returncode != 0:
            self.write("» translations not compiled (msgfmt missing: apt-get install gettext); messages stay English")
            return
        self._manage("compilemessages", "--ignore=.venv", "-v", "0", title="compiling translations")

    def _spawn(self, name, args, *, env=None):
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        proc = subprocess.Popen(
            args, cwd=BACKEND_DIR, env={**self.env, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=_set_parent_death_signal, start_new_session=True,
        )
        self.children.append((name, proc))
        return proc

    def _wait_http(self, name, proc, url, *, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise DemoError(f"{name} exited with {proc.returncode}; see {self.log_dir / (name + '.log')}")
            try:
                http_get(url, timeout=1.0)
                return
            except urllib.error.HTTPError:
                return  # it answers HTTP: up
            except OSError:
                time.sleep(0.2)
        raise DemoError(f"{name} did not answer at {url} within {timeout}s; see {self.log_dir / (name + '.log')}")

    def _start_simulator(self):
        if not (BACKEND_DIR / "hospital_sim").is_dir():
            self.write("» hospital simulator not present in this checkout; the seed uses local lists")
            return
        self.write(f"» starting the hospital simulator on {self.sim_url}")
        t0 = time.monotonic()
        proc = self._spawn("hospital_sim", [sys.executable, "-m", "hospital_sim", "--host", self.host, "--port", str(self.sim_port)],
                           env=self.sim_env)
        self._wait_http("hospital_sim", proc, self.sim_url + "/", timeout=30)
        self.sim_running = True
        self.write(f"  up in {time.monotonic() - t0:.1f}s")

    def _start_daphne(self):
        self.write(f"» starting daphne on {self.base_url}")
        t0 = time.monotonic()
        proc = self._spawn(
            "daphne",
            [sys.executable, "-m", "daphne", "-b", self.host, "-p", str(self.port), "core.demo.asgi:application"],
        )
        self._wait_http("daphne", proc, self.base_url + "/api/v1/", timeout=60)
        self.write(f"  up in {time.monotonic() - t0:.1f}s")

    def _start_celery(self):
        self.write("» starting a Celery worker and beat (REDIS_URL is set)")
        self._spawn("celery-worker", [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "info", "--concurrency", "2"])
        self._spawn(
            "celery-beat",
            [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", "info",
             "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
             "--schedule", str(self.log_dir / "celerybeat-schedule")],
        )

    # ------------------------------------------------------------------------------------------------------
    def _print_banner(self):
        from core.demo.banner import banner_lines

        for line in banner_lines(self):
            self.write(line)

    def _supervise(self):
        while True:
            for name, proc in self.children:
                if proc.poll() is not None:
                    raise DemoError(f"{name} stopped unexpectedly (exit {proc.returncode}); see {self.log_dir / (name + '.log')}")
            time.sleep(0.5)

    def stop(self):
        self._stopping = True
        if not self.children:
            return
        self.write("stopping: " + ", ".join(name for name, _ in self.children))
        for _, proc in self.children:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 10
        for _, proc in self.children:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.children = []
        self.write("stopped")
