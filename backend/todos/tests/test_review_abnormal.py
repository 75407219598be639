"""Review of issue 6 (R2): the abnormal-answer review to-do closes only on a later COMPLETE answer without abnormal
values; a partial voice answer that left the abnormal question out must not close it."""

import pytest

from tests.builders import make_case
from todos.models import Todo, TodoStatus
from todos.tests.conftest import deliver, emit, new_id

pytestmark = [pytest.mark.django_db]


@pytest.mark.req("SA7", "F8")
def test_a_partial_answer_without_abnormal_values_leaves_the_review_open(world):
    case = make_case("discharged", ward=world["ward_a"], surgeon=world["doctor_a"])
    assignment = new_id()
    common = {"assignment": assignment, "form": new_id(), "version": 1, "source": "followup", "score": None}
    emit(case, "forms.response.submitted", **common, channel="mobile", abnormal=["fever"], has_abnormal=True,
         complete=True)
    deliver()
    todo = Todo.objects.get(kind="review_abnormal_answers")
    # A later voice call got only some answers (the fever question unanswered): nothing normal was learnt.
    emit(case, "forms.response.submitted", **common, channel="voice", abnormal=[], has_abnormal=False,
         complete=False)
    deliver()
    todo.refresh_from_db()
    assert todo.status == TodoStatus.OPEN
    # A complete answer without abnormal values closes it.
    emit(case, "forms.response.submitted", **common, channel="staff", abnormal=[], has_abnormal=False,
         complete=True)
    deliver()
    todo.refresh_from_db()
    assert todo.status == TodoStatus.CLOSED


@pytest.mark.req("SA7", "PA2")
def test_pre_op_questionnaire_flags_go_to_the_pre_op_team_not_the_follow_up_nurses(world):
    """A registration questionnaire's abnormal answers (anticoagulant, allergy...) are a pre-operative matter: a
    to-do for the doctors who assess the patient before surgery, not a 'follow-up abnormal answers' to-do for the
    follow-up nurses."""
    from todos.selectors import todo_list

    case = make_case("booked", ward=world["ward_a"], surgeon=world["doctor_a"])
    assignment = new_id()
    emit(case, "forms.response.submitted", assignment=assignment, form=new_id(), version=1, source="registration",
         channel="mobile", score=None, abnormal=["anticoagulant"], has_abnormal=True, complete=True)
    deliver()
    [todo] = Todo.objects.filter(case=case)
    assert todo.kind == "review_preop_answers" and todo.audience_permission == "cases.record_preop_assessment"
    assert todo.assignee == world["doctor_a"]
    assert todo.pk in {t.pk for t in todo_list(world["doctor_a"])}
    assert todo.pk not in {t.pk for t in todo_list(world["followup_a"])}
    # The case ends before surgery: the pre-op review is no longer needed.
    emit(case, "cases.case.cancelled", reason="患者原因")
    deliver()
    todo.refresh_from_db()
    assert todo.status == TodoStatus.CLOSED
