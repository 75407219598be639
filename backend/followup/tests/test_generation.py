"""F2, F4, Y8: tasks are created from the plan when their follow-up date has come, anchored on the operation or
the actual discharge; running the job again creates nothing new."""

import pytest

from cases.models import CaseState
from followup import services
from followup.models import FollowupTask, TaskStatus
from followup.tests.conftest import back_date, event_types
from tests.builders import make_case


@pytest.mark.req("F2", "F4", "Y8")
@pytest.mark.django_db
def test_due_points_become_tasks_once(discharged, ward, doctor):
    due = discharged(hours_ago=25)  # the default plan's d1 point (discharge + 24 h) has come, d7 / d30 not yet
    fresh = discharged(hours_ago=2)  # discharged two hours ago: nothing due yet
    booked = make_case("booked", ward=ward, surgeon=doctor)  # not operated: never
    week = discharged(hours_ago=24 * 8)  # d1 and d7 due (d1 more than the grace period late? no: 7 days)

    stats = services.tasks_generate()
    assert stats["errors"] == 0
    assert list(FollowupTask.objects.filter(case=due).values_list("point_key", "status")) == [
        ("d1", TaskStatus.PENDING)]
    assert not FollowupTask.objects.filter(case__in=[fresh, booked]).exists()
    assert sorted(FollowupTask.objects.filter(case=week).values_list("point_key", flat=True)) == ["d7"]  # d1 too late
    task = FollowupTask.objects.get(case=due)
    assert task.due_at == due.discharged_at + __import__("datetime").timedelta(hours=24)  # anchored on the discharge
    assert task.assignment is not None and task.assignment.source == "followup"
    due.refresh_from_db()
    assert due.state == CaseState.FOLLOW_UP  # the first follow-up starts the case's follow-up phase
    assert event_types(due) == ["followup.task.created"]
    created = due.events.get(type="followup.task.created").payload
    assert created["task"] == str(task.uuid) and created["time_point"] == "d1" and created["due_at"]

    # Idempotent: a second run (and a third) creates nothing new.
    assert services.tasks_generate()["created"] == 0
    assert FollowupTask.objects.count() == 2
    assert event_types(due) == ["followup.task.created"]

    # Time passes for the fresh case: it enters the list by its follow-up date.
    back_date(fresh, operated_hours_ago=27, discharged_hours_ago=25)
    assert services.tasks_generate()["created"] == 1
    assert FollowupTask.objects.filter(case=fresh, point_key="d1").exists()


@pytest.mark.req("Y8", "F2")
@pytest.mark.django_db
def test_a_hospitals_plan_for_the_procedure_replaces_the_default(discharged, hospital, nurse, client_for):
    from catalog.models import Procedure

    procedure = Procedure.objects.create(code="53.0000", name="腹股沟疝修补术", grade=2, incision_class="Ⅰ类")
    case = discharged(hours_ago=5)
    case.procedure = procedure
    case.save(update_fields=["procedure"])
    admin = __import__("tests.builders", fromlist=["make_staff"]).make_staff("hospital_admin",
                                                                             department=case.ward.department)
    api = client_for(admin)
    res = api.post("/api/v1/followup/plans/", {
        "procedure": str(procedure.uuid), "name": "疝修补术后随访",
        "points": [{"key": "h4", "label": "术后4小时", "anchor": "surgery", "offset_hours": 4,
                    "tiers": ["selfreport", "manual"]}]}, format="json")
    assert res.status_code == 201, res.json()
    assert res.json()["points"][0]["voice_hours"] == 4 and res.json()["version"] == 1
    services.tasks_generate()
    task = FollowupTask.objects.get(case=case)
    assert (task.point_key, task.tiers, task.anchor) == ("h4", ["selfreport", "manual"], "surgery")
    assert task.plan.uuid.hex == res.json()["uuid"].replace("-", "")

    # Versioned: an edit bumps the version, the task keeps the version it came from.
    plan_url = f"/api/v1/followup/plans/{res.json()['uuid']}/"
    edited = api.patch(plan_url, {"name": "疝修补术后随访（新）"}, format="json")
    assert edited.status_code == 200 and edited.json()["version"] == 2
    assert [v["version"] for v in api.get(plan_url + "versions/").json()] == [2, 1]
    task.refresh_from_db()
    assert task.plan_version == 1

    # Bad points are refused with a field message; the platform default cannot be changed by a hospital.
    bad = api.post("/api/v1/followup/plans/", {"name": "x", "points": [{"key": "A B", "label": "x",
                                                                         "anchor": "surgery", "offset_hours": 1}]},
                   format="json")
    assert bad.status_code == 400 and "points" in bad.json()["error"]["fields"]
    bad = api.post("/api/v1/followup/plans/", {"name": "x", "points": [
        {"key": "a", "label": "x", "anchor": "admission", "offset_hours": 1}]}, format="json")
    assert bad.status_code == 400
    default = next(p for p in api.get("/api/v1/followup/plans/").json() if p["is_default"])
    refused = api.patch(f"/api/v1/followup/plans/{default['uuid']}/", {"name": "改"}, format="json")
    assert refused.status_code == 403
    # A nurse may read the plans but not change them.
    assert client_for(nurse).get("/api/v1/followup/plans/").status_code == 200


@pytest.mark.req("F4")
@pytest.mark.django_db
def test_an_outpatient_goes_home_after_the_operation(form, doctor):
    from org.models import ManagementMode
    from tests.builders import make_ward

    clinic = make_ward(mode=ManagementMode.OUTPATIENT, department=doctor.department, code="OPS-1", name="门诊手术室")
    case = back_date(make_case("operated", ward=clinic, surgeon=doctor), operated_hours_ago=26)
    assert case.discharged_at is None
    assert services.tasks_generate()["created"] == 1
    task = FollowupTask.objects.get(case=case)
    assert task.point_key == "d1" and task.anchor_at == case.operated_at  # "discharge" = leaving after the operation
    case.refresh_from_db()
    assert case.state == CaseState.FOLLOW_UP


@pytest.mark.req("F1")
@pytest.mark.django_db
def test_closing_the_case_ends_its_open_follow_ups(discharged):
    case = discharged()
    services.tasks_generate()
    assert services.tasks_cancel_for_case(case=case, reason="case closed") == 1
    task = FollowupTask.objects.get(case=case)
    assert task.status == TaskStatus.CANCELLED and task.step_deadline_at is None
    done = case.events.get(type="followup.task.completed").payload
    assert done["task"] == str(task.uuid) and done["outcome"] == "cancelled"
    assert task.assignment_id  # the patient's form is withdrawn with the task, not left open in the app
    task.assignment.refresh_from_db()
    assert task.assignment.status == "cancelled"
    assert case.events.filter(type="forms.assignment.cancelled").count() == 1
    assert services.tasks_cancel_for_case(case=case) == 0
