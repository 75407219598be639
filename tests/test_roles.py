"""U3: nurses, doctors, anaesthetists and follow-up nurses get the views and actions of their duties."""

import pytest
from rest_framework.test import APIClient

from tests.builders import authenticate, make_case, make_staff, make_ward

pytestmark = [pytest.mark.django_db, pytest.mark.req("U3")]


@pytest.fixture
def ward_team():
    ward = make_ward()
    return ward, {role: make_staff(role, ward=ward) for role in ("doctor", "nurse", "anaesthetist", "followup_nurse")}


def _client(user):
    return authenticate(APIClient(), user)


def test_each_role_holds_the_permissions_of_its_duties(ward_team):
    _, team = ward_team
    perms = {
        role: set(_client(user).get("/api/v1/auth/me/").json()["permissions"])
        for role, user in team.items()
    }
    assert "cases.record_preop_assessment" in perms["doctor"] - perms["nurse"]
    assert "cases.record_no_show" in perms["nurse"] - perms["doctor"]
    assert "cases.record_anaesthesia_clinic" in perms["anaesthetist"] - perms["doctor"] - perms["nurse"]
    assert "cases.follow_up" in perms["followup_nurse"]
    assert "cases.admit_discharge" not in perms["followup_nurse"]


def test_the_case_offers_each_role_only_its_own_actions(ward_team):
    ward, team = ward_team
    case = make_case("application_sent", ward=ward)
    offered = {
        role: set(_client(user).get(f"/api/v1/cases/{case.uuid}/").json()["available_transitions"])
        for role, user in team.items()
    }
    assert "theatre-scheduled" in offered["nurse"]
    assert "theatre-scheduled" not in offered["doctor"]
    assert "roll-back-application" in offered["doctor"] & offered["nurse"]
    assert offered["followup_nurse"] == set()  # nothing to do before the operation


def test_actions_outside_a_role_are_refused_and_inside_it_succeed(ward_team):
    ward, team = ward_team
    booked = make_case("booked", ward=ward)
    url = f"/api/v1/cases/{booked.uuid}/milestones/"

    nurse = _client(team["nurse"])
    res = nurse.post(url, {"milestone": "preop_assessment", "status": "passed"}, format="json")
    assert res.status_code == 403 and res.json()["error"]["code"] == "permission_denied"
    doctor = _client(team["doctor"])
    assert doctor.post(url, {"milestone": "preop_assessment", "status": "passed"}, format="json").status_code == 200

    res = doctor.post(url, {"milestone": "anaesthesia_clinic", "status": "passed"}, format="json")
    assert res.status_code == 403
    anaesthetist = _client(team["anaesthetist"])
    assert anaesthetist.post(url, {"milestone": "anaesthesia_clinic", "status": "passed"}, format="json").status_code == 200

    sent = make_case("application_sent", ward=ward)
    scheduled_url = f"/api/v1/cases/{sent.uuid}/theatre-scheduled/"
    assert doctor.post(scheduled_url, {}, format="json").status_code == 403
    res = nurse.post(scheduled_url, {}, format="json")
    assert res.status_code == 200, res.json()
    assert res.json()["state"] == "scheduled"
