"""Users and permissions administration (Y1, Y2): masked ID numbers, enabled flag, departments and wards,
role and per-user grants that take effect at once, audited with before/after."""

import pytest

from accounts.models import FunctionPermission, Role, User
from audit.models import AuditEntry
from tests.builders import admin_token, make_department, make_staff, make_ward, staff_token, valid_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return make_staff("hospital_admin")


@pytest.fixture
def client(api_client, admin):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(admin)}")
    return api_client


@pytest.mark.req("Y1")
def test_id_numbers_are_masked_in_list_and_detail(client):
    id_number = valid_id_number(birth="19851212")
    doctor = make_staff("doctor", id_number=id_number, name="李医生")
    listing = client.get("/api/v1/users/", {"q": "李医生"})
    assert listing.status_code == 200
    assert id_number not in listing.content.decode()
    assert doctor.phone not in listing.content.decode()
    row = listing.json()["results"][0]
    assert row["id_number"] == id_number[:4] + "*" * 10 + id_number[-4:]
    assert row["phone"] == doctor.phone[:3] + "****" + doctor.phone[-4:]
    detail = client.get(f"/api/v1/users/{row['uuid']}/")
    assert detail.status_code == 200
    assert id_number not in detail.content.decode()


@pytest.mark.req("Y1")
def test_create_and_update_users_with_department_wards_roles_and_enabled_flag(client, admin):
    department = make_department(name="眼科")
    ward = make_ward(department=department)
    other_ward = make_ward()
    id_number = valid_id_number()
    r = client.post("/api/v1/users/", {
        "phone": "13911112222", "name": "王护士", "id_number": id_number, "department": str(department.uuid),
        "wards": [str(ward.uuid)], "roles": ["nurse"], "management_modes": ["centre"],
    }, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["department"]["code"] == department.code
    assert [w["uuid"] for w in body["wards"]] == [str(ward.uuid)]
    assert body["roles"] == ["nurse"] and body["is_active"] is True
    assert id_number not in r.content.decode()
    user = User.objects.get(uuid=body["uuid"])
    created = AuditEntry.objects.get(action="config", target_id=str(user.uuid), detail="user_create")
    assert created.after["department"] == department.code and id_number not in str(created.after)

    r = client.patch(f"/api/v1/users/{user.uuid}/", {"wards": [str(other_ward.uuid)], "is_active": False},
                     format="json")
    assert r.status_code == 200, r.content
    assert r.json()["is_active"] is False
    user.refresh_from_db()
    assert not user.is_active and list(user.wards.all()) == [other_ward]
    change = AuditEntry.objects.filter(target_id=str(user.uuid), detail="user_update").get()
    assert change.action == "config"
    assert change.before["is_active"] is True and change.after["is_active"] is False
    assert change.before["wards"] == [ward.code] and change.after["wards"] == [other_ward.code]
    assert change.actor_id == str(admin.uuid)

    # The disabled user is locked out at once.
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {staff_token(user)}").status_code == 401

    r = client.patch(f"/api/v1/users/{user.uuid}/", {"roles": ["anaesthetist"]}, format="json")
    assert AuditEntry.objects.filter(target_id=str(user.uuid), action="permission").exists()
    assert r.json()["roles"] == ["anaesthetist"]


@pytest.mark.req("Y1")
@pytest.mark.parametrize("payload, field", [
    ({"name": "x", "department": "not-a-uuid"}, "department"),
    ({"name": "x", "wards": ["00000000-0000-0000-0000-000000000000"]}, "wards"),
    ({"name": "x", "roles": ["wizard"]}, "roles"),
    ({"name": "x", "management_modes": ["space"]}, "management_modes"),
    ({"name": "x", "id_number": "110105198001010000"}, "id_number"),
    ({"name": "x", "phone": "555"}, "phone"),
    ({}, "name"),
])
def test_bad_user_input_is_a_field_error(client, payload, field):
    r = client.post("/api/v1/users/", payload, format="json")
    assert r.status_code == 400, r.content
    assert field in r.json()["error"]["fields"]


@pytest.mark.req("Y1")
def test_duplicate_phone_and_self_disable_are_refused(client, admin):
    other = make_staff()
    r = client.post("/api/v1/users/", {"name": "重复", "phone": other.phone}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "phone_in_use"
    r = client.patch(f"/api/v1/users/{admin.uuid}/", {"is_active": False}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "cannot_disable_self"


@pytest.mark.req("Y1", "Y2")
def test_staff_without_the_permission_cannot_administer(api_client):
    doctor = make_staff("doctor")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(doctor)}")
    for url in ("/api/v1/users/", "/api/v1/permissions/", "/api/v1/roles/", "/api/v1/roles/doctor/permissions/"):
        assert api_client.get(url).status_code == 403, url
    assert api_client.put("/api/v1/roles/doctor/permissions/", {"permissions": ["accounts.manage_users"]},
                          format="json").status_code == 403
    assert not Role.objects.get(slug="doctor").permissions.filter(slug="accounts.manage_users").exists()
    api_client.credentials()
    assert api_client.get("/api/v1/users/").status_code == 401


@pytest.mark.req("Y2")
def test_declared_permissions_and_role_grants_are_listed(client):
    perms = client.get("/api/v1/permissions/").json()
    slugs = {p["slug"] for p in perms}
    assert {"accounts.manage_users", "accounts.manage_permissions", "org.view_all_wards"} <= slugs
    assert all(p["context"] == p["slug"].split(".")[0] for p in perms)
    roles = {r["slug"]: r for r in client.get("/api/v1/roles/").json()}
    assert set(roles) == {"doctor", "nurse", "anaesthetist", "followup_nurse", "hospital_admin", "quality_manager"}
    assert "accounts.manage_users" in roles["hospital_admin"]["permissions"]


@pytest.mark.req("Y2")
def test_role_grant_takes_effect_on_the_next_request_and_is_audited(client, api_client):
    from rest_framework.test import APIClient

    doctor = make_staff("doctor")
    doctor_client = APIClient()
    doctor_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(doctor)}")
    assert doctor_client.get("/api/v1/users/").status_code == 403

    before = client.get("/api/v1/roles/doctor/permissions/").json()["permissions"]
    r = client.put("/api/v1/roles/doctor/permissions/",
                   {"permissions": before + ["accounts.manage_users"]}, format="json")
    assert r.status_code == 200, r.content
    assert "accounts.manage_users" in r.json()["permissions"]
    assert doctor_client.get("/api/v1/users/").status_code == 200  # same token, new grant

    entry = AuditEntry.objects.get(action="permission", target_type="accounts.role", target_id="doctor")
    assert entry.before == {"permissions": sorted(before)}
    assert "accounts.manage_users" in entry.after["permissions"]

    r = client.put("/api/v1/roles/doctor/permissions/", {"permissions": before}, format="json")
    assert doctor_client.get("/api/v1/users/").status_code == 403  # revoked at once


@pytest.mark.req("Y2")
def test_per_user_extra_grant_takes_effect_and_is_audited(client):
    from rest_framework.test import APIClient

    nurse = make_staff("nurse")
    other_nurse = make_staff("nurse")
    nurse_client = APIClient()
    nurse_client.credentials(HTTP_AUTHORIZATION=f"Bearer {staff_token(nurse)}")
    me = nurse_client.get("/api/v1/auth/me/").json()
    assert "org.view_all_wards" not in me["permissions"] and me["all_wards"] is False

    r = client.put(f"/api/v1/users/{nurse.uuid}/permissions/", {"permissions": ["org.view_all_wards"]}, format="json")
    assert r.status_code == 200, r.content
    me = nurse_client.get("/api/v1/auth/me/").json()
    assert "org.view_all_wards" in me["permissions"] and me["all_wards"] is True
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {staff_token(other_nurse)}")
    assert other.get("/api/v1/auth/me/").json()["all_wards"] is False  # per user, not per role

    entry = AuditEntry.objects.get(action="permission", target_id=str(nurse.uuid))
    assert entry.before == {"extra_permissions": []} and entry.after == {"extra_permissions": ["org.view_all_wards"]}
    assert client.get(f"/api/v1/users/{nurse.uuid}/permissions/").json() == {"permissions": ["org.view_all_wards"]}

    r = client.put(f"/api/v1/users/{nurse.uuid}/permissions/", {"permissions": ["no.such_permission"]},
                   format="json")
    assert r.status_code == 400 and "permissions" in r.json()["error"]["fields"]


@pytest.mark.req("Y2")
def test_user_manager_cannot_escalate_through_roles_or_grants(api_client):
    manager = make_staff("nurse")
    manager.extra_permissions.add(FunctionPermission.objects.get(slug="accounts.manage_users"))
    target = make_staff("nurse")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(manager)}")
    assert api_client.get("/api/v1/users/").status_code == 200
    r = api_client.patch(f"/api/v1/users/{target.uuid}/", {"roles": ["hospital_admin"]}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "role_escalation"
    assert list(target.roles.values_list("slug", flat=True)) == ["nurse"]
    r = api_client.put(f"/api/v1/users/{target.uuid}/permissions/", {"permissions": ["org.view_all_wards"]},
                       format="json")
    assert r.status_code == 403
    # A role whose permissions the manager holds may be assigned.
    r = api_client.patch(f"/api/v1/users/{target.uuid}/", {"roles": ["nurse"], "name": "改名"}, format="json")
    assert r.status_code == 200 and r.json()["name"] == "改名"


@pytest.mark.req("Y1")
def test_user_list_filters(client):
    ward = make_ward()
    in_ward = make_staff("anaesthetist", ward=ward)
    make_staff("anaesthetist")
    disabled = make_staff("doctor", is_active=False)
    r = client.get("/api/v1/users/", {"ward": str(ward.uuid)}).json()
    assert [u["uuid"] for u in r["results"]] == [str(in_ward.uuid)]
    r = client.get("/api/v1/users/", {"is_active": "false"}).json()
    assert str(disabled.uuid) in {u["uuid"] for u in r["results"]}
    assert all(not u["is_active"] for u in r["results"])
    r = client.get("/api/v1/users/", {"role": "anaesthetist"}).json()
    assert r["count"] == 2
    assert client.get("/api/v1/users/", {"ward": "nope"}).status_code == 400
    assert client.get("/api/v1/users/00000000-0000-0000-0000-000000000000/").status_code == 404


@pytest.mark.req("Y2")
def test_user_manager_cannot_take_over_a_more_privileged_account(api_client):
    """Re-pointing an administrator's phone to one's own would be a login as that administrator."""
    manager = make_staff("nurse")
    manager.extra_permissions.add(FunctionPermission.objects.get(slug="accounts.manage_users"))
    hospital_admin = make_staff("hospital_admin")
    superuser = make_staff("nurse", is_superuser=True)
    peer = make_staff("nurse")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(manager)}")
    for target in (hospital_admin, superuser):
        phone = target.phone
        r = api_client.patch(f"/api/v1/users/{target.uuid}/", {"phone": manager.phone[:-1] + "9"}, format="json")
        assert r.status_code == 403 and r.json()["error"]["code"] == "user_escalation", r.content
        r = api_client.patch(f"/api/v1/users/{target.uuid}/", {"is_active": False}, format="json")
        assert r.status_code == 403
        target.refresh_from_db()
        assert target.phone == phone and target.is_active
    # an account holding nothing beyond the manager's permissions may still be changed
    r = api_client.patch(f"/api/v1/users/{peer.uuid}/", {"title": "主管护师"}, format="json")
    assert r.status_code == 200, r.content
    # a holder of accounts.manage_permissions may change the administrator, not the superuser
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(make_staff('hospital_admin'))}")
    assert api_client.patch(f"/api/v1/users/{hospital_admin.uuid}/", {"title": "主任"}, format="json").status_code == 200
    assert api_client.patch(f"/api/v1/users/{superuser.uuid}/", {"title": "主任"}, format="json").status_code == 403


@pytest.mark.req("Y1")
def test_user_list_queries_do_not_grow_with_the_rows(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/users/", {"page_size": 50}).status_code == 200
        return len(ctx.captured_queries)

    ward = make_ward()
    make_staff("doctor", ward=ward)
    count()  # the first request of the session also records its activity
    few = count()
    for _ in range(8):
        user = make_staff("nurse", ward=make_ward())
        user.wards.add(ward)
        user.extra_permissions.add(FunctionPermission.objects.get(slug="org.view_all_wards"))
    assert count() == few
