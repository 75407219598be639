"""Simulated HIS ADT (admission A01, transfer A02, discharge A03) as FHIR Encounter writes.

- `POST /fhir/Encounter`: a day-surgery admission. The platform's case number (identifier system
  `day-surgery-case`) is the key: a second POST for the same case (with or without `If-None-Exist`) answers 200
  with the existing encounter. A new encounter gets an id `ENC<n>`, a 住院号 `RJ<yy><n>` (日间) and a 住院流水号
  visit number; a bed is assigned (`<ward>-<nn>`) when none was sent. Unknown patient 422; a patient who already
  has an open stay 409 (the HIS refuses a second concurrent admission).
- `GET /fhir/Encounter/<id>`: read (with `meta.versionId` and an ETag).
- `PUT /fhir/Encounter/<id>`: update with optional `If-Match: W/"<version>"` (412 on a stale version). A finished
  encounter cannot be reopened (409); `period.end` before `period.start` is 422. A change of class SS → IMP is
  the conversion to an ordinary inpatient stay: the HIS issues the inpatient 住院号 `ZY<yy><n>` (the day-surgery
  number stays in the identifiers, `use: old`).
- `GET /_sim/adt/encounters[?case=<case no>]`: what the HIS holds (test helper).
"""

from __future__ import annotations

import copy
import itertools
from datetime import datetime

from hospital_sim import data, fhir
from hospital_sim.routing import HttpError, module_state, one, routes

SID = fhir.SID
CASE_SYSTEM = SID + "day-surgery-case"
WARD_SYSTEM = SID + "ward"
BED_SYSTEM = SID + "bed"


def _state(state) -> dict:
    return module_state(state, "adt", lambda: {"encounters": {}, "by_case": {}, "seq": itertools.count(1)})


def _ident(resource: dict, system: str) -> str:
    return next((i.get("value", "") for i in resource.get("identifier", []) if i.get("system") == system), "")


def _ref_id(value: str | None) -> str:
    return (value or "").rsplit("/", 1)[-1]


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise HttpError(422, "invalid", f"not a dateTime: {value}") from exc
    if parsed.tzinfo is None:
        raise HttpError(422, "invalid", "dateTime needs a time zone")
    return parsed


def _answer(status: int, resource: dict):
    version = resource["meta"]["versionId"]
    return status, resource, "application/fhir+json; charset=utf-8", {"ETag": f'W/"{version}"'}


def _stamp(resource: dict, version: int) -> None:
    resource["meta"] = {"versionId": str(version), "lastUpdated": datetime.now(data.CST).isoformat(timespec="seconds")}


def _ward_of(resource: dict) -> str:
    return next(((e.get("location") or {}).get("identifier", {}).get("value", "") for e in resource.get("location", [])
                 if (e.get("location") or {}).get("identifier", {}).get("system") == WARD_SYSTEM
                 and e.get("status", "active") == "active"), "")


@routes.add("POST", "/fhir/Encounter")
def encounter_create(state, m, q, body, headers):
    if body.get("resourceType") != "Encounter":
        raise HttpError(400, "invalid", "resourceType must be Encounter")
    case_no = _ident(body, CASE_SYSTEM)
    reg_no = _ref_id((body.get("subject") or {}).get("reference"))
    start = _time((body.get("period") or {}).get("start"))
    if not case_no or not reg_no or start is None:
        raise HttpError(400, "required", "identifier (day-surgery case), subject and period.start are required")
    if not _ward_of(body):
        raise HttpError(422, "invalid", "an active ward location is required")
    if not state.hospital.patient_by_reg_no(reg_no):
        raise HttpError(422, "not-found", "unknown patient")
    adt = _state(state)
    with state.lock:
        existing = adt["by_case"].get(case_no)
        if existing:
            return _answer(200, adt["encounters"][existing])
        for other in adt["encounters"].values():
            if _ref_id(other["subject"]["reference"]) == reg_no and other["status"] == "in-progress":
                raise HttpError(409, "duplicate", "the patient already has an open stay")
        n = next(adt["seq"])
        resource = copy.deepcopy(body)
        resource["id"] = f"ENC{n:06d}"
        year = f"{datetime.now(data.CST):%y}"
        resource["identifier"] = list(resource.get("identifier", [])) + [
            {"system": fhir.SYSTEMS["inpatient_no"], "value": f"RJ{year}{n:06d}"},
            {"system": fhir.SYSTEMS["visit_no"], "value": f"ZYLS{year}{n:06d}"},
        ]
        if not any((e.get("location") or {}).get("identifier", {}).get("system") == BED_SYSTEM
                   for e in resource.get("location", [])):
            bed = f"{_ward_of(body)}-{n % 40 + 1:02d}"
            resource["location"].append({"location": {"identifier": {"system": BED_SYSTEM, "value": bed},
                                                      "display": bed},
                                         "status": "active", "period": {"start": body["period"]["start"]}})
        _stamp(resource, 1)
        adt["encounters"][resource["id"]] = resource
        adt["by_case"][case_no] = resource["id"]
    return _answer(201, resource)


@routes.add("GET", r"/fhir/Encounter/(?P<id>[^/]+)")
def encounter_read(state, m, q, body, headers):
    adt = _state(state)
    with state.lock:
        resource = adt["encounters"].get(m["id"])
        if resource is None:
            raise HttpError(404, "not-found", "unknown encounter")
        return _answer(200, copy.deepcopy(resource))


@routes.add("PUT", r"/fhir/Encounter/(?P<id>[^/]+)")
def encounter_update(state, m, q, body, headers):
    if body.get("resourceType") != "Encounter" or body.get("id") not in (None, m["id"]):
        raise HttpError(400, "invalid", "an Encounter with this id is required")
    adt = _state(state)
    with state.lock:
        current = adt["encounters"].get(m["id"])
        if current is None:
            raise HttpError(404, "not-found", "unknown encounter")
        if_match = headers.get("If-Match", "")
        if if_match and if_match.strip().removeprefix("W/").strip('"') != current["meta"]["versionId"]:
            raise HttpError(412, "conflict", "the encounter changed since it was read")
        if current["status"] == "finished" and body.get("status") != "finished":
            raise HttpError(409, "business-rule", "a finished encounter cannot be reopened")
        start = _time((body.get("period") or {}).get("start"))
        end = _time((body.get("period") or {}).get("end"))
        if start and end and end < start:
            raise HttpError(422, "invalid", "period.end is before period.start")
        if body.get("status") == "finished" and end is None:
            raise HttpError(422, "invalid", "a finished encounter needs period.end")
        resource = copy.deepcopy(body)
        resource["id"] = m["id"]
        # Identifiers are the HIS's: ours (case number, 住院号, visit number) cannot be dropped by a client.
        resource["identifier"] = copy.deepcopy(current["identifier"])
        was, now = (current.get("class") or {}).get("code"), (resource.get("class") or {}).get("code")
        if was == "SS" and now == "IMP":
            n = next(adt["seq"])
            for ident in resource["identifier"]:
                if ident.get("system") == fhir.SYSTEMS["inpatient_no"]:
                    ident["use"] = "old"
            resource["identifier"].insert(0, {"system": fhir.SYSTEMS["inpatient_no"], "use": "official",
                                              "value": f"ZY{datetime.now(data.CST):%y}{n:06d}"})
        _stamp(resource, int(current["meta"]["versionId"]) + 1)
        adt["encounters"][m["id"]] = resource
    return _answer(200, resource)


@routes.add("GET", "/_sim/adt/encounters")
def sim_encounters(state, m, q, body, headers):
    adt = _state(state)
    case_no = one(q, "case")
    with state.lock:
        rows = [copy.deepcopy(r) for r in adt["encounters"].values() if not case_no or _ident(r, CASE_SYSTEM) == case_no]
    return 200, {"encounters": rows}
