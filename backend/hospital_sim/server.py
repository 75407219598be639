"""The simulator's HTTP service: FHIR R4 for HIS/LIS/PACS, JSON for the other hospital systems, WeChat's API
shapes, recorders for everything "sent", and `/_sim/*` helpers for tests and the demo.

Stdlib only (ThreadingHTTPServer). Behaviour shared by every route:
- POST with an `Idempotency-Key` header is answered once; a repeat with the same key and path gets the first
  answer again and has no second effect (what our adapters rely on when they retry);
- every request is remembered (method, path, idempotency key) in `/_sim/requests`, so tests can check headers;
- `/_sim/faults` injects failures (status code or delay) for the next N requests to a path, to test retries
  and timeouts over real sockets.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
import urllib.error
import urllib.request
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

from . import ca, data, fhir, routing
from .routing import HttpError

ROOMS = ("OR-01", "OR-02", "OR-03", "OR-04")
DAY_START = 8 * 60  # theatre lists start at 08:00
TURNOVER_MINUTES = 15
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


LAUNCH_PATH = "/api/v1/his-launches/"
THEATRE_CALLBACK_PATH = "/api/v1/theatre-schedule/callbacks/"


def his_signature(secret: str, *, timestamp: str, nonce: str, method: str, path: str, body: bytes) -> str:
    """What the platform verifies (backend/booking/signing.py): hex HMAC-SHA256, with the client's secret, of
    timestamp, nonce, METHOD, path and the body's hex SHA-256, joined by newlines."""
    message = "\n".join([timestamp, nonce, method.upper(), path, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


@dataclasses.dataclass(frozen=True)
class PlatformClient:
    """The day-surgery platform as the HIS knows it: base URL and this HIS's client id and shared secret."""

    url: str = ""
    client_id: str = ""
    secret: str = ""
    timeout: float = 30.0

    @property
    def configured(self) -> bool:
        return bool(self.url and self.client_id and self.secret)

    def post_signed(self, path: str, payload: dict) -> tuple[int, object]:
        """POST `payload` to the platform, signed; (status, JSON answer). Unreachable → HttpError 502."""
        base = urlsplit(self.url)
        full_path = base.path.rstrip("/") + path
        raw = json.dumps(payload, ensure_ascii=False).encode()
        timestamp, nonce = str(int(time.time())), secrets.token_urlsafe(16)
        headers = {
            "Content-Type": "application/json; charset=utf-8", "Accept": "application/json",
            "X-Client-Id": self.client_id, "X-Timestamp": timestamp, "X-Nonce": nonce,
            "X-Signature": his_signature(self.secret, timestamp=timestamp, nonce=nonce, method="POST",
                                         path=full_path, body=raw),
        }
        request = urllib.request.Request(f"{base.scheme}://{base.netloc}{full_path}", data=raw, method="POST",
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
                status, answer = response.status, response.read()
        except urllib.error.HTTPError as err:
            status, answer = err.code, err.read()
        except OSError as exc:
            raise HttpError(502, "platform_unreachable", f"the platform at {self.url} did not answer: {exc}") from exc
        try:
            return status, json.loads(answer)
        except ValueError:
            return status, {"error": {"code": "platform_not_json", "message": f"the platform answered {status} "
                                      f"without JSON", "body": answer[:500].decode(errors="replace")}}


class State:
    """Everything mutable in the simulator, guarded by one lock (requests arrive on many threads)."""

    def __init__(self, hospital: data.Hospital, *, theatre_delay: float = 2.0, pay_key: str = data.PAY_KEY,
                 platform: PlatformClient | None = None):
        self.hospital = hospital
        self.pay_key = pay_key
        self.platform = platform or PlatformClient()
        self.lock = threading.RLock()
        self.theatre_delay = theatre_delay
        self.theatre_callbacks = True  # tell the platform (when configured) what the theatre decided
        # The CA outlives /_sim/reset: the platform keeps the root it fetched, and signed documents stay verifiable.
        self.ca = ca.CertificateAuthority()
        self.reset()

    def reset(self):
        with self.lock:
            self.sms: list[dict] = []
            self.wechat_messages: list[dict] = []
            self.push: list[dict] = []
            self.voice: dict[str, dict] = {}
            self.requests: list[dict] = []
            self.faults: list[dict] = []
            self.idempotent: dict[tuple[str, str], tuple[int, object]] = {}
            self.applications: dict[str, dict] = {}
            self.theatre_callback_log: list[dict] = []
            self.certificates: dict[str, dict] = {}
            self.appointments: dict[str, dict] = {}
            self.sedation_status: dict[str, str] = {}  # appointment_no → status changed through /_sim
            self.sedation_results: list[dict] = []
            self.procedures: dict[str, data.CatalogueEntry] = data.procedure_catalogue()
            self.procedures_changed_at = datetime.now(data.CST)
            self.test_packages: dict[str, dict] = {}
            self.tokens: set[str] = set()
            self.payments: dict[str, dict] = {}
            self.extra: dict[str, object] = {}  # state of the route modules beside this one (sim_adt, sim_imaging)
            self.seq = itertools.count(1)

    def catalogue_version(self) -> str:
        """A content hash: the same catalogue has the same version across simulator restarts."""
        with self.lock:
            rows = sorted((vars(p) for p in self.procedures.values()), key=lambda r: r["code"])
        return hashlib.sha1(json.dumps(rows, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:16]

    def change_catalogue(self, fn):
        with self.lock:
            fn(self.procedures)
            self.procedures_changed_at = datetime.now(data.CST)

    # -- theatre scheduling: applications become scheduled once `theatre_delay` seconds have passed. Done
    # lazily (on every theatre read, and by a timer when the platform is told by callback) so the order is
    # deterministic: rooms by load, sequence in the room, start after the previous operation and turnover.
    def run_scheduler(self) -> list[dict]:
        """Schedule what is due; returns copies of the records that changed (for the callbacks)."""
        now = time.monotonic()
        changed = []
        with self.lock:
            due = [a for a in self.applications.values()
                   if a["status"] == "received" and now - a["_received"] >= self.theatre_delay]
            for app in sorted(due, key=lambda a: a["_received"]):
                day = app["planned_date"]
                booked = [a for a in self.applications.values()
                          if a["status"] == "scheduled" and a["planned_date"] == day]
                load = {room: sum(a["estimated_minutes"] + TURNOVER_MINUTES for a in booked if a["room"] == room)
                        for room in ROOMS}
                room = min(ROOMS, key=lambda r: (load[r], r))
                start = datetime.combine(date.fromisoformat(day), datetime.min.time(), data.CST) + \
                    timedelta(minutes=DAY_START + load[room])
                app.update(status="scheduled", room=room,
                           sequence=1 + sum(1 for a in booked if a["room"] == room),
                           scheduled_start=start.isoformat(timespec="seconds"),
                           scheduled_at=datetime.now(data.CST).isoformat(timespec="seconds"),
                           revision=app.get("revision", 1) + 1)
                changed.append(_public(app))
        return changed

    # -- callbacks: the theatre tells the platform (signed like the HIS workstation) what it decided.
    def callbacks_on(self) -> bool:
        return self.theatre_callbacks and self.platform.configured

    def notify_theatre(self, records: list[dict]) -> None:
        """Post each changed application to the platform's callback, on a background thread (a slow platform
        never holds up the theatre's own answers). Every attempt is kept in /_sim/theatre/callbacks."""
        if not records or not self.callbacks_on():
            return

        def post():
            for record in records:
                entry = {"application_no": record["application_no"], "status": record["status"],
                         "revision": record.get("revision"),
                         "at": datetime.now(data.CST).isoformat(timespec="seconds")}
                try:
                    entry["http_status"], entry["answer"] = self.platform.post_signed(THEATRE_CALLBACK_PATH, record)
                except HttpError as err:
                    entry["http_status"], entry["answer"] = None, err.message
                with self.lock:
                    self.theatre_callback_log.append(entry)
                    del self.theatre_callback_log[:-500]

        threading.Thread(target=post, name="theatre-callback", daemon=True).start()

    def schedule_later(self) -> None:
        """With callbacks on, schedule when the delay has passed even if nobody reads the theatre."""
        if not self.callbacks_on():
            return

        def due():
            self.notify_theatre(self.run_scheduler())

        timer = threading.Timer(self.theatre_delay + 0.05, due)
        timer.daemon = True
        timer.start()

    def theatre_read(self) -> None:
        """Before any theatre read: schedule what is due (and tell the platform about it)."""
        self.notify_theatre(self.run_scheduler())


def _public(record: dict) -> dict:
    return {k: v for k, v in record.items() if not k.startswith("_")}


routes = routing.routes
_one = routing.one
_require = routing.require


def _ref_id(value: str | None) -> str | None:
    """'Patient/123' or '123' → '123'."""
    return value.rsplit("/", 1)[-1] if value else None


def _token(query, system_value: str | None):
    """FHIR token search 'system|value' → (system, value)."""
    if not system_value:
        return None, None
    if "|" in system_value:
        system, value = system_value.split("|", 1)
        return system or None, value
    return None, system_value


# --- FHIR: HIS ----------------------------------------------------------------------------------------
@routes.add("GET", "/fhir/metadata")
def fhir_metadata(state, m, q, body, headers):
    return 200, {"resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
                 "fhirVersion": "4.0.1", "format": ["json"]}


@routes.add("GET", "/fhir/Patient")
def fhir_patient_search(state, m, q, body, headers):
    system, value = _token(q, _one(q, "identifier"))
    kwargs = {}
    if value:
        if system in (None, fhir.SYSTEMS["reg_no"]):
            kwargs["reg_no"] = value
        if system == fhir.SYSTEMS["id_card"]:
            kwargs["id_number"] = value
        elif system not in (None, fhir.SYSTEMS["reg_no"]):
            raise HttpError(400, "unsupported_identifier", f"unknown identifier system {system}")
    phone = _one(q, "telecom") or _one(q, "phone")
    if phone:
        kwargs["phone"] = phone.split("|")[-1]
    if not kwargs:
        raise HttpError(400, "too_costly", "search Patient by identifier or telecom")
    found = state.hospital.find_patients(**kwargs)
    return 200, fhir.bundle([fhir.patient(p) for p in found])


@routes.add("GET", r"/fhir/Patient/(?P<id>[^/]+)")
def fhir_patient_read(state, m, q, body, headers):
    p = state.hospital.patient_by_reg_no(m["id"])
    if not p:
        raise HttpError(404, "not-found", "Patient not found")
    return 200, fhir.patient(p)


@routes.add("GET", "/fhir/Encounter")
def fhir_encounter_search(state, m, q, body, headers):
    h = state.hospital
    if _one(q, "_id"):
        visits = [v for v in [h.visits.get(_one(q, "_id"))] if v]
    elif _one(q, "patient") or _one(q, "subject"):
        reg_no = _ref_id(_one(q, "patient") or _one(q, "subject"))
        p = h.patient_by_reg_no(reg_no)
        visits = list(p.visits) if p else []
    else:
        raise HttpError(400, "too_costly", "search Encounter by _id or patient")
    included = []
    if "Condition:encounter" in q.get("_revinclude", []):
        included = [c for v in visits for c in fhir.visit_conditions(v)]
    return 200, fhir.bundle([fhir.encounter(v) for v in visits], included=included)


@routes.add("GET", "/fhir/PractitionerRole")
def fhir_roles(state, m, q, body, headers):
    system, value = _token(q, _one(q, "practitioner.identifier"))
    kwargs = {}
    if value:
        kwargs["id_number" if system == fhir.SYSTEMS["id_card"] else "employee_no"] = value
    if _one(q, "practitioner.telecom"):
        kwargs["phone"] = _one(q, "practitioner.telecom").split("|")[-1]
    staff = state.hospital.find_staff(**kwargs)
    if _one(q, "role"):
        staff = [s for s in staff if s.role == _one(q, "role").split("|")[-1]]
    included = [fhir.practitioner(s) for s in staff] \
        if "PractitionerRole:practitioner" in q.get("_include", []) else []
    return 200, fhir.bundle([fhir.practitioner_role(s) for s in staff], included=included)


@routes.add("GET", f"/fhir/CodeSystem/{fhir.PROCEDURE_CODESYSTEM_ID}")
def fhir_procedures(state, m, q, body, headers):
    """The day-surgery catalogue with a version (ETag); `If-None-Match` with the current one answers 304."""
    with state.lock:
        version = state.catalogue_version()
        procedures = sorted(state.procedures.values(), key=lambda p: p.code)
        changed_at = state.procedures_changed_at
    etag = {"ETag": f'W/"{version}"'}
    if headers.get("If-None-Match", "").strip() in (f'W/"{version}"', f'"{version}"'):
        return 304, b"", "application/fhir+json; charset=utf-8", etag
    resource = fhir.procedure_codesystem(procedures, version=version, last_updated=changed_at)
    return 200, resource, "application/json; charset=utf-8", etag


_PLAN_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")


@routes.add("PUT", r"/fhir/PlanDefinition/(?P<id>[^/]+)")
def fhir_test_package(state, m, q, body, headers):
    """A procedure's pre-operative test package, PUT by the day-surgery system under an id it chooses
    (update-as-create). Stored with a version; repeating the same PUT is harmless."""
    if body.get("resourceType") != "PlanDefinition" or body.get("id") != m["id"] or not _PLAN_ID.match(m["id"]):
        raise HttpError(400, "invalid", "a PlanDefinition whose id matches the URL is required")
    code = next((i.get("value") for i in body.get("identifier", [])
                 if i.get("system") == fhir.SYSTEMS["test_package"]), None)
    if not code:
        raise HttpError(400, "required", "identifier (procedure code) is required")
    if any(not (a.get("code") or [{}])[0].get("coding") for a in body.get("action", [])):
        raise HttpError(400, "required", "every action needs a coded item")
    with state.lock:
        previous = state.test_packages.get(m["id"])
        version = int(previous["meta"]["versionId"]) + 1 if previous else 1
        resource = dict(body, meta={"versionId": str(version),
                                    "lastUpdated": datetime.now(data.CST).isoformat(timespec="seconds")})
        state.test_packages[m["id"]] = resource
    return (200 if previous else 201), resource


@routes.add("POST", "/fhir/Appointment")
def fhir_admission_certificate(state, m, q, body, headers):
    """Day-surgery admission certificate (入院证) pushed as a proposed Appointment; answered with the HIS 住院号."""
    if body.get("resourceType") != "Appointment":
        raise HttpError(400, "invalid", "resourceType must be Appointment")
    cert = next((i["value"] for i in body.get("identifier", [])
                 if i.get("system") == fhir.SYSTEMS["certificate_no"]), None)
    patient_ref = next((p["actor"]["reference"] for p in body.get("participant", [])
                        if p.get("actor", {}).get("reference", "").startswith("Patient/")), None)
    if not cert or not patient_ref or not body.get("start"):
        raise HttpError(400, "required", "identifier (certificate no), Patient participant and start are required")
    if not state.hospital.patient_by_reg_no(_ref_id(patient_ref)):
        raise HttpError(422, "not-found", "unknown patient")
    with state.lock:
        existing = state.certificates.get(cert)
        if existing:
            return 200, existing
        n = next(state.seq)
        resource = dict(body, id=f"ADM{n:06d}", status="booked")
        resource["identifier"] = list(body["identifier"]) + [
            {"system": fhir.SYSTEMS["inpatient_no"], "value": f"ZY{datetime.now(data.CST):%y}{n:06d}"}]
        state.certificates[cert] = resource
    return 201, resource


@routes.add("GET", "/fhir/ChargeItem")
def fhir_charge_items(state, m, q, body, headers):
    reg_no = _ref_id(_one(q, "subject") or _one(q, "patient"))
    if not reg_no:
        raise HttpError(400, "too_costly", "search ChargeItem by subject")
    visit = _ref_id(_one(q, "context"))
    fees = [f for f in state.hospital.fees if f.reg_no == reg_no and (not visit or f.visit_no == visit)]
    return 200, fhir.bundle([fhir.charge_item(f) for f in fees])


# --- FHIR: LIS / PACS / ECG ------------------------------------------------------------------------------------
@routes.add("GET", "/fhir/DiagnosticReport")
def fhir_reports(state, m, q, body, headers):
    reg_no = _ref_id(_one(q, "subject") or _one(q, "patient"))
    if not reg_no:
        raise HttpError(400, "too_costly", "search DiagnosticReport by subject")
    category = (_one(q, "category") or "").split("|")[-1].upper()
    visit = _ref_id(_one(q, "encounter"))
    matches, included = [], []
    if category in ("", "LAB"):
        for r in state.hospital.labs:
            if r.reg_no == reg_no and (not visit or r.visit_no == visit):
                report, observations = fhir.lab_report(r)
                matches.append(report)
                if "DiagnosticReport:result" in q.get("_include", []):
                    included += observations
    if category in ("", "RAD", "EC"):
        for r in state.hospital.exams:
            kind_ok = not category or (category == "EC") == (r.kind == "ECG")
            if r.reg_no == reg_no and kind_ok and (not visit or r.visit_no == visit):
                matches.append(fhir.exam_report(r))
    return 200, fhir.bundle(matches, included=included)


# --- Theatre scheduling (HTTP/JSON) ------------------------------------------------------------------------
# An application is `received`, then `scheduled` (room, sequence, start) once the theatre delay has passed, or
# `cancelled` (by the platform's DELETE, or by the theatre itself: /_sim/theatre/applications/<no>/cancel).
# Every change increases `revision`; with a platform configured, each change is also posted to its callback.
@routes.add("POST", "/theatre/applications")
def theatre_submit(state, m, q, body, headers):
    _require(body, "application_no", "reg_no", "procedure_code", "surgeon_employee_no", "planned_date")
    try:
        date.fromisoformat(body["planned_date"])
        minutes = int(body.get("estimated_minutes") or 60)
    except (TypeError, ValueError) as exc:
        raise HttpError(400, "invalid", f"bad planned_date or estimated_minutes: {exc}") from exc
    if not 0 < minutes <= 24 * 60:
        raise HttpError(400, "invalid", "estimated_minutes must be between 1 and 1440")
    with state.lock:
        existing = state.applications.get(body["application_no"])
        if existing:
            return 200, _public(existing)
        record = {
            "application_no": body["application_no"], "reg_no": body["reg_no"],
            "procedure_code": body["procedure_code"], "procedure_name": body.get("procedure_name", ""),
            "surgeon_employee_no": body["surgeon_employee_no"], "department_code": body.get("department_code", ""),
            "ward_code": body.get("ward_code", ""), "planned_date": body["planned_date"],
            "planned_session": body.get("planned_session", ""), "estimated_minutes": minutes, "status": "received",
            "room": "", "sequence": None, "scheduled_start": None, "revision": 1, "reason": "",
            "received_at": datetime.now(data.CST).isoformat(timespec="seconds"), "_received": time.monotonic(),
        }
        state.applications[record["application_no"]] = record
    state.schedule_later()
    return 202, _public(record)


@routes.add("GET", r"/theatre/applications/(?P<no>[^/]+)")
def theatre_get(state, m, q, body, headers):
    state.theatre_read()
    app = state.applications.get(m["no"])
    if not app:
        raise HttpError(404, "not_found", "unknown application")
    return 200, _public(app)


def _theatre_cancel(state, number: str, reason: str) -> dict:
    with state.lock:
        app = state.applications.get(number)
        if not app:
            raise HttpError(404, "not_found", "unknown application")
        if app["status"] != "cancelled":
            app.update(status="cancelled", room="", sequence=None, scheduled_start=None, reason=reason,
                       revision=app.get("revision", 1) + 1)
        return _public(app)


@routes.add("DELETE", r"/theatre/applications/(?P<no>[^/]+)")
def theatre_cancel(state, m, q, body, headers):
    """The platform withdraws its application (no callback: the platform knows)."""
    return 200, _theatre_cancel(state, m["no"], "withdrawn by the applicant")


@routes.add("GET", "/theatre/schedule")
def theatre_schedule(state, m, q, body, headers):
    day = _one(q, "date")
    if not day:
        raise HttpError(400, "missing_fields", "date is required")
    state.theatre_read()
    items = sorted((_public(a) for a in state.applications.values()
                    if a["status"] == "scheduled" and a["planned_date"] == day),
                   key=lambda a: (a["room"], a["sequence"]))
    return 200, {"date": day, "items": items}


@routes.add("POST", r"/_sim/theatre/applications/(?P<no>[^/]+)/cancel")
def sim_theatre_cancel(state, m, q, body, headers):
    """The theatre cancels an application or its schedule itself (e.g. the room is closed): {"reason"?}."""
    record = _theatre_cancel(state, m["no"], str(body.get("reason") or "cancelled by the theatre"))
    state.notify_theatre([record])
    return 200, record


@routes.add("POST", r"/_sim/theatre/applications/(?P<no>[^/]+)/schedule")
def sim_theatre_schedule(state, m, q, body, headers):
    """The theatre schedules (or re-schedules) an application now: {"room", "sequence", "scheduled_start"}."""
    _require(body, "room", "sequence", "scheduled_start")
    try:
        start = datetime.fromisoformat(body["scheduled_start"])
        sequence = int(body["sequence"])
    except (TypeError, ValueError) as exc:
        raise HttpError(400, "invalid", f"bad sequence or scheduled_start: {exc}") from exc
    if start.tzinfo is None:
        start = start.replace(tzinfo=data.CST)
    with state.lock:
        app = state.applications.get(m["no"])
        if not app:
            raise HttpError(404, "not_found", "unknown application")
        if app["status"] == "cancelled":
            raise HttpError(409, "cancelled", "the application is cancelled")
        app.update(status="scheduled", room=str(body["room"]), sequence=sequence,
                   scheduled_start=start.isoformat(timespec="seconds"),
                   scheduled_at=datetime.now(data.CST).isoformat(timespec="seconds"),
                   revision=app.get("revision", 1) + 1)
        record = _public(app)
    state.notify_theatre([record])
    return 200, record


@routes.add("GET", "/_sim/theatre/callbacks")
def sim_theatre_callbacks(state, m, q, body, headers):
    with state.lock:
        items = list(state.theatre_callback_log)
    if _one(q, "application_no"):
        items = [i for i in items if i["application_no"] == _one(q, "application_no")]
    return 200, {"items": items, "enabled": state.callbacks_on()}


# --- Medical-technology appointments (医技预约) ---------------------------------------------------------
@routes.add("POST", "/medtech/appointments")
def medtech_book(state, m, q, body, headers):
    _require(body, "request_no", "reg_no", "exam_code", "earliest_date")
    try:
        earliest = date.fromisoformat(body["earliest_date"])
    except ValueError as exc:
        raise HttpError(400, "invalid", "earliest_date must be YYYY-MM-DD") from exc
    with state.lock:
        for appt in state.appointments.values():
            if appt["request_no"] == body["request_no"] and appt["status"] == "booked":
                return 200, appt
        n = next(state.seq)
        slot = datetime.combine(earliest + timedelta(days=1), datetime.min.time(), data.CST) + \
            timedelta(minutes=8 * 60 + (n % 16) * 30)
        appt = {"appointment_no": f"YJ{n:06d}", "request_no": body["request_no"], "reg_no": body["reg_no"],
                "exam_code": body["exam_code"], "exam_name": body.get("exam_name", ""),
                "scheduled_at": slot.isoformat(timespec="seconds"),
                "location": {"ECG": "门诊楼2层心电图室"}.get(body["exam_code"], "医技楼1层检查登记处"),
                "status": "booked"}
        state.appointments[appt["appointment_no"]] = appt
    return 201, appt


@routes.add("GET", "/medtech/appointments")
def medtech_list(state, m, q, body, headers):
    reg_no = _one(q, "reg_no")
    if not reg_no:
        raise HttpError(400, "missing_fields", "reg_no is required")
    return 200, {"items": [a for a in state.appointments.values() if a["reg_no"] == reg_no]}


@routes.add("DELETE", r"/medtech/appointments/(?P<no>[^/]+)")
def medtech_cancel(state, m, q, body, headers):
    with state.lock:
        appt = state.appointments.get(m["no"])
        if not appt:
            raise HttpError(404, "not_found", "unknown appointment")
        appt["status"] = "cancelled"
    return 200, appt


# --- Sedated endoscopy appointments (A11) ----------------------------------------------------------------
_SEDATION_NO = re.compile(r"^SJ(\d{8})(\d{2})$")


def _sedation_day(state, day: date) -> list[dict]:
    """The generated list of `day` with what happened since (cancellations through /_sim)."""
    items = state.hospital.sedation_appointments(day)
    with state.lock:
        for item in items:
            item["status"] = state.sedation_status.get(item["appointment_no"], item["status"])
    return items


def _sedation_appointment(state, number: str) -> dict:
    match = _SEDATION_NO.match(number)
    try:
        day = datetime.strptime(match.group(1), "%Y%m%d").date() if match else None
    except ValueError:
        day = None
    found = next((a for a in _sedation_day(state, day) if a["appointment_no"] == number), None) if day else None
    if found is None:
        raise HttpError(404, "unknown_appointment", f"no sedation appointment {number}")
    return found


@routes.add("GET", "/medtech/sedation-appointments")
def medtech_sedation_list(state, m, q, body, headers):
    try:
        day = date.fromisoformat(_one(q, "date") or "")
    except ValueError as exc:
        raise HttpError(400, "invalid", "date is required, YYYY-MM-DD") from exc
    return 200, {"date": day.isoformat(), "items": _sedation_day(state, day)}


@routes.add("POST", r"/medtech/sedation-appointments/(?P<no>[^/]+)/assessment")
def medtech_sedation_assessment(state, m, q, body, headers):
    """The anaesthesia assessment's outcome: passed releases the appointment, failed holds it."""
    appointment = _sedation_appointment(state, m["no"])
    if body.get("result") not in ("passed", "failed"):
        raise HttpError(400, "invalid", "result must be passed or failed")
    if appointment["status"] == "cancelled":
        raise HttpError(409, "appointment_cancelled", "the appointment was cancelled")
    with state.lock:
        record = {"appointment_no": m["no"], "result": body["result"], "note": str(body.get("note") or ""),
                  "idempotency_key": headers.get("Idempotency-Key", ""),
                  "received_at": datetime.now(data.CST).isoformat(timespec="seconds")}
        state.sedation_results.append(record)
    return 200, record


@routes.add("GET", "/_sim/medtech/sedation-results")
def sim_sedation_results(state, m, q, body, headers):
    with state.lock:
        items = [r for r in state.sedation_results
                 if not _one(q, "appointment_no") or r["appointment_no"] == _one(q, "appointment_no")]
    return 200, {"items": items}


@routes.add("POST", r"/_sim/medtech/sedation-appointments/(?P<no>[^/]+)/cancel")
def sim_sedation_cancel(state, m, q, body, headers):
    """The endoscopy unit cancels an appointment (the next list shows it cancelled)."""
    appointment = _sedation_appointment(state, m["no"])
    with state.lock:
        state.sedation_status[m["no"]] = "cancelled"
    return 200, dict(appointment, status="cancelled")


# --- SMS, voice, push recorders ------------------------------------------------------------------------
@routes.add("POST", "/sms/messages")
def sms_send(state, m, q, body, headers):
    _require(body, "phone", "template")
    if not PHONE_RE.match(str(body["phone"])):
        raise HttpError(400, "invalid_phone", "phone must be a mainland mobile number")
    if not isinstance(body.get("params", {}), dict):
        raise HttpError(400, "invalid", "params must be an object")
    with state.lock:
        record = {"message_id": f"SMS{next(state.seq):08d}", "phone": body["phone"], "template": body["template"],
                  "params": body.get("params", {}), "sign": body.get("sign", ""),
                  "idempotency_key": headers.get("Idempotency-Key", ""),
                  "sent_at": datetime.now(data.CST).isoformat(timespec="seconds")}
        state.sms.append(record)
    return 200, {"message_id": record["message_id"], "accepted": True}


@routes.add("POST", "/voice/calls")
def voice_start(state, m, q, body, headers):
    _require(body, "phone", "scenario")
    if not PHONE_RE.match(str(body["phone"])):
        raise HttpError(400, "invalid_phone", "phone must be a mainland mobile number")
    with state.lock:
        call_id = f"CALL{next(state.seq):08d}"
        state.voice[call_id] = {"call_id": call_id, "phone": body["phone"], "scenario": body["scenario"],
                                "params": body.get("params", {}), "questions": list(body.get("questions", [])),
                                "idempotency_key": headers.get("Idempotency-Key", ""),
                                "started_at": datetime.now(data.CST).isoformat(timespec="seconds")}
    return 202, {"call_id": call_id, "status": "queued"}


@routes.add("GET", r"/voice/calls/(?P<id>[^/]+)")
def voice_result(state, m, q, body, headers):
    """Outcome is a pure function of the phone: last digit 0 → no answer; otherwise answered, answers '1' (yes)
    to every question except when the last digit is 9 (answers '2', no)."""
    call = state.voice.get(m["id"])
    if not call:
        raise HttpError(404, "not_found", "unknown call")
    last = call["phone"][-1]
    if last == "0":
        return 200, {"call_id": call["call_id"], "status": "no_answer", "answered": False, "duration_seconds": 0,
                     "answers": {}, "transcript": ""}
    answer = "2" if last == "9" else "1"
    return 200, {"call_id": call["call_id"], "status": "completed", "answered": True,
                 "duration_seconds": 35 + 10 * len(call["questions"]),
                 "answers": {qn: answer for qn in call["questions"]},
                 "transcript": "患者已接听并按键确认。"}


@routes.add("POST", "/push/messages")
def push_send(state, m, q, body, headers):
    _require(body, "token", "title")
    with state.lock:
        record = {"message_id": f"PUSH{next(state.seq):08d}", "token": body["token"], "title": body["title"],
                  "body": body.get("body", ""), "data": body.get("data", {}),
                  "idempotency_key": headers.get("Idempotency-Key", "")}
        state.push.append(record)
    return 200, {"message_id": record["message_id"]}


# --- CA signature (real X.509: see hospital_sim/ca.py) ------------------------------------------------
def _signer(state, employee_no) -> data.Staff:
    staff = state.hospital.find_staff(employee_no=str(employee_no))
    if not staff:
        raise HttpError(422, "unknown_signer", "no certificate for this signer")
    return staff[0]


def _check_hash(value) -> str:
    if not re.fullmatch(r"[0-9a-fA-F]{64}", str(value)):
        raise HttpError(400, "invalid_hash", "document_hash must be 64 hex characters (SHA-256)")
    return str(value).lower()


@routes.add("POST", "/ca/signatures")
def ca_sign(state, m, q, body, headers):
    """Sign a document's SHA-256 digest with the clinician's key (ECDSA P-256, the digest not hashed again)."""
    _require(body, "signer_id", "document_hash")
    digest = _check_hash(body["document_hash"])
    if body.get("algorithm") not in (None, "", ca.ALGORITHM):
        raise HttpError(400, "unsupported_algorithm", f"this CA signs with {ca.ALGORITHM} only")
    staff = _signer(state, body["signer_id"])
    credential = state.ca.credential_for(employee_no=staff.employee_no, name=staff.name)
    return 201, {"signature_value": ca.sign_digest(credential, digest), "cert_serial": credential.serial,
                 "algorithm": ca.ALGORITHM, "signed_at": datetime.now(data.CST).isoformat(timespec="seconds"),
                 "certificate_pem": credential.certificate_pem}


@routes.add("GET", "/ca/root-certificate")
def ca_root(state, m, q, body, headers):
    return 200, state.ca.root_pem.encode(), "application/x-pem-file"


@routes.add("GET", r"/ca/certificates/(?P<employee_no>[^/]+)")
def ca_certificate(state, m, q, body, headers):
    """A clinician's current signing certificate (404 until they first signed)."""
    credential = state.ca.certificate_of(m["employee_no"])
    if credential is None:
        raise HttpError(404, "not_found", "no certificate issued to this signer")
    return 200, credential.certificate_pem.encode(), "application/x-pem-file"


@routes.add("POST", "/ca/verifications")
def ca_verify(state, m, q, body, headers):
    """Verify with the signer's certificate, as the hospital CA's verification service would."""
    _require(body, "signer_id", "document_hash", "signature_value")
    digest = _check_hash(body["document_hash"])
    credential = state.ca.certificate_of(str(body["signer_id"]))
    if credential is None:
        return 200, {"valid": False, "cert_serial": ""}
    return 200, {"valid": ca.verify_digest(credential.certificate, digest, str(body["signature_value"])),
                 "cert_serial": credential.serial}


# --- WeChat (the shapes of api.weixin.qq.com: HTTP 200 with errcode, as WeChat answers) ----------------
def _wx_error(code: int, msg: str):
    return 200, {"errcode": code, "errmsg": msg}


def _wx_token_ok(state, q) -> bool:
    return _one(q, "access_token") in state.tokens


@routes.add("GET", "/wechat/cgi-bin/token")
def wx_token(state, m, q, body, headers):
    if not (_one(q, "appid") and _one(q, "secret")) or _one(q, "grant_type") != "client_credential":
        return _wx_error(40013, "invalid appid")
    token = "simtoken-" + hashlib.sha1(f"{_one(q, 'appid')}:{next(state.seq)}".encode()).hexdigest()[:20]
    with state.lock:
        state.tokens.add(token)
    return 200, {"access_token": token, "expires_in": 7200}


@routes.add("GET", "/wechat/sns/jscode2session")
def wx_code_to_session(state, m, q, body, headers):
    """'wxcode-<n>' → a stable openid for n (session_key too); anything else is an invalid code (40029)."""
    code = _one(q, "js_code") or ""
    if not (_one(q, "appid") and _one(q, "secret")):
        return _wx_error(41002, "appid missing")
    match = re.fullmatch(r"wxcode-([\w-]{1,64})", code)
    if not match:
        return _wx_error(40029, "invalid code")
    n = match.group(1)
    return 200, {"openid": data.openid_for(n), "unionid": "usim" + data.openid_for(n)[4:],
                 "session_key": base64.b64encode(hashlib.md5(f"sk:{n}".encode()).digest()).decode()}


@routes.add("POST", "/wechat/wxa/business/getuserphonenumber")
def wx_phone(state, m, q, body, headers):
    """'phonecode-<i>' → patient i's phone (1-based, as /_sim/patients); 'phonecode-<11 digits>' → that phone."""
    if not _wx_token_ok(state, q):
        return _wx_error(40001, "invalid credential, access_token is invalid or not latest")
    code = str(body.get("code", ""))
    match = re.fullmatch(r"phonecode-(\d+)", code)
    if not match:
        return _wx_error(40029, "invalid code")
    value = match.group(1)
    if len(value) == 11:
        phone = value
    else:
        i = int(value)
        if not 1 <= i <= len(state.hospital.patients):
            return _wx_error(40029, "invalid code")
        phone = state.hospital.patients[i - 1].phone
    return 200, {"errcode": 0, "errmsg": "ok", "phone_info": {
        "phoneNumber": phone, "purePhoneNumber": phone, "countryCode": "86",
        "watermark": {"timestamp": int(time.time()), "appid": "wxsim"}}}


@routes.add("POST", "/wechat/cgi-bin/message/subscribe/send")
def wx_subscribe_send(state, m, q, body, headers):
    if not _wx_token_ok(state, q):
        return _wx_error(40001, "invalid credential, access_token is invalid or not latest")
    if not body.get("touser"):
        return _wx_error(40003, "invalid openid")
    if not body.get("template_id"):
        return _wx_error(40037, "invalid template_id")
    payload = body.get("data")
    if not isinstance(payload, dict) or not all(isinstance(v, dict) and "value" in v for v in payload.values()):
        return _wx_error(47003, "argument invalid! data.value is empty")
    if str(body["touser"]).endswith("-refused"):
        return _wx_error(43101, "user refuse to accept the msg")
    with state.lock:
        msgid = next(state.seq)
        state.wechat_messages.append({"msgid": msgid, "touser": body["touser"], "template_id": body["template_id"],
                                      "page": body.get("page", ""), "data": payload,
                                      "miniprogram_state": body.get("miniprogram_state", "formal")})
    return 200, {"errcode": 0, "errmsg": "ok", "msgid": msgid}


# --- WeChat Pay v2 (XML, MD5 signatures, the shape of api.mch.weixin.qq.com) ---------------------------------
def _parse_xml(raw: bytes) -> dict:
    try:
        root = ElementTree.fromstring(raw)
    except ElementTree.ParseError as exc:
        raise HttpError(400, "invalid_xml", f"body is not XML: {exc}") from exc
    return {child.tag: (child.text or "") for child in root}


def pay_sign(params: dict, key: str) -> str:
    """WeChat Pay v2 MD5 signature: sorted non-empty k=v pairs, then &key=<merchant key>, MD5, upper case."""
    text = "&".join(f"{k}={params[k]}" for k in sorted(params) if params[k] not in ("", None) and k != "sign")
    return hashlib.md5(f"{text}&key={key}".encode()).hexdigest().upper()


def _to_xml(params: dict) -> bytes:
    return ("<xml>" + "".join(f"<{k}><![CDATA[{v}]]></{k}>" for k, v in params.items()) + "</xml>").encode()


def _pay_answer(state, fields: dict):
    answer = {"return_code": "SUCCESS", "return_msg": "OK", "nonce_str": hashlib.md5(
        str(next(state.seq)).encode()).hexdigest(), **fields}
    answer["sign"] = pay_sign(answer, state.pay_key)
    return 200, _to_xml(answer), "application/xml; charset=utf-8"


@routes.add("POST", "/wechat-pay/pay/unifiedorder")
def pay_unified_order(state, m, q, body, headers):
    order = body.get("_xml") or {}
    if not order.get("sign") or order.get("sign") != pay_sign(order, state.pay_key):
        return 200, _to_xml({"return_code": "FAIL", "return_msg": "签名错误"}), "application/xml; charset=utf-8"
    missing = [k for k in ("appid", "mch_id", "out_trade_no", "total_fee", "notify_url", "trade_type",
                           "spbill_create_ip", "body") if not order.get(k)]
    if order.get("trade_type") == "JSAPI" and not order.get("openid"):
        missing.append("openid")
    if missing:
        return _pay_answer(state, {"result_code": "FAIL", "err_code": "PARAM_ERROR",
                                   "err_code_des": "missing " + ",".join(missing)})
    with state.lock:
        existing = state.payments.get(order["out_trade_no"])
        if existing and existing["total_fee"] != order["total_fee"]:
            return _pay_answer(state, {"result_code": "FAIL", "err_code": "INVALID_REQUEST",
                                       "err_code_des": "201 商户订单号重复"})
        if not existing:
            existing = {"out_trade_no": order["out_trade_no"], "total_fee": order["total_fee"],
                        "openid": order.get("openid", ""), "appid": order["appid"], "mch_id": order["mch_id"],
                        "body": order["body"], "prepay_id": f"wx{next(state.seq):020d}", "status": "NOTPAY"}
            state.payments[order["out_trade_no"]] = existing
    return _pay_answer(state, {"result_code": "SUCCESS", "appid": order["appid"], "mch_id": order["mch_id"],
                               "trade_type": order["trade_type"], "prepay_id": existing["prepay_id"]})


@routes.add("POST", "/_sim/wechat-pay/notifications")
def sim_pay_notification(state, m, q, body, headers):
    """Mark an order paid and return the signed notification WeChat Pay would POST to notify_url."""
    _require(body, "out_trade_no")
    with state.lock:
        order = state.payments.get(body["out_trade_no"])
        if not order:
            raise HttpError(404, "not_found", "unknown out_trade_no")
        order["status"] = "SUCCESS"
        n = next(state.seq)
    fields = {"return_code": "SUCCESS", "result_code": "SUCCESS", "appid": order["appid"],
              "mch_id": order["mch_id"], "openid": order["openid"], "out_trade_no": order["out_trade_no"],
              "transaction_id": f"4200{n:024d}", "total_fee": order["total_fee"], "cash_fee": order["total_fee"],
              "fee_type": "CNY", "trade_type": "JSAPI", "bank_type": "OTHERS",
              "time_end": datetime.now(data.CST).strftime("%Y%m%d%H%M%S"),
              "nonce_str": hashlib.md5(f"n{n}".encode()).hexdigest()}
    fields["sign"] = pay_sign(fields, state.pay_key)
    return 201, {"xml": _to_xml(fields).decode()}


@routes.add("GET", "/_sim/wechat-pay/orders")
def sim_pay_orders(state, m, q, body, headers):
    return 200, {"items": list(state.payments.values())}


# --- the HIS outpatient doctor workstation --------------------------------------------------------------
@routes.add("POST", "/_sim/workstation/book-day-surgery")
def sim_workstation_book(state, m, q, body, headers):
    """The doctor clicks "预约日间手术" in the HIS outpatient workstation: the HIS signs a call to the platform's
    `POST /api/v1/his-launches/` with 登记号, 就诊号 and 工号 and hands the platform's answer (pre-filled draft and
    the doctor's single-use sign-in link) back to the caller, status and JSON unchanged.

    {"reg_no", "visit_no"?, "doctor_employee_no"?, "diagnosis_code"?, "diagnosis_name"?, "ward_code"?}: the visit
    defaults to the patient's latest outpatient visit, the doctor to that visit's doctor."""
    platform = state.platform
    if not platform.configured:
        raise HttpError(503, "platform_not_configured",
                        "the simulator does not know the platform: start it with --platform-url (or "
                        "HOSPITAL_SIM_PLATFORM_URL) and HOSPITAL_SIM_CLIENT_ID / HOSPITAL_SIM_CLIENT_SECRET")
    _require(body, "reg_no")
    patient = state.hospital.patient_by_reg_no(str(body["reg_no"]))
    if patient is None:
        raise HttpError(404, "unknown_patient", f"no patient with 登记号 {body['reg_no']}")
    if body.get("visit_no"):
        visit = next((v for v in patient.visits if v.visit_no == body["visit_no"]), None)
        if visit is None:
            raise HttpError(404, "unknown_visit", f"patient {patient.reg_no} has no visit {body['visit_no']}")
    else:
        outpatient = [v for v in patient.visits if v.kind == "outpatient"]
        if not outpatient:
            raise HttpError(404, "unknown_visit", f"patient {patient.reg_no} has no outpatient visit")
        visit = max(outpatient, key=lambda v: v.started_at)
    launch = {"reg_no": patient.reg_no, "visit_no": visit.visit_no,
              "doctor_employee_no": str(body.get("doctor_employee_no") or visit.doctor_employee_no)}
    for optional in ("diagnosis_code", "diagnosis_name", "ward_code"):
        if body.get(optional):
            launch[optional] = str(body[optional])
    return platform.post_signed(LAUNCH_PATH, launch)


# --- /_sim helpers ------------------------------------------------------------------------------------
def _patient_summary(p: data.Patient) -> dict:
    return {"index": p.index, "reg_no": p.reg_no, "outpatient_no": p.outpatient_no, "name": p.name, "sex": p.sex,
            "birth_date": p.birth_date.isoformat(), "id_number": p.id_number, "phone": p.phone,
            "address": p.address, "department_code": p.visits[-1].department_code,
            "visit_nos": [v.visit_no for v in p.visits],
            "diagnoses": [{"code": c, "name": n} for v in p.visits for c, n in v.diagnoses],
            "wechat_phone_code": f"phonecode-{p.index}"}


@routes.add("GET", "/")
def index(state, m, q, body, headers):
    return 200, {"service": "hospital simulator", "seed": state.hospital.seed,
                 "bases": {"fhir": "/fhir", "sms": "/sms", "voice": "/voice", "push": "/push", "theatre": "/theatre",
                           "medtech": "/medtech", "ca": "/ca", "wechat": "/wechat/", "wechat_pay": "/wechat-pay/"},
                 "helpers": "/_sim/{health,patients,staff,departments,procedures,test-packages,sms,wechat/messages,push,voice,"
                            "theatre,requests,reset,config,faults}",
                 "workstation": "POST /_sim/workstation/book-day-surgery"}


@routes.add("GET", "/_sim/health")
def sim_health(state, m, q, body, headers):
    return 200, {"status": "ok", "seed": state.hospital.seed, "anchor_date": state.hospital.anchor.isoformat()}


@routes.add("GET", "/_sim/patients")
def sim_patients(state, m, q, body, headers):
    patients = state.hospital.patients
    if _one(q, "department"):
        patients = [p for p in patients if p.visits[-1].department_code == _one(q, "department")]
    return 200, {"items": [_patient_summary(p) for p in patients]}


@routes.add("GET", r"/_sim/patients/(?P<reg_no>[^/]+)")
def sim_patient(state, m, q, body, headers):
    p = state.hospital.patient_by_reg_no(m["reg_no"])
    if not p:
        raise HttpError(404, "not_found", "unknown patient")
    return 200, _patient_summary(p)


@routes.add("GET", "/_sim/staff")
def sim_staff(state, m, q, body, headers):
    staff = state.hospital.staff
    for key in ("role", "department_code"):
        if _one(q, key):
            staff = [s for s in staff if getattr(s, key) == _one(q, key)]
    return 200, {"items": [vars(s) for s in staff]}


@routes.add("GET", "/_sim/departments")
def sim_departments(state, m, q, body, headers):
    return 200, {"items": [{"code": c, "name": n} for c, n in data.DEPARTMENTS.items()]}


def _catalogue(state) -> dict:
    with state.lock:
        items = [dict(vars(p), anaesthesia=list(p.anaesthesia)) for p in state.procedures.values()]
    return {"version": state.catalogue_version(), "items": sorted(items, key=lambda r: r["code"])}


@routes.add("GET", "/_sim/procedures")
def sim_procedures(state, m, q, body, headers):
    return 200, _catalogue(state)


@routes.add("POST", "/_sim/procedures")
def sim_procedure_put(state, m, q, body, headers):
    """Add or change a catalogue entry as the HIS would: {"code", "name", "grade", "incision_class",
    "department_code", "body_site", "duration_minutes", "anaesthesia": [...]} (fields left out keep their value)."""
    _require(body, "code")
    fields = {f.name for f in dataclasses.fields(data.CatalogueEntry)} - {"code"}

    def change(procedures):
        current = procedures.get(body["code"])
        if current is None:
            _require(body, "name", "grade", "incision_class")
            current = data.CatalogueEntry(body["code"], body["name"], int(body["grade"]), body["incision_class"], "")
        values = {k: body[k] for k in fields if k in body}
        if "anaesthesia" in values:
            values["anaesthesia"] = tuple(values["anaesthesia"])
        procedures[body["code"]] = dataclasses.replace(current, **values)

    state.change_catalogue(change)
    return 200, _catalogue(state)


@routes.add("DELETE", r"/_sim/procedures/(?P<code>[^/]+)")
def sim_procedure_delete(state, m, q, body, headers):
    state.change_catalogue(lambda procedures: procedures.pop(m["code"], None))
    return 200, _catalogue(state)


@routes.add("DELETE", "/_sim/procedures")
def sim_procedures_restore(state, m, q, body, headers):
    """Back to the catalogue the simulator started with."""
    def restore(procedures):
        procedures.clear()
        procedures.update(data.procedure_catalogue())

    state.change_catalogue(restore)
    return 200, _catalogue(state)


@routes.add("GET", "/_sim/test-packages")
def sim_test_packages(state, m, q, body, headers):
    """The test packages (PlanDefinitions) received, by id; ?code= filters by procedure code."""
    with state.lock:
        items = list(state.test_packages.values())
    if _one(q, "code"):
        items = [r for r in items if any(i.get("value") == _one(q, "code") for i in r.get("identifier", []))]
    return 200, {"items": items}


def _filter_phone(items, q, key="phone"):
    return [r for r in items if not _one(q, key) or r.get(key) == _one(q, key)]


@routes.add("GET", "/_sim/sms")
def sim_sms(state, m, q, body, headers):
    return 200, {"items": _filter_phone(state.sms, q)}


@routes.add("GET", "/_sim/wechat/messages")
def sim_wechat(state, m, q, body, headers):
    return 200, {"items": _filter_phone(state.wechat_messages, q, "touser")}


@routes.add("GET", "/_sim/push")
def sim_push(state, m, q, body, headers):
    return 200, {"items": _filter_phone(state.push, q, "token")}


@routes.add("GET", "/_sim/voice")
def sim_voice(state, m, q, body, headers):
    return 200, {"items": _filter_phone(list(state.voice.values()), q)}


@routes.add("GET", "/_sim/theatre")
def sim_theatre(state, m, q, body, headers):
    state.theatre_read()
    return 200, {"items": [_public(a) for a in state.applications.values()],
                 "delay_seconds": state.theatre_delay}


@routes.add("GET", "/_sim/requests")
def sim_requests(state, m, q, body, headers):
    items = state.requests
    if _one(q, "path"):
        items = [r for r in items if r["path"] == _one(q, "path")]
    return 200, {"items": items}


@routes.add("POST", "/_sim/reset")
def sim_reset(state, m, q, body, headers):
    state.reset()
    return 200, {"status": "reset"}


@routes.add("POST", "/_sim/config")
def sim_config(state, m, q, body, headers):
    if "theatre_delay_seconds" in body:
        try:
            state.theatre_delay = max(0.0, float(body["theatre_delay_seconds"]))
        except (TypeError, ValueError) as exc:
            raise HttpError(400, "invalid", "theatre_delay_seconds must be a number") from exc
    if "theatre_callbacks" in body:
        state.theatre_callbacks = bool(body["theatre_callbacks"])
    return 200, {"theatre_delay_seconds": state.theatre_delay, "theatre_callbacks": state.theatre_callbacks}


@routes.add("POST", "/_sim/faults")
def sim_add_fault(state, m, q, body, headers):
    """{"path": "/sms/messages", "status": 503, "delay": 0, "count": 2}: the next `count` requests to `path`
    wait `delay` seconds and, if `status` is set, answer that status instead of the normal response."""
    _require(body, "path")
    try:
        fault = {"path": body["path"], "status": int(body["status"]) if body.get("status") else None,
                 "delay": float(body.get("delay") or 0), "count": int(body.get("count") or 1)}
    except (TypeError, ValueError) as exc:
        raise HttpError(400, "invalid", "status, delay and count must be numbers") from exc
    with state.lock:
        state.faults.append(fault)
    return 201, fault


@routes.add("DELETE", "/_sim/faults")
def sim_clear_faults(state, m, q, body, headers):
    with state.lock:
        state.faults.clear()
    return 200, {"status": "cleared"}


# --- the HTTP plumbing --------------------------------------------------------------------------------
# Route modules beside this one register on the same table (imported for that effect).
from . import sim_adt, sim_imaging, sim_internet_hospital  # noqa: E402,F401
from . import sim_voice as _voice_platform  # noqa: E402,F401 (a route above is also named sim_voice)


class Handler(BaseHTTPRequestHandler):
    server_version = "HospitalSim/1.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet unless the server was started verbose
        if getattr(self.server, "verbose", False):
            super().log_message(fmt, *args)

    def _send(self, status: int, payload, content_type="application/json; charset=utf-8", headers=None):
        raw = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        if self.path.startswith("/fhir/") and content_type.startswith("application/json"):
            content_type = "application/fhir+json; charset=utf-8"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _take_fault(self, path: str):
        state: State = self.server.state
        with state.lock:
            for fault in state.faults:
                if fault["path"] == path and fault["count"] > 0:
                    fault["count"] -= 1
                    return dict(fault)
        return None

    def _handle(self, method: str):
        state: State = self.server.state
        parts = urlsplit(self.path)
        path = parts.path.rstrip("/") or "/"
        query = parse_qs(parts.query)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        key = self.headers.get("Idempotency-Key", "")
        with state.lock:
            state.requests.append({"method": method, "path": path, "idempotency_key": key})
            del state.requests[:-500]
        fault = self._take_fault(path)
        if fault:
            if fault["delay"]:
                time.sleep(fault["delay"])
            if fault["status"]:
                return self._send(fault["status"], {"error": {"code": "injected_fault",
                                                              "message": "fault injected by /_sim/faults"}})
        try:
            body = {}
            if raw and path.startswith("/wechat-pay/"):
                body = {"_xml": _parse_xml(raw)}
            elif raw:
                try:
                    body = json.loads(raw)
                except ValueError as exc:
                    raise HttpError(400, "invalid_json", f"body is not JSON: {exc}") from exc
                if not isinstance(body, dict):
                    raise HttpError(400, "invalid_json", "body must be a JSON object")
            fn, match = routes.resolve(method, path)
            if method == "POST" and key:
                with state.lock:
                    cached = state.idempotent.get((path, key))
                if cached:
                    return self._send(*cached)
            answer = fn(state, match, query, body, self.headers)
            if method == "POST" and key and answer[0] < 500:
                with state.lock:
                    state.idempotent[(path, key)] = answer
            self._send(*answer)
        except HttpError as err:
            if path.startswith("/fhir/"):
                self._send(err.status, fhir.outcome(err.code, err.message))
            else:
                self._send(err.status, {"error": {"code": err.code, "message": err.message}})
        except (BrokenPipeError, ConnectionResetError):
            raise
        except Exception as exc:  # noqa: BLE001 — a simulator bug must still answer, as JSON
            self._send(500, {"error": {"code": "simulator_error", "message": repr(exc)}})

    def _serve(self, method: str):
        try:
            self._handle(method)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout); nothing left to answer

    def do_GET(self):
        self._serve("GET")

    def do_POST(self):
        self._serve("POST")

    def do_DELETE(self):
        self._serve("DELETE")

    def do_PUT(self):
        self._serve("PUT")


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, *, seed=data.DEFAULT_SEED, anchor=None, theatre_delay=2.0, verbose=False,
                 pay_key=data.PAY_KEY, platform_url="", client_id="", client_secret=""):
        super().__init__(address, Handler)
        platform = PlatformClient(url=platform_url or "", client_id=client_id or "", secret=client_secret or "")
        self.state = State(data.Hospital(seed=seed, anchor=anchor), theatre_delay=theatre_delay, pay_key=pay_key,
                           platform=platform)
        self.verbose = verbose

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


def start_in_thread(host="127.0.0.1", port=0, **kwargs) -> tuple[SimulatorServer, threading.Thread]:
    """Start a simulator on a background thread (port 0 = any free port); stop with `server.shutdown()`."""
    server = SimulatorServer((host, port), **kwargs)
    thread = threading.Thread(target=server.serve_forever, name="hospital-sim", daemon=True)
    thread.start()
    return server, thread
