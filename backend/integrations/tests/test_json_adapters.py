"""HTTP/JSON adapters (theatre, medical-tech, voice, CA, simulator push) ↔ simulator over HTTP."""

import hashlib
from datetime import date

import pytest

from integrations.ports.push import PushMessage
from integrations.ports.theatre import TheatreApplication
from integrations.registry import get_port
from integrations.testing import sim_get, sim_patients, sim_post, sim_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def theatre_delay(hospital_sim):
    """A delay no test outlasts; calling the fixture's value lets it pass (no wall-clock sleeps: a loaded CI
    machine may be slower than any short delay, and "not scheduled yet" would then fail)."""
    before = sim_get(hospital_sim, "theatre")["delay_seconds"]
    sim_post(hospital_sim, "config", {"theatre_delay_seconds": 3600})
    yield lambda: sim_post(hospital_sim, "config", {"theatre_delay_seconds": 0})
    sim_post(hospital_sim, "config", {"theatre_delay_seconds": before})


def application(no, day, minutes=60):
    return TheatreApplication(application_no=no, reg_no="0001000001", patient_name="余杰健", procedure_code="64.0",
                              procedure_name="包皮环切术", surgeon_employee_no="E0021", department_code="URO",
                              planned_date=day, estimated_minutes=minutes)


def test_theatre_schedules_received_applications_after_the_delay(hospital_sim, theatre_delay):
    theatre = get_port("theatre")
    day = date(2031, 5, 6)
    first = theatre.submit_application(application("SQ-1", day, 90), idempotency_key="sq-1")
    theatre.submit_application(application("SQ-2", day), idempotency_key="sq-2")
    assert first.status == "received" and first.room == "" and first.scheduled_start is None
    assert theatre.get_application("SQ-1").status == "received"  # not before the delay
    assert theatre.get_schedule(day) == []
    theatre_delay()  # the delay passes
    scheduled = theatre.get_application("SQ-1")
    assert scheduled.status == "scheduled" and scheduled.room == "OR-01" and scheduled.sequence == 1
    assert scheduled.scheduled_start.isoformat() == "2031-05-06T08:00:00+08:00"
    schedule = theatre.get_schedule(day)
    assert [b.application_no for b in schedule] == ["SQ-1", "SQ-2"]
    assert schedule[1].room == "OR-02"  # least-loaded room first
    cancelled = theatre.cancel_application("SQ-2", idempotency_key="sq-2-cancel")
    assert cancelled.status == "cancelled" and cancelled.room == ""
    assert [b.application_no for b in theatre.get_schedule(day)] == ["SQ-1"]
    assert theatre.get_application("NOPE") is None


def test_theatre_resubmission_is_idempotent(hospital_sim, theatre_delay):
    theatre = get_port("theatre")
    a = theatre.submit_application(application("SQ-9", date(2031, 5, 7)), idempotency_key="sq-9")
    b = theatre.submit_application(application("SQ-9", date(2031, 5, 7)), idempotency_key="sq-9-again")
    assert a.application_no == b.application_no and len(
        [x for x in sim_get(hospital_sim, "theatre")["items"] if x["application_no"] == "SQ-9"]) == 1


def test_medtech_booking_list_and_cancel(hospital_sim):
    medtech = get_port("medtech")
    reg_no = sim_patients(hospital_sim)[20]["reg_no"]
    appt = medtech.book(request_no="JC-1", reg_no=reg_no, exam_code="ECG", exam_name="心电图",
                        earliest=date(2031, 1, 10), idempotency_key="jc-1")
    assert appt.status == "booked" and appt.scheduled_at.date() == date(2031, 1, 11) and "心电图室" in appt.location
    assert [a.appointment_no for a in medtech.list_appointments(reg_no)] == [appt.appointment_no]
    assert medtech.cancel(appt.appointment_no, idempotency_key="jc-1-x").status == "cancelled"


def test_voice_call_outcomes_are_recorded(hospital_sim):
    voice = get_port("voice")
    call = voice.start_call(phone="13912345671", scenario="postop_d1", params={"name": "张三"},
                            questions=["pain_ok", "bleeding"], idempotency_key="v-1")
    result = voice.fetch_result(call.call_id)
    assert result.answered and result.status == "completed" and result.answers == {"pain_ok": "1", "bleeding": "1"}
    missed = voice.fetch_result(voice.start_call(phone="13912345670", scenario="postop_d1", params={},
                                                 questions=[], idempotency_key="v-2").call_id)
    assert (missed.status, missed.answered) == ("no_answer", False)
    assert [c["scenario"] for c in sim_get(hospital_sim, "voice", phone="13912345671")["items"]] == ["postop_d1"]
    assert voice.fetch_result("CALL-NONE") is None


def test_ca_signature_round_trip(hospital_sim):
    """The CA's online verification service agrees with the signature it made; the offline check is in test_ca."""
    ca = get_port("ca")
    signer = sim_staff(hospital_sim, role="doctor")[0]["employee_no"]
    digest = hashlib.sha256("手术记录 v1".encode()).hexdigest()
    signature = ca.sign(signer_id=signer, document_hash=digest, idempotency_key="ca-1")
    assert signature.signature_value and len(signature.cert_serial) == 32 and signature.signed_at.tzinfo
    assert signature.algorithm == "ECDSA-P256-SHA256" and "BEGIN CERTIFICATE" in signature.certificate_pem
    assert ca.verify(signer_id=signer, document_hash=digest, signature_value=signature.signature_value)
    other = hashlib.sha256("手术记录 v2".encode()).hexdigest()
    assert not ca.verify(signer_id=signer, document_hash=other, signature_value=signature.signature_value)


def test_simulator_push_is_recorded(hospital_sim):
    result = get_port("push").send(PushMessage(token="fid-test-1", title="新的手术申请", body="请审核",
                                               data={"case": "c1"}), idempotency_key="p-1")
    [record] = sim_get(hospital_sim, "push", token="fid-test-1")["items"]
    assert record["message_id"] == result.message_id and record["data"] == {"case": "c1"}
