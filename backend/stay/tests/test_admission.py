"""Admission registration (G3): HIS ADT A01 through the port, the `admit` transition and the admission facts."""

import pytest
import requests

from cases.models import CaseEvent
from integrations.models import ExternalCall
from integrations.testing import sim_get, sim_post
from org.models import Bed
from stay.models import Admission
from stay.tests.conftest import ago
from tests.builders import make_case, make_staff, make_ward

pytestmark = [pytest.mark.django_db, pytest.mark.req("G3")]


def _admit(client, case, **body):
    return client.post(f"/api/v1/cases/{case.uuid}/admission/", body, format="json")


def test_admission_registers_with_the_his_and_admits_the_case(hospital_sim, scheduled_case, nurse, client_for):
    case = scheduled_case()
    response = _admit(client_for(nurse), case, admitted_at=ago(minutes=20).isoformat(), bed_no="")
    assert response.status_code == 201, response.json()
    body = response.json()
    case.refresh_from_db()
    admission = Admission.objects.get(case=case)
    assert case.state == "admitted" and case.admitted_at == admission.admitted_at
    assert body["admission"]["admission_no"] == admission.admission_no and admission.admission_no.startswith("RJ")
    assert admission.bed_no  # the HIS assigned one
    [encounter] = sim_get(hospital_sim, "adt/encounters", case=str(case.uuid))["encounters"]
    assert encounter["id"] == admission.his_encounter_id
    assert encounter["subject"]["reference"] == f"Patient/{case.patient.reg_no}"
    event = CaseEvent.objects.get(case=case, type="stay.admission.registered")
    assert {k: event.payload[k] for k in ("admission_no", "bed_no", "his_visit_no")} == {
        "admission_no": admission.admission_no, "bed_no": admission.bed_no, "his_visit_no": admission.his_visit_no}
    assert event.occurred_at == admission.admitted_at
    assert CaseEvent.objects.filter(case=case, type="cases.case.admitted").count() == 1

    again = _admit(client_for(nurse), case)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_admitted"
    assert len(sim_get(hospital_sim, "adt/encounters", case=str(case.uuid))["encounters"]) == 1


def test_a_case_the_theatre_has_not_scheduled_is_not_sent_to_the_his(hospital_sim, ward, doctor, nurse, client_for,
                                                                    sim_reg_no):
    from tests.builders import make_patient

    case = make_case("application_sent", ward=ward, surgeon=doctor, patient=make_patient(reg_no=sim_reg_no()))
    response = _admit(client_for(nurse), case)
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_scheduled_yet"
    assert sim_get(hospital_sim, "adt/encounters", case=str(case.uuid))["encounters"] == []
    booked = make_case("booked", ward=ward, surgeon=doctor)
    assert _admit(client_for(nurse), booked).json()["error"]["code"] == "invalid_transition"


def test_bed_must_exist_and_be_free(hospital_sim, ward, scheduled_case, nurse, client_for):
    Bed.objects.create(ward=ward, code="01")
    Bed.objects.create(ward=ward, code="02")
    first, second = scheduled_case(), scheduled_case()
    assert _admit(client_for(nurse), first, bed_no="01").status_code == 201
    unknown = _admit(client_for(nurse), second, bed_no="99")
    assert unknown.status_code == 400 and "bed_no" in unknown.json()["error"]["fields"]
    taken = _admit(client_for(nurse), second, bed_no="01")
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "bed_occupied"
    assert _admit(client_for(nurse), second, bed_no="02").status_code == 201


def test_other_wards_and_roles_cannot_register(hospital_sim, scheduled_case, client_for):
    case = scheduled_case()
    other_nurse = make_staff("nurse", ward=make_ward())
    assert _admit(client_for(other_nurse), case).status_code == 404
    anaesthetist = make_staff("anaesthetist", ward=case.ward)
    assert _admit(client_for(anaesthetist), case).status_code == 403
    assert sim_get(hospital_sim, "adt/encounters", case=str(case.uuid))["encounters"] == []


def test_his_outage_records_nothing_and_a_retry_opens_one_stay(hospital_sim, scheduled_case, nurse, client_for):
    case = scheduled_case()
    sim_post(hospital_sim, "faults", {"path": "/fhir/Encounter", "status": 503, "count": 10})
    try:
        response = _admit(client_for(nurse), case)
    finally:
        requests.delete(f"{hospital_sim}/_sim/faults", timeout=5)
    assert response.status_code == 502
    case.refresh_from_db()
    assert case.state == "scheduled" and not Admission.objects.filter(case=case).exists()
    assert not CaseEvent.objects.filter(case=case, type__startswith="stay.").exists()
    assert _admit(client_for(nurse), case).status_code == 201
    assert len(sim_get(hospital_sim, "adt/encounters", case=str(case.uuid))["encounters"]) == 1
    call = ExternalCall.objects.filter(operation="adt_admit", status="ok").latest("id")
    assert call.idempotency_key == f"adt-a01-{case.uuid}"


def test_future_admission_time_is_refused(hospital_sim, scheduled_case, nurse, client_for):
    from django.utils import timezone

    case = scheduled_case()
    response = _admit(client_for(nurse), case, admitted_at=(timezone.now() + timezone.timedelta(hours=2)).isoformat())
    assert response.status_code == 400 and "admitted_at" in response.json()["error"]["fields"]


def test_a_patient_sent_home_after_admission_leaves_the_his_stay_too(hospital_sim, scheduled_case, nurse, client_for):
    from core.models import OutboxMessage
    from core.outbox import deliver_message

    case = scheduled_case()
    assert _admit(client_for(nurse), case).status_code == 201
    response = client_for(nurse).post(f"/api/v1/cases/{case.uuid}/cancel/", {
        "reason_code": "patient_request", "reason_text": "患者入院后决定暂不手术"}, format="json")
    assert response.status_code == 200, response.json()
    deliver_message(OutboxMessage.objects.filter(topic="cases.case.cancelled", key=str(case.uuid)).latest("id").id)
    [encounter] = sim_get(hospital_sim, "adt/encounters", case=str(case.uuid))["encounters"]
    assert encounter["status"] == "finished"
    assert encounter["hospitalization"]["dischargeDisposition"]["coding"][0]["code"] == "4"  # 非医嘱离院
