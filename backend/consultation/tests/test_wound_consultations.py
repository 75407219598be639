"""F9: the patient sends text and photos of the wound; the photos are validated by content, bombs refused,
EXIF/GPS removed before storage; the care team of the case's ward lists and answers; the answer reaches the
patient as a case event (→ messaging)."""

import hashlib
from io import BytesIO

import pytest
from PIL import Image

from cases.models import CaseEvent
from consultation.models import WoundConsultation, WoundPhoto
from consultation.tests.conftest import (
    animated_webp,
    camera_jpeg,
    plain_image,
    png_with_dimensions,
    upload_files,
)
from core.models import OutboxMessage
from integrations.registry import get_port
from tests.builders import make_case

pytestmark = [pytest.mark.django_db, pytest.mark.req("F9")]


def submit(client, case, *contents, description="伤口有点红，轻微渗液", **extra):
    data = {"description": description, "photos": upload_files(*contents), **extra}
    return client.post(f"/api/v1/my/cases/{case.uuid}/wound-consultations/", data, format="multipart")


def stored_objects():
    root = get_port("storage").root
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def assert_no_metadata(content: bytes):
    assert content.startswith(b"\xff\xd8\xff")
    assert b"Exif" not in content and b"GPS" not in content and b"iPhone" not in content and b"Apple" not in content
    assert b"http://ns.adobe.com/xap" not in content and b"ICC_PROFILE" not in content
    with Image.open(BytesIO(content)) as image:
        assert image.format == "JPEG"
        exif = image.getexif()
        assert len(exif) == 0 and not exif.get_ifd(0x8825)
        assert "exif" not in image.info and "icc_profile" not in image.info


def test_photos_are_stored_upright_without_exif_or_gps(client_for, account, case):
    original = camera_jpeg(size=(640, 480), orientation=6)
    with Image.open(BytesIO(original)) as probe:
        assert probe.getexif().get_ifd(0x8825)  # the upload really carries a GPS position
    res = submit(client_for(account), case, original, plain_image("PNG", mode="RGBA"), plain_image("WEBP"))
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["status"] == "submitted" and body["description"] == "伤口有点红，轻微渗液"
    assert [p["position"] for p in body["photos"]] == [0, 1, 2]
    storage = get_port("storage")
    first = WoundPhoto.objects.get(uuid=body["photos"][0]["uuid"])
    stored = storage.get(first.storage_key)
    assert_no_metadata(stored)
    assert_no_metadata(storage.get(first.thumbnail_key))
    assert hashlib.sha256(stored).hexdigest() == first.sha256 == body["photos"][0]["sha256"]
    # Orientation 6 (rotate 90° clockwise) was applied before the tag was dropped: 640×480 → 480×640, and the blue
    # marker of the top-left corner is now at the top right.
    assert (first.width, first.height) == (480, 640)
    with Image.open(BytesIO(stored)) as image:
        r, g, b = image.convert("RGB").getpixel((470, 10))
        assert b > 150 and r < 100
    assert first.original_type == "image/jpeg"
    for photo in WoundPhoto.objects.all():
        assert_no_metadata(storage.get(photo.storage_key))
    assert len(stored_objects()) == 6  # three photos and their thumbnails
    event = CaseEvent.objects.get(case=case, type="consultation.wound.submitted")
    assert event.payload["consultation"] == body["uuid"] and event.actor_type == "patient"
    assert OutboxMessage.objects.filter(topic="consultation.wound.submitted", payload__data__consultation=body["uuid"]
                                        ).exists()


@pytest.mark.parametrize("name, content, code", [
    ("text named jpg", b"this is not an image at all, just text", "wound_photo_not_an_image"),
    ("gif", plain_image("GIF"), "wound_photo_not_an_image"),
    ("animated webp", animated_webp(), "wound_photo_not_an_image"),
    ("truncated jpeg", camera_jpeg()[:2000], "wound_photo_damaged"),
    ("png header claims 60000×60000", png_with_dimensions(60000, 60000), "wound_photo_too_large"),
    ("tiny", plain_image("PNG", size=(50, 40)), "wound_photo_too_small"),
    ("jpeg magic then junk", b"\xff\xd8\xff\xe0" + b"\x00" * 3000, "wound_photo_damaged"),
])
def test_bad_photos_are_refused_and_nothing_is_stored(client_for, account, case, name, content, code):
    res = submit(client_for(account), case, camera_jpeg(), content)
    assert res.status_code == 400, (name, res.content)
    error = res.json()["error"]
    assert error["code"] == code, (name, error)
    assert "photos" in error["fields"] and "2" in error["fields"]["photos"][0]  # names the second photo
    assert not WoundConsultation.objects.exists() and not stored_objects()


def test_pillow_bomb_guard_is_a_second_line(client_for, account, case, settings):
    """Even with the explicit limits lifted, Pillow's MAX_IMAGE_PIXELS guard (a warning made an error) refuses a
    header of 12 000 × 12 000 (144 megapixels) before any pixel is decoded."""
    settings.CONSULTATION_PHOTO_LIMITS = {"max_width": 10**6, "max_height": 10**6, "max_pixels": 10**12}
    res = submit(client_for(account), case, png_with_dimensions(12000, 12000))
    assert res.status_code == 400 and res.json()["error"]["code"] == "wound_photo_too_large"


def test_byte_pixel_and_count_limits(client_for, account, case, settings):
    client = client_for(account)
    settings.CONSULTATION_PHOTO_LIMITS = {"max_bytes": 5000}
    res = submit(client, case, camera_jpeg(size=(1600, 1200)))
    assert res.status_code == 400 and res.json()["error"]["code"] == "wound_photo_too_large"
    settings.CONSULTATION_PHOTO_LIMITS = {"max_pixels": 300 * 300}
    res = submit(client, case, plain_image("PNG", size=(400, 300)))
    assert res.status_code == 400 and res.json()["error"]["code"] == "wound_photo_too_large"
    settings.CONSULTATION_PHOTO_LIMITS = {"max_photos": 2}
    res = submit(client, case, *[plain_image("PNG")] * 3)
    assert res.status_code == 400 and res.json()["error"]["code"] == "too_many_wound_photos"
    res = client.post(f"/api/v1/my/cases/{case.uuid}/wound-consultations/", {"description": "只有文字"},
                      format="multipart")
    assert res.status_code == 400 and "photos" in res.json()["error"]["fields"]
    assert not WoundConsultation.objects.exists() and not stored_objects()


def test_large_photos_are_shrunk_and_thumbnailed(client_for, account, case, settings):
    settings.CONSULTATION_PHOTO_LIMITS = {"stored_max_side": 800, "thumbnail_max_side": 200}
    res = submit(client_for(account), case, camera_jpeg(size=(2400, 1800), orientation=1))
    assert res.status_code == 201, res.content
    photo = WoundPhoto.objects.get()
    assert (photo.width, photo.height) == (800, 600)
    with Image.open(BytesIO(get_port("storage").get(photo.thumbnail_key))) as thumb:
        assert thumb.size == (200, 150)


def test_only_the_patient_of_an_operated_case(client_for, account, case, stranger, nurse, ward, patient):
    # another patient: the case does not exist for them
    assert submit(client_for(stranger), case, camera_jpeg()).status_code == 404
    # staff tokens are not patients
    assert submit(client_for(nurse), case, camera_jpeg()).status_code == 403
    # before the operation there is no wound to show
    booked = make_case("booked", ward=ward, patient=patient)
    res = submit(client_for(account), booked, camera_jpeg())
    assert res.status_code == 409 and res.json()["error"]["code"] == "consultation_not_after_surgery"
    assert not WoundConsultation.objects.exists()


def test_a_retry_with_the_same_client_id_creates_nothing_new(client_for, account, case):
    client = client_for(account)
    first = submit(client, case, camera_jpeg(), client_id="upload-7f3a")
    again = submit(client, case, camera_jpeg(), client_id="upload-7f3a")
    assert first.status_code == 201 and again.status_code == 201
    assert first.json()["uuid"] == again.json()["uuid"]
    assert WoundConsultation.objects.count() == 1 and len(stored_objects()) == 2
    assert CaseEvent.objects.filter(type="consultation.wound.submitted").count() == 1


def test_unanswered_consultations_are_capped(client_for, account, case, settings):
    settings.CONSULTATION_MAX_OPEN_WOUND = 1
    client = client_for(account)
    assert submit(client, case, plain_image("PNG")).status_code == 201
    res = submit(client, case, plain_image("PNG"))
    assert res.status_code == 409 and res.json()["error"]["code"] == "too_many_open_wound_consultations"
    assert len(stored_objects()) == 2  # the refused submission's objects were removed again


def test_care_team_lists_and_answers_in_their_wards_only(client_for, account, case, nurse, doctor, other_nurse):
    uuid = submit(client_for(account), case, camera_jpeg()).json()["uuid"]
    # ward B sees nothing and cannot reach it
    b = client_for(other_nurse)
    assert b.get("/api/v1/wound-consultations/").json()["results"] == []
    assert b.get(f"/api/v1/wound-consultations/{uuid}/").status_code == 404
    assert b.post(f"/api/v1/wound-consultations/{uuid}/answer/", {"answer": "x", "advice": "home_care"},
                  format="json").status_code == 404
    # ward A's nurse sees it, unanswered first, with the patient and photo URLs
    a = client_for(nurse)
    listed = a.get("/api/v1/wound-consultations/?status=submitted").json()["results"]
    assert [row["uuid"] for row in listed] == [uuid]
    assert listed[0]["patient"]["name"] == "王小明" and listed[0]["case_detail"]["uuid"] == str(case.uuid)
    detail = a.get(f"/api/v1/wound-consultations/{uuid}/").json()
    assert detail["photos"][0]["url"] and detail["photos"][0]["thumbnail_url"]
    assert a.get(f"/api/v1/cases/{case.uuid}/wound-consultations/").json()[0]["uuid"] == uuid
    # answer (validation first)
    bad = a.post(f"/api/v1/wound-consultations/{uuid}/answer/", {"answer": "", "advice": "maybe"}, format="json")
    assert bad.status_code == 400 and {"answer", "advice"} <= set(bad.json()["error"]["fields"])
    res = a.post(f"/api/v1/wound-consultations/{uuid}/answer/",
                 {"answer": "切口轻度发红，属正常愈合反应。保持干燥，每日碘伏消毒；如发热或渗液增多请来院复查。",
                  "advice": "home_care"}, format="json")
    assert res.status_code == 200, res.content
    assert res.json()["status"] == "answered" and res.json()["answered_by"]["name"] == nurse.name
    again = client_for(doctor).post(f"/api/v1/wound-consultations/{uuid}/answer/",
                                   {"answer": "请来门诊", "advice": "clinic_visit"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "wound_consultation_already_answered"
    event = CaseEvent.objects.get(case=case, type="consultation.wound.answered")
    assert event.payload == {"consultation": uuid, "advice": "home_care"} and event.actor_type == "staff"
    assert OutboxMessage.objects.filter(topic="consultation.wound.answered").count() == 1
    # the patient reads the answer
    mine = client_for(account).get(f"/api/v1/my/wound-consultations/{uuid}/").json()
    assert mine["status"] == "answered" and mine["advice"] == "home_care" and "碘伏" in mine["answer"]


def test_patients_see_only_their_own(client_for, account, case, stranger):
    uuid = submit(client_for(account), case, camera_jpeg()).json()["uuid"]
    other = client_for(stranger)
    assert other.get(f"/api/v1/my/wound-consultations/{uuid}/").status_code == 404
    assert other.get(f"/api/v1/my/cases/{case.uuid}/wound-consultations/").status_code == 404
    assert [c["uuid"] for c in client_for(account).get(f"/api/v1/my/cases/{case.uuid}/wound-consultations/").json()
            ] == [uuid]


def test_reads_are_audited(client_for, account, case, nurse):
    from audit.models import AuditEntry

    uuid = submit(client_for(account), case, camera_jpeg()).json()["uuid"]
    client_for(nurse).get(f"/api/v1/wound-consultations/{uuid}/")
    assert AuditEntry.objects.filter(action="read", target_id=uuid, actor_id=str(nurse.uuid)).exists()


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_photos_live_in_s3_object_storage(client_for, account, case, s3_endpoint, settings, request):
    """The same upload against an S3 API server (moto over HTTP, boto3 adapter): clean JPEGs in the bucket, and
    the presigned URL serves them."""
    import requests

    settings.OBJECT_STORAGE = {"bucket": "wounds-test", "endpoint_url": s3_endpoint, "access_key": "test",
                               "secret_key": "test", "region_name": "us-east-1"}
    from integrations.adapters.storage import Boto3ObjectStorage
    from integrations.registry import override_port

    storage = Boto3ObjectStorage()
    stack = override_port("storage", storage)
    stack.__enter__()
    request.addfinalizer(lambda: stack.__exit__(None, None, None))
    storage.client.create_bucket(Bucket="wounds-test")
    res = submit(client_for(account), case, camera_jpeg())
    assert res.status_code == 201, res.content
    photo = WoundPhoto.objects.get()
    keys = {o["Key"] for o in storage.client.list_objects_v2(Bucket="wounds-test")["Contents"]}
    assert keys == {photo.storage_key, photo.thumbnail_key}
    downloaded = requests.get(res.json()["photos"][0]["url"], timeout=5)
    assert downloaded.status_code == 200
    assert_no_metadata(downloaded.content)
