"""Simulated AI voice follow-up platform (智能语音随访): call outcomes, scripts and signed result callbacks.

`POST /voice/calls` and `GET /voice/calls/<id>` (server.py) start a call and read its outcome. This module adds
what a real voice platform does after the call: it POSTs the result to the platform's callback
(`POST /api/v1/followup/voice-callbacks/`), signed like every system client (X-Client-Id, X-Timestamp, X-Nonce,
X-Signature; see server.his_signature), with the simulator's platform client (--platform-url, --client-id,
HOSPITAL_SIM_CLIENT_SECRET).

Outcome of a call: the script registered for its phone number if any, else the server's rule (phone ending 0 →
no answer; otherwise answered, every question answered '1', or '2' when the number ends in 9).

- `POST /_sim/voice/scripts` {"phone", "status": completed|no_answer|failed|busy, "answers": {question key: answer},
  "transcript", "duration_seconds"}: what the next calls to that number return (until replaced or cleared);
  `DELETE /_sim/voice/scripts` clears them.
- `POST /_sim/voice/config` {"auto_callback": bool, "callback_delay_seconds": n}: with auto callbacks on (the
  default) and a platform configured, every started call is reported to the platform after the delay, on a
  background thread (a slow platform never holds up the voice platform's own answers).
- `POST /_sim/voice/calls/<id>/callback`: report that call's result to the platform now (a new signed request: a
  second report of the same call is how a real platform repeats itself); answers {"http_status", "answer"}.
- `GET /_sim/voice/callbacks[?call_id=]`: every callback attempt with the platform's answer.
"""

from __future__ import annotations

import threading
from datetime import datetime

from hospital_sim import data
from hospital_sim.routing import HttpError, module_state, one, require, routes

CALLBACK_PATH = "/api/v1/followup/voice-callbacks/"
STATUSES = ("completed", "no_answer", "failed", "busy")


def _state(state) -> dict:
    return module_state(state, "voice", lambda: {"scripts": {}, "callbacks": [], "auto": True, "delay": 0.3})


def call_result(state, call: dict) -> dict:
    """The outcome of a call, as the voice platform reports it (GET /voice/calls/<id> and the callback)."""
    script = _state(state)["scripts"].get(call["phone"])
    if script is not None:
        answered = script["status"] == "completed"
        return {"call_id": call["call_id"], "status": script["status"], "answered": answered,
                "duration_seconds": script.get("duration_seconds", 60 if answered else 0),
                "answers": dict(script.get("answers") or {}) if answered else {},
                "transcript": script.get("transcript", "") if answered else ""}
    last = call["phone"][-1]
    if last == "0":
        return {"call_id": call["call_id"], "status": "no_answer", "answered": False, "duration_seconds": 0,
                "answers": {}, "transcript": ""}
    answer = "2" if last == "9" else "1"
    return {"call_id": call["call_id"], "status": "completed", "answered": True,
            "duration_seconds": 35 + 10 * len(call["questions"]),
            "answers": {qn: answer for qn in call["questions"]}, "transcript": "患者已接听并按键确认。"}


def _report(state, call_id: str) -> dict:
    """POST one call's result to the platform (signed); the attempt is logged and returned."""
    with state.lock:
        call = state.voice.get(call_id)
    if call is None:
        raise HttpError(404, "not_found", "unknown call")
    payload = dict(call_result(state, call), phone=call["phone"], scenario=call["scenario"],
                   reference=(call.get("params") or {}).get("reference", ""),
                   finished_at=datetime.now(data.CST).isoformat(timespec="seconds"))
    entry = {"call_id": call_id, "status": payload["status"], "at": payload["finished_at"]}
    try:
        entry["http_status"], entry["answer"] = state.platform.post_signed(CALLBACK_PATH, payload)
    except HttpError as err:
        entry["http_status"], entry["answer"] = None, err.message
    voice = _state(state)
    with state.lock:
        voice["callbacks"].append(entry)
        del voice["callbacks"][:-500]
    return entry


def _later(state, call_id: str, delay: float) -> None:
    timer = threading.Timer(delay, lambda: _report(state, call_id))
    timer.daemon = True
    timer.start()


def _wrap(method: str, pattern: str, wrapper):
    """Wrap the handler server.py registered for (method, pattern) (route modules import after server.py's)."""
    for index, (m, rx, fn) in enumerate(routes.table):
        if m == method and rx.pattern == f"^{pattern}$":
            routes.table[index] = (m, rx, wrapper(fn))
            return
    raise RuntimeError(f"no simulator route {method} {pattern} to extend")


def _start_then_call_back(original):
    def handler(state, m, q, body, headers):
        status, answer = original(state, m, q, body, headers)
        voice = _state(state)
        if status < 300 and voice["auto"] and state.platform.configured:
            _later(state, answer["call_id"], voice["delay"])
        return status, answer

    return handler


def _scripted_result(original):
    def handler(state, m, q, body, headers):
        with state.lock:
            call = state.voice.get(m["id"])
        if call is None:
            return original(state, m, q, body, headers)
        return 200, call_result(state, call)

    return handler


_wrap("POST", "/voice/calls", _start_then_call_back)
_wrap("GET", r"/voice/calls/(?P<id>[^/]+)", _scripted_result)


@routes.add("POST", "/_sim/voice/scripts")
def sim_voice_script(state, m, q, body, headers):
    require(body, "phone", "status")
    if body["status"] not in STATUSES:
        raise HttpError(400, "invalid", f"status must be one of {', '.join(STATUSES)}")
    if not isinstance(body.get("answers") or {}, dict):
        raise HttpError(400, "invalid", "answers must be an object")
    script = {"status": body["status"], "answers": dict(body.get("answers") or {}),
              "transcript": str(body.get("transcript") or ""), "duration_seconds": int(body.get("duration_seconds") or 0)
              or (60 if body["status"] == "completed" else 0)}
    voice = _state(state)
    with state.lock:
        voice["scripts"][str(body["phone"])] = script
    return 201, dict(script, phone=str(body["phone"]))


@routes.add("DELETE", "/_sim/voice/scripts")
def sim_voice_scripts_clear(state, m, q, body, headers):
    voice = _state(state)
    with state.lock:
        voice["scripts"].clear()
    return 200, {"status": "cleared"}


@routes.add("POST", "/_sim/voice/config")
def sim_voice_config(state, m, q, body, headers):
    voice = _state(state)
    with state.lock:
        if "auto_callback" in body:
            voice["auto"] = bool(body["auto_callback"])
        if "callback_delay_seconds" in body:
            try:
                voice["delay"] = max(0.0, float(body["callback_delay_seconds"]))
            except (TypeError, ValueError) as exc:
                raise HttpError(400, "invalid", "callback_delay_seconds must be a number") from exc
        return 200, {"auto_callback": voice["auto"], "callback_delay_seconds": voice["delay"],
                     "platform_configured": state.platform.configured}


@routes.add("POST", r"/_sim/voice/calls/(?P<id>[^/]+)/callback")
def sim_voice_callback(state, m, q, body, headers):
    if not state.platform.configured:
        raise HttpError(503, "platform_not_configured",
                        "the simulator does not know the platform: start it with --platform-url (or "
                        "HOSPITAL_SIM_PLATFORM_URL), --client-id and HOSPITAL_SIM_CLIENT_SECRET")
    return 200, _report(state, m["id"])


@routes.add("GET", "/_sim/voice/callbacks")
def sim_voice_callbacks(state, m, q, body, headers):
    call_id = one(q, "call_id")
    voice = _state(state)
    with state.lock:
        return 200, {"items": [dict(e) for e in voice["callbacks"] if not call_id or e["call_id"] == call_id]}
