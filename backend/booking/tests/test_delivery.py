"""B8, B9, U4: a confirmed booking goes to the HIS (admission certificate) and to the patient (WeChat subscribe
message, SMS fallback) with the entry to the patient app — retried until delivered, visible on the booking."""

import pytest
import requests

from booking.models import BookingDelivery
from booking.tests.conftest import future
from cases.models import SurgicalCase
from cases.services import case_record_milestone, case_transition
from core.models import OutboxMessage
from core.outbox import DeliveryIncomplete, deliver_message
from hospital_sim.data import openid_for
from integrations.testing import sent_sms, sent_wechat_messages, sim_get, sim_patients, sim_post
from org.models import ManagementMode
from tests.builders import (
    authenticate,
    make_department,
    make_patient,
    make_patient_account,
    make_staff,
    make_ward,
)

pytestmark = [pytest.mark.django_db]


def _his_patient(sim, index, phone):
    """A local patient who is also in the simulated HIS (the certificate names them by 登记号)."""
    return make_patient(reg_no=sim_patients(sim)[index]["reg_no"], phone=phone)


def _book(client, world, patient, capture, *, ward=None):
    ward = ward or world["ward"]
    draft = client.post("/api/v1/bookings/", {"patient": str(patient.uuid), "ward": str(ward.uuid)},
                        format="json").json()
    client.patch(f"/api/v1/bookings/{draft['uuid']}/", {"procedure": str(world["procedure"].uuid),
                                                        "anaesthesia_method": "general"}, format="json")
    with capture(execute=True):
        response = client.post(f"/api/v1/bookings/{draft['uuid']}/confirm/",
                               {"planned_date": str(future(4)), "planned_session": "am"}, format="json")
    assert response.status_code == 200, response.content
    return draft["uuid"]


def _booked_message(uuid):
    return OutboxMessage.objects.get(topic="cases.case.booked", key=uuid)


@pytest.mark.req("B8", "B9")
def test_confirmation_sends_the_certificate_and_a_wechat_notice(api_client, world, hospital_sim,
                                                                django_capture_on_commit_callbacks):
    patient = _his_patient(hospital_sim, 31, "13810003101")
    openid = openid_for("booking-31")
    make_patient_account(patient=patient, openid=openid)
    authenticate(api_client, world["doctor"])
    uuid = _book(api_client, world, patient, django_capture_on_commit_callbacks)
    message = _booked_message(uuid)

    key = f"booking-cert:{message.uuid}"
    calls = [r for r in sim_get(hospital_sim, "requests", path="/fhir/Appointment")["items"]
             if r["idempotency_key"] == key]
    assert len(calls) == 1 and calls[0]["method"] == "POST"
    [wechat] = sent_wechat_messages(hospital_sim, openid)
    assert wechat["template_id"] == "DS-BOOKED" and wechat["page"] == f"pages/case/detail?case={uuid}"
    assert wechat["data"]["thing1"]["value"] == "腹腔镜胆囊切除术"
    assert wechat["data"]["time2"]["value"].startswith(str(future(4)))
    assert not sent_sms(hospital_sim, "13810003101")

    deliveries = {d["channel"]: d for d in api_client.get(f"/api/v1/bookings/{uuid}/").json()["deliveries"]}
    assert set(deliveries) == {"his_certificate", "wechat"}
    certificate = deliveries["his_certificate"]
    assert certificate["status"] == "sent" and certificate["external_id"].startswith("ADM")
    assert certificate["inpatient_no"].startswith("ZY")
    assert deliveries["wechat"]["external_id"] == str(wechat["msgid"])

    # Delivering the same message again changes nothing on either side (idempotent per message and channel).
    OutboxMessage.objects.filter(pk=message.pk).update(dispatched_at=None)
    from core.models import OutboxDelivery

    OutboxDelivery.objects.filter(message=message).delete()
    deliver_message(message.pk)
    assert BookingDelivery.objects.filter(case__uuid=uuid).count() == 2
    assert len(sent_wechat_messages(hospital_sim, openid)) == 1


@pytest.mark.req("B8")
def test_the_certificate_carries_time_procedure_and_the_procedures_notice(world):
    from booking.notices import admission_certificate
    from tests.builders import make_case

    case = make_case(ward=world["ward"], planned_date=future(3))
    case.procedure = world["procedure"]
    certificate = admission_certificate(case, sequence=4)
    assert certificate.planned_admission_date == future(3) and certificate.procedure_name == "腹腔镜胆囊切除术"
    assert "术前8小时禁食，携带身份证。" in certificate.note and str(future(3)) in certificate.note
    assert certificate.certificate_no.endswith("-4") and certificate.ward_code == world["ward"].code


@pytest.mark.req("B9")
def test_sms_when_the_patient_has_no_wechat_or_wechat_refuses(api_client, world, hospital_sim,
                                                              django_capture_on_commit_callbacks):
    authenticate(api_client, world["doctor"])
    plain = _his_patient(hospital_sim, 32, "13810003201")
    uuid = _book(api_client, world, plain, django_capture_on_commit_callbacks)
    [sms] = sent_sms(hospital_sim, "13810003201")
    assert sms["template"] == "booking_confirmed" and sms["params"]["link"].endswith(f"/cases/{uuid}")
    assert sms["params"]["procedure"] == "腹腔镜胆囊切除术" and sms["params"]["time"].startswith(str(future(4)))

    refusing = _his_patient(hospital_sim, 33, "13810003301")
    make_patient_account(patient=refusing, openid="o-booking-33-refused")  # unsubscribed: WeChat answers 43101
    uuid = _book(api_client, world, refusing, django_capture_on_commit_callbacks)
    assert len(sent_sms(hospital_sim, "13810003301")) == 1
    [notice] = [d for d in api_client.get(f"/api/v1/bookings/{uuid}/").json()["deliveries"] if d["channel"] == "sms"]
    assert notice["status"] == "sent" and "43101" in notice["detail"]


@pytest.mark.req("B8", "B9")
def test_a_his_outage_is_retried_until_delivered_and_shown_meanwhile(api_client, world, hospital_sim,
                                                                     django_capture_on_commit_callbacks):
    authenticate(api_client, world["doctor"])
    patient = _his_patient(hospital_sim, 34, "13810003401")
    sim_post(hospital_sim, "faults", {"path": "/fhir/Appointment", "status": 503, "count": 50})
    try:
        uuid = _book(api_client, world, patient, django_capture_on_commit_callbacks)
        deliveries = {d["channel"]: d for d in api_client.get(f"/api/v1/bookings/{uuid}/").json()["deliveries"]}
        assert deliveries["his_certificate"]["status"] == "pending" and deliveries["his_certificate"]["attempts"] == 1
        assert deliveries["his_certificate"]["last_error"]
        assert deliveries["sms"]["status"] == "sent"  # the patient's notice does not wait for the HIS
        with pytest.raises(DeliveryIncomplete):
            deliver_message(_booked_message(uuid).pk)
    finally:
        requests.delete(f"{hospital_sim}/_sim/faults", timeout=5)
    deliver_message(_booked_message(uuid).pk)  # what the outbox retry does once the HIS is back
    deliveries = {d["channel"]: d for d in api_client.get(f"/api/v1/bookings/{uuid}/").json()["deliveries"]}
    assert deliveries["his_certificate"]["status"] == "sent" and deliveries["his_certificate"]["inpatient_no"]
    assert len(sent_sms(hospital_sim, "13810003401")) == 1  # not sent twice by the retries


@pytest.mark.req("U4")
def test_outpatient_surgery_books_the_same_way_with_guidance_and_no_admission_step(
    api_client, world, hospital_sim, django_capture_on_commit_callbacks
):
    clinic = make_ward(ManagementMode.OUTPATIENT, department=make_department(code="MZ", name="门诊手术科"),
                       name="门诊手术室")
    clinic.guidance_text = "请于手术当日07:30到门诊楼三层日间手术中心报到"
    clinic.save()
    world["procedure"].wards.add(clinic)
    doctor = make_staff("doctor", ward=clinic)
    authenticate(api_client, doctor)
    patient = _his_patient(hospital_sim, 35, "13810003501")
    draft = api_client.post("/api/v1/bookings/", {"patient": str(patient.uuid)}, format="json").json()
    assert draft["ward"]["management_mode"] == "outpatient" and draft["guidance_text"] == clinic.guidance_text
    uuid = _book(api_client, {**world, "ward": clinic}, patient, django_capture_on_commit_callbacks, ward=clinic)
    [sms] = sent_sms(hospital_sim, "13810003501")
    assert sms["params"]["guidance"] == clinic.guidance_text

    # The booking continues without the inpatient admission step: from scheduled straight into theatre.
    case = SurgicalCase.objects.get(uuid=uuid)
    for milestone in ("preop_assessment", "anaesthesia_clinic"):
        case_record_milestone(case=case, milestone=milestone, status="passed", actor=None)
    case = case_transition(case=case, transition="send_application", actor=None)
    case = case_transition(case=case, transition="theatre_scheduled", actor=None)
    detail = api_client.get(f"/api/v1/cases/{uuid}/").json()
    assert "admit" not in detail["available_transitions"] and "enter-theatre" in detail["available_transitions"]
    refused = api_client.post(f"/api/v1/cases/{uuid}/admit/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_applicable_to_management_mode"
    assert case_transition(case=case, transition="enter_theatre", actor=None).state == "in_theatre"


@pytest.mark.req("B8")
def test_a_certificate_the_his_refuses_is_shown_as_rejected_not_retried(api_client, world, hospital_sim,
                                                                         django_capture_on_commit_callbacks):
    authenticate(api_client, world["doctor"])
    stranger = make_patient(reg_no="R-NOT-IN-HIS", phone="13810003601")  # the HIS does not know this patient
    uuid = _book(api_client, world, stranger, django_capture_on_commit_callbacks)
    deliveries = {d["channel"]: d for d in api_client.get(f"/api/v1/bookings/{uuid}/").json()["deliveries"]}
    assert deliveries["his_certificate"]["status"] == "rejected" and "422" in deliveries["his_certificate"]["detail"]
    assert deliveries["sms"]["status"] == "sent"
    assert _booked_message(uuid).dispatched_at is not None  # nothing left for the outbox to retry


@pytest.mark.req("B8", "B9")
def test_a_booking_cancelled_before_delivery_sends_no_certificate_and_no_notice(
        api_client, world, hospital_sim, django_capture_on_commit_callbacks):
    authenticate(api_client, world["doctor"])
    patient = _his_patient(hospital_sim, 36, "13810003661")
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not picked the message up yet
        uuid = _book(api_client, world, patient, lambda execute: django_capture_on_commit_callbacks(execute=False))
    case = SurgicalCase.objects.get(uuid=uuid)
    case_transition(case=case, transition="cancel", actor=world["doctor"], reason_code="patient_request")

    deliver_message(_booked_message(uuid).pk)

    statuses = {d.channel: d.status for d in BookingDelivery.objects.filter(case=case)}
    assert statuses == {"his_certificate": "skipped", "sms": "skipped"}
    assert sent_sms(hospital_sim, "13810003661") == []
