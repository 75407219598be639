"""Simulated internet-hospital platform (互联网医院): notices to its registered patients.

- `POST /internet-hospital/messages` {reg_no, phone, title, body, link} → 200 {message_id}. The platform knows
  the simulated hospital's patients (by 登记号); anybody else is 422 `patient_not_registered`.
- `GET /_sim/internet-hospital/messages[?reg_no=]`: what it received (test helper).
"""

from __future__ import annotations

import itertools
from datetime import datetime

from hospital_sim import data
from hospital_sim.routing import HttpError, module_state, one, require, routes


def _state(state) -> dict:
    return module_state(state, "internet_hospital", lambda: {"messages": [], "seq": itertools.count(1)})


@routes.add("POST", "/internet-hospital/messages")
def ih_message(state, m, q, body, headers):
    require(body, "reg_no", "title")
    reg_no = str(body["reg_no"])
    if not any(p.reg_no == reg_no for p in state.hospital.patients):
        raise HttpError(422, "patient_not_registered", "the patient has no internet-hospital account")
    own = _state(state)
    with state.lock:
        record = {"message_id": f"IH{next(own['seq']):08d}", "reg_no": reg_no, "phone": body.get("phone", ""),
                  "title": body["title"], "body": body.get("body", ""), "link": body.get("link", ""),
                  "idempotency_key": headers.get("Idempotency-Key", ""),
                  "received_at": datetime.now(data.CST).isoformat(timespec="seconds")}
        own["messages"].append(record)
    return 200, {"message_id": record["message_id"]}


@routes.add("GET", "/_sim/internet-hospital/messages")
def ih_messages(state, m, q, body, headers):
    own = _state(state)
    reg_no = one(q, "reg_no")
    with state.lock:
        items = [r for r in own["messages"] if not reg_no or r["reg_no"] == reg_no]
    return 200, {"items": items}
