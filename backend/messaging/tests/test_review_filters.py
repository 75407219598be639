"""Review of issue 6 (R2): the unanswered-form filter follows each form's whole life (assigned, answered,
withdrawn, reopened; not yet available), so reminders go only to patients who really have a form to fill in."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from cases.services import case_append_event, case_lock
from messaging.filters import case_passes

pytestmark = [pytest.mark.django_db]

UNANSWERED = [{"name": "form_not_submitted", "params": {"source": "followup"}}]
ANY_UNANSWERED = [{"name": "form_not_submitted", "params": {}}]


def _record(case, type_, data):
    with transaction.atomic():
        return case_append_event(case_lock(case), type=type_, actor=None, payload=data)


def _assigned(case, assignment, *, source="followup", available_from=None):
    _record(case, "forms.form.assigned", {
        "assignment": assignment, "form": "f", "title": "随访", "source": source, "notify": False,
        "available_from": (available_from or timezone.now() - timedelta(minutes=1)).isoformat(),
        "link": f"/pages/forms/fill?assignment={assignment}"})


@pytest.mark.req("W1", "Y10")
def test_a_withdrawn_form_is_not_waiting_and_a_reopened_one_is_again(case_of):
    case = case_of("discharged", days=0)
    _assigned(case, "A1")
    assert case_passes(case, UNANSWERED)
    # Staff withdraw it (the event carries no source: the assignment's own source counts).
    _record(case, "forms.assignment.cancelled", {"assignment": "A1", "form": "f", "reason": "不再需要"})
    assert not case_passes(case, UNANSWERED) and not case_passes(case, ANY_UNANSWERED)

    _assigned(case, "A2")
    _record(case, "forms.response.submitted", {"assignment": "A2", "source": "followup", "complete": True})
    assert not case_passes(case, UNANSWERED)
    # Reopened for a new answer: waiting again, until answered completely again.
    _record(case, "forms.assignment.reopened", {"assignment": "A2", "form": "f", "reason": "答案有误"})
    assert case_passes(case, UNANSWERED)
    _record(case, "forms.response.submitted", {"assignment": "A2", "source": "followup", "complete": False})
    assert case_passes(case, UNANSWERED)
    _record(case, "forms.response.submitted", {"assignment": "A2", "source": "followup", "complete": True})
    assert not case_passes(case, UNANSWERED)
    # A reopened form of another source does not select for the follow-up filter.
    _assigned(case, "C1", source="custom")
    _record(case, "forms.response.submitted", {"assignment": "C1", "source": "custom", "complete": True})
    _record(case, "forms.assignment.reopened", {"assignment": "C1", "form": "f", "reason": ""})
    assert not case_passes(case, UNANSWERED) and case_passes(case, ANY_UNANSWERED)


@pytest.mark.req("W1", "M6")
def test_a_form_not_yet_available_is_not_waiting(case_of):
    case = case_of("discharged", days=0)
    _assigned(case, "F1", available_from=timezone.now() + timedelta(days=6))
    assert not case_passes(case, UNANSWERED)  # the patient would be refused (M6): no reminder
    _assigned(case, "F2", available_from=timezone.now() - timedelta(hours=1))
    assert case_passes(case, UNANSWERED)
