"""HTTP/JSON adapters: voice platform, theatre scheduling, medical-tech appointments, CA, simulator push.

Each is a thin mapping over `integrations.http.HttpClient` (timeouts, retries, idempotency key, call log).
The JSON shapes are the ones the hospital simulator serves (see hospital_sim/README.md); a hospital whose
systems speak differently gets its own adapter class here, registered through INTEGRATION_ADAPTERS.
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import quote

from django.conf import settings

from integrations.http import HttpClient
from integrations.ports.ca import Signature
from integrations.ports.medtech import SEDATION_RESULTS, MedtechAppointment, SedationBooking
from integrations.ports.push import PushMessage, PushResult
from integrations.ports.theatre import BOOKING_STATUSES, TheatreApplication, TheatreBooking
from integrations.ports.voice import VoiceCall, VoiceCallResult


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


class _JsonAdapter:
    port_name = ""

    def __init__(self, **kwargs):
        self.http = HttpClient(self.port_name, **kwargs)


class HttpVoiceAdapter(_JsonAdapter):
    port_name = "voice"

    def start_call(self, *, phone, scenario, params, questions, idempotency_key) -> VoiceCall:
        body = self.http.post("/calls", json={"phone": phone, "scenario": scenario, "params": params,
                                              "questions": list(questions)},
                              operation="start_call", idempotency_key=idempotency_key,
                              summary={"scenario": scenario, "phone": phone}).json()
        return VoiceCall(call_id=body["call_id"], status=body.get("status", "queued"))

    def fetch_result(self, call_id) -> VoiceCallResult | None:
        response = self.http.get(f"/calls/{call_id}", operation="fetch_result", accept=(404,))
        if response.status_code == 404:
            return None
        body = response.json()
        return VoiceCallResult(call_id=body["call_id"], status=body["status"], answered=bool(body.get("answered")),
                               duration_seconds=int(body.get("duration_seconds") or 0),
                               answers=dict(body.get("answers") or {}), transcript=body.get("transcript", ""))


def _booking(body: dict) -> TheatreBooking:
    revision = body.get("revision")
    start = _dt(body.get("scheduled_start"))
    if start is not None and start.tzinfo is None:
        # Local wall time without an offset (common in hospital systems): the hospital's time zone, never naive
        # (a naive start would compare unequal to the stored one and re-schedule the case on every poll).
        from django.utils import timezone

        start = timezone.make_aware(start)
    return TheatreBooking(application_no=body["application_no"], status=body["status"], room=body.get("room") or "",
                          sequence=body.get("sequence"), scheduled_start=start,
                          revision=int(revision) if revision is not None else None,
                          reason=str(body.get("reason") or "")[:200])


class HttpTheatreAdapter(_JsonAdapter):
    """The theatre scheduling system over HTTP/JSON (the simulator's shapes, see hospital_sim/README.md)."""

    port_name = "theatre"

    def submit_application(self, application: TheatreApplication, *, idempotency_key) -> TheatreBooking:
        payload = {
            "application_no": application.application_no, "reg_no": application.reg_no,
            "patient_name": application.patient_name, "procedure_code": application.procedure_code,
            "procedure_name": application.procedure_name, "surgeon_employee_no": application.surgeon_employee_no,
            "surgeon_name": application.surgeon_name, "department_code": application.department_code,
            "ward_code": application.ward_code, "diagnosis_name": application.diagnosis_name,
            "planned_date": application.planned_date.isoformat(), "planned_session": application.planned_session,
            "estimated_minutes": application.estimated_minutes, "anaesthesia": application.anaesthesia,
            "day_surgery": application.day_surgery, "preferred_room": application.preferred_room,
            "preferred_sequence": application.preferred_sequence,
        }
        body = self.http.post("/applications", json=payload, operation="submit_application",
                              idempotency_key=idempotency_key,
                              summary={"application_no": application.application_no}).json()
        return _booking(body)

    def get_application(self, application_no) -> TheatreBooking | None:
        response = self.http.get(f"/applications/{quote(application_no, safe='')}", operation="get_application",
                                 accept=(404,))
        return None if response.status_code == 404 else _booking(response.json())

    def cancel_application(self, application_no, *, idempotency_key) -> TheatreBooking:
        """Withdraw the application; one the theatre does not know is answered as cancelled (nothing to withdraw)."""
        response = self.http.delete(f"/applications/{quote(application_no, safe='')}", operation="cancel_application",
                                    idempotency_key=idempotency_key, accept=(404,))
        if response.status_code == 404:
            return TheatreBooking(application_no=application_no, status="cancelled", reason="unknown to the theatre")
        return _booking(response.json())

    def get_schedule(self, day: date) -> list[TheatreBooking]:
        body = self.http.get("/schedule", params={"date": day.isoformat()}, operation="get_schedule").json()
        return [_booking(item) for item in body.get("items", [])]

    def parse_callback(self, body: dict) -> TheatreBooking:
        """{"application_no", "status", "room", "sequence", "scheduled_start", "revision", "reason"} (the shape of
        every theatre answer); ValueError when a field is missing or malformed."""
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        number, status = body.get("application_no"), body.get("status")
        if not isinstance(number, str) or not number.strip() or len(number) > 40:
            raise ValueError("application_no")
        if status not in BOOKING_STATUSES:
            raise ValueError("status")
        sequence, revision = body.get("sequence"), body.get("revision")
        if sequence is not None and (not isinstance(sequence, int) or isinstance(sequence, bool)
                                     or not 0 < sequence < 1000):
            raise ValueError("sequence")
        if revision is not None and (not isinstance(revision, int) or isinstance(revision, bool) or revision < 0):
            raise ValueError("revision")
        start = body.get("scheduled_start")
        try:
            start = _dt(start) if start is None or isinstance(start, str) else None
        except ValueError:
            raise ValueError("scheduled_start") from None
        if status == "scheduled" and (start is None or start.tzinfo is None):
            raise ValueError("scheduled_start")
        room = body.get("room") or ""
        if not isinstance(room, str) or len(room) > 40:
            raise ValueError("room")
        return TheatreBooking(application_no=number.strip(), status=status, room=room.strip(), sequence=sequence,
                              scheduled_start=start, revision=revision, reason=str(body.get("reason") or "")[:200])


def _appointment(body: dict) -> MedtechAppointment:
    return MedtechAppointment(appointment_no=body["appointment_no"], request_no=body.get("request_no", ""),
                              reg_no=body.get("reg_no", ""), exam_code=body.get("exam_code", ""),
                              exam_name=body.get("exam_name", ""), scheduled_at=_dt(body.get("scheduled_at")),
                              location=body.get("location", ""), status=body.get("status", ""))


class HttpMedtechAdapter(_JsonAdapter):
    port_name = "medtech"

    def book(self, *, request_no, reg_no, exam_code, exam_name, earliest, idempotency_key) -> MedtechAppointment:
        body = self.http.post("/appointments", json={"request_no": request_no, "reg_no": reg_no,
                                                     "exam_code": exam_code, "exam_name": exam_name,
                                                     "earliest_date": earliest.isoformat()},
                              operation="book", idempotency_key=idempotency_key,
                              summary={"request_no": request_no, "exam_code": exam_code}).json()
        return _appointment(body)

    def list_appointments(self, reg_no) -> list[MedtechAppointment]:
        body = self.http.get("/appointments", params={"reg_no": reg_no}, operation="list_appointments").json()
        return [_appointment(item) for item in body.get("items", [])]

    def cancel(self, appointment_no, *, idempotency_key) -> MedtechAppointment:
        return _appointment(self.http.delete(f"/appointments/{appointment_no}", operation="cancel",
                                             idempotency_key=idempotency_key).json())

    def list_sedation_appointments(self, *, on: date) -> list[SedationBooking]:
        body = self.http.get("/sedation-appointments", params={"date": on.isoformat()},
                             operation="list_sedation_appointments").json()
        return [_sedation_booking(item) for item in body.get("items", [])]

    def report_sedation_assessment(self, *, appointment_no, result, note, idempotency_key) -> None:
        if result not in SEDATION_RESULTS:
            raise ValueError(f"result must be one of {SEDATION_RESULTS}")
        self.http.post(f"/sedation-appointments/{quote(appointment_no, safe='')}/assessment",
                       json={"result": result, "note": note}, operation="report_sedation_assessment",
                       idempotency_key=idempotency_key, summary={"appointment_no": appointment_no, "result": result})


def _sedation_booking(body: dict) -> SedationBooking:
    return SedationBooking(
        appointment_no=body["appointment_no"], reg_no=body.get("reg_no", ""), visit_no=body.get("visit_no", ""),
        exam_code=body.get("exam_code", ""), exam_name=body.get("exam_name", ""),
        procedure_kind=body.get("procedure_kind", ""), scheduled_at=_dt(body.get("scheduled_at")),
        location=body.get("location", ""), ordering_doctor_employee_no=body.get("ordering_doctor_employee_no", ""),
        ordering_doctor_name=body.get("ordering_doctor_name", ""), status=body.get("status", "booked"))


class HttpCaAdapter(_JsonAdapter):
    """The hospital CA over HTTP/JSON. The trust anchor is the root pinned in settings (CA_TRUST_ANCHOR_PEM); only
    when none is pinned (dev/test, where the CA is the simulator) is it fetched from the CA, once per adapter."""

    port_name = "ca"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._anchor = (getattr(settings, "CA_TRUST_ANCHOR_PEM", "") or "").strip()

    def sign(self, *, signer_id, document_hash, idempotency_key) -> Signature:
        body = self.http.post("/signatures", json={"signer_id": signer_id, "document_hash": document_hash},
                              operation="sign", idempotency_key=idempotency_key,
                              summary={"signer": signer_id}).json()
        return Signature(signature_value=body["signature_value"], cert_serial=body["cert_serial"],
                         algorithm=body.get("algorithm", ""), signed_at=_dt(body.get("signed_at")),
                         certificate_pem=body.get("certificate_pem", ""))

    def verify(self, *, signer_id, document_hash, signature_value) -> bool:
        body = self.http.post("/verifications", json={"signer_id": signer_id, "document_hash": document_hash,
                                                      "signature_value": signature_value},
                              operation="verify", summary={"signer": signer_id}).json()
        return bool(body.get("valid"))

    def trust_anchor_pem(self) -> str:
        if not self._anchor:
            self._anchor = self.http.get("/root-certificate", operation="trust_anchor",
                                         headers={"Accept": "application/x-pem-file"}).text.strip()
        return self._anchor


class SimulatorPushAdapter(_JsonAdapter):
    """Demo-only push: firebase-admin cannot be pointed elsewhere, so the demo posts to the simulator's push
    recorder. Production uses integrations.adapters.fcm.FirebasePushAdapter."""

    port_name = "push"

    def send(self, message: PushMessage, *, idempotency_key) -> PushResult:
        body = self.http.post("/messages", json={"token": message.token, "title": message.title,
                                                 "body": message.body, "data": message.data},
                              operation="send", idempotency_key=idempotency_key).json()
        return PushResult(message_id=body["message_id"])
