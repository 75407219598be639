"""Exam images (D3): the PACS port's image listing and fetch over FHIR (Media/Binary) against the simulator, the
transfer limit (declared sizes and streamed bytes), object storage, short-lived links, audited reads."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from audit.models import AuditAction, AuditEntry
from cases.models import SurgicalCase
from clinical.models import ExamImage, ExamReport
from clinical.services import clinical_results_fetch, exam_images_sync
from integrations.ports.pacs import ImageTooLarge
from integrations.registry import get_port
from integrations.testing import sim_patients
from tests.builders import authenticate, make_case, make_patient, make_staff, make_ward

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n"


def patient_with(hospital_sim, code):
    """A simulator patient whose imaging report is `code` (CXR: key image + 7.5 MB image + DICOM)."""
    pacs = get_port("pacs")
    for sim in sim_patients(hospital_sim)[:40]:
        reports = pacs.list_reports(sim["reg_no"], kind="exam")
        if reports and reports[0].code == code:
            return sim, reports[0]
    raise AssertionError(f"no simulator patient with a {code} report")


@pytest.mark.req("D3")
def test_the_port_lists_images_with_sizes_and_caps_the_transfer(hospital_sim):
    sim, report = patient_with(hospital_sim, "CXR")
    pacs = get_port("pacs")
    images = pacs.list_images(sim["reg_no"], report.report_no)
    assert [i.content_type for i in images] == ["image/png", "image/png", "application/dicom"]
    key, large, dicom = images
    assert key.size_bytes and key.size_bytes < 100_000 and large.size_bytes > 7_000_000 and "关键图像" in key.title
    assert pacs.list_images("0009999999", report.report_no) == []  # not this patient's report: nothing

    content = pacs.fetch_image(key.image_id, max_bytes=5 * 1024 * 1024)
    assert content.content.startswith(PNG) and len(content.content) == key.size_bytes
    with pytest.raises(ImageTooLarge) as declared:
        pacs.fetch_image(large.image_id, max_bytes=5 * 1024 * 1024)  # refused on the declared size: no download
    assert declared.value.size_bytes == large.size_bytes

    # an ECG tracing declares no size: the stream is cut as soon as it passes the limit
    [ecg] = pacs.list_reports(sim["reg_no"], kind="ecg")
    [tracing] = pacs.list_images(sim["reg_no"], ecg.report_no)
    assert tracing.size_bytes is None
    assert pacs.fetch_image(tracing.image_id, max_bytes=1_000_000).content.startswith(PNG)
    with pytest.raises(ImageTooLarge):
        pacs.fetch_image(tracing.image_id, max_bytes=100)


@pytest.mark.req("D3")
def test_viewable_images_within_the_limit_are_stored_and_served_by_short_lived_links(hospital_sim, api_client):
    sim, _report = patient_with(hospital_sim, "CXR")
    ward = make_ward()
    case = make_case("booked", ward=ward, patient=make_patient(name=sim["name"], reg_no=sim["reg_no"]))
    SurgicalCase.objects.filter(pk=case.pk).update(visit_no=sim["visit_nos"][-1])
    clinical_results_fetch(patient=case.patient, visit_no=sim["visit_nos"][-1], actor=None)
    report = ExamReport.objects.get(patient=case.patient, kind="exam")
    doctor = make_staff("doctor", ward=ward)
    api = authenticate(api_client, doctor)

    res = api.get(f"/api/v1/cases/{case.uuid}/exam-reports/{report.uuid}/images/")
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["max_bytes"] == 5 * 1024 * 1024 and body["sync_error"] == "" and body["synced_at"]
    statuses = [(i["content_type"], i["status"]) for i in body["images"]]
    assert statuses == [("image/png", "stored"), ("image/png", "too_large"), ("application/dicom", "unsupported")]
    stored, large, dicom = body["images"]
    assert stored["url"] and "token=" in stored["url"] and large["url"] is None and dicom["url"] is None
    assert large["declared_size"] > body["max_bytes"] and large["status_display"]
    row = ExamImage.objects.get(uuid=stored["uuid"])
    assert sim["name"] not in row.storage_key and str(report.uuid) in row.storage_key
    assert get_port("storage").get(row.storage_key).startswith(PNG) and len(row.sha256) == 64
    assert AuditEntry.objects.filter(action=AuditAction.READ, target_id=str(report.uuid), detail="exam images").exists()

    # a second look does not fetch again; a raised limit (refresh) brings the larger image in
    assert api.get(f"/api/v1/cases/{case.uuid}/exam-reports/{report.uuid}/images/").json()["images"][0]["uuid"] == \
        stored["uuid"]
    with override_settings(CLINICAL_IMAGE_MAX_BYTES=10 * 1024 * 1024):
        again = api.get(f"/api/v1/cases/{case.uuid}/exam-reports/{report.uuid}/images/", {"refresh": "true"}).json()
    assert [i["status"] for i in again["images"]] == ["stored", "stored", "unsupported"]

    # another ward: the case does not exist; a report of another patient under this case: 404
    stranger = authenticate(APIClient(), make_staff("doctor", ward=make_ward()))
    assert stranger.get(f"/api/v1/cases/{case.uuid}/exam-reports/{report.uuid}/images/").status_code == 404
    other_case = make_case("booked", ward=ward)
    assert api.get(f"/api/v1/cases/{other_case.uuid}/exam-reports/{report.uuid}/images/").status_code == 404


@pytest.mark.req("D3")
def test_content_that_is_not_an_image_is_never_stored(hospital_sim):
    """A PACS answering HTML as image/png (an error page, or worse) is not copied: opened through a presigned URL
    it would run in the clinician's browser."""
    sim, _report = patient_with(hospital_sim, "US-ABD")
    patient = make_patient(name=sim["name"], reg_no=sim["reg_no"])
    clinical_results_fetch(patient=patient, visit_no=sim["visit_nos"][-1], actor=None)
    report = ExamReport.objects.get(patient=patient, kind="exam")

    from integrations.ports.pacs import ImageContent
    from integrations.registry import override_port

    real = get_port("pacs")

    class Lying:
        def list_images(self, reg_no, report_no):
            return real.list_images(reg_no, report_no)

        def fetch_image(self, image_id, *, max_bytes):
            return ImageContent(content_type="image/png", content=b"<html><script>alert(1)</script></html>")

    with override_port("pacs", Lying()):
        counts = exam_images_sync(report=report)
    assert counts["stored"] == 0 and counts["unsupported"] == 2
    assert set(ExamImage.objects.filter(report=report).values_list("error", flat=True)) == {"content_not_an_image"}
    assert not ExamImage.objects.exclude(storage_key="").exists()


@pytest.mark.req("D3")
def test_two_looks_at_the_same_report_at_once_do_not_fail(hospital_sim):
    """The doctor opens a report's images while the periodic pull copies them: the other worker inserts the image
    row between our listing and our save. Was an IntegrityError (500 on the images endpoint)."""
    sim, _report = patient_with(hospital_sim, "US-ABD")
    patient = make_patient(name=sim["name"], reg_no=sim["reg_no"])
    clinical_results_fetch(patient=patient, visit_no=sim["visit_nos"][-1], actor=None)
    report = ExamReport.objects.get(patient=patient, kind="exam")

    from integrations.registry import override_port

    real = get_port("pacs")

    class Racing:
        def list_images(self, reg_no, report_no):
            return real.list_images(reg_no, report_no)

        def fetch_image(self, image_id, *, max_bytes):
            content = real.fetch_image(image_id, max_bytes=max_bytes)
            if not ExamImage.objects.filter(report=report, image_id=image_id).exists():  # the other worker wins
                ExamImage.objects.create(report=report, image_id=image_id, title="x", content_type="image/png",
                                         status="failed", error="other", fetched_at=report.fetched_at)
            return content

    with override_port("pacs", Racing()):
        exam_images_sync(report=report)
    rows = list(ExamImage.objects.filter(report=report))
    assert len(rows) == len({r.image_id for r in rows}) and {r.status for r in rows} == {"stored"}
