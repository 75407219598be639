"""Assessment capture (A2, A7, A9): general information from the case, the form with explanatory notes, draft
saves with type checks and optimistic locking, diagrams as structured data, required-field validation."""

import pytest

from anaesthesia.models import AnaesthesiaAssessment
from anaesthesia.tests.conftest import complete_sections, plain_case, save, start
from audit.models import AuditEntry
from tests.builders import authenticate, make_staff, make_ward

pytestmark = pytest.mark.django_db


@pytest.mark.req("A2")
def test_form_schema_serves_fields_units_choices_and_notes(api_client, clinic):
    authenticate(api_client, clinic["anaesthetist"])
    body = api_client.get("/api/v1/anaesthesia-assessment-form/").json()
    fields = {f["path"]: f for s in body["sections"] for f in s["fields"]}
    mallampati = fields["airway.mallampati"]
    assert mallampati["required_for_risk"] and mallampati["widget"] == "picture_choice"
    assert [c["value"] for c in mallampati["choices"]] == [1, 2, 3, 4]
    assert "Ⅲ级 仅见软腭及悬雍垂根部" in mallampati["note"]
    tmd = fields["airway.thyromental_distance_cm"]
    assert tmd["unit"] == "cm" and "甲状软骨切迹至下颏" in tmd["note"]
    assert fields["labs.creatinine_umol_l"]["unit"] == "μmol/L"
    assert fields["systems.cardiovascular"]["required_to_conclude"] and not fields["systems.cardiovascular"][
        "required_for_risk"]
    plan_choices = {c["value"]: c["label"] for c in fields["plan.anaesthesia_plan"]["choices"]}
    assert plan_choices["general_ett"] == "全身麻醉（气管插管）" and plan_choices["mac_sedation"] == "监护麻醉/静脉镇静"
    assert 11 in body["diagrams"]["teeth"]["numbers"] and 48 in body["diagrams"]["teeth"]["numbers"]
    assert 19 not in body["diagrams"]["teeth"]["numbers"]
    # PONV items do not apply to sedated endoscopy
    endoscopy = api_client.get("/api/v1/anaesthesia-assessment-form/?procedure_type=gastroscopy").json()
    fields = {f["path"]: f for s in endoscopy["sections"] for f in s["fields"]}
    assert not fields["ponv.history_ponv"]["required_for_risk"]
    assert api_client.get("/api/v1/anaesthesia-assessment-form/?procedure_type=x").status_code == 400


@pytest.mark.req("A2")
def test_start_fills_general_information_from_the_case_and_returns_the_open_one(api_client, clinic):
    case = plain_case(clinic)
    body = start(api_client, clinic, case)
    g = body["general"]
    patient = case.patient
    assert g["name"] == patient.name and g["reg_no"] == patient.reg_no and g["sex"] == patient.sex
    assert g["procedure"] == "腹腔镜胆囊切除术" and g["surgeon"] == "外科医生乙"
    assert g["planned_date"] == str(case.planned_date)
    expected_age = case.planned_date.year - patient.birth_date.year - (
        (case.planned_date.month, case.planned_date.day) < (patient.birth_date.month, patient.birth_date.day))
    assert g["age"] == expected_age
    assert body["status"] == "in_progress" and body["assessment_no"].startswith("MZ")
    assert body["sections"]["plan"]["anaesthesia_plan"] == "general_lma"  # from the booked method, to be decided
    again = api_client.post("/api/v1/anaesthesia-assessments/", {"case": str(case.uuid)}, format="json")
    assert again.status_code == 200 and again.json()["uuid"] == body["uuid"]
    assert AnaesthesiaAssessment.objects.filter(case=case).count() == 1


def test_only_anaesthetists_of_the_ward_start_and_edit(api_client, clinic):
    case = plain_case(clinic)
    authenticate(api_client, clinic["surgeon"])
    assert api_client.post("/api/v1/anaesthesia-assessments/", {"case": str(case.uuid)},
                           format="json").status_code == 403
    other = make_staff("anaesthetist", ward=make_ward())
    authenticate(api_client, other)
    response = api_client.post("/api/v1/anaesthesia-assessments/", {"case": str(case.uuid)}, format="json")
    assert response.status_code == 400 and "case" in response.json()["error"]["fields"] or response.status_code == 404
    body = start(api_client, clinic, case)
    authenticate(api_client, other)
    assert api_client.get(f"/api/v1/anaesthesia-assessments/{body['uuid']}/").status_code == 404
    assert api_client.patch(f"/api/v1/anaesthesia-assessments/{body['uuid']}/",
                            {"version": body["version"], "sections": {}}, format="json").status_code == 404


@pytest.mark.req("A2")
def test_draft_saves_merge_partial_sections_and_check_types(api_client, clinic):
    body = start(api_client, clinic, plain_case(clinic))
    body = save(api_client, body, {"body": {"height_cm": 165}, "vitals": {"heart_rate": 80}})
    body = save(api_client, body, {"body": {"weight_kg": 81.7}, "vitals": {"heart_rate": None}})
    assert body["sections"]["body"] == {"height_cm": 165, "weight_kg": 81.7}
    assert "heart_rate" not in body["sections"].get("vitals", {})
    assert body["bmi"] == 30.0
    bad = save(api_client, body, {
        "vitals": {"heart_rate": "fast", "spo2_pct": 130, "systolic_bp": True},
        "status": {"asa_class": 7, "smoker_current": "no"},
        "airway": {"mallampati": 2.5, "unknown_item": 1},
        "nonsense": {},
    }, expect=400)
    fields = bad["error"]["fields"]
    assert set(fields) >= {"vitals.heart_rate", "vitals.spo2_pct", "vitals.systolic_bp", "status.asa_class",
                           "status.smoker_current", "airway.mallampati", "airway.unknown_item", "nonsense"}
    assert all(isinstance(m, str) and m for msgs in fields.values() for m in msgs)
    assert "130" not in str(AnaesthesiaAssessment.objects.get(uuid=body["uuid"]).sections)  # nothing half-saved


def test_a_stale_version_is_refused_with_409(api_client, clinic):
    body = start(api_client, clinic, plain_case(clinic))
    save(api_client, body, {"body": {"height_cm": 170}})
    conflict = save(api_client, body, {"body": {"height_cm": 171}}, expect=409)
    assert conflict["error"]["code"] == "assessment_version_conflict"
    assert conflict["error"]["version"] == body["version"] + 1


@pytest.mark.req("A2")
def test_diagrams_are_stored_as_structured_data_and_validated(api_client, clinic):
    body = start(api_client, clinic, plain_case(clinic))
    diagrams = {
        "teeth": {"teeth": [{"tooth": 21, "states": ["crowned", "loose"]}, {"tooth": 11, "states": ["missing"]}],
                  "note": "上前牙烤瓷冠"},
        "eyes": {"eyes": {"left": {"pupil_mm": 3, "light_reflex": "brisk"},
                          "right": {"pupil_mm": 3.5, "light_reflex": "sluggish", "marks": ["cataract"]}}},
        "airway_marks": {"marks": [{"region": "tonsils", "kind": "swelling", "note": "Ⅱ度肿大"}]},
    }
    body = save(api_client, body, diagrams)
    assert [t["tooth"] for t in body["sections"]["teeth"]["teeth"]] == [11, 21]  # sorted by tooth number
    assert body["sections"]["eyes"]["eyes"]["right"]["marks"] == ["cataract"]
    assert body["sections"]["airway_marks"]["marks"][0]["region"] == "tonsils"
    bad = save(api_client, body, {
        "teeth": {"teeth": [{"tooth": 19, "states": ["missing"]}, {"tooth": 12, "states": ["missing", "loose"]},
                            {"tooth": 13, "states": ["gold"]}]},
        "eyes": {"eyes": {"left": {"pupil_mm": 12}, "middle": {}}},
        "airway_marks": {"marks": [{"region": "elbow", "kind": "mass"}]},
    }, expect=400)
    fields = bad["error"]["fields"]
    assert {"teeth.teeth.0.tooth", "teeth.teeth.1.states", "teeth.teeth.2.states.0", "eyes.eyes.left.pupil_mm",
            "eyes.eyes.middle", "airway_marks.marks.0.region"} <= set(fields)
    twice = save(api_client, body, {"teeth": {"teeth": [{"tooth": 11, "states": ["loose"]},
                                                         {"tooth": 11, "states": ["crowned"]}]}}, expect=400)
    assert "teeth.teeth" in twice["error"]["fields"]


@pytest.mark.req("A9")
def test_required_fields_are_listed_one_by_one_before_evaluation(api_client, clinic):
    body = start(api_client, clinic, plain_case(clinic))
    body = save(api_client, body, {"body": {"height_cm": 170}, "airway": {"mallampati": 3}})
    response = api_client.post(f"/api/v1/anaesthesia-assessments/{body['uuid']}/evaluate/", {}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "assessment_incomplete"
    fields = error["fields"]
    for path in ("body.weight_kg", "vitals.spo2_pct", "status.asa_class", "status.functional_status",
                 "airway.thyromental_distance_cm", "osa.snoring", "labs.creatinine_umol_l", "history.copd"):
        assert path in fields, path
    assert "body.height_cm" not in fields and "airway.mallampati" not in fields
    assert fields["body.weight_kg"] == ["体重为风险评估必填项。"] or "体重" in fields["body.weight_kg"][0]
    # the organ systems and the plan are needed to conclude, not to evaluate
    assert "systems.cardiovascular" not in fields
    check = api_client.get(f"/api/v1/anaesthesia-assessments/{body['uuid']}/validation/?stage=conclude").json()
    assert not check["complete"] and "systems.cardiovascular" in check["missing"]
    # abnormal findings need a description; inconsistent answers are named
    bad = save(api_client, body, {"systems": {"respiratory": {"status": "abnormal"}}}, expect=400)
    assert "systems.respiratory.text" in bad["error"]["fields"]
    body = save(api_client, body, complete_sections(
        vitals={"systolic_bp": 80, "diastolic_bp": 90}, history={"insulin_treatment": True, "diabetes": False}))
    check = api_client.get(f"/api/v1/anaesthesia-assessments/{body['uuid']}/validation/?stage=conclude").json()
    assert set(check["missing"]) == {"vitals.diastolic_bp", "history.diabetes"}


def test_malformed_requests_answer_400_not_500(api_client, clinic):
    body = start(api_client, clinic, plain_case(clinic))
    url = f"/api/v1/anaesthesia-assessments/{body['uuid']}/"
    for payload in ({"version": "x"}, {"version": 1, "sections": []}, {"version": 1, "sections": {"body": 5}},
                    {"version": 1, "sections": {"body": {"height_cm": "NaN"}}},
                    {"version": 1, "sections": {"history": {"caprini_factors": "oc"}}},
                    {"version": 1, "recommendations": {"monitoring": "ECG"}}, {"version": 1, "opinion": 5}):
        response = api_client.patch(url, payload, format="json")
        assert response.status_code == 400, (payload, response.content)
    for payload in ({}, {"case": "nope"}, {"case": str(body["uuid"])}, {"case": None, "sedation_appointment": None}):
        assert api_client.post("/api/v1/anaesthesia-assessments/", payload, format="json").status_code in (400, 404)
    assert api_client.post(url + "conclude/", {"result": "maybe"}, format="json").status_code == 400
    assert api_client.get("/api/v1/anaesthesia-clinic/queue/?date=yesterday").status_code == 400
    assert api_client.get(url + "validation/?stage=x").status_code == 400


def test_every_detail_read_is_audited(api_client, clinic):
    body = start(api_client, clinic, plain_case(clinic))
    before = AuditEntry.objects.filter(action="read", target_id=body["uuid"]).count()
    api_client.get(f"/api/v1/anaesthesia-assessments/{body['uuid']}/")
    assert AuditEntry.objects.filter(action="read", target_id=body["uuid"]).count() == before + 1


def test_nul_characters_are_refused_as_input_errors(api_client, clinic):
    body = start(api_client, clinic, plain_case(clinic))
    url = f"/api/v1/anaesthesia-assessments/{body['uuid']}/"
    for payload in ({"recommendations": {"monitoring": ["ECG\x00"]}}, {"opinion": "可\x00"},
                    {"sections": {"history": {"allergies": "\x00"}}}):
        response = api_client.patch(url, {"version": body["version"], **payload}, format="json")
        assert response.status_code == 400, (payload, response.content)
