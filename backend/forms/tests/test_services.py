"""The questionnaire engine's services: assignment, submission (M6: not before it is available), scoring,
abnormal rules, partial voice answers, reopening, and the case events the other contexts consume."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import CaseEvent
from core.errors import InvalidInput
from forms import errors
from forms.models import AssignmentStatus
from forms.services import (
    answers_parse,
    assignment_cancel,
    assignment_create,
    assignment_reopen,
    assignments_notify_available,
    response_submit,
)
from forms.tests.conftest import GOOD


def _assign(case, form, **kwargs):
    defaults = {"available_from": None, "source": "followup", "actor": None, "notify": True}
    return assignment_create(case=case, version=form.current_version, **{**defaults, **kwargs})


@pytest.mark.req("Y7")
def test_assignment_emits_the_contract_event(case, form):
    assignment = _assign(case, form)
    event = CaseEvent.objects.get(case=case, type="forms.form.assigned")
    assert event.payload["assignment"] == str(assignment.uuid)
    assert event.payload["form"] == str(form.uuid)
    assert event.payload["source"] == "followup"
    assert event.payload["notify"] is True
    assert event.payload["link"] == f"/pages/forms/fill?assignment={assignment.uuid}"
    assert event.payload["title"] == "术后随访"


@pytest.mark.req("Y7")
def test_submit_scores_and_flags_abnormal_answers(case, form, patient_account):
    assignment = _assign(case, form)
    response = response_submit(assignment=assignment, answers={"pain": 8, "fever": True, "wound": "red",
                                                               "temperature": "38.46"},
                               channel="mobile", actor=patient_account)
    assert response.complete
    assert response.score == 1 + 0  # wound red 1 + fever yes 0 (pain is not scored)
    assert response.abnormal == ["pain_severe", "fever", "wound_problem"]
    assert response.tags == ["pain", "fever", "wound"]
    assert response.answers["temperature"] == 38.5
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.COMPLETED
    event = CaseEvent.objects.get(case=case, type="forms.response.submitted")
    assert event.payload["has_abnormal"] is True and event.payload["complete"] is True
    assert event.payload["channel"] == "mobile" and event.payload["score"] == 1.0


@pytest.mark.req("M6")
def test_a_future_form_is_refused(case, form, patient_account):
    assignment = _assign(case, form, available_from=timezone.now() + timedelta(days=2))
    with pytest.raises(errors.FormNotYetAvailable):
        response_submit(assignment=assignment, answers=GOOD, channel="mobile", actor=patient_account)
    assert not assignment.responses.exists()


@pytest.mark.req("M6", "F8")
def test_a_future_form_is_announced_when_it_opens_not_before(case, form):
    opens = timezone.now() + timedelta(days=2)
    assignment = _assign(case, form, available_from=opens)
    given = CaseEvent.objects.get(case=case, type="forms.form.assigned")
    assert given.payload["notify"] is False  # no link the server would refuse yet
    assert assignments_notify_available() == 0
    assert assignments_notify_available(now=opens + timedelta(minutes=1)) == 1
    announced = CaseEvent.objects.get(case=case, type="forms.form.available")
    assert announced.payload["notify"] is True and announced.payload["assignment"] == str(assignment.uuid)
    assert assignments_notify_available(now=opens + timedelta(minutes=6)) == 0  # once only
    withdrawn = _assign(case, form, available_from=opens, key="withdrawn-before-opening")
    assignment_cancel(assignment=withdrawn, actor=None)
    assert assignments_notify_available(now=opens + timedelta(hours=1)) == 0  # nothing to fill: nothing said


@pytest.mark.req("M6")
def test_completed_form_cannot_be_resubmitted_unless_reopened(case, form, patient_account, nurse):
    assignment = _assign(case, form)
    response_submit(assignment=assignment, answers=GOOD, channel="mobile", actor=patient_account)
    with pytest.raises(errors.FormAlreadyCompleted):
        response_submit(assignment=assignment, answers=GOOD, channel="mobile", actor=patient_account)
    assignment_reopen(assignment=assignment, actor=nurse, reason="答案有误")
    response_submit(assignment=assignment, answers={**GOOD, "pain": 3}, channel="mobile", actor=patient_account)
    assert assignment.responses.count() == 2


@pytest.mark.req("Y7")
def test_voice_answers_parsed_and_partial(case, form):
    assignment = _assign(case, form)
    clean, missing = answers_parse(form.current_version, {"pain": "七分", "fever": "没有", "wound": "9"})
    assert clean == {"pain": 7, "fever": "no"}
    assert missing == ["wound"]
    response = response_submit(assignment=assignment, answers=clean, channel="voice", actor=None, allow_partial=True)
    assert not response.complete and response.missing == ["wound"]
    assert response.abnormal == ["pain_severe"]
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.PARTIAL
    event = CaseEvent.objects.get(case=case, type="forms.response.submitted")
    assert event.payload["complete"] is False


@pytest.mark.req("Y7")
def test_missing_required_answer_refused_on_mobile(case, form, patient_account):
    assignment = _assign(case, form)
    with pytest.raises(InvalidInput) as caught:
        response_submit(assignment=assignment, answers={"pain": 11, "fever": "no"}, channel="mobile",
                        actor=patient_account)
    assert set(caught.value.fields) == {"answers.pain", "answers.wound"}
