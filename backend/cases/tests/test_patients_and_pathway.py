"""Patients from the HIS with (system, value) identifiers encrypted at rest; the care-pathway map (G1)."""

import pytest
from django.db import connection

from cases.models import IdentifierSystem, Patient, PatientIdentifier
from cases.pathway import care_pathway
from cases.services import case_transition, patient_get_or_create_from_his
from core.errors import DomainError
from integrations.ports.his import HisPatient, Identifier
from org.models import ManagementMode
from tests.builders import make_case, make_patient, make_ward, valid_id_number

pytestmark = pytest.mark.django_db


ID_NUMBER = valid_id_number(birth="19900512", serial=123)


def _his(**overrides):
    fields = {
        "reg_no": "R20260001", "name": "欧阳娜娜", "sex": "F", "birth_date": None, "phone": "13912345678",
        "id_number": ID_NUMBER,
        "identifiers": (Identifier("outpatient_no", "MZ0001"), Identifier("insurance_no", "YB330100123")),
    }
    fields.update(overrides)
    return HisPatient(**fields)


def test_patient_from_his_stores_identifier_pairs_and_is_idempotent():
    his = _his()
    patient, created = patient_get_or_create_from_his(his_patient=his)
    assert created
    pairs = {(i.system, i.value) for i in patient.identifiers.all()}
    assert pairs == {
        ("reg_no", "R20260001"), ("id_card", his.id_number), ("outpatient_no", "MZ0001"),
        ("insurance_no", "YB330100123"),
    }
    again, created = patient_get_or_create_from_his(his_patient=_his(phone="13800000000", name="欧阳娜娜"))
    assert again.pk == patient.pk and not created
    again.refresh_from_db()
    assert again.phone == "13800000000"  # demographics follow the HIS
    assert Patient.objects.count() == 1 and PatientIdentifier.objects.filter(patient=patient).count() == 4
    # found by ID number too when the registration number is new (e.g. a second HIS record)
    third, created = patient_get_or_create_from_his(his_patient=_his(reg_no="R20269999"))
    assert third.pk == patient.pk and not created
    assert third.identifier(IdentifierSystem.REG_NO) in {"R20260001", "R20269999"}
    # the HIS corrected the ID number: the patient keeps one ID number, the corrected one
    corrected = valid_id_number(birth="19900512", serial=124)
    fourth, _ = patient_get_or_create_from_his(his_patient=_his(id_number=corrected))
    assert fourth.pk == patient.pk
    assert list(fourth.identifiers.filter(system="id_card").values_list("value", flat=True)) == [corrected]


def test_identifier_of_another_patient_is_a_conflict_not_a_silent_move():
    a = make_patient(identifiers=[("inpatient_no", "ZY1")])
    b_his = _his(
        reg_no="R777", id_number=valid_id_number(birth="19700101"), identifiers=(Identifier("inpatient_no", "ZY1"),)
    )
    with pytest.raises(DomainError) as err:
        patient_get_or_create_from_his(his_patient=b_his)
    assert err.value.code == "identifier_conflict"
    assert a.identifiers.filter(system="inpatient_no").exists()


def test_invalid_id_number_refused():
    with pytest.raises(DomainError) as err:
        patient_get_or_create_from_his(his_patient=_his(id_number="110105198001010000"))
    assert "id_number" in err.value.fields


def test_id_numbers_and_phones_are_encrypted_at_rest():
    his = _his()
    patient, _ = patient_get_or_create_from_his(his_patient=his)
    with connection.cursor() as cur:
        cur.execute("SELECT value FROM cases_patientidentifier WHERE patient_id = %s AND system = 'id_card'", [patient.pk])
        raw_id = cur.fetchone()[0]
        cur.execute("SELECT phone FROM cases_patient WHERE id = %s", [patient.pk])
        raw_phone = cur.fetchone()[0]
    assert his.id_number not in raw_id and raw_id.startswith("enc1:")
    assert "13912345678" not in raw_phone and raw_phone.startswith("enc1:")
    assert patient.identifier(IdentifierSystem.ID_CARD) == his.id_number  # decrypted on read


def _statuses(case):
    return {s["key"]: s["status"] for s in care_pathway(case)["stages"]}


@pytest.mark.req("G1")
def test_care_pathway_marks_the_current_stage():
    case = make_case("draft")
    pathway = care_pathway(case)
    assert pathway["current"] == "booking" and pathway["outcome"] is None
    assert [s["key"] for s in pathway["stages"]] == [
        "booking", "anaesthesia_clinic", "preop_assessment", "application", "scheduling", "admission", "operation",
        "discharge", "follow_up", "closed",
    ]
    case = make_case("admitted")
    st = _statuses(case)
    assert [st[k] for k in ("booking", "anaesthesia_clinic", "preop_assessment", "application", "scheduling",
                            "admission")] == ["done"] * 6
    assert care_pathway(case)["current"] == "operation"
    assert st["discharge"] == st["follow_up"] == "pending"
    in_theatre = make_case("in_theatre")
    assert care_pathway(in_theatre)["current"] == "operation" and _statuses(in_theatre)["operation"] == "current"
    closed = make_case("closed")
    assert set(_statuses(closed).values()) == {"done"} and care_pathway(closed)["current"] is None


@pytest.mark.req("G1")
def test_care_pathway_of_a_booked_case_points_at_the_assessments():
    case = make_case("booked", anaesthesia_clinic_required=False)
    pathway = care_pathway(case)
    st = _statuses(case)
    assert st["booking"] == "done" and st["anaesthesia_clinic"] == "skipped"
    assert pathway["current"] == "preop_assessment" and st["application"] == "pending"


@pytest.mark.req("G1", "U4")
def test_care_pathway_of_outpatient_surgery_skips_admission_and_discharge():
    case = make_case("operated", ward=make_ward(ManagementMode.OUTPATIENT))
    st = _statuses(case)
    assert st["admission"] == "skipped" and st["discharge"] == "skipped"
    assert st["operation"] == "done" and care_pathway(case)["current"] == "follow_up"


@pytest.mark.req("G1")
def test_care_pathway_of_an_ended_case_shows_the_outcome():
    case = make_case("scheduled")
    case = case_transition(case=case, transition="cancel", actor=None, reason_code="patient_unwell")
    pathway = care_pathway(case)
    st = _statuses(case)
    assert pathway["outcome"] == "cancelled" and pathway["current"] is None
    assert st["scheduling"] == "done" and st["admission"] == st["operation"] == st["follow_up"] == "skipped"


def test_booking_by_registration_number_uses_the_local_record_else_the_his(api_client):
    from accounts.tests.fakes import FakeHis
    from integrations.registry import override_port
    from tests.builders import authenticate, make_staff

    his = FakeHis()
    record = his.add_patient(name="李雷", id_number=valid_id_number(birth="19850303", serial=321), phone="13700001111")
    ward = make_ward()
    nurse = make_staff("nurse", ward=ward)
    authenticate(api_client, nurse)
    payload = {"ward": str(ward.uuid), "surgeon": str(make_staff("doctor", ward=ward).uuid),
               "procedure_name": "腹股沟疝修补术"}
    with override_port("his", his):
        first = api_client.post("/api/v1/cases/", {**payload, "reg_no": record.reg_no}, format="json")
        assert first.status_code == 201, first.content
        his.patients.clear()  # known locally now: the HIS is not asked again
        second = api_client.post("/api/v1/cases/", {**payload, "reg_no": f" {record.reg_no} "}, format="json")
        assert second.status_code == 201, second.content
        assert first.json()["patient"]["uuid"] == second.json()["patient"]["uuid"]
        unknown = api_client.post("/api/v1/cases/", {**payload, "reg_no": "R-NOBODY"}, format="json")
    assert unknown.status_code == 400 and "reg_no" in unknown.json()["error"]["fields"]
    assert Patient.objects.count() == 1
