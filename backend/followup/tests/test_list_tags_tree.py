"""F5 (the list and its filters), F6/Y13 (automatic and manual tags, counts per day), F7 (the plan tree)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from followup import services
from followup.models import CaseTag, FollowupTask, TaskStatus
from followup.tests.conftest import GOOD
from tests.builders import make_case, make_staff, make_ward


def _answer(task, answers, channel="mobile"):
    from forms.services import response_submit

    response = response_submit(assignment=task.assignment, answers=answers, channel=channel, actor=None)
    services.response_received(assignment_uuid=task.assignment.uuid, complete=response.complete)
    services.tags_from_response(response_uuid=response.uuid)
    return response


@pytest.mark.req("F5", "F6", "Y13")
@pytest.mark.django_db
def test_the_list_filters_and_the_tags(discharged, ward, nurse, client_for):
    painful, calm, waiting = discharged(), discharged(), discharged()
    services.tasks_generate()
    tasks = {c.pk: FollowupTask.objects.get(case=c) for c in (painful, calm, waiting)}
    _answer(tasks[painful.pk], {"pain": 8, "fever": "yes", "wound": "red"})
    _answer(tasks[calm.pk], GOOD)
    api = client_for(nurse)

    # Automatic tags: from the answers (the form's rules name pain and wound; the fever rule code maps to "fever")
    # and from the outcome (followed up).
    assert set(CaseTag.objects.filter(case=painful).values_list("code", flat=True)) == {
        "followed_up", "pain", "fever", "wound"}
    assert set(CaseTag.objects.filter(case=calm).values_list("code", flat=True)) == {"followed_up"}
    # Manual tags by staff; an automatic tag cannot be set by hand.
    res = api.post(f"/api/v1/cases/{calm.uuid}/followup-tags/", {"code": "revisit", "note": "门诊复查"},
                   format="json")
    assert res.status_code == 201 and res.json()["automatic"] is False
    assert api.post(f"/api/v1/cases/{calm.uuid}/followup-tags/", {"code": "pain"}, format="json").status_code == 409
    assert api.post(f"/api/v1/cases/{calm.uuid}/followup-tags/", {"code": "nope"}, format="json").status_code == 400
    assert calm.events.filter(type="followup.tag.added", payload__tag="revisit",
                              payload__automatic=False).exists()

    def codes(**params):
        res = api.get("/api/v1/followup/tasks/", params)
        assert res.status_code == 200, res.json()
        return {row["case"]["uuid"] for row in res.json()["results"]}

    everyone = {str(c.uuid) for c in (painful, calm, waiting)}
    assert codes() == everyone
    assert codes(status="completed") == {str(painful.uuid), str(calm.uuid)}
    assert codes(status=["pending"]) == {str(waiting.uuid)}
    assert codes(tag="pain") == {str(painful.uuid)}
    assert codes(tag=["revisit", "pain"]) == {str(painful.uuid), str(calm.uuid)}
    today = timezone.localdate()
    assert codes(date_from=today - timedelta(days=1), date_to=today) == everyone
    assert codes(date_from=today + timedelta(days=1)) == set()
    assert codes(ward=str(ward.uuid)) == everyone
    assert api.get("/api/v1/followup/tasks/", {"date_from": today, "date_to": today - timedelta(days=2)}
                   ).status_code == 400
    assert api.get("/api/v1/followup/tasks/", {"status": "bogus"}).status_code == 400
    row = next(r for r in api.get("/api/v1/followup/tasks/", {"tag": "pain"}).json()["results"])
    assert {t["code"] for t in row["tags"]} == {"followed_up", "pain", "fever", "wound"}
    assert row["patient"]["masked_phone"] and "phone" not in row["patient"]

    # Counts per day and tag, for analytics; a removed tag no longer counts.
    counts = api.get("/api/v1/followup/tag-counts/", {"date_from": today, "date_to": today}).json()
    by_code = {r["code"]: r["count"] for r in counts}
    assert by_code["followed_up"] == 2 and by_code["pain"] == 1 and by_code["revisit"] == 1
    revisit = CaseTag.objects.get(case=calm, code="revisit")
    assert api.delete(f"/api/v1/cases/{calm.uuid}/followup-tags/{revisit.uuid}/").status_code == 204
    counts = api.get("/api/v1/followup/tag-counts/", {"date_from": today, "date_to": today}).json()
    assert "revisit" not in {r["code"] for r in counts}
    assert codes(tag="revisit") == set()

    # Another ward's follow-up nurse sees none of it.
    other = client_for(make_staff("followup_nurse", ward=make_ward(code="W-OTHER", name="别的病区")))
    assert other.get("/api/v1/followup/tasks/").json()["count"] == 0
    assert other.get("/api/v1/followup/tag-counts/", {"date_from": today, "date_to": today}).json() == []
    assert other.get(f"/api/v1/followup/tasks/{tasks[painful.pk].uuid}/").status_code == 404
    assert other.post(f"/api/v1/cases/{calm.uuid}/followup-tags/", {"code": "revisit"},
                      format="json").status_code == 404


@pytest.mark.req("F7")
@pytest.mark.django_db
def test_the_plan_tree_shows_past_and_future_follow_ups(discharged, nurse, client_for, ward, doctor):
    case = discharged(hours_ago=24 * 8)  # d7 due (d1 was more than a week ago: not created late)
    services.tasks_generate()
    task = FollowupTask.objects.get(case=case)
    _answer(task, {"pain": 3, "fever": "no", "wound": "dry"})
    make_case("booked", ward=ward, surgeon=doctor, patient=case.patient)  # the patient's next operation
    api = client_for(nurse)
    res = api.get(f"/api/v1/followup/patients/{case.patient.uuid}/plan-tree/")
    assert res.status_code == 200, res.json()
    branches = {b["case"]["uuid"]: b for b in res.json()["cases"]}
    assert len(branches) == 2
    nodes = {n["time_point"]: n for n in branches[str(case.uuid)]["nodes"]}
    assert [n["time_point"] for n in branches[str(case.uuid)]["nodes"]] == ["d1", "d7", "d30"]
    assert nodes["d7"]["status"] == TaskStatus.COMPLETED and nodes["d7"]["completed_tier"] == "selfreport"
    assert {a["key"]: a["value"] for a in nodes["d7"]["answers"]["answers"]} == {"pain": 3, "fever": "no",
                                                                                "wound": "dry"}
    assert nodes["d7"]["answers"]["answers"][0]["label"] == "疼痛评分（0-10）"
    assert nodes["d30"]["status"] == "planned" and nodes["d30"]["task"] is None and nodes["d30"]["due_at"]
    assert nodes["d1"]["status"] == "not_generated"
    assert branches[str(case.uuid)]["plan"]["name"]
    # The booked case has no operation yet: every point still to come, without a date.
    assert {n["status"] for n in next(b for k, b in branches.items() if k != str(case.uuid))["nodes"]} == {"planned"}
    other = client_for(make_staff("followup_nurse", ward=make_ward(code="W-OTH2", name="他病区")))
    assert other.get(f"/api/v1/followup/patients/{case.patient.uuid}/plan-tree/").status_code == 404


@pytest.mark.req("F3", "F7")
@pytest.mark.django_db
def test_the_patient_sees_their_own_follow_ups_and_the_form_to_fill(discharged, client_for):
    from tests.builders import make_patient_account, patient_token

    case = discharged()
    services.tasks_generate()
    task = FollowupTask.objects.get(case=case)
    account = make_patient_account(patient=case.patient)
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {patient_token(account)}")
    res = api.get(f"/api/v1/my/cases/{case.uuid}/followups/")
    assert res.status_code == 200, res.json()
    rows = {r["time_point"]: r for r in res.json()["followups"]}
    assert rows["d1"]["status"] == "in_progress" and str(task.assignment.uuid) in rows["d1"]["link"]
    assert rows["d7"]["status"] == "planned" and rows["d7"]["link"] is None and rows["d7"]["due_at"]
    _answer(task, GOOD)
    rows = {r["time_point"]: r for r in api.get(f"/api/v1/my/cases/{case.uuid}/followups/").json()["followups"]}
    assert rows["d1"]["status"] == "completed" and rows["d1"]["link"] is None
    # Another patient's case, and staff, are refused.
    other = discharged()
    assert api.get(f"/api/v1/my/cases/{other.uuid}/followups/").status_code == 404
    staff = client_for(make_staff("followup_nurse", ward=case.ward))
    assert staff.get(f"/api/v1/my/cases/{case.uuid}/followups/").status_code == 403
