"""D4: the concluded report and results are readable by the case's surgeon and the ward's staff (JSON and PDF);
in-progress work is hidden from non-anaesthetists; other wards get 404; every read is audited. A10: the PDF
carries the report's content as text."""

import io

import pytest
from pypdf import PdfReader

from anaesthesia.tests.conftest import plain_case, start
from anaesthesia.tests.test_gating import conclude, evaluated
from audit.models import AuditEntry
from tests.builders import authenticate, make_staff, make_ward

pytestmark = pytest.mark.django_db


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.req("D4", "A10", "A7")
def test_the_surgeon_reads_the_concluded_report_and_its_pdf(api_client, clinic, hospital_sim,
                                                            django_capture_on_commit_callbacks):
    case = plain_case(clinic)
    body = evaluated(api_client, clinic, case)
    conclude(api_client, body, django_capture_on_commit_callbacks, result="pass", opinion="ASA Ⅱ级，可行日间手术")
    authenticate(api_client, clinic["surgeon"])
    response = api_client.get(f"/api/v1/cases/{case.uuid}/anaesthesia-report/")
    assert response.status_code == 200, response.content
    report = response.json()
    assert report["status"] == "passed" and report["opinion"] == "ASA Ⅱ级，可行日间手术"
    assert report["plan"]["label"] == "全身麻醉（喉罩）"
    assert len(report["events"]) >= 8 and all(e["level"] for e in report["events"])
    assert report["recommendations"]["monitoring"]
    data = report["report"]
    assert data["title"] == "麻醉术前评估报告" and data["patient"]["name"] == case.patient.name
    assert data["procedure"]["anaesthesia_plan_label"].startswith("全身麻醉（喉罩）")
    assert {r["system"] for r in data["findings"]} >= {"心血管系统", "呼吸系统", "气道"}
    assert data["risks"][0]["level_label"] and data["disposition_label"]
    reads = AuditEntry.objects.filter(action="read", target_id=body["uuid"], actor_id=str(clinic["surgeon"].uuid))
    assert reads.count() == 1
    pdf = api_client.get(f"/api/v1/cases/{case.uuid}/anaesthesia-report.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert "麻醉术前评估报告" in text and case.patient.name in text and "ASA Ⅱ级，可行日间手术" in text
    assert data["risks"][0]["event_label"] in text
    assert reads.count() == 2
    # the ward's nurse reads it too; the clinic's own PDF endpoint serves the same report
    authenticate(api_client, clinic["nurse"])
    assert api_client.get(f"/api/v1/cases/{case.uuid}/anaesthesia-report/").status_code == 200
    authenticate(api_client, clinic["anaesthetist"])
    clinic_pdf = api_client.get(f"/api/v1/anaesthesia-assessments/{body['uuid']}/report.pdf")
    assert clinic_pdf.status_code == 200 and "麻醉术前评估报告" in _pdf_text(clinic_pdf.content)


@pytest.mark.req("D4")
def test_in_progress_assessments_are_hidden_from_non_anaesthetists(api_client, clinic):
    case = plain_case(clinic)
    body = start(api_client, clinic, case)
    assert api_client.get(f"/api/v1/cases/{case.uuid}/anaesthesia-report/").status_code == 200  # anaesthetist
    authenticate(api_client, clinic["surgeon"])
    assert api_client.get(f"/api/v1/cases/{case.uuid}/anaesthesia-report/").status_code == 404
    assert api_client.get(f"/api/v1/cases/{case.uuid}/anaesthesia-report.pdf").status_code == 404
    assert api_client.get(f"/api/v1/anaesthesia-assessments/{body['uuid']}/").status_code == 404
    listing = api_client.get("/api/v1/anaesthesia-assessments/").json()
    assert body["uuid"] not in {a["uuid"] for a in listing["results"]}


@pytest.mark.req("D4")
def test_other_wards_get_404(api_client, clinic, hospital_sim, django_capture_on_commit_callbacks):
    case = plain_case(clinic)
    body = evaluated(api_client, clinic, case)
    conclude(api_client, body, django_capture_on_commit_callbacks, result="pass", opinion="可")
    stranger = make_staff("doctor", ward=make_ward())
    authenticate(api_client, stranger)
    for url in (f"/api/v1/cases/{case.uuid}/anaesthesia-report/", f"/api/v1/cases/{case.uuid}/anaesthesia-report.pdf",
                f"/api/v1/anaesthesia-assessments/{body['uuid']}/",
                f"/api/v1/anaesthesia-assessments/{body['uuid']}/report.pdf"):
        assert api_client.get(url).status_code == 404, url
    assert not AuditEntry.objects.filter(action="read", actor_id=str(stranger.uuid)).exists()
    other_anaesthetist = make_staff("anaesthetist", ward=make_ward())
    authenticate(api_client, other_anaesthetist)
    assert api_client.post(f"/api/v1/anaesthesia-assessments/{body['uuid']}/evaluate/", {},
                           format="json").status_code == 404
