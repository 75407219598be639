"""Consent documents (A8): opened from the assessment, signed by the clinician through the CA (real X.509 from the
simulator), signed by the patient on a signature pad (PNG), sealed, verifiable; tampering is detected."""

import hashlib
from io import BytesIO

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditAction, AuditEntry
from consent.models import ConsentDocument, ConsentStatus
from consent.tests.conftest import signature_png
from integrations.registry import get_port
from tests.builders import make_staff, make_ward

pytestmark = [pytest.mark.django_db, pytest.mark.req("A8")]


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in pypdf.PdfReader(BytesIO(content)).pages).replace("\n", "")


def open_consent(client, assessment, **body):
    return client.post(f"/api/v1/anaesthesia-assessments/{assessment.uuid}/consents/", body, format="json")


def upload(client, consent_uuid, png=None, **fields):
    image = SimpleUploadedFile("signature.png", png if png is not None else signature_png(), content_type="image/png")
    return client.post(f"/api/v1/consents/{consent_uuid}/patient-signature/", {"image": image, **fields},
                       format="multipart")


@pytest.fixture
def signed(client_as, templates, assessment, anaesthetist):
    """A consent signed by the clinician and the patient, through the API."""
    client = client_as(anaesthetist)
    opened = open_consent(client, assessment)
    assert opened.status_code == 201, opened.content
    uuid = opened.json()["uuid"]
    assert client.post(f"/api/v1/consents/{uuid}/clinician-signature/").status_code == 200
    answer = upload(client, uuid)
    assert answer.status_code == 200, answer.content
    return ConsentDocument.objects.get(uuid=uuid)


def test_open_renders_the_fitting_template_into_a_stored_hashed_pdf(client_as, templates, assessment, anaesthetist):
    res = open_consent(client_as(anaesthetist), assessment)
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["status"] == "draft" and body["template_code"] == "anaesthesia_general"
    assert body["title"] == "麻醉知情同意书" and body["clinician_signature"] is None
    # The placeholders are filled from the assessment's patient and case.
    assert "李秀兰" in body["body_text"] and "腹腔镜胆囊切除术" in body["body_text"] and "{" not in body["body_text"]
    assert "全身麻醉" in body["body_text"]
    document = ConsentDocument.objects.get(uuid=body["uuid"])
    stored = get_port("storage").get(document.document_key)
    assert hashlib.sha256(stored).hexdigest() == body["document_hash"] == document.document_hash
    text = pdf_text(stored)
    for expected in ("麻醉知情同意书", "李秀兰", "可能的风险与并发症", "替代方案", "患者/家属声明", document.consent_no):
        assert expected in text
    # The streamed PDF is the stored one, and reading it is audited.
    client = client_as(anaesthetist)
    pdf = client.get(f"/api/v1/consents/{body['uuid']}/document.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content == stored
    assert AuditEntry.objects.filter(action=AuditAction.READ, target_id=body["uuid"]).exists()


def test_sedated_endoscopy_gets_the_sedation_form(client_as, templates, ward, anaesthetist):
    from anaesthesia.models import AnaesthesiaAssessment, SedationAppointment
    from tests.builders import make_patient

    patient = make_patient(name="王芳")
    appointment = SedationAppointment.objects.create(ward=ward, patient=patient, appointment_no="MT-0001",
                                                     procedure_kind="colonoscopy", exam_code="COL01",
                                                     exam_name="无痛结肠镜检查")
    assessment = AnaesthesiaAssessment.objects.create(ward=ward, patient=patient, sedation_appointment=appointment,
                                                      procedure_kind="colonoscopy")
    res = open_consent(client_as(anaesthetist), assessment)
    assert res.status_code == 201, res.content
    assert res.json()["template_code"] == "sedation_endoscopy" and res.json()["title"] == "无痛内镜镇静知情同意书"
    assert "无痛结肠镜检查" in res.json()["body_text"] and "无痛肠镜" in res.json()["body_text"]


def test_the_plan_picks_the_more_specific_form(client_as, templates, assessment, anaesthetist):
    assessment.case.anaesthesia_method = "spinal"
    assessment.case.save(update_fields=["anaesthesia_method"])
    res = open_consent(client_as(anaesthetist), assessment)
    assert res.status_code == 201 and res.json()["template_code"] == "regional"
    assert "椎管内麻醉" in res.json()["body_text"]


def test_full_signing_flow_verifies_and_lands_on_the_case_timeline(client_as, signed, anaesthetist, case):
    client = client_as(anaesthetist)
    detail = client.get(f"/api/v1/consents/{signed.uuid}/").json()
    assert detail["status"] == "completed"
    clinician = detail["clinician_signature"]
    assert clinician["signer_id"] == anaesthetist.employee_no and clinician["algorithm"] == "ECDSA-P256-SHA256"
    assert clinician["certificate_pem"].startswith("-----BEGIN CERTIFICATE-----") and clinician["cert_serial"]
    assert detail["patient_signature"]["signer_kind"] == "patient"
    assert detail["patient_signature"]["signer_name"] == "李秀兰"
    assert len(detail["record_hash"]) == 64
    stored_png = get_port("storage").get(signed.patient_signature_key)
    assert hashlib.sha256(stored_png).hexdigest() == signed.patient_signature_hash
    verification = client.get(f"/api/v1/consents/{signed.uuid}/verification/").json()
    assert verification["valid"] is True and verification["complete"] is True, verification
    assert [c["check"] for c in verification["checks"]] == [
        "document_hash", "clinician_signature", "clinician_identity", "patient_signature", "record_hash",
        "signed_copy"]
    assert all(c["ok"] for c in verification["checks"])
    # The signed copy embeds the CA details and the hashes, and is what was hashed.
    copy = client.get(f"/api/v1/consents/{signed.uuid}/signed-copy.pdf")
    assert copy.status_code == 200 and hashlib.sha256(copy.content).hexdigest() == signed.signed_copy_hash
    text = pdf_text(copy.content)
    for expected in (signed.cert_serial, signed.document_hash, signed.record_hash, anaesthetist.employee_no,
                     "ECDSA-P256-SHA256", "李秀兰"):
        assert expected in text
    assert pypdf.PdfReader(BytesIO(copy.content)).pages[-1].images or any(
        page.images for page in pypdf.PdfReader(BytesIO(copy.content)).pages)
    # The case timeline shows it.
    event = case.events.get(type="consent.document.completed")
    assert event.payload["consent"] == str(signed.uuid) and event.payload["record_hash"] == signed.record_hash
    timeline = client.get(f"/api/v1/cases/{case.uuid}/events/")
    assert timeline.status_code == 200, timeline.content
    assert "consent.document.completed" in timeline.content.decode()


def test_modified_stored_document_fails_verification(client_as, signed, anaesthetist):
    storage = get_port("storage")
    original = storage.get(signed.document_key)
    storage.put(signed.document_key, original.replace(b"/Title", b"/Titlx", 1), content_type="application/pdf")
    verification = client_as(anaesthetist).get(f"/api/v1/consents/{signed.uuid}/verification/").json()
    assert verification["valid"] is False
    checks = {c["check"]: c for c in verification["checks"]}
    assert checks["document_hash"]["ok"] is False
    # The CA signature still matches the recorded hash: it is the stored bytes that changed.
    assert checks["clinician_signature"]["ok"] is True


def test_swapped_patient_signature_fails_verification(client_as, signed, anaesthetist):
    get_port("storage").put(signed.patient_signature_key, signature_png(seed=5), content_type="image/png")
    verification = client_as(anaesthetist).get(f"/api/v1/consents/{signed.uuid}/verification/").json()
    checks = {c["check"]: c["ok"] for c in verification["checks"]}
    assert verification["valid"] is False and checks["patient_signature"] is False
    assert checks["document_hash"] and checks["clinician_signature"]


def test_altered_signature_records_fail_verification(client_as, signed, anaesthetist):
    """Changing the recorded signature in the database breaks the CA check and the seal."""
    import base64

    value = bytearray(base64.b64decode(signed.signature_value))
    value[-1] ^= 0x01
    ConsentDocument.objects.filter(pk=signed.pk).update(signature_value=base64.b64encode(bytes(value)).decode())
    checks = {c["check"]: c["ok"] for c in client_as(anaesthetist)
              .get(f"/api/v1/consents/{signed.uuid}/verification/").json()["checks"]}
    assert checks["clinician_signature"] is False and checks["record_hash"] is False
    ConsentDocument.objects.filter(pk=signed.pk).update(signature_value=signed.signature_value,
                                                        patient_signer_name="别人")
    result = client_as(anaesthetist).get(f"/api/v1/consents/{signed.uuid}/verification/").json()
    checks = {c["check"]: c["ok"] for c in result["checks"]}
    assert result["valid"] is False and checks["record_hash"] is False and checks["clinician_signature"] is True


def test_a_certificate_from_another_ca_does_not_verify(client_as, signed, anaesthetist):
    from hospital_sim import ca as sim_ca

    rogue = sim_ca.CertificateAuthority(common_name="Hospital Simulator Root CA")
    credential = rogue.credential_for(employee_no=anaesthetist.employee_no, name=anaesthetist.name)
    ConsentDocument.objects.filter(pk=signed.pk).update(
        certificate_pem=credential.certificate_pem,
        signature_value=sim_ca.sign_digest(credential, signed.document_hash))
    result = client_as(anaesthetist).get(f"/api/v1/consents/{signed.uuid}/verification/").json()
    checks = {c["check"]: c for c in result["checks"]}
    assert result["valid"] is False and checks["clinician_signature"]["ok"] is False


def test_a_tampered_document_cannot_be_signed(client_as, templates, assessment, anaesthetist):
    client = client_as(anaesthetist)
    uuid = open_consent(client, assessment).json()["uuid"]
    document = ConsentDocument.objects.get(uuid=uuid)
    get_port("storage").put(document.document_key, b"%PDF-1.4 something else", content_type="application/pdf")
    res = client.post(f"/api/v1/consents/{uuid}/clinician-signature/")
    assert res.status_code == 409 and res.json()["error"]["code"] == "consent_document_tampered"
    assert ConsentDocument.objects.get(uuid=uuid).status == ConsentStatus.DRAFT


def test_guardian_signature_needs_name_and_relationship(client_as, templates, assessment, anaesthetist):
    client = client_as(anaesthetist)
    uuid = open_consent(client, assessment).json()["uuid"]
    client.post(f"/api/v1/consents/{uuid}/clinician-signature/")
    res = upload(client, uuid, signer_kind="guardian")
    assert res.status_code == 400
    assert {"signer_name", "relationship"} <= set(res.json()["error"]["fields"])
    res = upload(client, uuid, signer_kind="guardian", signer_name="张建华", relationship="配偶")
    assert res.status_code == 200, res.content
    assert res.json()["patient_signature"] == {**res.json()["patient_signature"], "signer_kind": "guardian",
                                               "signer_name": "张建华", "relationship": "配偶"}


@pytest.mark.parametrize("name, make", [
    ("jpeg", lambda: _jpeg()),
    ("text", lambda: b"this is not an image at all"),
    ("truncated", lambda: signature_png()[:300]),
    ("blank", lambda: signature_png(strokes=False)),
    ("blank white", lambda: signature_png(strokes=False, background=(255, 255, 255, 255))),
    ("filled", lambda: signature_png(strokes=False, background=(0, 0, 0, 255))),
    ("tiny", lambda: signature_png(size=(30, 10))),
    ("bomb header", lambda: _with_dimensions(signature_png(), 60000, 60000)),
    ("gif named png", lambda: _gif()),
])
def test_bad_signature_images_are_400_field_errors(client_as, templates, assessment, anaesthetist, name, make):
    client = client_as(anaesthetist)
    uuid = open_consent(client, assessment).json()["uuid"]
    client.post(f"/api/v1/consents/{uuid}/clinician-signature/")
    res = upload(client, uuid, png=make())
    assert res.status_code == 400, (name, res.content)
    assert "image" in res.json()["error"]["fields"], name
    assert ConsentDocument.objects.get(uuid=uuid).status == ConsentStatus.CLINICIAN_SIGNED


def test_oversized_upload_is_refused(client_as, templates, assessment, anaesthetist, settings):
    settings.CONSENT_SIGNATURE_LIMITS = {"max_bytes": 1000}
    client = client_as(anaesthetist)
    uuid = open_consent(client, assessment).json()["uuid"]
    client.post(f"/api/v1/consents/{uuid}/clinician-signature/")
    res = upload(client, uuid, png=signature_png(size=(800, 300)))
    assert res.status_code == 400 and res.json()["error"]["code"] == "signature_image_too_large"


def test_wrong_state_transitions_are_409(client_as, templates, assessment, anaesthetist):
    client = client_as(anaesthetist)
    uuid = open_consent(client, assessment).json()["uuid"]
    # The patient cannot sign before the clinician.
    res = upload(client, uuid)
    assert res.status_code == 409 and res.json()["error"]["code"] == "consent_state_conflict"
    assert client.post(f"/api/v1/consents/{uuid}/clinician-signature/").status_code == 200
    assert client.post(f"/api/v1/consents/{uuid}/clinician-signature/").status_code == 409
    assert upload(client, uuid).status_code == 200
    assert upload(client, uuid).status_code == 409
    # Opening a second consent of the same form for the assessment is refused until the first is voided.
    again = open_consent(client, assessment)
    assert again.status_code == 409 and again.json()["error"]["code"] == "consent_already_open"
    assert client.post(f"/api/v1/consents/{uuid}/void/", {"reason": ""}, format="json").status_code == 400
    voided = client.post(f"/api/v1/consents/{uuid}/void/", {"reason": "患者撤回同意"}, format="json")
    assert voided.status_code == 200 and voided.json()["voided"]["reason"] == "患者撤回同意"
    assert voided.json()["voided"]["from_status"] == "completed"
    assert client.post(f"/api/v1/consents/{uuid}/void/", {"reason": "again"}, format="json").status_code == 409
    assert open_consent(client, assessment).status_code == 201


def test_failed_assessment_and_missing_template(client_as, hospital, assessment, anaesthetist):
    client = client_as(anaesthetist)
    res = open_consent(client, assessment)
    assert res.status_code == 409 and res.json()["error"]["code"] == "no_consent_template"
    assessment.status = "failed"
    assessment.save(update_fields=["status"])
    assert open_consent(client, assessment).status_code == 409


def test_clinician_without_employee_number_gets_a_clear_400(client_as, templates, assessment, ward):
    doctor = make_staff("anaesthetist", ward=ward)
    client = client_as(doctor)
    uuid = open_consent(client, assessment).json()["uuid"]
    res = client.post(f"/api/v1/consents/{uuid}/clinician-signature/")
    assert res.status_code == 400 and res.json()["error"]["code"] == "signer_without_employee_no"


def test_other_wards_and_roles_cannot_reach_a_consent(client_as, signed, assessment, templates, nurse):
    outsider = make_staff("anaesthetist", ward=make_ward(), employee_no="X-1")
    client = client_as(outsider)
    for url in (f"/api/v1/consents/{signed.uuid}/", f"/api/v1/consents/{signed.uuid}/verification/",
                f"/api/v1/consents/{signed.uuid}/document.pdf", f"/api/v1/consents/{signed.uuid}/signed-copy.pdf",
                f"/api/v1/anaesthesia-assessments/{assessment.uuid}/consents/"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/api/v1/consents/{signed.uuid}/void/", {"reason": "x"}, format="json").status_code == 404
    assert open_consent(client, assessment).status_code == 404
    assert client.get("/api/v1/consents/").json()["count"] == 0
    # A nurse of the ward reads it but may not open consents or sign as a clinician.
    client = client_as(nurse)
    assert client.get(f"/api/v1/consents/{signed.uuid}/").status_code == 200
    assert open_consent(client, assessment).status_code == 403
    assert client.post(f"/api/v1/consents/{signed.uuid}/clinician-signature/").status_code == 403


def test_the_assessment_lists_its_consents(client_as, signed, assessment, anaesthetist):
    res = client_as(anaesthetist).get(f"/api/v1/anaesthesia-assessments/{assessment.uuid}/consents/")
    assert res.status_code == 200 and [c["uuid"] for c in res.json()] == [str(signed.uuid)]


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_consents_live_in_s3_object_storage(client_as, templates, assessment, anaesthetist, s3_endpoint, settings):
    """The same flow against an S3 API server (moto over HTTP): objects, hashes and tamper detection."""
    settings.OBJECT_STORAGE = {"bucket": "consents-test", "endpoint_url": s3_endpoint, "access_key": "test",
                               "secret_key": "test", "region_name": "us-east-1"}
    settings.INTEGRATION_ADAPTERS = {**settings.INTEGRATION_ADAPTERS,
                                     "storage": "integrations.adapters.storage.Boto3ObjectStorage"}
    storage = get_port("storage")
    storage.client.create_bucket(Bucket="consents-test")
    client = client_as(anaesthetist)
    uuid = open_consent(client, assessment).json()["uuid"]
    assert client.post(f"/api/v1/consents/{uuid}/clinician-signature/").status_code == 200
    assert upload(client, uuid).status_code == 200
    document = ConsentDocument.objects.get(uuid=uuid)
    keys = {o["Key"] for o in storage.client.list_objects_v2(Bucket="consents-test")["Contents"]}
    assert {document.document_key, document.patient_signature_key, document.signed_copy_key} <= keys
    assert client.get(f"/api/v1/consents/{uuid}/verification/").json()["valid"] is True
    storage.put(document.signed_copy_key, b"%PDF-1.4 forged copy", content_type="application/pdf")
    result = client.get(f"/api/v1/consents/{uuid}/verification/").json()
    assert result["valid"] is False and {c["check"]: c["ok"] for c in result["checks"]}["signed_copy"] is False


def _jpeg():
    from PIL import Image

    out = BytesIO()
    Image.new("RGB", (300, 120), "white").save(out, format="JPEG")
    return out.getvalue()


def _gif():
    from PIL import Image, ImageDraw

    image = Image.new("P", (300, 120), 0)
    ImageDraw.Draw(image).line([(10, 10), (290, 110)], fill=1, width=5)
    out = BytesIO()
    image.save(out, format="GIF")
    return out.getvalue()


def _with_dimensions(png: bytes, width: int, height: int) -> bytes:
    """The PNG with its IHDR claiming other dimensions (CRC fixed): a decompression-bomb header."""
    import struct
    import zlib

    ihdr = bytearray(png[8:33])  # length(4) type(4) data(13) crc(4)
    ihdr[8:16] = struct.pack(">II", width, height)
    ihdr[21:25] = struct.pack(">I", zlib.crc32(bytes(ihdr[4:21])))
    return png[:8] + bytes(ihdr) + png[33:]


@pytest.mark.parametrize("changes", [
    {"body_text": "本人同意……（改过的条款）"}, {"title": "另一份同意书"}, {"clinician_name": "别的医生"},
    {"patient": "other"},
])
def test_the_seal_covers_what_the_consent_shows(client_as, signed, anaesthetist, changes):
    """The API shows the consent's title, text, the signing clinician's name and the patient: changing any of them
    in the database breaks the sealed record hash (they were outside it: a rewritten clause verified as valid)."""
    if changes.get("patient") == "other":
        from tests.builders import make_patient

        changes = {"patient": make_patient(name="王某某")}
    ConsentDocument.objects.filter(pk=signed.pk).update(**changes)
    result = client_as(anaesthetist).get(f"/api/v1/consents/{signed.uuid}/verification/").json()
    checks = {c["check"]: c["ok"] for c in result["checks"]}
    assert result["valid"] is False and checks["record_hash"] is False
    assert checks["document_hash"] and checks["clinician_signature"]


def test_a_ca_timestamp_without_a_time_zone_is_read_as_local_time(client_as, templates, assessment, anaesthetist,
                                                                  monkeypatch):
    """Some CAs answer local time without an offset: signing must not fail with a 500 (a naive datetime reached the
    verification), and the stored instant is that local time."""
    import dataclasses

    from django.utils import timezone

    import consent.services as consent_services

    real_get_port = consent_services.get_port
    naive = timezone.localtime().replace(tzinfo=None, microsecond=0)  # the CA's certificates are valid now

    class NaiveClockCa:
        def __init__(self, ca):
            self.ca = ca

        def sign(self, **kwargs):
            return dataclasses.replace(self.ca.sign(**kwargs), signed_at=naive)

        def __getattr__(self, name):
            return getattr(self.ca, name)

    monkeypatch.setattr(consent_services, "get_port",
                        lambda name: NaiveClockCa(real_get_port(name)) if name == "ca" else real_get_port(name))
    client = client_as(anaesthetist)
    uuid = open_consent(client, assessment).json()["uuid"]
    response = client.post(f"/api/v1/consents/{uuid}/clinician-signature/")
    assert response.status_code == 200, response.content
    document = ConsentDocument.objects.get(uuid=uuid)
    assert document.clinician_signed_at == timezone.make_aware(naive)
    assert client.get(f"/api/v1/consents/{uuid}/verification/").json()["valid"] is True
