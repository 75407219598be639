"""The doctor's API (D1, D5) and the administrators' (Y9): own patients by date, the daily high-risk list, the
workspace, the decision with its note and history, and the rule/settings administration."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditAction, AuditEntry
from cases.models import CaseEvent, SurgicalCase
from clinical.services import clinical_results_fetch
from doctor_assessment.models import DoctorAssessment, HighRiskRule, HighRiskRuleVersion
from doctor_assessment.services import findings_evaluate
from doctor_assessment.tests.conftest import case_of, negative_everywhere, positives
from org.models import MedicalGroup
from tests.builders import admin_token, authenticate, make_case, make_staff, make_ward

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def client_of(user):
    return authenticate(APIClient(), user)


def admin_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(user)}")
    return client


def evaluated(case):
    clinical_results_fetch(patient=case.patient, visit_no=case.visit_no, actor=None)
    findings_evaluate(case)
    return case


# --- D1: my patients by date ---------------------------------------------------------------------------------------
@pytest.mark.req("D1")
def test_my_patients_by_date_are_mine_and_my_groups_only():
    ward, other_ward = make_ward(), make_ward()
    me, colleague, stranger = (make_staff("doctor", ward=ward) for _ in range(3))
    group = MedicalGroup.objects.create(department=ward.department, name="胆道组", leader=colleague)
    group.members.add(me)
    day = TODAY() + timedelta(days=2)
    mine = make_case("booked", ward=ward, surgeon=me, planned_date=day)
    groups = make_case("booked", ward=ward, surgeon=colleague, planned_date=day)
    make_case("booked", ward=ward, surgeon=stranger, planned_date=day)  # same ward, not mine
    make_case("booked", ward=ward, surgeon=me, planned_date=day + timedelta(days=1))  # another date
    make_case("cancelled", ward=ward, surgeon=me, planned_date=day)  # not on the list
    api = client_of(me)

    res = api.get("/api/v1/doctor/patients/", {"date": day.isoformat()})
    assert res.status_code == 200, res.content
    assert {r["uuid"] for r in res.json()} == {str(mine.uuid), str(groups.uuid)}
    row = next(r for r in res.json() if r["uuid"] == str(mine.uuid))
    assert row["preop_assessment_status"] == "pending" and row["high_risk"] is False and row["reviewed"] is False
    assert row["patient"]["name"] == mine.patient.name and row["results"]["labs"] == 0

    ranged = api.get("/api/v1/doctor/patients/", {"date_from": day.isoformat(),
                                                  "date_to": (day + timedelta(days=1)).isoformat()})
    assert len(ranged.json()) == 3
    assert [r["planned_date"] for r in ranged.json()] == sorted(r["planned_date"] for r in ranged.json())

    # a case of mine in a ward I cannot see stays invisible (ward scope first)
    make_case("booked", ward=other_ward, surgeon=me, planned_date=day)
    SurgicalCase.objects.filter(ward=other_ward).update(department=other_ward.department)
    me.department = None
    me.save()
    assert len(client_of(me).get("/api/v1/doctor/patients/", {"date": day.isoformat()}).json()) == 2


@pytest.mark.req("D1")
@pytest.mark.parametrize("params", [{"date": "2026-13-01"}, {"date_from": "2026-03-10", "date_to": "2026-03-01"},
                                    {"date_from": "2026-01-01", "date_to": "2026-03-01"},
                                    {"date": "2026-01-01", "date_from": "2026-01-01"}])
def test_bad_dates_are_field_errors(params):
    res = client_of(make_staff("doctor", ward=make_ward())).get("/api/v1/doctor/patients/", params)
    assert res.status_code == 400 and res.json()["error"]["fields"]


@pytest.mark.req("D1")
def test_the_list_costs_the_same_queries_for_more_patients():
    ward = make_ward()
    me = make_staff("doctor", ward=ward)
    day = TODAY() + timedelta(days=3)
    api = client_of(me)
    make_case("booked", ward=ward, surgeon=me, planned_date=day)
    api.get("/api/v1/doctor/patients/", {"date": day.isoformat()})  # the session's activity stamp is written once
    with CaptureQueriesContext(connection) as one:
        assert len(api.get("/api/v1/doctor/patients/", {"date": day.isoformat()}).json()) == 1
    for _ in range(4):
        case = make_case("booked", ward=ward, surgeon=me, planned_date=day)
        DoctorAssessment.objects.create(case=case, decision="passed", author=me, author_name=me.name,
                                        decided_at=timezone.now())
    with CaptureQueriesContext(connection) as five:
        assert len(api.get("/api/v1/doctor/patients/", {"date": day.isoformat()}).json()) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


# --- D5: the daily high-risk list ----------------------------------------------------------------------------------
@pytest.mark.req("D5", "D1")
def test_review_only_high_risk_patients_each_day(hospital_sim):
    ward = make_ward()
    me = make_staff("doctor", ward=ward)
    risky = evaluated(case_of(positives("5196-1")[0], ward=ward, surgeon=me))
    day = risky.planned_date
    calm_reg = negative_everywhere()[0]
    calm = evaluated(case_of(calm_reg, ward=ward, surgeon=me, planned_date=day))
    SurgicalCase.objects.filter(pk=calm.pk).update(planned_date=day)
    api = client_of(me)

    everyone = api.get("/api/v1/doctor/patients/", {"date": day.isoformat()}).json()
    assert {r["uuid"] for r in everyone} == {str(risky.uuid), str(calm.uuid)}
    high = api.get("/api/v1/doctor/high-risk/", {"date": day.isoformat()})
    assert high.status_code == 200 and [r["uuid"] for r in high.json()] == [str(risky.uuid)]
    [row] = high.json()
    assert row["high_risk"] and "infectious" in row["categories"] and row["max_severity"] == "high"
    assert any(f["code"] == "5196-1" and f["category"] == "infectious" for f in row["flags"])
    assert row["results"]["labs"] >= 15 and row["results"]["window_to"]

    # once assessed after the findings, it leaves the unreviewed list
    assert len(api.get("/api/v1/doctor/high-risk/", {"date": day.isoformat(), "unreviewed": "true"}).json()) == 1
    res = api.post(f"/api/v1/doctor/cases/{risky.uuid}/assessment/",
                   {"decision": "needs_attention", "note": "HBsAg阳性，安排末台，器械按感染流程处理"}, format="json")
    assert res.status_code == 201, res.content
    assert api.get("/api/v1/doctor/high-risk/", {"date": day.isoformat(), "unreviewed": "true"}).json() == []
    assert api.get("/api/v1/doctor/high-risk/", {"date": day.isoformat()}).json()[0]["reviewed"] is True


# --- the workspace and the decision --------------------------------------------------------------------------------
@pytest.mark.req("D1", "D2", "D3", "D5")
def test_the_workspace_shows_findings_and_results_in_the_window_and_is_audited(hospital_sim):
    ward = make_ward()
    me = make_staff("doctor", ward=ward)
    case = evaluated(case_of(positives("5196-1")[0], ward=ward, surgeon=me))
    res = client_of(me).get(f"/api/v1/doctor/cases/{case.uuid}/")
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["case"]["high_risk"] and body["can_decide"] and body["version"] == case.version
    assert any(f["rule_key"] == "hbsag_positive" and f["lab_result"] for f in body["findings"])
    assert len(body["labs"]) >= 15 and any(lab["arrow_symbol"] for lab in body["labs"]) in (True, False)
    assert {e["kind"] for e in body["exams"]} == {"exam", "ecg"} and all(e["conclusion"] for e in body["exams"])
    assert AuditEntry.objects.filter(action=AuditAction.READ, target_id=str(case.uuid),
                                     detail="doctor assessment workspace").exists()
    # another ward's doctor: the case does not exist for them
    assert client_of(make_staff("doctor", ward=make_ward())).get(f"/api/v1/doctor/cases/{case.uuid}/").status_code == 404
    # nurses read the findings (bed card detail), audited
    nurse = client_of(make_staff("nurse", ward=ward)).get(f"/api/v1/doctor/cases/{case.uuid}/findings/")
    assert nurse.status_code == 200 and any(f["category"] == "infectious" for f in nurse.json())


@pytest.mark.req("D1", "P4")
def test_the_decision_records_the_milestone_with_note_author_and_history():
    ward = make_ward()
    me = make_staff("doctor", ward=ward)
    case = make_case("booked", ward=ward, surgeon=me, planned_date=TODAY() + timedelta(days=2))
    api = client_of(me)
    url = f"/api/v1/doctor/cases/{case.uuid}/assessment/"

    missing = api.post(url, {"decision": "not_suitable"}, format="json")
    assert missing.status_code == 400 and missing.json()["error"]["code"] == "assessment_note_required"
    assert "note" in missing.json()["error"]["fields"]
    assert api.post(url, {"decision": "maybe"}, format="json").status_code == 400

    first = api.post(url, {"decision": "needs_attention", "note": "血压偏高，术前复测", "expected_version": case.version},
                     format="json")
    assert first.status_code == 201, first.content
    case.refresh_from_db()
    assert case.preop_assessment_status == "needs_attention"
    event = CaseEvent.objects.filter(case=case, type="cases.case.preop_assessment_recorded").latest("sequence")
    assert event.payload["to"] == "needs_attention" and event.payload["note"] == "血压偏高，术前复测"

    stale = api.post(url, {"decision": "passed", "expected_version": 1}, format="json")
    assert stale.status_code == 409

    again = api.post(url, {"decision": "needs_attention", "note": "复测血压 135/85，可手术"}, format="json")
    assert again.status_code == 201
    assert CaseEvent.objects.filter(case=case, type="doctor_assessment.assessment.amended").count() == 1
    second = api.post(url, {"decision": "passed", "note": ""}, format="json")
    assert second.status_code == 201
    history = api.get(url).json()
    assert [h["decision"] for h in history] == ["passed", "needs_attention", "needs_attention"]
    assert history[0]["author"] == me.name and history[-1]["note"] == "血压偏高，术前复测"
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, target_type="doctor_assessment.doctorassessment"
                                     ).count() == 3


@pytest.mark.req("D1", "P4")
def test_the_decision_is_the_surgeons_and_is_locked_once_the_application_is_sent():
    ward = make_ward()
    me = make_staff("doctor", ward=ward)
    case = make_case("booked", ward=ward, surgeon=me, planned_date=TODAY() + timedelta(days=2))
    other = client_of(make_staff("doctor", ward=ward))
    res = other.post(f"/api/v1/doctor/cases/{case.uuid}/assessment/", {"decision": "passed"}, format="json")
    assert res.status_code == 403 and res.json()["error"]["code"] == "not_own_patient"
    nurse = client_of(make_staff("nurse", ward=ward))
    assert nurse.post(f"/api/v1/doctor/cases/{case.uuid}/assessment/", {"decision": "passed"},
                      format="json").status_code == 403

    sent = make_case("application_sent", ward=ward, surgeon=me, planned_date=TODAY() + timedelta(days=2))
    res = client_of(me).post(f"/api/v1/doctor/cases/{sent.uuid}/assessment/",
                             {"decision": "not_suitable", "note": "心房颤动未控制"}, format="json")
    assert res.status_code == 409
    assert not DoctorAssessment.objects.filter(case=sent).exists()  # nothing kept of a refused decision


# --- administration (Y9) ---------------------------------------------------------------------------------------------
@pytest.mark.req("Y9")
def test_rules_are_administered_with_validation_audit_and_history():
    ward = make_ward()
    admin = make_staff("hospital_admin", ward=ward)
    api = admin_client(admin)
    listed = api.get("/api/v1/high-risk-rules/")
    assert listed.status_code == 200
    keys = {r["key"]: r for r in listed.json()}
    assert {"hbsag_positive", "anti_hcv_positive", "anti_hiv_positive", "syphilis_tp_positive"} <= set(keys)
    assert keys["hbsag_positive"]["source"] == "default" and keys["hbsag_positive"]["category"] == "infectious"

    bad = api.post("/api/v1/high-risk-rules/", {"key": "k_low", "label": "血钾低", "kind": "lab_numeric",
                                                "codes": ["2823-3"]}, format="json")
    assert bad.status_code == 400 and {"comparator", "threshold"} <= set(bad.json()["error"]["fields"])
    assert api.post("/api/v1/high-risk-rules/", {"key": "kw", "label": "x", "kind": "exam_keyword"},
                    format="json").json()["error"]["fields"].keys() == {"keywords"}
    assert api.post("/api/v1/high-risk-rules/", {"key": "Bad Key!", "label": "x", "kind": "lab_positive",
                                                 "codes": ["X"]}, format="json").status_code == 400

    created = api.post("/api/v1/high-risk-rules/", {
        "key": "k_low_chole", "label": "血钾 < 3.5（胆囊手术）", "kind": "lab_numeric", "codes": ["2823-3"],
        "comparator": "lt", "threshold": "3.5", "severity": "high"}, format="json")
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule["source"] == "hospital" and rule["category"] == "lab_threshold" and rule["version"] == 1
    duplicate = api.post("/api/v1/high-risk-rules/", {"key": "k_low_chole", "label": "x", "kind": "lab_positive",
                                                      "codes": ["X"]}, format="json")
    assert duplicate.status_code == 409

    changed = api.patch(f"/api/v1/high-risk-rules/{rule['uuid']}/", {"threshold": "3.2", "expected_version": 1},
                        format="json")
    assert changed.status_code == 200 and changed.json()["version"] == 2
    assert api.patch(f"/api/v1/high-risk-rules/{rule['uuid']}/", {"threshold": "3.0", "expected_version": 1},
                     format="json").status_code == 409
    versions = api.get(f"/api/v1/high-risk-rules/{rule['uuid']}/versions/").json()
    assert [(v["version"], v["action"]) for v in versions] == [(2, "updated"), (1, "created")]
    assert versions[0]["snapshot"]["threshold"] == "3.2000" and versions[0]["actor_name"] == admin.name
    assert AuditEntry.objects.filter(action=AuditAction.CONFIG, target_id=rule["uuid"]).count() == 2

    # overriding a default: the hospital gets its own copy, the default stays
    default = keys["anti_hiv_positive"]
    override = api.delete(f"/api/v1/high-risk-rules/{default['uuid']}/")
    assert override.status_code == 200 and override.json()["source"] == "hospital"
    assert override.json()["is_enabled"] is False and override.json()["key"] == "anti_hiv_positive"
    assert HighRiskRule.objects.get(uuid=default["uuid"]).is_enabled
    now_listed = {r["key"]: r for r in api.get("/api/v1/high-risk-rules/").json()}
    assert now_listed["anti_hiv_positive"]["source"] == "hospital"

    assert api.delete(f"/api/v1/high-risk-rules/{rule['uuid']}/").status_code == 204
    assert HighRiskRuleVersion.objects.filter(rule_uuid=rule["uuid"], action="deleted").exists()


@pytest.mark.req("Y9")
def test_another_hospitals_admin_neither_sees_nor_edits_our_rules():
    from tests.builders import make_department, make_hospital

    ours = make_staff("hospital_admin", ward=make_ward())
    theirs = make_staff("hospital_admin", ward=make_ward(department=make_department(hospital=make_hospital("H777")[0])))
    rule = admin_client(ours).post("/api/v1/high-risk-rules/", {
        "key": "ours_only", "label": "本院规则", "kind": "lab_positive", "codes": ["5196-1"]}, format="json").json()
    api = admin_client(theirs)
    assert "ours_only" not in {r["key"] for r in api.get("/api/v1/high-risk-rules/").json()}
    assert api.get(f"/api/v1/high-risk-rules/{rule['uuid']}/").status_code == 404
    assert api.patch(f"/api/v1/high-risk-rules/{rule['uuid']}/", {"label": "x"}, format="json").status_code == 404
    # a doctor cannot administer rules; an admin without the second factor cannot either
    assert client_of(make_staff("doctor", ward=make_ward())).get("/api/v1/high-risk-rules/").status_code == 403
    assert client_of(ours).get("/api/v1/high-risk-rules/").status_code == 403


@pytest.mark.req("D1", "Y9")
def test_the_results_window_is_a_hospital_setting():
    admin = make_staff("hospital_admin", ward=make_ward())
    api = admin_client(admin)
    assert api.get("/api/v1/doctor-assessment-settings/").json() == {
        "results_window_days": 30, "pull_ahead_days": 7, "custom": False}
    assert api.put("/api/v1/doctor-assessment-settings/", {"results_window_days": 0},
                   format="json").status_code == 400
    res = api.put("/api/v1/doctor-assessment-settings/", {"results_window_days": 14, "pull_ahead_days": 3},
                  format="json")
    assert res.status_code == 200 and res.json() == {"results_window_days": 14, "pull_ahead_days": 3, "custom": True}
    assert AuditEntry.objects.filter(action=AuditAction.CONFIG, detail="doctor assessment settings").exists()
