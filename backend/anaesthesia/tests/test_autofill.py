"""Autofill from the LIS and PACS/ECG by mapping rules, searching this visit's results and citing one (A3, A4, A5).
The results come from the hospital simulator over HTTP, through H3's clinical store."""

from decimal import Decimal

import pytest
from django.test import override_settings

from anaesthesia.models import AnaesthesiaAssessment, ResultMappingRule
from anaesthesia.tests.conftest import his_case, save, start
from clinical.models import ExamReport, LabResult
from tests.builders import admin_token, authenticate, make_patient, make_staff

pytestmark = pytest.mark.django_db


def _autofill(client, body, **extra):
    response = client.post(f"/api/v1/anaesthesia-assessments/{body['uuid']}/autofill/", extra, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _detail(client, body):
    return client.get(f"/api/v1/anaesthesia-assessments/{body['uuid']}/").json()


@pytest.mark.req("A3", "A5")
def test_autofill_fills_mapped_lab_and_exam_fields_with_their_sources(api_client, clinic, hospital_sim):
    case = his_case(hospital_sim, clinic, 4)
    body = start(api_client, clinic, case)
    result = _autofill(api_client, body)
    assert result["fetch"]["labs"] >= 3 and result["fetch"]["exams"] >= 2  # reports: 血常规, 生化, 凝血; X-ray + ECG
    detail = _detail(api_client, body)
    labs = detail["sections"]["labs"]
    creatinine = LabResult.objects.get(report__patient=case.patient, report__visit_no=case.visit_no, code="2160-0")
    haemoglobin = LabResult.objects.get(report__patient=case.patient, report__visit_no=case.visit_no, code="718-7")
    assert labs["creatinine_umol_l"] == float(creatinine.numeric_value)
    assert labs["haemoglobin_g_l"] == float(haemoglobin.numeric_value)
    assert {"wbc_10e9_l", "platelets_10e9_l", "potassium_mmol_l", "glucose_mmol_l", "inr"} <= set(labs)
    source = detail["sources"]["labs.creatinine_umol_l"]
    assert source["result"] == str(creatinine.uuid) and source["report_no"] == creatinine.report.report_no
    assert source["arrow"] == creatinine.arrow and source["unit"] == "μmol/L"
    ecg = ExamReport.objects.get(patient=case.patient, visit_no=case.visit_no, code="ECG12")
    cardio = detail["sections"]["systems"]["cardiovascular"]
    assert cardio["status"] == ("abnormal" if ecg.abnormal else "normal") and ecg.conclusion in cardio["text"]
    assert detail["sources"]["systems.cardiovascular"]["result"] == str(ecg.uuid)
    chest = ExamReport.objects.filter(patient=case.patient, visit_no=case.visit_no, code="CXR").first()
    if chest is not None:
        assert chest.conclusion in detail["sections"]["systems"]["respiratory"]["text"]
    # the report data shows the autofilled labs with their arrows
    report = api_client.get(f"/api/v1/anaesthesia-assessments/{body['uuid']}/report/").json()["report"]
    row = next(r for r in report["labs"] if r["name"] == "肌酐")
    assert row["arrow"] == creatinine.arrow_symbol and row["unit"] == "μmol/L"


@pytest.mark.req("A3")
def test_a_value_typed_by_hand_is_kept_unless_overwritten(api_client, clinic, hospital_sim):
    case = his_case(hospital_sim, clinic, 5)
    body = start(api_client, clinic, case)
    body = save(api_client, body, {"labs": {"creatinine_umol_l": 999}})
    result = _autofill(api_client, body)
    kept = {k["field"]: k for k in result["kept"]}
    assert kept["labs.creatinine_umol_l"]["value"] == 999
    detail = _detail(api_client, body)
    assert detail["sections"]["labs"]["creatinine_umol_l"] == 999
    assert "labs.creatinine_umol_l" not in detail["sources"]
    _autofill(api_client, detail, overwrite=True)
    assert _detail(api_client, body)["sections"]["labs"]["creatinine_umol_l"] != 999
    # typing over an autofilled value drops its source: it no longer comes from the LIS
    detail = _detail(api_client, body)
    detail = save(api_client, detail, {"labs": {"creatinine_umol_l": 85}})
    assert "labs.creatinine_umol_l" not in detail["sources"]


@pytest.mark.req("A3")
def test_mapping_rules_are_editable_with_unit_conversion(api_client, clinic, hospital_sim):
    admin = make_staff("hospital_admin", ward=clinic["ward"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(admin)}")
    rules = api_client.get("/api/v1/anaesthesia-mapping-rules/?kind=lab").json()
    creatinine = next(r for r in rules if r["code"] == "2160-0")
    assert creatinine["target"] == "labs.creatinine_umol_l" and creatinine["hospital"] is None
    hospital = clinic["ward"].department.hospital
    # this hospital's LIS reports creatinine in mg/dL under its own code: its rule converts (× 88.4)
    response = api_client.post("/api/v1/anaesthesia-mapping-rules/", {
        "hospital": str(hospital.uuid), "kind": "lab", "code": "2160-0", "name": "肌酐(mg/dL)",
        "target": "labs.creatinine_umol_l", "source_unit": "mg/dL", "factor": "88.4"}, format="json")
    assert response.status_code == 201, response.content
    bad = api_client.post("/api/v1/anaesthesia-mapping-rules/", {"kind": "lab", "code": "X1",
                                                                  "target": "systems.renal"}, format="json")
    assert bad.status_code == 400 and "target" in bad.json()["error"]["fields"]
    case = his_case(hospital_sim, clinic, 6)
    body = start(api_client, clinic, case)
    result = _autofill(api_client, body)
    # the simulator reports μmol/L: the hospital rule (mg/dL) does not apply to it, so nothing wrong is written
    skipped = {s["field"]: s for s in result["skipped"]}
    assert skipped["labs.creatinine_umol_l"]["reason"] == "unit_mismatch"
    assert "creatinine_umol_l" not in _detail(api_client, body)["sections"].get("labs", {})
    rule = ResultMappingRule.objects.get(hospital=hospital, code="2160-0")
    authenticate(api_client, clinic["anaesthetist"])
    assert api_client.patch(f"/api/v1/anaesthesia-mapping-rules/{rule.uuid}/", {"factor": "1"},
                            format="json").status_code == 403


@pytest.mark.req("A3", "A4")
def test_search_this_visits_lab_items_and_cite_one_with_its_arrow(api_client, clinic, hospital_sim):
    case = his_case(hospital_sim, clinic, 7)
    body = start(api_client, clinic, case)
    _autofill(api_client, body)
    url = f"/api/v1/anaesthesia-assessments/{body['uuid']}/"
    found = api_client.get(url + "lab-results/?q=血红蛋白").json()
    assert [r["code"] for r in found] == ["718-7"]
    assert all(r["visit_no"] == case.visit_no for r in api_client.get(url + "lab-results/").json())
    abnormal = api_client.get(url + "lab-results/?abnormal_only=true").json()
    assert all(r["flag"] not in ("", "N") for r in abnormal)
    # a result with an arrow (the simulator's seed makes some abnormal; make one certain for the assertion)
    potassium = LabResult.objects.get(report__patient=case.patient, report__visit_no=case.visit_no, code="2823-3")
    LabResult.objects.filter(pk=potassium.pk).update(value="6.1", numeric_value=Decimal("6.1"), flag="H", arrow="up")
    detail = _detail(api_client, body)
    response = api_client.post(url + "citations/", {"kind": "lab", "result": str(potassium.uuid),
                                                    "version": detail["version"]}, format="json")
    assert response.status_code == 201, response.content
    snapshot = response.json()["snapshot"]
    assert snapshot["value"] == "6.1" and snapshot["arrow"] == "up" and snapshot["arrow_symbol"] == "↑"
    ref = potassium.ref_text or "3.5–5.3"  # as the LIS printed it, else from the limits
    assert snapshot["unit"] == "mmol/L" and snapshot["ref"] == ref and snapshot["ref"].replace("–", "-") == "3.5-5.3"
    # citing is idempotent; the LIS correcting the value later does not change what was cited
    again = api_client.post(url + "citations/", {"kind": "lab", "result": str(potassium.uuid)}, format="json")
    assert again.status_code == 201 and again.json()["uuid"] == response.json()["uuid"]
    LabResult.objects.filter(pk=potassium.pk).update(value="4.0")
    report = api_client.get(url + "report/").json()["report"]
    row = next(r for r in report["labs"] if r["name"] == "钾")
    assert row == {"name": "钾", "value": "6.1", "unit": "mmol/L", "ref": ref, "arrow": "↑"}
    # another patient's result cannot be cited
    other = make_patient()
    from clinical.testing import seed_rows

    seed_rows(ward=clinic["ward"], patient=other, case=None)
    foreign = LabResult.objects.get(report__patient=other)
    refused = api_client.post(url + "citations/", {"kind": "lab", "result": str(foreign.uuid)}, format="json")
    assert refused.status_code == 400 and "result" in refused.json()["error"]["fields"]


@pytest.mark.req("A5")
def test_search_and_cite_an_ecg_report(api_client, clinic, hospital_sim):
    case = his_case(hospital_sim, clinic, 8)
    body = start(api_client, clinic, case)
    _autofill(api_client, body)
    url = f"/api/v1/anaesthesia-assessments/{body['uuid']}/"
    ecgs = api_client.get(url + "exam-reports/?kind=ecg").json()
    assert len(ecgs) == 1 and ecgs[0]["code"] == "ECG12"
    assert api_client.get(url + "exam-reports/?q=心电图").json()[0]["uuid"] == ecgs[0]["uuid"]
    response = api_client.post(url + "citations/", {"kind": "exam", "result": ecgs[0]["uuid"]}, format="json")
    assert response.status_code == 201
    snapshot = response.json()["snapshot"]
    assert snapshot["conclusion"] == ecgs[0]["conclusion"] and snapshot["abnormal"] == ecgs[0]["abnormal"]
    citations = api_client.get(url + "citations/").json()
    assert [c["kind"] for c in citations] == ["exam"]
    exams = api_client.get(url + "report/").json()["report"]["exams"]
    assert sum(1 for e in exams if e["name"] == "十二导联心电图") == 1  # cited and autofilled: one row
    removed = api_client.delete(f"/api/v1/anaesthesia-citations/{citations[0]['uuid']}/")
    assert removed.status_code == 204 and api_client.get(url + "citations/").json() == []


def test_autofill_without_a_visit_number_is_a_field_error(api_client, clinic, hospital_sim):
    case = his_case(hospital_sim, clinic, 9)
    type(case).objects.filter(pk=case.pk).update(visit_no="")
    body = start(api_client, clinic, case)
    response = api_client.post(f"/api/v1/anaesthesia-assessments/{body['uuid']}/autofill/", {}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "visit_unknown"
    assert AnaesthesiaAssessment.objects.get(uuid=body["uuid"]).version == body["version"]


@pytest.mark.req("A3")
def test_a_lis_outage_fills_from_what_was_fetched_before_and_says_so(api_client, clinic, hospital_sim):
    from integrations.testing import sim_post

    case = his_case(hospital_sim, clinic, 10)
    body = start(api_client, clinic, case)
    _autofill(api_client, body)
    detail = save(api_client, _detail(api_client, body), {"labs": {"creatinine_umol_l": None}})
    sim_post(hospital_sim, "faults", {"path": "/fhir/DiagnosticReport", "status": 503, "count": 1})
    with override_settings(INTEGRATION_HTTP={"timeout": 5, "attempts": 1, "backoff": 0}):
        result = _autofill(api_client, detail)
    assert result["fetch"]["error"] == "external_unavailable" and result["fetch"]["message"]
    # the earlier fetch is still there: the value is filled again from it
    assert "labs.creatinine_umol_l" in {f["field"] for f in result["filled"]}


@pytest.mark.parametrize("factor", ["0", "-88.4"])
def test_a_new_mapping_rule_needs_a_positive_factor(api_client, clinic, factor):
    """A zero factor would autofill 0 µmol/L creatinine into every assessment (editing already refused it)."""
    admin = make_staff("hospital_admin", ward=clinic["ward"])
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(admin)}")
    response = api_client.post("/api/v1/anaesthesia-mapping-rules/", {
        "hospital": str(clinic["ward"].department.hospital.uuid), "kind": "lab", "code": "2160-0",
        "target": "labs.creatinine_umol_l", "factor": factor}, format="json")
    assert response.status_code == 400, response.content
    assert "factor" in response.json()["error"]["fields"]


def test_another_hospitals_administrator_cannot_change_this_hospitals_mapping_rules(api_client, clinic):
    from tests.builders import make_department, make_hospital, make_ward

    hospital = clinic["ward"].department.hospital
    rule = ResultMappingRule.objects.create(hospital=hospital, kind="lab", code="H-2160-0",
                                            target="labs.creatinine_umol_l")
    other, _campus = make_hospital(code="H-FAR")
    stranger = make_staff("hospital_admin", ward=make_ward(department=make_department(hospital=other)))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(stranger)}")
    url = f"/api/v1/anaesthesia-mapping-rules/{rule.uuid}/"
    assert api_client.patch(url, {"factor": "88.4"}, format="json").status_code == 403
    assert api_client.delete(url).status_code == 403
    assert api_client.post("/api/v1/anaesthesia-mapping-rules/", {
        "hospital": str(hospital.uuid), "kind": "lab", "code": "X9", "target": "labs.creatinine_umol_l"},
        format="json").status_code == 403
    rule.refresh_from_db()
    assert rule.factor == 1
