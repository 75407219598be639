"""P2: the facts behind the look-up and state icons come from the contexts where they happen — the booking notice
accepted by the SMS gateway (messaging.message.sent), the patient's app login (patient.app.logged_in) — over real
HTTP to the hospital simulator."""

import pytest
from rest_framework.test import APIClient

from cases.models import CaseEvent
from cases.services import case_create, case_transition
from hospital_sim.data import openid_for
from integrations.testing import sent_sms
from preop.models import CaseIcon
from preop.tests.conftest import deliver, future
from tests.builders import make_case, make_patient, make_patient_account

pytestmark = [pytest.mark.django_db]


def _icons(case):
    return set(CaseIcon.objects.filter(case=case, active=True).values_list("key", flat=True))


@pytest.mark.req("P2")
def test_the_booking_notice_sent_by_sms_lights_the_messages_icon(world, hospital_sim):
    patient = make_patient(phone="13810077001")
    case = make_case("booked", ward=world["ward_a"], patient=patient, planned_date=future(4))
    deliver("booking.patient_notice", "preop.")
    [sms] = sent_sms(hospital_sim, "13810077001")
    assert sms["template"] == "booking_confirmed"
    event = CaseEvent.objects.get(case=case, type="messaging.message.sent")
    assert event.payload == {"channel": "sms", "kind": "booking_notice", "status": "sent"}
    assert _icons(case) == {"messages_sent"}


@pytest.mark.req("P2")
def test_the_patients_first_app_login_marks_their_active_cases_once(world, hospital_sim):
    patient = make_patient()
    active = make_case("booked", ward=world["ward_a"], patient=patient, planned_date=future(3))
    ended = make_case("cancelled", ward=world["ward_a"], patient=patient, planned_date=future(5))
    make_patient_account(patient=patient, openid=openid_for("h1-login"))
    client = APIClient()
    for _n in range(2):  # logging in twice marks the case once
        response = client.post("/api/v1/patient-auth/wechat-login/", {"code": "wxcode-h1-login"}, format="json")
        assert response.status_code == 200, response.content
        deliver()
    assert CaseEvent.objects.filter(case=active, type="patient.app.logged_in").count() == 1
    assert CaseEvent.objects.filter(case=active, type="patient.app.logged_in").get().actor_type == "patient"
    assert not CaseEvent.objects.filter(case=ended, type="patient.app.logged_in").exists()
    assert _icons(active) == {"app_logged_in"} and _icons(ended) == set()

    # Booked later: the patient already uses the app, so the new case shows it from the start.
    draft = case_create(actor=None, patient=patient, ward=world["ward_a"], surgeon=world["doctor_a"],
                        procedure_name="腹腔镜阑尾切除术", planned_date=future(8), planned_session="am")
    later = case_transition(case=draft, transition="confirm", actor=None)
    deliver()
    assert _icons(later) == {"app_logged_in"}


def test_an_unbound_login_marks_nothing(world, hospital_sim):
    case = make_case("booked", ward=world["ward_a"], planned_date=future(3))
    make_patient_account(openid=openid_for("h1-unbound"))
    assert APIClient().post("/api/v1/patient-auth/wechat-login/", {"code": "wxcode-h1-unbound"},
                            format="json").status_code == 200
    deliver()
    assert not CaseEvent.objects.filter(type="patient.app.logged_in").exists() and _icons(case) == set()


@pytest.mark.req("P2")
def test_the_anaesthesia_result_sms_to_the_patient_counts_as_a_message_sent(world):
    from types import SimpleNamespace
    from uuid import uuid4

    from django.db import transaction

    from anaesthesia.handlers import _timeline

    case = make_case("booked", ward=world["ward_a"], planned_date=future(3))
    assessment = SimpleNamespace(case_id=case.pk, case=case, uuid=uuid4())
    with transaction.atomic():
        for recipient, status in (("surgeon", "sent"), ("patient", "rejected"), ("patient", "sent")):
            _timeline(assessment, SimpleNamespace(recipient=recipient, status=status, external_id="m1", detail=""),
                      "13810077009")
    [sent] = CaseEvent.objects.filter(case=case, type="messaging.message.sent")
    assert sent.payload == {"channel": "sms", "kind": "anaesthesia_result", "status": "sent"}
    assert CaseEvent.objects.filter(case=case, type="anaesthesia.clinic.sms_sent").count() == 3
    deliver()
    assert _icons(case) == {"messages_sent"}
