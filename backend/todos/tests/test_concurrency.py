"""SA7 under real parallel transactions: two messages of one conversation delivered by two workers at once open one
to-do (no error, no duplicate); two nurses completing the same to-do at once: one wins, the other is told it is no
longer open."""

import pytest
from django.db import connection

from accounts.models import User
from core.models import OutboxMessage
from tests.builders import make_case, make_staff, make_ward
from tests.concurrency import race
from todos.models import Todo, TodoStatus
from todos.services import todo_complete, todos_apply_event
from todos.tests.conftest import emit, new_id

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.req("SA7")]


@pytest.fixture
def team(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks of a real server")
    ward = make_ward()
    return {"ward": ward, "nurse_1": make_staff("nurse", ward=ward), "nurse_2": make_staff("nurse", ward=ward),
            "case": make_case("discharged", ward=ward)}


def test_two_deliveries_of_one_conversation_at_once_open_one_todo(team):
    conversation = new_id()
    for _n in range(2):
        emit(team["case"], "consultation.message.sent", conversation=conversation, message=new_id(), sender="patient")
    Todo.objects.all().delete()  # as if no worker had delivered them yet (the test's eager outbox already did)
    payloads = [m.payload for m in OutboxMessage.objects.filter(topic="consultation.message.sent").order_by("id")]
    results = race([lambda p=p: len(todos_apply_event(p)["opened"]) for p in payloads])
    assert sorted(results) == [("ok", 0), ("ok", 1)], results
    assert Todo.objects.filter(kind="reply_consultation", status=TodoStatus.OPEN).count() == 1


def test_two_nurses_completing_the_same_todo_at_once(team):
    emit(team["case"], "followup.manual_call.created", task=new_id(), deadline=None)
    todo = Todo.objects.get(kind="manual_followup_call")

    def complete(user_pk):
        return lambda: todo_complete(todo=todo, actor=User.objects.get(pk=user_pk), note="已随访").status

    results = race([complete(team["nurse_1"].pk), complete(team["nurse_2"].pk)])
    assert sorted(results) == [("ok", "done"), ("refused", "todo_not_open")], results
    todo.refresh_from_db()
    assert todo.status == TodoStatus.DONE
