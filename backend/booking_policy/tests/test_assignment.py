"""B5: the day-before to-do for bookings under a virtual surgeon, and the assignment of the real surgeon."""

from datetime import timedelta

import pytest
from django.utils import timezone

from booking_policy.models import AssignmentStatus, SurgeonAssignmentTask
from booking_policy.tasks import surgeon_assignment_todos
from booking_policy.tests.helpers import make_procedure
from cases.models import CaseEvent
from cases.services import case_transition
from tests.builders import authenticate, make_case, make_department, make_staff, make_ward

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    dept = make_department(name="普外科")
    ward = make_ward(department=dept)
    virtual = make_staff("doctor", department=dept, name="虚拟医生", is_virtual=True)
    tomorrow = timezone.localdate() + timedelta(days=1)
    return {
        "dept": dept, "ward": ward, "virtual": virtual, "tomorrow": tomorrow,
        "nurse": make_staff("nurse", ward=ward), "real": make_staff("doctor", ward=ward, name="李医生"),
        "case": make_case("booked", ward=ward, surgeon=virtual, planned_date=tomorrow),
    }


@pytest.mark.req("B5")
def test_the_daily_job_lists_tomorrows_virtual_bookings_once(w):
    make_case("booked", ward=w["ward"], surgeon=w["virtual"], planned_date=w["tomorrow"] + timedelta(days=1))
    make_case("booked", ward=w["ward"], surgeon=w["real"], planned_date=w["tomorrow"])
    assert surgeon_assignment_todos.delay().get() == {"opened": 1, "cancelled": 0}
    assert surgeon_assignment_todos.delay().get() == {"opened": 0, "cancelled": 0}  # idempotent
    task = SurgeonAssignmentTask.objects.get()
    assert task.case_id == w["case"].pk and task.status == AssignmentStatus.OPEN
    assert task.virtual_surgeon == w["virtual"] and task.planned_date == w["tomorrow"]

    case_transition(case=w["case"], transition="cancel", actor=None, reason_code="patient_request")
    assert surgeon_assignment_todos.delay().get() == {"opened": 0, "cancelled": 1}


@pytest.mark.req("B5")
def test_the_to_do_list_is_the_wards_own(api_client, w):
    surgeon_assignment_todos.delay()
    authenticate(api_client, w["nurse"])
    rows = api_client.get("/api/v1/surgeon-assignments/?status=open").json()["results"]
    assert [r["case"]["uuid"] for r in rows] == [str(w["case"].uuid)]
    assert rows[0]["virtual_surgeon"]["name"] == "虚拟医生"
    stranger = make_staff("nurse", ward=make_ward())
    authenticate(api_client, stranger)
    assert api_client.get("/api/v1/surgeon-assignments/?status=open").json()["results"] == []
    assert api_client.post(f"/api/v1/cases/{w['case'].uuid}/assign-surgeon/",
                           {"surgeon": str(w["real"].uuid)}, format="json").status_code == 404


@pytest.mark.req("B5")
def test_assigning_the_real_surgeon_records_who_assigned_whom(api_client, w):
    surgeon_assignment_todos.delay()
    authenticate(api_client, w["nurse"])
    url = f"/api/v1/cases/{w['case'].uuid}/assign-surgeon/"
    other_department = make_staff("doctor", department=make_department(name="骨科"))
    another_virtual = make_staff("doctor", department=w["dept"], is_virtual=True)
    for wrong in (other_department, another_virtual):
        response = api_client.post(url, {"surgeon": str(wrong.uuid)}, format="json")
        assert response.status_code == 400 and "surgeon" in response.json()["error"]["fields"]

    response = api_client.post(url, {"surgeon": str(w["real"].uuid)}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["surgeon"]["uuid"] == str(w["real"].uuid)
    assert body["virtual_surgeon"]["uuid"] == str(w["virtual"].uuid)
    assert body["surgeon_assigned_by"]["uuid"] == str(w["nurse"].uuid) and body["surgeon_assigned_at"]
    event = CaseEvent.objects.get(case=w["case"], type="cases.case.surgeon_assigned")
    assert event.actor_name == w["nurse"].name
    assert event.payload["from"]["name"] == "虚拟医生" and event.payload["to"]["name"] == "李医生"

    done = api_client.get("/api/v1/surgeon-assignments/?status=done").json()["results"]
    assert len(done) == 1 and done[0]["assigned_surgeon"]["name"] == "李医生"
    assert done[0]["assigned_by"]["name"] == w["nurse"].name
    assert api_client.get("/api/v1/surgeon-assignments/?status=open").json()["results"] == []
    assert surgeon_assignment_todos.delay().get() == {"opened": 0, "cancelled": 0}  # stays done

    # A case booked with a real surgeon has nothing to assign.
    real_case = make_case("booked", ward=w["ward"], surgeon=w["real"], planned_date=w["tomorrow"])
    response = api_client.post(f"/api/v1/cases/{real_case.uuid}/assign-surgeon/", {"surgeon": str(w["real"].uuid)},
                               format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_virtual_booking"


@pytest.mark.req("B5")
def test_the_real_surgeon_must_be_admitted_to_the_procedure(api_client, w):
    from cases.models import SurgicalCase

    admitted = make_staff("doctor", ward=w["ward"])
    procedure = make_procedure(department=w["dept"], wards=[w["ward"]], admitted_doctors=[admitted])
    SurgicalCase.objects.filter(pk=w["case"].pk).update(procedure=procedure)
    authenticate(api_client, w["nurse"])
    url = f"/api/v1/cases/{w['case'].uuid}/assign-surgeon/"
    response = api_client.post(url, {"surgeon": str(w["real"].uuid)}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "surgeon_not_assignable"
    assert api_client.post(url, {"surgeon": str(admitted.uuid)}, format="json").status_code == 200
