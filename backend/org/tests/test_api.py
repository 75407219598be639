"""Organisation API: CRUD with management modes (Y4), one deployment of many departments and wards (U1)."""

import uuid

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEntry
from org.models import ManagementMode, TheatreSession, Ward
from tests.builders import authenticate, make_department, make_hospital, make_staff, make_ward

pytestmark = pytest.mark.django_db


def client_for(user):
    return authenticate(APIClient(), user)


@pytest.fixture
def admin():
    return make_staff("hospital_admin")


@pytest.fixture
def admin_client(admin):
    return authenticate(APIClient(), admin, amr=("otp", "pwd"))  # configuration is changed from the admin web


@pytest.mark.req("Y4")
def test_ward_crud_with_management_mode_is_audited(admin, admin_client):
    department = make_department(name="眼科")
    res = admin_client.post(
        "/api/v1/wards/",
        {"department": str(department.uuid), "name": "眼科日间病房", "code": "EYE-D", "management_mode": "ward"},
        format="json",
    )
    assert res.status_code == 201, res.json()
    body = res.json()
    ward_uuid = body["uuid"]
    assert body["management_mode"] == "ward" and body["department"] == str(department.uuid)
    created = AuditEntry.objects.get(action="config", target_id=ward_uuid, before__isnull=True)
    assert created.actor_id == str(admin.uuid) and created.after["code"] == "EYE-D"

    res = admin_client.patch(f"/api/v1/wards/{ward_uuid}/", {"management_mode": "centre"}, format="json")
    assert res.status_code == 200 and res.json()["management_mode"] == "centre"
    update = AuditEntry.objects.filter(action="config", target_id=ward_uuid).exclude(before__isnull=True).get()
    assert update.before["management_mode"] == "ward" and update.after["management_mode"] == "centre"

    assert admin_client.get(f"/api/v1/wards/{ward_uuid}/").json()["name"] == "眼科日间病房"
    assert admin_client.delete(f"/api/v1/wards/{ward_uuid}/").status_code == 204
    assert not Ward.objects.filter(uuid=ward_uuid).exists()
    deleted = AuditEntry.objects.get(action="config", target_id=ward_uuid, after__isnull=True)
    assert deleted.before["name"] == "眼科日间病房"


@pytest.mark.req("U1", "U2")
def test_one_deployment_serves_many_departments_and_wards_of_every_mode(admin_client):
    hospital, _ = make_hospital()
    for i, mode in enumerate(list(ManagementMode.values) * 3):
        department = make_department(name=f"科室{i}", hospital=hospital)
        make_ward(mode=mode, department=department, code=f"U1-{i:02d}")
    res = admin_client.get("/api/v1/wards/", {"page_size": 100})
    assert res.status_code == 200
    rows = [w for w in res.json()["results"] if w["code"].startswith("U1-")]
    assert len(rows) == 9
    assert {w["management_mode"] for w in rows} == set(ManagementMode.values)
    assert len({w["department"] for w in rows}) == 9
    outpatient = admin_client.get("/api/v1/wards/", {"management_mode": "outpatient", "page_size": 100}).json()
    assert {w["management_mode"] for w in outpatient["results"]} == {"outpatient"}
    assert len([w for w in outpatient["results"] if w["code"].startswith("U1-")]) == 3
    department = make_department(name="筛选科室", hospital=hospital)
    make_ward(department=department, code="U1-F")
    only = admin_client.get("/api/v1/wards/", {"department": str(department.uuid)}).json()
    assert [w["code"] for w in only["results"]] == ["U1-F"]


def test_reads_need_org_view_and_writes_need_org_manage():
    ward = make_ward()
    anonymous = APIClient()
    assert anonymous.get("/api/v1/wards/").status_code == 401
    nurse = client_for(make_staff("nurse", ward=ward))
    assert nurse.get("/api/v1/wards/").status_code == 200
    res = nurse.post(
        "/api/v1/wards/",
        {"department": str(ward.department.uuid), "name": "x", "code": "NOPE", "management_mode": "ward"},
        format="json",
    )
    assert res.status_code == 403 and res.json()["error"]["code"] == "permission_denied"
    assert nurse.delete(f"/api/v1/wards/{ward.uuid}/").status_code == 403
    assert Ward.objects.filter(pk=ward.pk).exists() and not Ward.objects.filter(code="NOPE").exists()


def test_disabled_user_is_refused(admin):
    client = client_for(admin)
    admin.is_active = False
    admin.save()
    assert client.get("/api/v1/wards/").status_code in (401, 403)


def test_duplicate_codes_are_field_messages(admin_client):
    ward = make_ward(code="DUP-1")
    res = admin_client.post(
        "/api/v1/wards/",
        {"department": str(ward.department.uuid), "name": "重复", "code": "DUP-1", "management_mode": "centre"},
        format="json",
    )
    assert res.status_code == 400
    assert "code" in res.json()["error"]["fields"]
    hospital, _ = make_hospital()
    first = admin_client.post("/api/v1/departments/", {"hospital": str(hospital.uuid), "name": "骨科", "code": "ORTHO"},
                              format="json")
    assert first.status_code == 201
    again = admin_client.post("/api/v1/departments/", {"hospital": str(hospital.uuid), "name": "骨科2", "code": "ORTHO"},
                              format="json")
    assert again.status_code == 400 and "code" in again.json()["error"]["fields"]


def test_theatre_suite_room_and_sessions(admin_client):
    suite = admin_client.post("/api/v1/theatre-suites/", {"name": "日间手术室", "code": "TS1"}, format="json").json()
    room = admin_client.post("/api/v1/theatre-rooms/", {"suite": suite["uuid"], "name": "1号间", "code": "R1"},
                             format="json")
    assert room.status_code == 201
    room = room.json()
    ok = admin_client.post(
        "/api/v1/theatre-sessions/",
        {"room": room["uuid"], "weekday": 0, "start_time": "08:00", "end_time": "12:00"},
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["weekday_display"]
    bad = admin_client.post(
        "/api/v1/theatre-sessions/",
        {"room": room["uuid"], "weekday": 0, "start_time": "12:00", "end_time": "08:00"},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "validation_error"
    assert bad.json()["error"]["fields"]["end_time"] == ["开放时段的结束时间必须晚于开始时间。"]
    english = admin_client.post(
        "/api/v1/theatre-sessions/",
        {"room": room["uuid"], "weekday": 0, "start_time": "12:00", "end_time": "08:00"},
        format="json", HTTP_ACCEPT_LANGUAGE="en",
    )
    assert english.json()["error"]["fields"]["end_time"] == ["The session must end after it starts."]
    # A partial update that would invert the session is refused the same way, not by the database.
    flip = admin_client.patch(f"/api/v1/theatre-sessions/{ok.json()['uuid']}/", {"end_time": "07:00"}, format="json")
    assert flip.status_code == 400 and "end_time" in flip.json()["error"]["fields"]
    assert TheatreSession.objects.count() == 1
    listed = admin_client.get("/api/v1/theatre-sessions/", {"suite": suite["uuid"]}).json()
    assert [s["room"] for s in listed["results"]] == [room["uuid"]]
    # The suite is in use by the room: deleting it is a conflict, not a server error.
    res = admin_client.delete(f"/api/v1/theatre-suites/{suite['uuid']}/")
    assert res.status_code == 409 and res.json()["error"]["code"] == "in_use"
    # A room with sessions is not deleted (it would silently take its sessions with it).
    assert admin_client.delete(f"/api/v1/theatre-rooms/{room['uuid']}/").status_code == 409
    assert TheatreSession.objects.count() == 1


def test_ward_with_beds_or_staff_is_not_deleted(admin_client):
    ward = make_ward()
    make_staff("nurse", ward=ward)
    res = admin_client.delete(f"/api/v1/wards/{ward.uuid}/")
    assert res.status_code == 409 and res.json()["error"]["code"] == "in_use"
    assert Ward.objects.filter(pk=ward.pk).exists()
    res = admin_client.patch(f"/api/v1/wards/{ward.uuid}/", {"is_active": False}, format="json")
    assert res.status_code == 200 and res.json()["is_active"] is False


def test_medical_group_with_leader_and_members(admin_client):
    department = make_department()
    leader = make_staff("doctor", department=department, name="张主任")
    members = [make_staff("doctor", department=department) for _ in range(2)]
    res = admin_client.post(
        "/api/v1/medical-groups/",
        {"department": str(department.uuid), "name": "张组", "leader": str(leader.uuid),
         "members": [str(m.uuid) for m in members]},
        format="json",
    )
    assert res.status_code == 201, res.json()
    group = res.json()
    assert group["leader_name"] == "张主任" and sorted(group["members"]) == sorted(str(m.uuid) for m in members)
    res = admin_client.patch(f"/api/v1/medical-groups/{group['uuid']}/", {"members": [str(members[0].uuid)]},
                             format="json")
    assert res.json()["members"] == [str(members[0].uuid)]
    by_member = admin_client.get("/api/v1/medical-groups/", {"member": str(members[1].uuid)}).json()
    assert by_member["count"] == 0


def test_bad_references_and_unknown_rows_are_4xx(admin_client):
    res = admin_client.post(
        "/api/v1/beds/", {"ward": "not-a-uuid", "code": "1"}, format="json"
    )
    assert res.status_code == 400 and "ward" in res.json()["error"]["fields"]
    res = admin_client.post("/api/v1/beds/", {"ward": str(uuid.uuid4()), "code": "1"}, format="json")
    assert res.status_code == 400 and "ward" in res.json()["error"]["fields"]
    assert admin_client.get(f"/api/v1/beds/{uuid.uuid4()}/").status_code == 404
    assert admin_client.get("/api/v1/wards/", {"department": "zzz"}).status_code == 400
    ward = make_ward()
    assert admin_client.post("/api/v1/beds/", {"ward": str(ward.uuid), "code": "1"}, format="json").status_code == 201
    dup = admin_client.post("/api/v1/beds/", {"ward": str(ward.uuid), "code": "1"}, format="json")
    assert dup.status_code == 400 and "code" in dup.json()["error"]["fields"]


@pytest.mark.req("Y4")
def test_configuration_changes_need_the_admin_second_factor(admin):
    """A password-only or SMS-only login of an administrator reads the structure but cannot change it."""
    department = make_department()
    for amr in (("otp",), ("pwd",)):
        client = authenticate(APIClient(), admin, amr=amr)
        assert client.get("/api/v1/wards/").status_code == 200
        res = client.post("/api/v1/wards/", {"department": str(department.uuid), "name": "日间病房", "code": "W-2F",
                                             "management_mode": "ward"}, format="json")
        assert res.status_code == 403 and res.json()["error"]["code"] == "second_factor_required", res.content
    assert not Ward.objects.filter(code="W-2F").exists()


@pytest.mark.parametrize("url", ["/api/v1/wards/", "/api/v1/medical-groups/", "/api/v1/beds/",
                                 "/api/v1/departments/", "/api/v1/theatre-sessions/"])
def test_list_queries_do_not_grow_with_the_rows(admin_client, url):
    from datetime import time

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from org.models import Bed, MedicalGroup, TheatreRoom, TheatreSuite

    def add_rows(n):
        for _ in range(n):
            ward = make_ward()
            Bed.objects.create(ward=ward, code=f"B{ward.pk}")
            leader = make_staff("doctor", ward=ward)
            group = MedicalGroup.objects.create(department=ward.department, name=f"组{ward.pk}", leader=leader)
            group.members.add(leader, make_staff("doctor", ward=ward))
            suite = TheatreSuite.objects.create(name=f"手术室{ward.pk}", code=f"S{ward.pk}")
            room = TheatreRoom.objects.create(suite=suite, name="1号间", code="R1")
            TheatreSession.objects.create(room=room, weekday=1, start_time=time(8), end_time=time(12))

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert admin_client.get(url, {"page_size": 100}).status_code == 200
        return len(ctx.captured_queries)

    add_rows(1)
    count()  # the session's first request also records its activity
    few = count()
    add_rows(6)
    assert count() == few


def test_a_campus_of_another_hospital_is_refused_for_departments_and_wards(admin_client):
    from org.models import Campus

    home, _ = make_hospital()
    other, _ = make_hospital(code="H999")
    foreign_campus = Campus.objects.create(hospital=other, code="EAST", name="东院")
    res = admin_client.post(
        "/api/v1/departments/",
        {"hospital": str(home.uuid), "campus": str(foreign_campus.uuid), "name": "骨科", "code": "ORTH-X"},
        format="json",
    )
    assert res.status_code == 400 and "campus" in res.json()["error"]["fields"]
    department = make_department(hospital=home)
    ward = make_ward(department=department)
    res = admin_client.patch(f"/api/v1/wards/{ward.uuid}/", {"campus": str(foreign_campus.uuid)}, format="json")
    assert res.status_code == 400 and "campus" in res.json()["error"]["fields"]
    own_campus = Campus.objects.get(hospital=home, code="MAIN")
    res = admin_client.patch(f"/api/v1/wards/{ward.uuid}/", {"campus": str(own_campus.uuid)}, format="json")
    assert res.status_code == 200, res.json()
