"""M3 / PA3 / PA5: the patient's materials for their case by phase, reading sessions with a server-enforced minimum
reading time (finishing early refused with the seconds left; idempotent finish), the event the bed card and the
timeline consume, and the reading status staff see in patient management."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from cases.models import CaseEvent
from education import services
from education.models import Material, ReadingSession
from education.tests.conftest import mp4_bytes
from preop.models import CaseIcon
from preop.tests.conftest import deliver
from tests.builders import (
    make_case,
    make_department,
    make_hospital,
    make_patient_account,
    make_staff,
    make_ward,
)

pytestmark = pytest.mark.django_db


def _text(nurse, *, key, phase="preop", procedure=None, title=None, minimum=30, order=50, hospital=None):
    return services.material_create(actor=nurse, key=key, phase=phase, format="text", procedure=procedure,
                                    title=title or key, body="请仔细阅读。" * 10, min_read_seconds=minimum,
                                    order=order, hospital=hospital)


def _back_date(session_uuid, seconds):
    ReadingSession.objects.filter(uuid=session_uuid).update(
        started_at=timezone.now() - timedelta(seconds=seconds))


def _start(client, case, material):
    return client.post(f"/api/v1/my/cases/{case.uuid}/reading-sessions/", {"material": str(material.uuid)},
                       format="json")


def _finish(client, case, session_uuid):
    return client.post(f"/api/v1/my/cases/{case.uuid}/reading-sessions/finish/", {"session": session_uuid},
                       format="json")


def _my(client, case):
    response = client.get(f"/api/v1/my/cases/{case.uuid}/education/")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.req("PA3", "PA5")
def test_my_instructions_cover_the_whole_period_by_phase_and_procedure(client_for, nurse, case, account, procedure,
                                                                         ward):
    override = _text(nurse, key="discharge_home_care", phase="discharge", title="本院胆囊术后居家护理",
                     procedure=procedure)
    lc_only = _text(nurse, key="lc_diet", phase="discharge", title="胆囊术后饮食", procedure=procedure, order=40)
    from catalog.models import Procedure

    hernia = Procedure.objects.create(code="53.0001", name="腹股沟疝修补术", grade=2, incision_class="Ⅰ类")
    _text(nurse, key="hernia_belt", phase="discharge", title="疝气术后腹带", procedure=hernia)
    elsewhere = make_ward(department=make_department(hospital=make_hospital("H903")[0]))
    _text(None, key="other_hospital", title="他院宣教", hospital=elsewhere.department.hospital)
    video = services.video_upload(actor=nurse, content=mp4_bytes(seconds=120), original_name="术前.mp4")
    services.material_create(actor=nurse, key="preop_video", phase="preop", format="video", title="术前准备视频",
                             video=video, order=5)

    body = _my(client_for(account), case)
    phases = [(p["phase"], [m["title"] for m in p["materials"]]) for p in body["phases"]]
    assert phases == [
        ("preop", ["术前准备视频", "日间手术术前须知"]),
        ("admission", ["手术当日入院指引"]),
        ("discharge", ["胆囊术后饮食", "本院胆囊术后居家护理"]),  # the hospital's own replaces the default (same key)
    ]
    assert body["summary"] == {"total": 5, "read": 0, "required": 5, "required_read": 0, "all_required_read": False}
    video_item = body["phases"][0]["materials"][0]
    assert video_item["format"] == "video" and video_item["duration_seconds"] == 120
    assert video_item["min_read_seconds"] == 120 and video_item["reading"]["read"] is False
    detail = client_for(account).get(f"/api/v1/my/education/materials/{video_item['uuid']}/", {"case": str(case.uuid)}).json()
    assert detail["video_url"] and detail["video_content_type"] == "video/mp4"
    text = client_for(account).get(f"/api/v1/my/education/materials/{override.uuid}/", {"case": str(case.uuid)}).json()
    assert text["body"].startswith("请仔细阅读") and text["video_url"] is None
    hernia_url = f"/api/v1/my/education/materials/{Material.objects.get(key='hernia_belt').uuid}/"
    assert client_for(account).get(hernia_url, {"case": str(case.uuid)}).status_code == 404
    assert client_for(account).get(hernia_url).status_code == 404  # in none of my cases
    default_case = client_for(account).get(f"/api/v1/my/education/materials/{override.uuid}/")
    assert default_case.status_code == 200 and default_case.json()["title"] == "本院胆囊术后居家护理"
    listed = client_for(account).get("/api/v1/my/education/materials/").json()["results"]
    assert len(listed) == 5 and {row["case"] for row in listed} == {str(case.uuid)}
    assert lc_only.current.title == "胆囊术后饮食"
    assert AuditEntry.objects.filter(target_id=str(case.uuid), detail="own education").exists()


@pytest.mark.req("M3", "PA5")
def test_finishing_before_the_minimum_is_refused_then_read_once(client_for, nurse, case, account):
    material = _text(nurse, key="lc_preop", minimum=90)
    client = client_for(account)
    started = _start(client, case, material)
    assert started.status_code == 201, started.content
    session = started.json()
    assert session["min_seconds"] == 90 and session["finished_at"] is None
    assert _start(client, case, material).json()["uuid"] == session["uuid"]  # reopening resumes: the clock keeps running
    _back_date(session["uuid"], 30)
    early = _finish(client, case, session["uuid"])
    assert early.status_code == 409
    error = early.json()["error"]
    assert error["code"] == "reading_too_short" and 59 <= error["remaining_seconds"] <= 60
    assert not CaseEvent.objects.filter(case=case, type="education.material.read").exists()

    _back_date(session["uuid"], 95)
    done = _finish(client, case, session["uuid"])
    assert done.status_code == 200 and done.json()["read_seconds"] >= 95
    again = _finish(client, case, session["uuid"])
    assert again.status_code == 200 and again.json()["finished_at"] == done.json()["finished_at"]
    events = CaseEvent.objects.filter(case=case, type="education.material.read")
    assert events.count() == 1
    mine = client.get("/api/v1/my/education/reading-sessions/", {"case": str(case.uuid)}).json()["results"]
    assert [row["uuid"] for row in mine] == [session["uuid"]] and mine[0]["finished_at"]
    data = events.get().payload
    assert data["kind"] == "preop" and data["material"] == str(material.uuid) and data["title"] == "lc_preop"
    assert data["version"] == 1 and data["session"] == session["uuid"]
    assert events.get().actor_type == "patient"

    # Reading the same version again is recorded as a session, not as a second event.
    second = _start(client, case, material).json()
    assert second["uuid"] != session["uuid"]
    _back_date(second["uuid"], 100)
    assert _finish(client, case, second["uuid"]).status_code == 200
    assert events.count() == 1
    item = next(m for p in _my(client, case)["phases"] for m in p["materials"] if m["uuid"] == str(material.uuid))
    assert item["reading"]["read"] is True and item["reading"]["read_version"] == 1

    deliver("preop.")  # the bed card's icon comes from the event (pre-op kind)
    assert CaseIcon.objects.filter(case=case, key="education_read", active=True).exists()


@pytest.mark.req("M3")
def test_sessions_are_the_patients_own(client_for, nurse, case, account, ward):
    material = _text(nurse, key="lc_preop", minimum=0)
    session = _start(client_for(account), case, material).json()
    other = make_patient_account(patient=make_case("booked", ward=ward).patient)
    assert _finish(client_for(other), case, session["uuid"]).status_code == 404
    other_case = other.patient.cases.get()
    assert _finish(client_for(other), other_case, session["uuid"]).status_code == 404
    assert _start(client_for(other), case, material).status_code == 404
    assert client_for(other).get(f"/api/v1/my/cases/{case.uuid}/education/").status_code == 404
    assert _finish(client_for(nurse), case, session["uuid"]).status_code == 403  # staff do not read for them
    assert _finish(client_for(make_patient_account()), case, session["uuid"]).status_code == 404  # unbound
    assert ReadingSession.objects.get(uuid=session["uuid"]).finished_at is None
    assert client_for(other).get("/api/v1/my/education/reading-sessions/").json()["results"] == []
    assert client_for(other).get(f"/api/v1/my/education/materials/{material.uuid}/",
                                 {"case": str(case.uuid)}).status_code == 404
    with pytest.raises(Exception) as refused:
        services.reading_finish(session=ReadingSession.objects.get(uuid=session["uuid"]), actor=other)
    assert getattr(refused.value, "status_code", None) == 404


@pytest.mark.req("M3")
def test_a_new_version_is_read_again_and_a_withdrawn_item_disappears(client_for, nurse, case, account):
    material = _text(nurse, key="lc_preop", minimum=10)
    client = client_for(account)
    first = _start(client, case, material).json()
    _back_date(first["uuid"], 11)
    _finish(client, case, first["uuid"])
    services.material_update(material=material, actor=nurse, body="新的禁食要求：术前 6 小时禁食。" * 3)
    item = next(m for p in _my(client, case)["phases"] for m in p["materials"] if m["uuid"] == str(material.uuid))
    assert item["version"] == 2 and item["reading"]["read"] is True
    assert item["reading"]["current_version_read"] is False
    second = _start(client, case, material).json()
    assert second["version"] == 2
    _back_date(second["uuid"], 11)
    _finish(client, case, second["uuid"])
    versions = [e.payload["version"] for e in CaseEvent.objects.filter(case=case, type="education.material.read")]
    assert versions == [1, 2]
    services.material_retire(material=material, actor=nurse)
    assert str(material.uuid) not in {m["uuid"] for p in _my(client, case)["phases"] for m in p["materials"]}
    assert _start(client, case, material).status_code == 404


@pytest.mark.req("M3", "Y11")
def test_staff_see_reading_status_in_patient_management(client_for, nurse, followup_nurse, case, account, ward):
    material = _text(nurse, key="lc_preop", minimum=5)
    session = services.reading_start(case=case, material=material, actor=account)
    services.reading_finish(session=session, actor=account, now=session.started_at + timedelta(seconds=8))
    body = client_for(followup_nurse).get(f"/api/v1/cases/{case.uuid}/education/")
    assert body.status_code == 200, body.content
    rows = {m["key"]: m for m in body.json()["materials"]}
    assert rows["lc_preop"]["reading"]["read"] is True and rows["lc_preop"]["reading"]["read_seconds"] == 8
    assert rows["preop_instructions"]["reading"]["read"] is False
    assert body.json()["summary"]["read"] == 1 and body.json()["summary"]["all_required_read"] is False
    assert AuditEntry.objects.filter(target_id=str(case.uuid), detail="education reading status",
                                     actor_id=str(followup_nurse.uuid)).exists()

    listing = client_for(nurse).get("/api/v1/education/reading-status/", {"ward": str(ward.uuid)})
    assert listing.status_code == 200, listing.content
    row = next(r for r in listing.json()["results"] if r["case"] == str(case.uuid))
    assert row["summary"]["read"] == 1 and "日间手术术前须知" in row["unread"]

    stranger = make_staff("nurse", ward=make_ward())
    assert client_for(stranger).get(f"/api/v1/cases/{case.uuid}/education/").status_code == 404
    assert str(case.uuid) not in {r["case"] for r in client_for(stranger).get(
        "/api/v1/education/reading-status/").json()["results"]}
    assert client_for(stranger).get("/api/v1/education/reading-status/",
                                    {"ward": str(ward.uuid)}).status_code == 400
    assert client_for(account).get(f"/api/v1/cases/{case.uuid}/education/").status_code in (401, 403)
