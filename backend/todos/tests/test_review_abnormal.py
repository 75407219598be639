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
