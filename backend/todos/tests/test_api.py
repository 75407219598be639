"""SA7 over the API: my to-dos with filters and the count badge, complete / dismiss (audience only, once), the case's
to-dos, and the rule configuration (hospital overrides, validation with field errors, defaults read-only)."""

import pytest

from audit.models import AuditEntry
from tests.builders import admin_token, make_case
from todos.models import Todo, TodoRule, TodoStatus
from todos.tests.conftest import deliver, emit, in_hours, new_id

pytestmark = [pytest.mark.django_db, pytest.mark.req("SA7")]


@pytest.fixture
def calls(world):
    """Two manual follow-up calls in ward A (one overdue) and one in ward B."""
    case_a = make_case("discharged", ward=world["ward_a"], surgeon=world["doctor_a"])
    case_b = make_case("discharged", ward=world["ward_b"])
    emit(case_a, "followup.manual_call.created", task=new_id(), deadline=in_hours(-2))
    emit(case_a, "followup.manual_call.created", task=new_id(), deadline=in_hours(6))
    emit(case_b, "followup.manual_call.created", task=new_id(), deadline=in_hours(6))
    deliver()
    return {"case_a": case_a, "case_b": case_b}


def test_my_todos_list_filters_and_count(world, calls, client_for):
    api = client_for(world["followup_a"])
    body = api.get("/api/v1/todos/").json()
    assert body["count"] == 2
    first, second = body["results"]
    assert first["overdue"] is True and second["overdue"] is False  # by due time, overdue first
    assert first["case"]["uuid"] == str(calls["case_a"].uuid) and first["kind"] == "manual_followup_call"
    assert first["patient"]["name"] == calls["case_a"].patient.name
    assert api.get("/api/v1/todos/", {"overdue": "true"}).json()["count"] == 1
    assert api.get("/api/v1/todos/", {"kind": ["assign_surgeon", "review_high_risk"]}).json()["count"] == 0
    assert api.get("/api/v1/todos/", {"case": str(calls["case_a"].uuid)}).json()["count"] == 2
    assert api.get("/api/v1/todos/count/").json() == {
        "open": 2, "overdue": 1, "high": 0, "by_kind": {"manual_followup_call": 2}}
    # Filters never reach another ward: a field error, not an empty list that would confirm the case exists.
    refused = api.get("/api/v1/todos/", {"case": str(calls["case_b"].uuid)})
    assert refused.status_code == 400 and "case" in refused.json()["error"]["fields"]
    assert api.get("/api/v1/todos/", {"status": "bogus"}).status_code == 400


def test_complete_and_dismiss_by_the_audience_only_and_once(world, calls, client_for):
    first, second = Todo.objects.filter(ward=world["ward_a"]).order_by("due_at")
    other_ward = client_for(world["followup_b"])
    assert other_ward.post(f"/api/v1/todos/{first.uuid}/complete/", {}, format="json").status_code == 404
    assert client_for(world["admin"]).get(f"/api/v1/todos/{first.uuid}/").status_code == 404  # not their work

    api = client_for(world["followup_a"])
    done = api.post(f"/api/v1/todos/{first.uuid}/complete/", {"note": "已电话随访，恢复良好"}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    assert done.json()["closed_by"]["uuid"] == str(world["followup_a"].uuid)
    again = api.post(f"/api/v1/todos/{first.uuid}/complete/", {}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "todo_not_open"

    no_reason = api.post(f"/api/v1/todos/{second.uuid}/dismiss/", {}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    dismissed = api.post(f"/api/v1/todos/{second.uuid}/dismiss/", {"reason": "患者已返院复诊"}, format="json")
    assert dismissed.json()["status"] == "dismissed" and dismissed.json()["note"] == "患者已返院复诊"
    assert api.get("/api/v1/todos/count/").json()["open"] == 0
    assert api.get("/api/v1/todos/", {"status": "all"}).json()["count"] == 2
    assert AuditEntry.objects.filter(target_type="todos.todo", action="update").count() == 2


def test_case_todos_are_scoped_and_audited(world, calls, client_for):
    url = f"/api/v1/cases/{calls['case_a'].uuid}/todos/"
    assert client_for(world["followup_b"]).get(url).status_code == 404
    rows = client_for(world["nurse_a"]).get(url).json()
    assert len(rows) == 2
    assert AuditEntry.objects.filter(action="read", detail="case to-dos").exists()


def _admin(client_for, user):
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(user)}")
    return api


def test_rules_configuration_overrides_and_validation(world, client_for):
    admin = _admin(client_for, world["admin"])
    rules = admin.get("/api/v1/todo-rules/").json()
    keys = {r["key"] for r in rules if r["source"] == "default"}
    assert {"assign_surgeon", "review_high_risk", "answer_wound_consultation", "reply_consultation",
            "manual_followup_call", "review_abnormal_answers"} <= keys
    default = next(r for r in rules if r["key"] == "manual_followup_call")
    # Platform defaults are read-only for a hospital: override with the same key instead.
    refused = admin.patch(f"/api/v1/todo-rules/{default['uuid']}/", {"label": "x"}, format="json")
    assert refused.status_code == 403

    bad = admin.post("/api/v1/todo-rules/", {
        "key": "call_back", "label": "回电", "title_template": "回电{patient}",
        "open_on": [{"types": []}], "audience_permission": "no.such"}, format="json")
    assert bad.status_code == 400
    fields = bad.json()["error"]["fields"]
    assert set(fields) & {"title_template", "open_on", "audience_permission"}
    for field, value in [("title_template", "回电{patient}"), ("open_on", [{"types": []}]),
                         ("audience_permission", "no.such"), ("due", {"after_hours": -1}),
                         ("close_on", "cases.case.*")]:
        payload = {"key": "call_back", "label": "回电", "title_template": "回电给{patient_name}",
                   "open_on": [{"types": ["followup.manual_call.created"]}], "audience_permission": "followup.view",
                   field: value}
        answer = admin.post("/api/v1/todo-rules/", payload, format="json")
        assert answer.status_code == 400 and field in answer.json()["error"]["fields"], (field, answer.json())

    created = admin.post("/api/v1/todo-rules/", {
        "key": "manual_followup_call", "label": "电话随访", "title_template": "电话随访{patient_name}",
        "open_on": {"types": ["followup.manual_call.created"]}, "close_on": [{"types": ["followup.task.completed"]}],
        "subject_path": "data.task", "audience_permission": "followup.record_call", "due": {"path": "data.deadline"},
    }, format="json")
    assert created.status_code == 201, created.json()
    rule = created.json()
    assert rule["source"] == "hospital" and rule["version"] == 1
    assert rule["open_on"] == [{"types": ["followup.manual_call.created"], "where": {}}]
    changed = admin.patch(f"/api/v1/todo-rules/{rule['uuid']}/", {"priority": "high"}, format="json").json()
    assert changed["version"] == 2 and changed["priority"] == "high"
    # A nurse reads the rules but cannot change them.
    nurse = client_for(world["nurse_a"])
    assert nurse.get(f"/api/v1/todo-rules/{rule['uuid']}/").status_code == 200
    assert nurse.patch(f"/api/v1/todo-rules/{rule['uuid']}/", {"priority": "normal"}, format="json").status_code == 403

    case = make_case("discharged", ward=world["ward_a"], surgeon=world["doctor_a"])
    emit(case, "followup.manual_call.created", task=new_id(), deadline=in_hours(4))
    deliver()
    todo = Todo.objects.get(case=case)
    assert (todo.label, todo.priority, todo.rule_version) == ("电话随访", "high", 2)
    assert todo.rule == TodoRule.objects.get(uuid=rule["uuid"]) and todo.status == TodoStatus.OPEN
