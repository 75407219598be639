"""Test support: a hospital simulator on a free loopback port, and helpers to read what it recorded.

    with running_simulator() as base_url:
        ...  # point settings.HOSPITAL_SIM_URL at base_url

The repo-root conftest wraps this in the session fixture `hospital_sim` (settings pointed at it).
"""

from contextlib import contextmanager

import requests

from hospital_sim.server import start_in_thread


@contextmanager
def running_simulator(*, theatre_delay: float = 0.5, **kwargs):
    server, thread = start_in_thread("127.0.0.1", 0, theatre_delay=theatre_delay, **kwargs)
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def sim_get(base_url: str, helper: str, **params):
    """GET a /_sim helper (patients, staff, sms, wechat/messages, push, voice, theatre, requests)."""
    response = requests.get(f"{base_url}/_sim/{helper.lstrip('/')}", params=params, timeout=5)
    response.raise_for_status()
    return response.json()


def sim_post(base_url: str, helper: str, payload: dict | None = None):
    response = requests.post(f"{base_url}/_sim/{helper.lstrip('/')}", json=payload or {}, timeout=5)
    response.raise_for_status()
    return response.json()


def sim_patients(base_url: str, **filters) -> list[dict]:
    return sim_get(base_url, "patients", **filters)["items"]


def sim_staff(base_url: str, **filters) -> list[dict]:
    """Roster entries: employee_no, name, sex, id_number, phone, department_code, role, title."""
    return sim_get(base_url, "staff", **filters)["items"]


def sent_sms(base_url: str, phone: str | None = None) -> list[dict]:
    return sim_get(base_url, "sms", **({"phone": phone} if phone else {}))["items"]


def sent_wechat_messages(base_url: str, openid: str | None = None) -> list[dict]:
    return sim_get(base_url, "wechat/messages", **({"touser": openid} if openid else {}))["items"]


def sent_push(base_url: str, token: str | None = None) -> list[dict]:
    return sim_get(base_url, "push", **({"token": token} if token else {}))["items"]
