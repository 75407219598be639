"""SA7 with the real follow-up context (no hand-made events): a follow-up task whose plan goes straight to a manual
call opens the follow-up nurses' to-do with the call's deadline; the nurse records the call through the follow-up API,
the task completes, and the to-do closes by itself."""

from datetime import timedelta

import pytest
from django.utils import timezone

from followup.tests.conftest import SCHEMA, back_date
from tests.builders import make_case
from todos.models import Todo, TodoStatus
from todos.tests.conftest import deliver

pytestmark = [pytest.mark.django_db, pytest.mark.req("SA7")]


def test_manual_follow_up_call_todo_follows_the_follow_up_task(world, client_for):
    from followup.models import FollowupTask
    from followup.services import plan_create, tasks_generate
    from forms.services import form_create
    from preop.tests.conftest import deliver as deliver_to

    form_create(hospital=world["hospital"], kind="followup", code="postop-todo", title="术后随访", schema=SCHEMA,
                actor=None)
    plan_create(hospital=world["hospital"], name="电话随访", actor=None, points=[
        {"key": "d1", "label": "出院后24小时", "anchor": "discharge", "offset_hours": 24, "form": "postop-todo",
         "tiers": ["manual"], "manual_hours": 8}])
    case = back_date(make_case("discharged", ward=world["ward_a"], surgeon=world["doctor_a"]),
                     operated_hours_ago=28, discharged_hours_ago=26)
    assert tasks_generate(case_ids=[case.pk])["created"] == 1
    deliver_to("followup.", "todos.")
    task = FollowupTask.objects.get(case=case)
    todo = Todo.objects.get(case=case, kind="manual_followup_call")
    assert todo.subject == str(task.uuid) and todo.status == TodoStatus.OPEN
    assert abs(todo.due_at - (timezone.now() + timedelta(hours=8))) < timedelta(minutes=5)
    api = client_for(world["followup_a"])
    assert [t["uuid"] for t in api.get("/api/v1/todos/").json()["results"]] == [str(todo.uuid)]

    done = api.post(f"/api/v1/followup/tasks/{task.uuid}/manual-call/",
                    {"reached": True, "answers": {"pain": 1, "fever": "no", "wound": "dry"}}, format="json")
    assert done.status_code == 200, done.json()
    deliver()
    todo.refresh_from_db()
    assert (todo.status, todo.closed_event_type) == (TodoStatus.CLOSED, "followup.task.completed")
    assert api.get("/api/v1/todos/count/").json()["open"] == 0
