"""HIS FHIR adapter ↔ hospital simulator over real sockets (and the call log it writes)."""

from datetime import date

import pytest
import responses

from core.errors import ExternalServiceError
from core.identity import is_valid_id_number
from integrations.adapters.fhir import FhirHisAdapter
from integrations.models import CallStatus, ExternalCall
from integrations.ports.his import AdmissionCertificate, Identifier
from integrations.registry import get_port
from integrations.testing import sim_get, sim_patients, sim_staff

pytestmark = pytest.mark.django_db


def test_registry_builds_the_fhir_adapter_pointing_at_the_simulator(hospital_sim):
    adapter = get_port("his")
    assert isinstance(adapter, FhirHisAdapter)
    assert adapter.fhir.http.base == hospital_sim + "/fhir"


def test_find_patient_by_id_number_maps_identifiers(hospital_sim):
    expected = sim_patients(hospital_sim)[3]
    [patient] = get_port("his").find_patient(id_number=expected["id_number"])
    assert patient.reg_no == expected["reg_no"]
    assert patient.name == expected["name"]
    assert patient.phone == expected["phone"]
    assert patient.sex == expected["sex"]
    assert patient.birth_date == date.fromisoformat(expected["birth_date"])
    assert patient.id_number == expected["id_number"] and is_valid_id_number(patient.id_number)
    assert Identifier("id_card", expected["id_number"]) in patient.identifiers
    assert Identifier("reg_no", expected["reg_no"]) in patient.identifiers
    assert Identifier("outpatient_no", expected["outpatient_no"]) in patient.identifiers


def test_find_patient_by_phone_and_reg_no_and_unknown(hospital_sim):
    expected = sim_patients(hospital_sim)[10]
    his = get_port("his")
    assert [p.reg_no for p in his.find_patient(phone=expected["phone"])] == [expected["reg_no"]]
    assert [p.reg_no for p in his.find_patient(reg_no=expected["reg_no"])] == [expected["reg_no"]]
    assert his.find_patient(reg_no=expected["reg_no"], id_number="110105199001011234") == []
    assert his.find_patient(phone="13000000000") == []


def test_visits_carry_icd10_diagnoses(hospital_sim):
    expected = sim_patients(hospital_sim)[0]
    his = get_port("his")
    visits = his.list_visits(expected["reg_no"])
    assert [v.visit_no for v in visits] == expected["visit_nos"]
    visit = his.get_visit(expected["visit_nos"][0])
    assert visit.reg_no == expected["reg_no"] and visit.kind == "outpatient"
    assert visit.diagnoses[0].code == expected["diagnoses"][0]["code"]
    assert visit.diagnoses[0].name == expected["diagnoses"][0]["name"]
    assert visit.doctor_employee_no.startswith("E") and visit.department_code
    assert visit.started_at.tzinfo is not None
    assert his.get_visit("NO-SUCH-VISIT") is None


def test_staff_roster_lookup_by_id_number_and_phone(hospital_sim):
    entry = sim_staff(hospital_sim, role="anaesthetist")[0]
    his = get_port("his")
    [member] = his.list_staff(id_number=entry["id_number"])
    assert (member.employee_no, member.name, member.phone, member.department_code, member.role) == (
        entry["employee_no"], entry["name"], entry["phone"], "ANES", "anaesthetist")
    assert [m.employee_no for m in his.list_staff(phone=entry["phone"])] == [entry["employee_no"]]
    roster = his.list_staff()
    assert len(roster) >= 40
    assert {m.role for m in roster} >= {"doctor", "nurse", "anaesthetist", "followup_nurse", "hospital_admin",
                                        "quality_manager"}


def test_procedure_catalogue_has_grades_and_incision_classes(hospital_sim):
    procedures = get_port("his").procedure_catalogue().procedures
    assert len(procedures) >= 60
    phaco = next(p for p in procedures if p.code == "13.41")
    assert (phaco.name, phaco.grade, phaco.incision_class, phaco.department_code) == (
        "白内障超声乳化抽吸术", 3, "I", "OPH")
    assert {p.grade for p in procedures} == {1, 2, 3, 4}
    assert {p.incision_class for p in procedures} == {"0", "I", "II", "III"}


def test_admission_certificate_push_is_idempotent(hospital_sim):
    patient = sim_patients(hospital_sim)[5]
    cert = AdmissionCertificate(certificate_no="RYZ-TEST-1", reg_no=patient["reg_no"], department_code="GS",
                                doctor_employee_no="E0001", planned_admission_date=date(2030, 1, 2),
                                diagnosis_code="K40.9", diagnosis_name="单侧腹股沟疝",
                                procedure_code="53.04", procedure_name="单侧腹股沟斜疝无张力修补术")
    his = get_port("his")
    first = his.push_admission_certificate(cert, idempotency_key="cert-key-1")
    again = his.push_admission_certificate(cert, idempotency_key="cert-key-2")
    assert first.his_id and first.inpatient_no.startswith("ZY") and first.status == "booked"
    assert again == first  # the HIS recognises the certificate number
    requests_seen = sim_get(hospital_sim, "requests", path="/fhir/Appointment")["items"]
    assert {"cert-key-1", "cert-key-2"} <= {r["idempotency_key"] for r in requests_seen}


def test_fees_are_charge_items_with_amounts(hospital_sim):
    patient = sim_patients(hospital_sim)[7]
    fees = get_port("his").list_fees(patient["reg_no"], visit_no=patient["visit_nos"][-1])
    assert len(fees) == 6
    ecg = next(f for f in fees if f.name == "常规心电图检查")
    assert str(ecg.amount) == "25.00" and ecg.category == "检查" and ecg.visit_no == patient["visit_nos"][-1]


def test_each_call_writes_one_log_row_without_personal_data(hospital_sim):
    patient = sim_patients(hospital_sim)[2]
    get_port("his").find_patient(id_number=patient["id_number"])
    row = ExternalCall.objects.get(port="his", operation="find_patient")
    assert row.status == CallStatus.OK and row.http_status == 200 and row.attempts == 1
    assert len(row.idempotency_key) == 32
    assert patient["id_number"] not in str(row.request_summary)
    assert row.request_summary["query"]["identifier"] == "***"


@responses.activate
def test_search_follows_next_links_across_pages():
    base = "https://his.example/fhir"
    page = {"resourceType": "Bundle", "type": "searchset"}
    patient = {"resourceType": "Patient", "identifier": [
        {"system": "https://fhir.hospital.example/sid/reg-no", "value": "R1"}]}
    responses.get(f"{base}/Patient", match=[responses.matchers.query_param_matcher({"telecom": "13800000000"})],
                  json={**page, "entry": [{"resource": patient}],
                        "link": [{"relation": "next", "url": f"{base}/Patient?_page=2&_token=abc"}]})
    responses.get(f"{base}/Patient", match=[responses.matchers.query_param_matcher({"_page": "2", "_token": "abc"})],
                  json={**page, "entry": [{"resource": {**patient, "identifier": [
                      {"system": "https://fhir.hospital.example/sid/reg-no", "value": "R2"}]}}]})
    found = FhirHisAdapter(base=base).find_patient(phone="13800000000")
    assert [p.reg_no for p in found] == ["R1", "R2"]
    assert ExternalCall.objects.filter(port="his", operation="find_patient").count() == 2


@responses.activate
def test_a_next_link_to_another_host_is_not_followed():
    """A HIS answering with a `next` link elsewhere (misconfigured proxy, tampered answer) must not send our
    session, its headers and the patient's search there."""
    base = "https://his.example/fhir"
    responses.get(f"{base}/Patient", json={
        "resourceType": "Bundle", "type": "searchset", "entry": [],
        "link": [{"relation": "next", "url": "https://elsewhere.example/fhir/Patient?_page=2"}]})
    with pytest.raises(ExternalServiceError) as exc:
        FhirHisAdapter(base=base).find_patient(phone="13800000000")
    assert exc.value.code == "external_invalid_answer"
    assert [c.request.url.split("?")[0] for c in responses.calls] == [f"{base}/Patient"]
