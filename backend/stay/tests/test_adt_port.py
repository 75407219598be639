"""HIS ADT through the port: the FHIR Encounter adapter ↔ the simulated HIS over real sockets (A01, A02, A03),
and the pure mappings on payloads."""

from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from core.errors import ExternalServiceError
from integrations.adapters.fhir_adt import (
    admission_resource,
    apply_discharge,
    apply_transfer,
    map_adt_encounter,
)
from integrations.ports.his import AdtAdmission, AdtDischarge, AdtTransfer
from integrations.registry import get_port
from integrations.testing import sim_get

pytestmark = [pytest.mark.django_db, pytest.mark.req("G3")]


def _admission(reg_no, case_no, **kw):
    return AdtAdmission(case_no=case_no, reg_no=reg_no, admitted_at=timezone.now() - timedelta(hours=2),
                        department_code="GS", ward_code="DSW1", ward_name="日间手术病区", **kw)


def test_admission_mapping_round_trip():
    at = timezone.now()
    resource = admission_resource(AdtAdmission(
        case_no="c-1", reg_no="0001000001", admitted_at=at, department_code="GS", ward_code="DSW1", bed_no="12",
        attending_employee_no="E0001", diagnosis_code="K80.2", diagnosis_name="胆囊结石", procedure_code="51.23",
        procedure_name="腹腔镜胆囊切除术"))
    assert resource["class"]["code"] == "SS" and resource["status"] == "in-progress"
    assert resource["subject"]["reference"] == "Patient/0001000001"
    resource.update(id="ENC1", meta={"versionId": "1"})
    receipt = map_adt_encounter(resource)
    assert (receipt.encounter_id, receipt.patient_class, receipt.ward_code, receipt.bed_no) == (
        "ENC1", "day_surgery", "DSW1", "12")
    moved = apply_transfer(resource, AdtTransfer(encounter_id="ENC1", transferred_at=at + timedelta(hours=30),
                                                 target_ward_code="GS-3", target_ward_name="普外三病区"))
    receipt = map_adt_encounter(moved)
    assert receipt.patient_class == "inpatient" and receipt.ward_code == "GS-3" and receipt.bed_no == ""
    assert moved["classHistory"][0]["class"]["code"] == "SS"  # the day-surgery part stays visible
    assert resource["class"]["code"] == "SS"  # the input is not changed in place
    done = apply_discharge(resource, AdtDischarge(encounter_id="ENC1", discharged_at=at + timedelta(hours=6),
                                                  disposition_code="1", disposition_name="医嘱离院"))
    assert done["status"] == "finished" and map_adt_encounter(done).discharged_at is not None
    assert done["hospitalization"]["dischargeDisposition"]["coding"][0]["code"] == "1"


def test_a01_is_idempotent_per_case_and_a02_a03_update_the_same_stay(hospital_sim, sim_reg_no):
    his = get_port("his")
    reg_no = sim_reg_no()
    first = his.admit(_admission(reg_no, "case-adt-1"), idempotency_key="k1")
    assert first.admission_no.startswith("RJ") and first.status == "in-progress" and first.bed_no
    again = his.admit(_admission(reg_no, "case-adt-1"), idempotency_key="k2")  # another key, same case
    assert again.encounter_id == first.encounter_id and again.admission_no == first.admission_no
    assert len(sim_get(hospital_sim, "adt/encounters", case="case-adt-1")["encounters"]) == 1

    transfer = AdtTransfer(encounter_id=first.encounter_id, transferred_at=timezone.now() - timedelta(minutes=30),
                           target_ward_code="GS-3", target_ward_name="普外三病区", target_department_code="GS",
                           reason="术后出血观察")
    moved = his.transfer(transfer, idempotency_key="t1")
    assert moved.encounter_id == first.encounter_id and moved.patient_class == "inpatient"
    assert moved.admission_no.startswith("ZY") and moved.ward_code == "GS-3"
    assert his.transfer(transfer, idempotency_key="t2") == moved  # a repeat finds it done: no second conversion
    [held] = sim_get(hospital_sim, "adt/encounters", case="case-adt-1")["encounters"]
    numbers = {i["value"]: i.get("use") for i in held["identifier"]}
    assert numbers[first.admission_no] == "old" and numbers[moved.admission_no] == "official"  # the link is kept

    discharge = AdtDischarge(encounter_id=first.encounter_id, discharged_at=timezone.now(), disposition_code="1",
                             disposition_name="医嘱离院")
    finished = his.discharge(discharge, idempotency_key="d1")
    assert finished.status == "finished" and finished.discharged_at is not None
    assert his.discharge(discharge, idempotency_key="d2").version == finished.version  # nothing written twice


def test_a01_refusals_and_unknown_encounter(hospital_sim, sim_reg_no):
    his = get_port("his")
    with pytest.raises(ExternalServiceError) as unknown_patient:
        his.admit(_admission("9999999999", "case-adt-x"), idempotency_key="x1")
    assert unknown_patient.value.code == "external_rejected"
    reg_no = sim_reg_no()
    his.admit(_admission(reg_no, "case-adt-2"), idempotency_key="y1")
    with pytest.raises(ExternalServiceError):  # the same patient cannot have two open stays
        his.admit(_admission(reg_no, "case-adt-3"), idempotency_key="y2")
    assert his.get_encounter("ENC-NOPE") is None


def test_a03_does_not_overwrite_a_change_made_in_the_his_meanwhile(hospital_sim, sim_reg_no):
    """The update sends If-Match with the version it read; the simulated HIS refuses a stale one (412)."""
    his = get_port("his")
    receipt = his.admit(_admission(sim_reg_no(), "case-adt-4"), idempotency_key="z1")
    url = f"{hospital_sim}/fhir/Encounter/{receipt.encounter_id}"
    resource = requests.get(url, timeout=5).json()
    stale = {"If-Match": 'W/"0"', "Content-Type": "application/fhir+json"}
    assert requests.put(url, json=resource, headers=stale, timeout=5).status_code == 412
    resource["location"][0]["period"]["start"] = resource["period"]["start"]  # a HIS-side edit: version 2
    assert requests.put(url, json=resource, timeout=5).json()["meta"]["versionId"] == "2"
    done = his.discharge(AdtDischarge(encounter_id=receipt.encounter_id, discharged_at=timezone.now(),
                                      disposition_code="1"), idempotency_key="z2")
    assert done.version == "3" and done.status == "finished"
    reopened = dict(requests.get(url, timeout=5).json(), status="in-progress")
    assert requests.put(url, json=reopened, timeout=5).status_code == 409  # a finished stay is not reopened
