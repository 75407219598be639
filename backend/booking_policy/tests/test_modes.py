"""B5 / Y12: group, cross-department and virtual booking need an administrator's grant; the history is queryable."""

from datetime import timedelta

import pytest
from django.utils import timezone

from booking_policy.errors import BookingModeNotAuthorised
from booking_policy.models import BookingModeGrant
from booking_policy.services import booking_mode_grant_create, booking_mode_resolve
from booking_policy.tests.helpers import draft_case
from cases.models import BookingMode, CaseEvent
from org.models import MedicalGroup
from tests.builders import admin_token, authenticate, make_department, make_staff, make_ward

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    dept = make_department(name="普外科")
    other = make_department(name="骨科", hospital=dept.hospital)
    ward = make_ward(department=dept)
    leader = make_staff("doctor", ward=ward, name="组长")
    member = make_staff("doctor", ward=ward, name="组员")
    group = MedicalGroup.objects.create(department=dept, name="普外一组", leader=leader)
    group.members.add(member)
    return {"dept": dept, "other": other, "ward": ward, "leader": leader, "member": member, "group": group,
            "admin": make_staff("hospital_admin")}


def _confirm(api_client, user, case):
    authenticate(api_client, user)
    return api_client.post(f"/api/v1/cases/{case.uuid}/confirm/", {}, format="json")


def _grant(api_client, admin, **body):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(admin)}")
    response = api_client.post("/api/v1/booking-mode-grants/", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.mark.req("B5", "Y12")
def test_group_booking_refused_without_a_grant_allowed_with_it_and_revoked(api_client, w):
    case = draft_case(ward=w["ward"], surgeon=w["leader"])
    refused = _confirm(api_client, w["member"], case)
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "booking_mode_not_authorised" and error["mode"] == "group"
    assert str(BookingMode.GROUP.label) in error["message"]

    grant = _grant(api_client, w["admin"], mode="group", grantee_kind="group", grantee_group=str(w["group"].uuid),
                   note="组员可为组长预约")
    booked = _confirm(api_client, w["member"], case)
    assert booked.status_code == 200, booked.json()
    assert booked.json()["booking_mode"] == "group"
    event = CaseEvent.objects.get(case=case, type="cases.case.booked")
    assert event.payload["booking_mode"] == "group"

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(w['admin'])}")
    revoked = api_client.post(f"/api/v1/booking-mode-grants/{grant['uuid']}/revoke/", {"reason": "组员调离"},
                              format="json")
    assert revoked.status_code == 200 and revoked.json()["revoked_by"]["name"] == w["admin"].name
    again = api_client.post(f"/api/v1/booking-mode-grants/{grant['uuid']}/revoke/", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_revoked"
    assert _confirm(api_client, w["member"], draft_case(ward=w["ward"], surgeon=w["leader"])).status_code == 403

    # The configuration history: who granted and revoked what, when.
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(w['admin'])}")
    history = api_client.get(f"/api/v1/booking-mode-grants/{grant['uuid']}/history/").json()["results"]
    assert [h["detail"] for h in history] == ["revoke booking mode", "grant booking mode"]
    assert all(h["actor_name"] == w["admin"].name for h in history)
    assert history[0]["before"]["revoked_at"] is None and history[0]["after"]["revoked_at"]
    assert history[1]["after"]["mode"] == "group" and history[1]["after"]["grantee_group"] == str(w["group"].uuid)
    listed = api_client.get("/api/v1/booking-mode-grants/?revoked=true").json()["results"]
    assert [g["uuid"] for g in listed] == [grant["uuid"]]
    assert len(api_client.get("/api/v1/booking-mode-grants/history/").json()["results"]) == 2


@pytest.mark.req("B5", "Y12")
def test_cross_department_booking_needs_a_grant_for_the_target_department(api_client, w):
    ortho_ward = make_ward(department=w["other"])
    ortho_surgeon = make_staff("doctor", ward=ortho_ward)
    w["member"].wards.add(ortho_ward)  # sees the orthopaedic ward, books for its surgeon
    case = draft_case(ward=ortho_ward, surgeon=ortho_surgeon)
    response = _confirm(api_client, w["member"], case)
    assert response.status_code == 403 and response.json()["error"]["mode"] == "cross_department"

    third = make_department(name="眼科", hospital=w["dept"].hospital)
    _grant(api_client, w["admin"], mode="cross_department", grantee_kind="department",
           grantee_department=str(w["dept"].uuid), target_department=str(third.uuid))
    assert _confirm(api_client, w["member"], case).status_code == 403  # granted for another department only

    _grant(api_client, w["admin"], mode="cross_department", grantee_kind="department",
           grantee_department=str(w["dept"].uuid), target_department=str(w["other"].uuid))
    response = _confirm(api_client, w["member"], case)
    assert response.status_code == 200 and response.json()["booking_mode"] == "cross_department"


@pytest.mark.req("B5", "Y12")
def test_virtual_booking_needs_a_grant_per_doctor(api_client, w):
    virtual = make_staff("doctor", department=w["dept"], name="虚拟医生", is_virtual=True)
    case = draft_case(ward=w["ward"], surgeon=virtual)
    response = _confirm(api_client, w["member"], case)
    assert response.status_code == 403 and response.json()["error"]["mode"] == "virtual"

    _grant(api_client, w["admin"], mode="virtual", grantee_kind="doctor", grantee_user=str(w["member"].uuid))
    response = _confirm(api_client, w["member"], case)
    assert response.status_code == 200 and response.json()["booking_mode"] == "virtual"
    # The grant is the doctor's, not the department's.
    with pytest.raises(BookingModeNotAuthorised):
        booking_mode_resolve(requester=w["leader"], surgeon=virtual)


@pytest.mark.req("B5")
def test_expired_and_future_grants_do_not_authorise(w):
    today = timezone.localdate()
    for valid_from, valid_until in ((None, today - timedelta(days=1)), (today + timedelta(days=1), None)):
        booking_mode_grant_create(actor=w["admin"], mode="group", grantee_kind="doctor", grantee_user=w["member"],
                                  valid_from=valid_from, valid_until=valid_until)
        with pytest.raises(BookingModeNotAuthorised):
            booking_mode_resolve(requester=w["member"], surgeon=w["leader"])
    booking_mode_grant_create(actor=w["admin"], mode="group", grantee_kind="doctor", grantee_user=w["member"],
                              valid_from=today, valid_until=today)
    assert booking_mode_resolve(requester=w["member"], surgeon=w["leader"]) == BookingMode.GROUP


@pytest.mark.req("B5")
def test_own_on_behalf_and_system_bookings(api_client, w):
    assert booking_mode_resolve(requester=w["leader"], surgeon=w["leader"]) == BookingMode.OWN
    nurse = make_staff("nurse", ward=w["ward"])  # day-surgery booking staff book for the surgeons
    response = _confirm(api_client, nurse, draft_case(ward=w["ward"], surgeon=w["member"]))
    assert response.status_code == 200 and response.json()["booking_mode"] == "on_behalf"
    # A colleague of the same department outside the surgeon's group is not booking staff.
    colleague = make_staff("doctor", ward=w["ward"])
    response = _confirm(api_client, colleague, draft_case(ward=w["ward"], surgeon=w["leader"]))
    assert response.status_code == 403 and response.json()["error"]["mode"] == "on_behalf"
    assert booking_mode_resolve(requester=None, surgeon=w["leader"]) == ""  # the system is not checked


@pytest.mark.req("Y12")
def test_grants_are_validated_and_need_the_manage_permission(api_client, w):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(w['admin'])}")
    bad = [
        ({"mode": "group", "grantee_kind": "group"}, "grantee_group"),
        ({"mode": "group", "grantee_kind": "doctor", "grantee_user": str(w["member"].uuid),
          "grantee_department": str(w["dept"].uuid)}, "grantee_department"),
        ({"mode": "group", "grantee_kind": "group", "grantee_group": str(w["group"].uuid),
          "target_department": str(w["other"].uuid)}, "target_department"),
        ({"mode": "virtual", "grantee_kind": "department", "grantee_department": str(w["dept"].uuid),
          "valid_from": "2030-01-02", "valid_until": "2030-01-01"}, "valid_until"),
        ({"mode": "own", "grantee_kind": "department", "grantee_department": str(w["dept"].uuid)}, "mode"),
    ]
    for body, field in bad:
        response = api_client.post("/api/v1/booking-mode-grants/", body, format="json")
        assert response.status_code == 400 and field in response.json()["error"]["fields"], (body, response.json())
    assert not BookingModeGrant.objects.exists()
    authenticate(api_client, w["member"])
    response = api_client.post("/api/v1/booking-mode-grants/", {"mode": "group", "grantee_kind": "doctor",
                                                                  "grantee_user": str(w["member"].uuid)}, format="json")
    assert response.status_code == 403
