"""Y11 / PA5: education materials per procedure and phase, text (sanitised) and video (checked by its bytes, size
limited, stored in object storage, served by presigned URL), versioned edits, hospital configuration rules."""

import pytest
import requests

from audit.models import AuditEntry
from education.models import Material, MaterialVersion
from education.richtext import sanitise_html
from education.tests.conftest import mp4_bytes, webm_bytes
from tests.builders import make_department, make_hospital, make_staff, make_ward

pytestmark = pytest.mark.django_db

URL = "/api/v1/education/materials/"


def _create(client, **body):
    body = {"key": "lc_preop", "phase": "preop", "format": "text", "title": "胆囊切除术前须知",
            "body": "## 禁食\n术前一晚 22:00 后禁食。" * 5, **body}
    return client.post(URL, body, format="json")


def _upload(client, content, name="video.mp4"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/api/v1/education/videos/", {"file": SimpleUploadedFile(name, content, "video/mp4")},
                       format="multipart")


@pytest.mark.req("Y11")
def test_text_material_edits_are_versioned_and_guarded(client_for, nurse, procedure):
    client = client_for(nurse)
    created = _create(client, procedure=str(procedure.uuid), min_read_seconds=60)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["current"]["version"] == 1 and body["procedure"]["code"] == procedure.code
    assert body["current"]["min_read_seconds"] == 60 and body["is_platform_default"] is False
    url = f"{URL}{body['uuid']}/"
    edited = client.patch(url, {"version": 1, "body": "## 禁食\n术前 8 小时禁食，2 小时禁饮。", "note": "禁食时间"},
                          format="json")
    assert edited.status_code == 200, edited.content
    assert edited.json()["current"]["version"] == 2 and edited.json()["current"]["min_read_seconds"] == 60
    stale = client.patch(url, {"version": 1, "title": "旧版本上的修改"}, format="json")
    assert stale.status_code == 409 and stale.json()["error"]["current_version"] == 2
    moved = client.patch(url, {"order": 5, "required": False}, format="json").json()
    assert moved["current"]["version"] == 2 and moved["order"] == 5 and moved["required"] is False
    unchanged = client.patch(url, {"title": "胆囊切除术前须知"}, format="json").json()
    assert unchanged["current"]["version"] == 2  # nothing changed: no new version
    versions = client.get(f"{url}versions/").json()
    assert [v["version"] for v in versions] == [2, 1]
    assert "22:00" in versions[1]["body"] and versions[0]["note"] == "禁食时间" and versions[0]["edited_by"]
    assert AuditEntry.objects.filter(target_id=body["uuid"]).count() >= 3
    retired = client.delete(url)
    assert retired.status_code == 200 and retired.json()["retired_at"]
    assert body["uuid"] not in {m["uuid"] for m in client.get(URL).json()["results"]}
    assert _create(client, procedure=str(procedure.uuid)).status_code == 201  # the key is free again


@pytest.mark.req("Y11")
def test_default_minimum_follows_the_text_length_and_bad_input_is_a_field_error(client_for, nurse):
    client = client_for(nurse)
    long_text = "术" * 800
    body = _create(client, key="long", body=long_text).json()
    assert body["current"]["min_read_seconds"] == 100  # 800 characters at 8 a second
    short = _create(client, key="short", body="请按时到院。").json()
    assert short["current"]["min_read_seconds"] == 15  # the floor
    for bad, field in [({"phase": "someday"}, "phase"), ({"body": ""}, "body"), ({"title": ""}, "title"),
                       ({"min_read_seconds": -1}, "min_read_seconds"), ({"procedure": "0" * 8 + "-0000-0000-0000-"
                                                                         + "0" * 12}, "procedure"),
                       ({"body": "请<script>alert(1)</script>阅读"}, "body"), ({"key": "has space"}, "key"),
                       ({"body": "请[点击](javascript:alert(1))阅读"}, "body"),
                       ({"body": "![图](data:image/png;base64,AAAA)术前须知"}, "body"),
                       ({"body": "请阅读[须知]\n\n[须知]: javascript:alert(1)"}, "body"),
                       ({"format": "video"}, "video")]:
        response = _create(client, **{"key": "bad", **bad})
        assert response.status_code == 400, (bad, response.content)
        assert field in response.json()["error"]["fields"], (bad, response.json())
    duplicate = _create(client, key="long")
    assert duplicate.status_code == 400 and "key" in duplicate.json()["error"]["fields"]


@pytest.mark.req("Y11")
def test_rich_text_is_reduced_to_safe_html(client_for, nurse):
    raw = ('<h2 onclick="x()">术前须知</h2><p style="color:red">请<b>空腹</b><script>alert(1)</script></p>'
           '<a href="javascript:alert(1)">点我</a><a href="https://hospital.example/map">院区地图</a>'
           '<img src="x" onerror="alert(1)"><img src="https://cdn.example/a.png" alt="示意"><iframe src="https://e">'
           'x</iframe><p>未闭合')
    body = _create(client_for(nurse), body_format="html", body=raw).json()["current"]["body"]
    assert body == ('<h2>术前须知</h2><p>请<b>空腹</b></p><a rel="noopener noreferrer">点我</a>'
                    '<a href="https://hospital.example/map" rel="noopener noreferrer">院区地图</a>'
                    '<img src="https://cdn.example/a.png" alt="示意"><p>未闭合</p>')
    assert sanitise_html(body) == body.replace(' rel="noopener noreferrer"', ' rel="noopener noreferrer"')
    assert sanitise_html("a < b &amp; <em>c</em>") == "a &lt; b &amp; <em>c</em>"


@pytest.mark.req("Y11")
@pytest.mark.parametrize(("raw", "clean"), [
    ("<![foo[bar]]>ok", "ok"), ("<![CDATA[<script>]]>y", "y"), ("<!DOCTYPE html><p>a", "<p>a</p>"),
    ("<svg><script>alert(1)</script></svg>ok", "ok"), ('<a href="//evil.example">z</a>', '<a rel="noopener noreferrer">z</a>'),
    ('<a href=" javascript:x">z</a>', '<a rel="noopener noreferrer">z</a>'), ("<p>\x00</p>", "<p></p>"),
    ("<scr<script>ipt>alert(1)</script>", "ipt&gt;alert(1)"), ("a<b", "a&lt;b"),
    ('<td colspan="2" style="x">a</td>', '<td colspan="2">a</td>'),
])
def test_sanitiser_corner_cases_are_safe_and_stable(raw, clean):
    assert sanitise_html(raw) == clean
    assert sanitise_html(clean) == clean


@pytest.mark.req("Y11")
def test_configuration_rules_other_hospitals_and_roles(client_for, nurse, followup_nurse, ward):
    own = _create(client_for(nurse)).json()
    assert _create(client_for(followup_nurse), key="fu").status_code == 403  # reads, does not edit
    assert client_for(followup_nurse).get(f"{URL}{own['uuid']}/").status_code == 200
    other_hospital = make_ward(department=make_department(hospital=make_hospital("H902")[0]))
    stranger = make_staff("nurse", ward=other_hospital)
    client = client_for(stranger)
    assert client.get(f"{URL}{own['uuid']}/").status_code == 404
    assert client.patch(f"{URL}{own['uuid']}/", {"title": "改"}, format="json").status_code == 404
    assert own["uuid"] not in {m["uuid"] for m in client.get(URL).json()["results"]}
    default = Material.objects.get(hospital__isnull=True, key="preop_instructions")
    listed = {m["key"] for m in client.get(URL, {"phase": "preop"}).json()["results"]}
    assert "preop_instructions" in listed and "lc_preop" not in listed
    refused = client.patch(f"{URL}{default.uuid}/", {"title": "改平台默认"}, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "hospital_not_allowed"
    homeless = make_staff("hospital_admin")  # no department: belongs to no hospital, edits nothing
    assert _create(client_for(homeless), key="x").status_code == 403


@pytest.mark.req("PA5", "Y11")
def test_video_is_checked_by_content_stored_in_s3_and_served_by_presigned_url(
        client_for, nurse, procedure, s3_storage, settings):
    client = client_for(nurse)
    content = mp4_bytes(seconds=185)
    uploaded = _upload(client, content, name="术前宣教.mp4")
    assert uploaded.status_code == 201, uploaded.content
    video = uploaded.json()
    assert video["content_type"] == "video/mp4" and video["duration_seconds"] == 185
    assert video["size_bytes"] == len(content)
    assert requests.get(video["url"], timeout=10).content == content  # presigned GET on the S3 API server
    keys = [o["Key"] for o in s3_storage.client.list_objects_v2(Bucket="education-test")["Contents"]]
    assert keys == [f"education/videos/{nurse.department.hospital.uuid}/{video['uuid']}.mp4"]
    created = _create(client, key="lc_video", format="video", body="", video=video["uuid"],
                      procedure=str(procedure.uuid), phase="discharge")
    assert created.status_code == 201, created.content
    assert created.json()["current"]["min_read_seconds"] == 185  # the video's length
    assert created.json()["current"]["video"]["uuid"] == video["uuid"]
    mov = _upload(client, mp4_bytes(seconds=30, brand=b"qt  "), name="clip.mov").json()
    assert mov["content_type"] == "video/quicktime"
    webm = _upload(client, webm_bytes(), name="clip.webm").json()
    assert webm["content_type"] == "video/webm" and webm["duration_seconds"] is None
    no_length = _create(client, key="webm", format="video", body="", video=webm["uuid"])
    assert no_length.status_code == 400 and "min_read_seconds" in no_length.json()["error"]["fields"]
    replaced = client.patch(f"{URL}{created.json()['uuid']}/", {"video": mov["uuid"]}, format="json").json()
    assert replaced["current"]["version"] == 2 and replaced["current"]["min_read_seconds"] == 30


@pytest.mark.req("PA5", "Y11")
@pytest.mark.parametrize("content", [
    pytest.param(b"\xff\xd8\xff\xe0" + b"\0" * 2000, id="jpeg named mp4"),
    pytest.param(b"<html><script>alert(1)</script></html>", id="html named mp4"),
    pytest.param(mp4_bytes(handler=b"soun", brand=b"M4A "), id="audio-only m4a"),
    pytest.param(mp4_bytes(handler=b"soun"), id="mp4 without a video track"),
    pytest.param(mp4_bytes()[:60], id="truncated mp4 (no movie header)"),
    pytest.param(b"", id="empty"),
])
def test_files_that_are_not_videos_are_refused(client_for, nurse, content):
    response = _upload(client_for(nurse), content)
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]["file"]


@pytest.mark.req("PA5")
def test_oversized_video_is_refused(client_for, nurse, settings):
    settings.EDUCATION_VIDEO_MAX_BYTES = 2048
    response = _upload(client_for(nurse), mp4_bytes())
    assert response.status_code == 400 and response.json()["error"]["code"] in ("video_rejected", "validation_error")
    assert not MaterialVersion.objects.filter(video__isnull=False).exists()


@pytest.mark.req("PA5")
def test_mp4_with_the_movie_header_first_is_read_too():
    from education.video import sniff_video

    info = sniff_video(mp4_bytes(seconds=42, moov_first=True))
    assert info.content_type == "video/mp4" and info.duration_seconds == 42
