"""B1 end to end over real sockets: the hospital simulator plays the HIS outpatient doctor workstation
(`POST /_sim/workstation/book-day-surgery`), signs its call to the platform's `POST /api/v1/his-launches/`
running in a live server, and hands back the draft and the doctor's single-use sign-in link."""

from contextlib import contextmanager
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from django.test import override_settings

from booking.signing import his_signature as platform_signature
from cases.models import SurgicalCase
from hospital_sim.server import his_signature as simulator_signature
from hospital_sim.server import start_in_thread
from tests.builders import make_department, make_staff, make_ward

WORKSTATION = "/_sim/workstation/book-day-surgery"
CLIENT_ID, SECRET = "HIS-SIM", "workstation-test-secret"


@contextmanager
def _simulator(**platform):
    server, thread = start_in_thread("127.0.0.1", 0, theatre_delay=0.5, **platform)
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def _his_for(platform_url, secret=SECRET):
    """A simulator configured with the platform's URL and this HIS's key; the platform reads the HIS from the
    same simulator (as in `make demo`) and knows the client."""
    with _simulator(platform_url=platform_url, client_id=CLIENT_ID, client_secret=secret) as server:
        with override_settings(HOSPITAL_SIM_URL=server.base_url, BOOKING_HIS_CLIENTS={CLIENT_ID: SECRET}):
            yield server


def _ticket(link):
    return parse_qs(urlparse(link).query)["ticket"][0]


@pytest.mark.req("B1")
def test_the_simulator_signs_exactly_as_the_platform_verifies():
    args = {"timestamp": "1764000000", "nonce": "n0nce-abc_123", "method": "post", "path": "/api/v1/his-launches/",
            "body": '{"reg_no": "0001000001", "名": "张三"}'.encode()}
    assert simulator_signature("k3y", **args) == platform_signature("k3y", **args)


@pytest.mark.req("B1")
@pytest.mark.django_db(transaction=True)
def test_workstation_action_opens_a_draft_on_the_platform_and_the_link_signs_the_doctor_in(live_server):
    with _his_for(live_server.url) as his:
        patient = next(p for p in his.state.hospital.patients if len(p.visits) == 2)
        latest = max(patient.visits, key=lambda v: v.started_at)
        ward = make_ward(department=make_department(code="GS", name="普外科"), name="日间病区")
        doctor = make_staff("doctor", ward=ward, employee_no=latest.doctor_employee_no, name="门诊医生")

        # visit and doctor left out: the patient's latest outpatient visit and its doctor
        answer = requests.post(his.base_url + WORKSTATION, json={"reg_no": patient.reg_no}, timeout=30)
        assert answer.status_code == 201, answer.text
        body = answer.json()
        case = SurgicalCase.objects.get(uuid=body["draft"])
        assert case.state == "draft" and case.visit_no == latest.visit_no == body["visit_no"]
        assert (case.surgeon, case.ward, case.patient.reg_no) == (doctor, ward, patient.reg_no)
        assert (case.diagnosis_code, case.diagnosis_name) == latest.diagnoses[0]
        assert body["ward"] == ward.code and str(case.uuid) in body["link"]
        assert {r["path"] for r in his.state.requests} >= {WORKSTATION, "/fhir/Encounter", "/fhir/Patient"}

        # the link signs the doctor in, once
        redeem = live_server.url + "/api/v1/launch-tickets/redeem/"
        session = requests.post(redeem, json={"ticket": _ticket(body["link"])}, timeout=10)
        assert session.status_code == 200 and session.json()["draft"] == str(case.uuid)
        draft = requests.get(f"{live_server.url}/api/v1/bookings/{case.uuid}/", timeout=10,
                             headers={"Authorization": f"Bearer {session.json()['access']}"})
        assert draft.status_code == 200 and draft.json()["patient"]["name"] == patient.name
        assert requests.post(redeem, json={"ticket": _ticket(body["link"])}, timeout=10).status_code == 401

        # an explicit visit and doctor are passed on; a second click reopens the same draft with a fresh nonce
        again = requests.post(his.base_url + WORKSTATION, timeout=30, json={
            "reg_no": patient.reg_no, "visit_no": latest.visit_no, "doctor_employee_no": doctor.employee_no})
        assert again.status_code == 201 and again.json()["draft"] == str(case.uuid)
        assert again.json()["link"] != body["link"]

        # the platform's refusals come back unchanged: an unknown doctor is the platform's 400
        refused = requests.post(his.base_url + WORKSTATION, timeout=30,
                                json={"reg_no": patient.reg_no, "doctor_employee_no": "E9999"})
        assert refused.status_code == 400 and "doctor_employee_no" in refused.json()["error"]["fields"]
        # and the simulator's own: a patient the HIS does not know
        unknown = requests.post(his.base_url + WORKSTATION, json={"reg_no": "9999999999"}, timeout=10)
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_patient"


@pytest.mark.req("B1")
@pytest.mark.django_db(transaction=True)
def test_a_wrong_secret_is_the_platforms_401(live_server):
    with _his_for(live_server.url, secret="not-the-shared-secret") as his:
        reg_no = his.state.hospital.patients[0].reg_no
        answer = requests.post(his.base_url + WORKSTATION, json={"reg_no": reg_no}, timeout=30)
        assert answer.status_code == 401, answer.text
        assert not SurgicalCase.objects.exists()


@pytest.mark.req("B1")
def test_without_a_platform_the_workstation_answers_503():
    with _simulator() as sim:
        answer = requests.post(sim.base_url + WORKSTATION, json={"reg_no": sim.state.hospital.patients[0].reg_no},
                               timeout=10)
        assert answer.status_code == 503
        assert answer.json()["error"]["code"] == "platform_not_configured"
        assert "--platform-url" in answer.json()["error"]["message"]
    with _simulator(platform_url="http://127.0.0.1:9", client_id=CLIENT_ID) as sim:  # no secret: still off
        assert requests.post(sim.base_url + WORKSTATION, json={"reg_no": "x"}, timeout=10).status_code == 503
