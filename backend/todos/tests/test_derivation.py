"""SA7: to-dos derived from case events by the default rules — opened for the right audience, idempotent per
(rule, case, opening event), one open per subject, closed by the matching event (also when deliveries arrive out of
order), each opening announced to the staff app through `messaging.staff_notice.requested`."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from cases.services import case_assign_surgeon
from core.models import OutboxMessage
from tests.builders import make_case
from todos import selectors, services
from todos.models import Todo, TodoStatus
from todos.tests.conftest import deliver, emit, in_hours, new_id

pytestmark = [pytest.mark.django_db, pytest.mark.req("SA7")]


def _mine(user, **filters):
    return list(selectors.todo_list(user, **filters))


def test_virtual_booking_opens_an_assign_surgeon_todo_for_the_ward_closed_by_the_assignment(world):
    case = make_case("booked", ward=world["ward_a"], surgeon=world["virtual_a"])
    own = make_case("booked", ward=world["ward_a"], surgeon=world["doctor_a"])  # not virtual: nothing to do
    deliver()
    todo = Todo.objects.get(kind="assign_surgeon")
    assert todo.case == case and todo.status == TodoStatus.OPEN and todo.priority == "high"
    assert todo.title.startswith(f"为{case.patient.name}（腹腔镜胆囊切除术")
    midnight = timezone.make_aware(datetime.combine(case.planned_date, time.min))
    assert todo.due_at == midnight - timedelta(hours=6)  # 18:00 the evening before the operation
    assert not Todo.objects.filter(case=own).exists()
    # The ward's nurse and doctor (booking_policy.assign_surgeon) see it; ward B's nurse and the follow-up nurse not.
    assert [t.pk for t in _mine(world["nurse_a"])] == [todo.pk]
    assert [t.pk for t in _mine(world["doctor_a"])] == [todo.pk]
    assert _mine(world["nurse_b"]) == [] and _mine(world["followup_a"]) == []

    case_assign_surgeon(case=case, surgeon=world["doctor_a"], actor=world["nurse_a"])
    deliver()
    todo.refresh_from_db()
    assert todo.status == TodoStatus.CLOSED and todo.closed_event_type == "cases.case.surgeon_assigned"
    assert _mine(world["nurse_a"]) == []


def test_opening_is_idempotent_per_rule_case_and_event(world):
    case = make_case("booked", ward=world["ward_a"], surgeon=world["virtual_a"])
    message = OutboxMessage.objects.get(topic="cases.case.booked", key=str(case.uuid))
    first = services.todos_apply_event(message.payload)
    again = services.todos_apply_event(message.payload)  # a redelivery of the same message
    assert len(first["opened"]) == 1 and again == {"opened": [], "closed": []}
    assert Todo.objects.filter(case=case).count() == 1
    notices = OutboxMessage.objects.filter(topic=services.STAFF_NOTICE)
    assert notices.count() == 1


def test_staff_notice_for_the_staff_app_names_the_audience_and_masks_the_patient(world):
    case = make_case("booked", ward=world["ward_a"], surgeon=world["virtual_a"])
    deliver()
    todo = Todo.objects.get(case=case)
    notice = OutboxMessage.objects.get(topic=services.STAFF_NOTICE)
    payload = notice.payload
    assert set(payload["users"]) == {str(world["nurse_a"].uuid), str(world["doctor_a"].uuid)}
    assert payload["key"] == f"todos.todo.opened:{todo.uuid}" and payload["case"] == str(case.uuid)
    assert payload["data"] == {"kind": "todo", "todo": str(todo.uuid), "todo_kind": "assign_surgeon",
                               "case": str(case.uuid)}
    assert case.patient.name not in payload["body"] and case.patient.masked_name in payload["body"]
    assert "指定手术医生" in payload["title"]


def test_manual_calls_one_todo_per_follow_up_task_closed_by_that_task_only(world):
    case = make_case("discharged", ward=world["ward_a"], surgeon=world["doctor_a"])
    task_1, task_2, deadline = new_id(), new_id(), in_hours(8)
    emit(case, "followup.manual_call.created", task=task_1, deadline=deadline)
    emit(case, "followup.manual_call.created", task=task_2, deadline=deadline)
    emit(case, "followup.manual_call.created", task=task_1, deadline=deadline)  # same task again: still one
    deliver()
    todos = {t.subject: t for t in Todo.objects.filter(kind="manual_followup_call")}
    assert set(todos) == {task_1, task_2}
    assert todos[task_1].due_at.isoformat()[:16] == deadline[:16]
    assert {t.pk for t in _mine(world["followup_a"])} == {todos[task_1].pk, todos[task_2].pk}
    assert _mine(world["followup_b"]) == []

    emit(case, "followup.task.completed", task=task_1, tier="manual", outcome="reached")
    deliver()
    assert Todo.objects.get(pk=todos[task_1].pk).status == TodoStatus.CLOSED
    assert Todo.objects.get(pk=todos[task_2].pk).status == TodoStatus.OPEN


def test_an_opening_delivered_after_its_closing_event_opens_nothing(world):
    case = make_case("discharged", ward=world["ward_a"], surgeon=world["doctor_a"])
    task = new_id()
    emit(case, "followup.manual_call.created", task=task, deadline=in_hours(8))
    emit(case, "followup.task.completed", task=task, tier="voice", outcome="reached")
    created, completed = OutboxMessage.objects.filter(topic__startswith="followup.").order_by("id")
    services.todos_apply_event(completed.payload)  # the worker took the later message first
    assert services.todos_apply_event(created.payload) == {"opened": [], "closed": []}
    assert not Todo.objects.filter(case=case).exists()


def test_high_risk_review_for_the_surgeon_and_doctors_closed_by_the_doctors_assessment(world):
    from cases.services import case_record_milestone

    case = make_case("booked", ward=world["ward_a"], surgeon=world["doctor_a"])
    emit(case, "clinical.findings.flagged", high_risk=True, categories=["lab_threshold"], flags=[])
    emit(case, "clinical.findings.flagged", high_risk=True, categories=["lab_threshold", "infectious"], flags=[])
    deliver()
    todo = Todo.objects.get(kind="review_high_risk")  # the second flag while it is open adds nothing
    assert todo.assignee == world["doctor_a"]
    assert [t.pk for t in _mine(world["doctor_a"])] == [todo.pk]
    assert _mine(world["nurse_a"]) == []  # not the nurse's work
    case_record_milestone(case=case, milestone="preop_assessment", status="needs_attention", actor=world["doctor_a"])
    deliver()
    todo.refresh_from_db()
    assert todo.status == TodoStatus.CLOSED


def test_consultations_wound_and_chat_todos_for_the_care_team(world):
    case = make_case("discharged", ward=world["ward_a"], surgeon=world["doctor_a"])
    wound, conversation = new_id(), new_id()
    emit(case, "consultation.wound.submitted", consultation=wound)
    emit(case, "consultation.message.sent", conversation=conversation, message=new_id(), sender="patient")
    emit(case, "consultation.message.sent", conversation=conversation, message=new_id(), sender="patient")
    deliver()
    kinds = sorted(Todo.objects.filter(status="open").values_list("kind", flat=True))
    assert kinds == ["answer_wound_consultation", "reply_consultation"]
    emit(case, "consultation.wound.answered", consultation=wound)
    emit(case, "consultation.message.sent", conversation=conversation, message=new_id(), sender="staff")
    deliver()
    assert not Todo.objects.filter(status="open").exists()


def test_abnormal_follow_up_answers_open_a_review_until_a_normal_answer_or_staff_close_it(world):
    case = make_case("discharged", ward=world["ward_a"], surgeon=world["doctor_a"])
    assignment = new_id()
    common = {"assignment": assignment, "form": new_id(), "version": 1, "source": "followup", "channel": "mobile",
              "score": 3, "complete": True}
    emit(case, "forms.response.submitted", **common, abnormal=[], has_abnormal=False)  # normal: nothing
    deliver()
    assert not Todo.objects.exists()
    emit(case, "forms.response.submitted", **common, abnormal=["pain_severe"], has_abnormal=True)
    deliver()
    todo = Todo.objects.get(kind="review_abnormal_answers")
    assert todo.subject == assignment and todo.detail["abnormal"] == ["pain_severe"]
    assert todo.pk in {t.pk for t in _mine(world["followup_a"])} | {t.pk for t in _mine(world["doctor_a"])}
    services.todo_complete(todo=todo, actor=world["followup_a"], note="已电话联系，嘱口服止痛药")
    todo.refresh_from_db()
    assert (todo.status, todo.closed_by, todo.note) == (TodoStatus.DONE, world["followup_a"], "已电话联系，嘱口服止痛药")


def test_a_hospital_override_changes_the_default_and_can_switch_it_off(world):
    services.todo_rule_create(
        actor=world["admin"], hospital=world["hospital"], key="assign_surgeon", label="分配主刀",
        title_template="请为{patient_name_masked}分配主刀（{data.booking_mode}）",
        open_on=[{"types": ["cases.case.booked"], "where": {"data.booking_mode": ["virtual"]}}],
        close_on=[{"types": ["cases.case.surgeon_assigned"]}], audience_permission="todos.manage_rules",
    )
    case = make_case("booked", ward=world["ward_a"], surgeon=world["virtual_a"])
    deliver()
    todo = Todo.objects.get(case=case)
    assert todo.label == "分配主刀" and todo.title == f"请为{case.patient.masked_name}分配主刀（virtual）"
    assert [t.pk for t in _mine(world["admin"])] == [todo.pk] and _mine(world["nurse_a"]) == []

    rule = todo.rule
    services.todo_rule_update(actor=world["admin"], rule=rule, is_active=False)
    rule.refresh_from_db()
    assert rule.version == 2
    make_case("booked", ward=world["ward_a"], surgeon=world["virtual_a"])
    deliver()
    assert Todo.objects.count() == 1  # switched off: neither the override nor the default opens one


def test_the_staff_notice_lands_in_each_audience_members_inbox_through_messaging(world):
    """The contract with messaging: its `messaging.staff_notice` handler turns our request into one in-app inbox
    message (FCM push channel) per member of the audience, keyed by the to-do (redelivery makes nothing twice)."""
    from messaging.models import Message
    from preop.tests.conftest import deliver as deliver_to

    case = make_case("booked", ward=world["ward_a"], surgeon=world["virtual_a"])
    deliver_to("todos.", "messaging.staff_notice")
    todo = Todo.objects.get(case=case)
    inbox = Message.objects.filter(recipient_user__isnull=False, case=case).order_by("recipient_user_id")
    assert {m.recipient_user for m in inbox} == {world["nurse_a"], world["doctor_a"]}
    for message in inbox:
        assert message.kind == "todo" and message.data["todo"] == str(todo.uuid)
        assert message.channels == ["fcm"] and "指定手术医生" in message.title
        assert case.patient.name not in message.body


def test_overdue_todos_are_announced_once_by_the_beat_job(world):
    case = make_case("discharged", ward=world["ward_a"], surgeon=world["doctor_a"])
    late, later = new_id(), new_id()
    emit(case, "followup.manual_call.created", task=late, deadline=in_hours(-1))
    emit(case, "followup.manual_call.created", task=later, deadline=in_hours(5))
    deliver()
    assert services.todos_remind_overdue() == 1
    assert services.todos_remind_overdue() == 0  # once
    overdue = Todo.objects.get(subject=late)
    assert overdue.reminded_at is not None and Todo.objects.get(subject=later).reminded_at is None
    notice = OutboxMessage.objects.get(topic=services.STAFF_NOTICE, payload__key=f"todos.todo.overdue:{overdue.uuid}")
    assert str(world["followup_a"].uuid) in notice.payload["users"]
    assert str(world["followup_b"].uuid) not in notice.payload["users"]
    assert "人工随访电话" in notice.payload["title"]
    assert selectors.todo_counts(world["followup_a"])["overdue"] == 1


def test_a_rescheduled_operation_moves_the_due_time_and_a_cancellation_closes_the_todo(world):
    from cases.services import case_transition

    case = make_case("booked", ward=world["ward_a"], surgeon=world["virtual_a"])
    deliver()
    new_date = case.planned_date + timedelta(days=3)
    case_transition(case=case, transition="reschedule", actor=None, planned_date=new_date, reason="患者要求改期")
    deliver()
    todo = Todo.objects.get(case=case)
    assert todo.due_at == timezone.make_aware(datetime.combine(new_date, time.min)) - timedelta(hours=6)
    case_transition(case=case, transition="cancel", actor=None, reason_code="patient_request", reason_text="家中有事")
    deliver()
    todo.refresh_from_db()
    assert (todo.status, todo.closed_event_type) == (TodoStatus.CLOSED, "cases.case.cancelled")
