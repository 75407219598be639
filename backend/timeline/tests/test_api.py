"""Staff and patient timeline endpoints (T1, T3, G1): node states with history, details on click, the patient's own
different timeline, ward scoping, audited reads, constant query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEntry
from cases.services import case_record_milestone
from tests.builders import authenticate, make_case, make_patient_account, make_staff
from timeline.tests.helpers import append

pytestmark = pytest.mark.django_db


def later(days=7):
    return timezone.localdate() + timedelta(days=days)


def node(body, key):
    return next((n for n in body["nodes"] if n["key"] == key), None)


@pytest.fixture
def booked(world, run):
    case = run(make_case, "booked", ward=world["ward"], surgeon=world["surgeon"], planned_date=later())
    run(case_record_milestone, case=case, milestone="preop_assessment", status="passed", actor=world["surgeon"],
        note="血常规、凝血未见异常")
    return case


@pytest.mark.req("T1", "G1")
def test_staff_timeline_lists_nodes_with_state_times_history_and_current(world, booked, api_client):
    client = authenticate(api_client, world["nurse"])
    response = client.get(f"/api/v1/cases/{booked.uuid}/timeline-nodes/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["case"]["uuid"] == str(booked.uuid) and body["case"]["management_mode"] == "centre"
    keys = [n["key"] for n in body["nodes"]]
    assert keys[:3] == ["booking", "notification", "preop_education"]  # configured order
    assert "discharge_assessment" in keys  # staff-only nodes are on the staff timeline
    assessment = node(body, "preop_assessment")
    assert assessment["state"] == "done" and assessment["name"] == "术前评估"
    assert assessment["patient_name"] == "医生评估"
    assert assessment["completed_at"].endswith("+08:00") and assessment["expected_at"]
    [entry] = assessment["history"]
    assert entry["from_state"] == "pending" and entry["to_state"] == "done" and entry["trigger"] == "complete"
    assert entry["event"]["type"] == "cases.case.preop_assessment_recorded"
    assert entry["actor"]["name"] == "医生甲" and entry["actor"]["type"] == "staff"
    assert assessment["definition"]["version"] >= 1
    assert assessment["detail_url"] == f"/api/v1/cases/{booked.uuid}/timeline-nodes/preop_assessment/"
    assert client.get(assessment["detail_url"]).json()["detail"]["kind"] == "preop_assessment"
    # G1: where the patient stands — the first open node in order.
    assert body["current"] == "notification"
    assert AuditEntry.objects.filter(action="read", target_id=str(booked.uuid), detail="timeline").count() == 1


@pytest.mark.req("T1")
def test_other_wards_and_patients_cannot_read_the_staff_timeline(world, booked, api_client):
    assert api_client.get(f"/api/v1/cases/{booked.uuid}/timeline-nodes/").status_code == 401
    client = authenticate(api_client, world["other_nurse"])
    assert client.get(f"/api/v1/cases/{booked.uuid}/timeline-nodes/").status_code == 404
    assert client.get(f"/api/v1/cases/{booked.uuid}/timeline-nodes/booking/").status_code == 404
    account = make_patient_account(patient=booked.patient)
    client = authenticate(api_client, account)
    assert client.get(f"/api/v1/cases/{booked.uuid}/timeline-nodes/").status_code == 403


@pytest.mark.req("T1")
def test_staff_timeline_query_count_does_not_grow_with_history(world, run, api_client):
    client = authenticate(api_client, world["nurse"])
    short = run(make_case, "booked", ward=world["ward"], planned_date=later())
    long = run(make_case, "follow_up", ward=world["ward"], planned_date=timezone.localdate())
    for _ in range(3):
        run(append, long, "education.material.read", {"kind": "discharge", "material": "m", "title": "出院须知"})
    client.get(f"/api/v1/cases/{short.uuid}/timeline-nodes/")  # warm the permission and scope caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"/api/v1/cases/{short.uuid}/timeline-nodes/").status_code == 200
    with CaptureQueriesContext(connection) as many:
        body = client.get(f"/api/v1/cases/{long.uuid}/timeline-nodes/").json()
    assert sum(len(n["history"]) for n in body["nodes"]) > 8
    assert len(many) == len(few)


@pytest.mark.req("T3")
def test_booking_node_shows_the_admission_certificate_from_the_his_receipt(world, run, api_client):
    from booking.models import BookingDelivery, DeliveryChannel

    case = run(make_case, "booked", ward=world["ward"], surgeon=world["surgeon"], planned_date=later())
    BookingDelivery.objects.create(
        case=case, message_uuid=case.uuid, channel=DeliveryChannel.HIS_CERTIFICATE, idempotency_key=f"t:{case.pk}",
        external_id="RYZ-2026-0001", inpatient_no="ZY20260001", delivered_at=timezone.now())
    client = authenticate(api_client, world["nurse"])
    body = client.get(f"/api/v1/cases/{case.uuid}/timeline-nodes/booking/").json()
    assert body["key"] == "booking" and body["state"] == "done"
    detail = body["detail"]
    assert detail["kind"] == "booking"
    [certificate] = detail["facts"]["admission_certificates"]
    assert certificate["certificate_id"] == "RYZ-2026-0001" and certificate["inpatient_no"] == "ZY20260001"
    assert detail["facts"]["procedure_name"] == case.procedure_name and detail["facts"]["surgeon"] == "医生甲"
    assert {link["rel"]: link["href"] for link in detail["links"]}["case"] == f"/api/v1/cases/{case.uuid}/"
    assert [e["type"] for e in detail["events"]] == ["cases.case.booked"]
    assert AuditEntry.objects.filter(action="read", target_id=str(case.uuid), detail="timeline node booking").exists()


@pytest.mark.req("T3")
def test_assessment_node_shows_decisions_findings_and_results_with_links(world, booked, run, api_client):
    from clinical.models import Flag, LabReport, LabResult

    booked.visit_no = "MZ001"
    booked.save(update_fields=["visit_no"])
    report = LabReport.objects.create(patient=booked.patient, visit_no="MZ001", report_no=f"L{booked.pk}",
                                      name="血常规", issued_at=timezone.now(), fetched_at=timezone.now())
    LabResult.objects.create(report=report, code="WBC", name="白细胞", value="12.5", flag=Flag.HIGH)
    LabResult.objects.create(report=report, code="HGB", name="血红蛋白", value="135", flag=Flag.NORMAL)
    run(append, booked, "clinical.findings.flagged", {
        "high_risk": True, "categories": ["lab_threshold"],
        "flags": [{"category": "lab_threshold", "code": "WBC", "label": "白细胞偏高", "rule": ""}]})
    client = authenticate(api_client, world["surgeon"])
    detail = client.get(f"/api/v1/cases/{booked.uuid}/timeline-nodes/preop_assessment/").json()["detail"]
    facts = detail["facts"]
    assert facts["status"] == "passed"
    assert facts["decisions"][0]["to"] == "passed" and facts["decisions"][0]["note"] == "血常规、凝血未见异常"
    assert facts["high_risk"] is True and facts["findings"][0]["label"] == "白细胞偏高"
    assert facts["results"]["lab_results"] == {"total": 2, "abnormal": 1, "critical": 0}
    hrefs = {link["rel"]: link["href"] for link in detail["links"]}
    assert hrefs["lab_results"] == f"/api/v1/cases/{booked.uuid}/lab-results/"
    assert hrefs["exam_reports"] == f"/api/v1/cases/{booked.uuid}/exam-reports/"
    # The link works for the same user (the results endpoint itself is ward-scoped and audited).
    assert client.get(hrefs["lab_results"]).status_code == 200
    # Staff without the results permission (follow-up nurses) see the decision, not the clinical content.
    followup = authenticate(APIClient(), make_staff("followup_nurse", ward=world["ward"]))
    detail = followup.get(f"/api/v1/cases/{booked.uuid}/timeline-nodes/preop_assessment/").json()["detail"]
    assert detail["facts"]["status"] == "passed" and "results" not in detail["facts"]
    assert "findings" not in detail["facts"] and "lab_results" not in {link["rel"] for link in detail["links"]}
    assert all(e["type"] != "clinical.findings.flagged" for e in detail["events"])


@pytest.mark.req("T3")
def test_education_node_shows_what_was_read(world, booked, run, api_client):
    run(append, booked, "education.material.read", {"kind": "preop", "material": "0d5c…", "title": "腹腔镜胆囊切除术术前须知"})
    client = authenticate(api_client, world["nurse"])
    body = client.get(f"/api/v1/cases/{booked.uuid}/timeline-nodes/preop_education/").json()
    assert body["state"] == "done"
    [read] = body["detail"]["facts"]["materials_read"]
    assert read["title"] == "腹腔镜胆囊切除术术前须知" and read["kind"] == "preop" and read["read_at"]
    assert client.get(f"/api/v1/cases/{booked.uuid}/timeline-nodes/no_such_node/").json()["error"]["code"] == (
        "timeline_node_not_found")


@pytest.mark.req("T1")
def test_patient_timeline_has_its_own_nodes_and_wording_without_staff_details(world, booked, run, api_client):
    account = make_patient_account(patient=booked.patient)
    client = authenticate(api_client, account)
    response = client.get(f"/api/v1/my/cases/{booked.uuid}/timeline/")
    assert response.status_code == 200, response.content
    body = response.json()
    keys = [n["key"] for n in body["nodes"]]
    assert "notification" not in keys and "discharge_assessment" not in keys  # staff-only nodes
    assert "preop_education" in keys and "follow_up" in keys
    assessment = node(body, "preop_assessment")
    assert assessment["name"] == "医生评估" and assessment["state"] == "done"  # the patient's wording
    assert assessment["description"].startswith("医生正在")
    assert set(assessment) == {"key", "name", "description", "order", "state", "expected_at", "started_at",
                               "completed_at"}  # no history, actors, notes or events
    assert "医生甲" not in response.content.decode() and "血常规" not in response.content.decode()
    assert body["current"] == "preop_education"
    # A patient never sees 'overdue' (the hospital's own deadlines).
    from timeline.models import CaseNode

    CaseNode.objects.filter(case=booked, key="preop_education").update(state="overdue")
    assert node(client.get(f"/api/v1/my/cases/{booked.uuid}/timeline/").json(), "preop_education")["state"] == (
        "pending")
    assert AuditEntry.objects.filter(action="read", target_id=str(booked.uuid), detail="own timeline").exists()


@pytest.mark.req("T1")
def test_patients_reach_only_their_own_timeline(world, booked, run, api_client):
    stranger = make_patient_account(patient=run(make_case, "booked", ward=world["ward"],
                                                 planned_date=later(8)).patient)
    client = authenticate(api_client, stranger)
    assert client.get(f"/api/v1/my/cases/{booked.uuid}/timeline/").status_code == 404
    staff = authenticate(api_client, make_staff("nurse", ward=world["ward"]))
    assert staff.get(f"/api/v1/my/cases/{booked.uuid}/timeline/").status_code == 403
