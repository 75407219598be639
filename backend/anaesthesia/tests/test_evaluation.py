"""Risk evaluation from the assessment (A1, A6, A7): canonical inputs to the risk app, every event with a level,
the knowledge base's plan pre-filled into the recommendations (editable, not silently overwritten), and stale
results refused for a decision."""

import pytest

from anaesthesia.models import AnaesthesiaAssessment
from anaesthesia.services import engine_inputs
from anaesthesia.tests.conftest import complete_sections, plain_case, save, start
from risk.models import RiskEvaluation

pytestmark = pytest.mark.django_db


def evaluate(client, body, *, expect=200):
    response = client.post(f"/api/v1/anaesthesia-assessments/{body['uuid']}/evaluate/",
                           {"version": body["version"]}, format="json")
    assert response.status_code == expect, response.content
    return response.json()


def ready(client, clinic, case=None, **overrides):
    body = start(client, clinic, case or plain_case(clinic))
    return save(client, body, complete_sections(**overrides))


@pytest.mark.req("A1", "A6")
def test_evaluation_builds_canonical_inputs_and_stores_every_event_with_a_level(api_client, clinic):
    body = ready(api_client, clinic, status={"asa_class": 3}, osa={"snoring": True, "observed_apnoea": True})
    assessment = AnaesthesiaAssessment.objects.get(uuid=body["uuid"])
    inputs = engine_inputs(assessment)
    assert inputs["asa_class"] == 3 and inputs["procedure_type"] == "surgery" and inputs["general_anaesthesia"] is True
    assert inputs["bmi"] == round(72 / 1.7 ** 2, 1) and inputs["age"] == body["general"]["age"]
    assert inputs["snoring"] is True and inputs["mallampati"] == 2 and "plan_note" not in inputs
    body = evaluate(api_client, body)
    evaluation = body["evaluation"]
    assert evaluation["state"] == "fresh"
    record = RiskEvaluation.objects.get(uuid=evaluation["uuid"])
    assert record.inputs["asa_class"] == 3 and record.patient_id == assessment.patient_id
    events = {e["event"]: e for e in evaluation["summary"]["events"]}
    assert len(events) >= 8
    assert {"mi_cardiac_arrest", "ponv", "osa", "sepsis", "shock"} <= set(events)
    assert all(e["level"] in ("low", "intermediate", "high", "unknown") for e in events.values())
    assert events["mi_cardiac_arrest"]["level"] != "unknown"
    assert events["osa"]["primary"]["inputs"]["snoring"] in (True, 1, 1.0)


@pytest.mark.req("A1", "A7")
def test_the_knowledge_base_plan_prefills_the_recommendations_and_an_edit_is_kept(api_client, clinic):
    body = evaluate(api_client, ready(api_client, clinic))
    suggested = body["evaluation"]["summary"]["recommendations"]
    recs = body["recommendations"]
    assert recs["monitoring"] == suggested["monitoring"] and recs["monitoring"]
    assert recs["drugs"] == suggested["drugs"] and recs["seniority"] == suggested["seniority"]
    assert recs["equipment"] == suggested["equipment"]
    assert not body["recommendations_edited"]
    # the anaesthetist edits the recommendations; a re-evaluation keeps the edit and shows the new suggestion
    edited = {**{k: recs[k] for k in ("monitoring", "drugs", "equipment", "advice")},
              "seniority": "chief", "monitoring": recs["monitoring"] + ["术中 BIS 监测"]}
    response = api_client.patch(f"/api/v1/anaesthesia-assessments/{body['uuid']}/",
                                {"version": body["version"], "recommendations": edited}, format="json")
    assert response.status_code == 200, response.content
    body = save(api_client, response.json(), {"status": {"asa_class": 3}, "history": {"heart_failure": True}})
    body = evaluate(api_client, body)
    assert body["recommendations_edited"]
    assert "术中 BIS 监测" in body["recommendations"]["monitoring"] and body["recommendations"]["seniority"] == "chief"
    assert body["recommendations_suggested"]["monitoring"] == body["evaluation"]["summary"]["recommendations"][
        "monitoring"]
    # resetting takes the model's suggestion again
    reset = api_client.patch(f"/api/v1/anaesthesia-assessments/{body['uuid']}/",
                             {"version": body["version"], "recommendations": None}, format="json").json()
    assert reset["recommendations"] == reset["recommendations_suggested"] and not reset["recommendations_edited"]
    report = api_client.get(f"/api/v1/anaesthesia-assessments/{body['uuid']}/report/").json()
    assert report["recommendations"]["monitoring"] == reset["recommendations"]["monitoring"]


@pytest.mark.req("A1", "A12")
def test_sedated_endoscopy_is_evaluated_as_its_procedure_type(api_client, clinic, hospital_sim,
                                                              django_capture_on_commit_callbacks):
    from anaesthesia.tests.test_gating import sedation_appointment

    appointment = sedation_appointment(hospital_sim, clinic, offset=5)
    from tests.builders import authenticate

    authenticate(api_client, clinic["anaesthetist"])
    body = api_client.post("/api/v1/anaesthesia-assessments/", {"sedation_appointment": str(appointment.uuid)},
                           format="json").json()
    assert body["procedure_kind"] == appointment.procedure_kind
    assert body["sections"]["plan"]["anaesthesia_plan"] == "mac_sedation"
    sections = complete_sections(plan={"anaesthesia_plan": "mac_sedation"})
    sections.pop("ponv")
    body = save(api_client, body, sections)
    body = evaluate(api_client, body)
    inputs = AnaesthesiaAssessment.objects.get(uuid=body["uuid"]).evaluated_inputs
    assert inputs["procedure_type"] == appointment.procedure_kind and inputs["general_anaesthesia"] is False
    events = {e["event"]: e for e in body["evaluation"]["summary"]["events"]}
    assert events["sedation_hypoxaemia"]["level"] in ("low", "intermediate", "high")
    # No catalogue procedure: the endoscopy's kind defines the procedure items, so the surgical models score it
    # (flagged as outside their derivation population) instead of reporting missing data.
    assert inputs["sort_severity"] == "minor" and inputs["rcri_elevated_risk_surgery"] is False
    assert events["mortality_30d"]["level"] != "unknown"
    assert events["mortality_30d"]["primary"]["outside_derivation"] is True
    # a pass goes back to the medtech system (the appointment is released); no SMS for a pass
    from anaesthesia.tests.test_gating import conclude
    from integrations.testing import sent_sms, sim_get

    body = conclude(api_client, body, django_capture_on_commit_callbacks, result="pass", opinion="可行无痛检查")
    report = sim_get(hospital_sim, "medtech/sedation-results", appointment_no=appointment.appointment_no)["items"][-1]
    assert report["result"] == "passed"
    assert not sent_sms(hospital_sim, appointment.patient.phone)


@pytest.mark.req("A9")
def test_data_changed_after_the_evaluation_blocks_the_conclusion_until_re_evaluated(api_client, clinic):
    body = evaluate(api_client, ready(api_client, clinic))
    conclude_url = f"/api/v1/anaesthesia-assessments/{body['uuid']}/conclude/"
    body = save(api_client, body, {"airway": {"mallampati": 4}})
    assert body["evaluation"]["state"] == "stale"
    refused = api_client.post(conclude_url, {"result": "pass", "opinion": "可行日间手术"}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "evaluation_stale"
    # a note that no model reads does not make the results stale
    body = evaluate(api_client, body)
    body = save(api_client, body, {"history": {"allergies": "青霉素过敏"}})
    assert body["evaluation"]["state"] == "fresh"


def test_conclusion_needs_an_evaluation(api_client, clinic):
    body = ready(api_client, clinic)
    response = api_client.post(f"/api/v1/anaesthesia-assessments/{body['uuid']}/conclude/",
                               {"result": "pass", "opinion": "可"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "evaluation_required"
