"""G3: the 24 h / 48 h clock as a staff alert list, and the transfer to an inpatient ward (HIS ADT A02) with the
link to the day-surgery case kept."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import CaseEvent
from cases.services import run_los_clock
from integrations.testing import sim_get
from stay.models import InpatientTransfer
from stay.services import discharge_assessment_record
from tests.builders import make_case, make_patient, make_staff, make_ward

pytestmark = [pytest.mark.django_db, pytest.mark.req("G3")]


def _alerts(client, **params):
    response = client.get("/api/v1/stay/alerts/", params)
    assert response.status_code == 200, response.json()
    return response.json()


def test_alert_list_shows_the_clock_and_what_to_do(ward, doctor, nurse, client_for):
    now = timezone.now()
    fresh = make_case("admitted", ward=ward, surgeon=doctor, admitted_at=now - timedelta(hours=3))
    near24 = make_case("operated", ward=ward, surgeon=doctor, admitted_at=now - timedelta(hours=21))
    over24 = make_case("operated", ward=ward, surgeon=doctor, admitted_at=now - timedelta(hours=30))
    near48 = make_case("operated", ward=ward, surgeon=doctor, admitted_at=now - timedelta(hours=45))
    over48 = make_case("in_theatre", ward=ward, surgeon=doctor, admitted_at=now - timedelta(hours=50))
    make_case("discharged", ward=ward, surgeon=doctor, admitted_at=now - timedelta(hours=30))  # gone home
    discharge_assessment_record(case=near24, actor=nurse, items={"vital_signs": 2, "activity": 1,
                                                                 "nausea_vomiting": 1, "pain": 2,
                                                                 "surgical_bleeding": 2})
    rows = _alerts(client_for(nurse))
    by_case = {r["case"]["uuid"]: r for r in rows}
    assert [r["case"]["uuid"] for r in rows] == [str(c.uuid) for c in (over48, near48, over24, near24)]
    assert str(fresh.uuid) not in by_case
    assert {k: by_case[str(near24.uuid)][k] for k in ("level", "action")} == {
        "level": "approaching_24", "action": "assess_discharge"}
    assert by_case[str(near24.uuid)]["latest_assessment"]["score"] == 8
    assert by_case[str(over24.uuid)]["level"] == "over_24"
    assert {k: by_case[str(over48.uuid)][k] for k in ("level", "action")} == {
        "level": "over_48", "action": "discharge_or_transfer"}
    assert by_case[str(near48.uuid)]["level"] == "approaching_48" and 44 < by_case[str(near48.uuid)]["hours"] < 46
    # The stored flag moves with the clock job; the list is right before it runs and shows both.
    assert by_case[str(over48.uuid)]["flagged_level"] == "none"
    run_los_clock()
    assert _alerts(client_for(nurse))[0]["flagged_level"] == "over_48"
    everyone = _alerts(client_for(nurse), all="true")
    assert str(fresh.uuid) in {r["case"]["uuid"] for r in everyone} and len(everyone) == 5


def test_alert_list_is_scoped_to_the_callers_wards_and_constant_in_queries(ward, doctor, nurse, client_for):
    now = timezone.now()
    other_ward = make_ward()
    for _ in range(2):
        make_case("operated", ward=ward, surgeon=doctor, admitted_at=now - timedelta(hours=30))
    theirs = make_case("operated", ward=other_ward, admitted_at=now - timedelta(hours=30))
    rows = _alerts(client_for(nurse))
    assert len(rows) == 2 and str(theirs.uuid) not in {r["case"]["uuid"] for r in rows}
    refused = client_for(nurse).get("/api/v1/stay/alerts/", {"ward": str(other_ward.uuid)})
    assert refused.status_code == 400 and "ward" in refused.json()["error"]["fields"]
    assert len(_alerts(client_for(nurse), ward=str(ward.uuid))) == 2
    client = client_for(nurse)
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/stay/alerts/")
    for _ in range(4):
        make_case("operated", ward=ward, surgeon=doctor, admitted_at=now - timedelta(hours=46))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/stay/alerts/").json()) == 6
    assert len(many.captured_queries) == len(few.captured_queries)


def _transfer(client, case, **extra):
    body = {"reason_code": "complication", "reason_text": "术后出血需继续观察", "target_ward_code": "GS-3",
            "target_ward_name": "普外三病区", "target_department_code": "GS", **extra}
    return client.post(f"/api/v1/cases/{case.uuid}/inpatient-transfer/", body, format="json")


def test_transfer_converts_the_his_stay_and_keeps_the_link(hospital_sim, scheduled_case, nurse, doctor, client_for):
    case = scheduled_case()
    admitted_at = timezone.now() - timedelta(hours=20)  # the evening before at the earliest
    assert client_for(nurse).post(f"/api/v1/cases/{case.uuid}/admission/", {"admitted_at": admitted_at.isoformat()},
                                  format="json").status_code == 201
    day_no = case.stay_admission.admission_no
    response = _transfer(client_for(doctor), case)
    assert response.status_code == 201, response.json()
    case.refresh_from_db()
    transfer = InpatientTransfer.objects.get(case=case)
    assert case.state == "transferred_to_inpatient"
    assert transfer.day_surgery_admission_no == day_no and transfer.inpatient_admission_no.startswith("ZY")
    assert case.inpatient_admission_no == transfer.inpatient_admission_no and case.inpatient_ward_name == "普外三病区"
    assert 19.9 < float(transfer.hours_since_admission) < 20.1
    assert response.json()["transfer"]["inpatient_admission_no"] == transfer.inpatient_admission_no
    [encounter] = sim_get(hospital_sim, "adt/encounters", case=str(case.uuid))["encounters"]
    assert encounter["class"]["code"] == "IMP" and encounter["id"] == transfer.his_encounter_id
    assert {i["value"] for i in encounter["identifier"]} >= {day_no, transfer.inpatient_admission_no}
    event = CaseEvent.objects.get(case=case, type="cases.case.transferred_to_inpatient")
    assert event.payload["inpatient_admission_no"] == transfer.inpatient_admission_no
    assert event.payload["reason"].endswith("术后出血需继续观察")
    again = _transfer(client_for(doctor), case)
    assert again.status_code == 409  # the case has left the day-surgery ward


def test_transfer_rules(hospital_sim, ward, doctor, nurse, client_for, sim_reg_no):
    discharged = make_case("discharged", ward=ward, surgeon=doctor)
    assert _transfer(client_for(doctor), discharged).json()["error"]["code"] == "invalid_transition"
    # An admission made without the HIS (e.g. before this system registered admissions): the admission office's
    # inpatient number is then required.
    no_his = make_case("operated", ward=ward, surgeon=doctor, patient=make_patient(reg_no=sim_reg_no()))
    missing = _transfer(client_for(doctor), no_his)
    assert missing.status_code == 400 and "inpatient_admission_no" in missing.json()["error"]["fields"]
    other = _transfer(client_for(doctor), no_his, reason_code="other", reason_text="")
    assert other.status_code == 400 and "reason_text" in other.json()["error"]["fields"]
    ok = _transfer(client_for(doctor), no_his, inpatient_admission_no="ZY2600123")
    assert ok.status_code == 201 and InpatientTransfer.objects.get(case=no_his).his_encounter_id == ""
    outsider = make_staff("doctor", ward=make_ward())
    operated = make_case("operated", ward=ward, surgeon=doctor)
    assert _transfer(client_for(outsider), operated, inpatient_admission_no="ZY1").status_code == 404
    assert _transfer(client_for(make_staff("anaesthetist", ward=ward)), operated,
                     inpatient_admission_no="ZY1").status_code == 403
