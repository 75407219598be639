"""Review of issue 6 (R2): a voice result that arrives after the patient completed the form on the app is taken as
done — 200, the task stays completed by the self-report, never an error the voice platform would retry forever —
and what the patient told the call is kept as one more response, so an abnormal answer (fever, pain) still raises
its flag."""

import pytest
from django.test import override_settings

from followup import services
from followup.models import CallStatus, FollowupTask, TaskStatus
from followup.tests.conftest import GOOD
from followup.tests.test_voice_callback import CLIENT_ID, SECRET, _post, calling  # noqa: F401 - fixture
from forms.services import response_submit

pytestmark = [pytest.mark.django_db]


@pytest.mark.req("F1", "F3")
def test_a_voice_result_for_a_form_completed_meanwhile_is_done_not_an_error(calling, client):  # noqa: F811
    call = calling("13900002351")
    task = FollowupTask.objects.select_related("assignment").get(pk=call.task_id)
    patient_answer = response_submit(assignment=task.assignment, answers=GOOD, channel="mobile", actor=None)
    services.response_received(assignment_uuid=task.assignment.uuid, complete=True)
    task.refresh_from_db()
    assert task.status == TaskStatus.COMPLETED and task.response == patient_answer

    body = {"call_id": call.call_id, "status": "completed", "answered": True, "duration_seconds": 50,
            "answers": {"pain": "8", "fever": "yes", "wound": "red"}}
    with override_settings(FOLLOWUP_VOICE_CLIENTS={CLIENT_ID: SECRET}):
        first = _post(client, body)
        assert first.status_code == 200
        again = _post(client, body)  # the platform repeating itself
        assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
    call.refresh_from_db()
    task.refresh_from_db()
    assert call.status == CallStatus.COMPLETED and call.answers["pain"] == "8"  # kept as the platform said
    # The form stays completed by the app's answer; the call's answers are one more response, flagged as abnormal.
    [late] = task.assignment.responses.exclude(pk=patient_answer.pk)
    assert late.channel == "voice" and late.has_abnormal and "pain" in str(late.abnormal)
    task.assignment.refresh_from_db()
    assert task.assignment.status == "completed"
    [event] = task.case.events.filter(type="forms.response.submitted", payload__channel="voice")
    assert event.payload["after_completion"] is True and event.payload["has_abnormal"] is True
    assert (task.status, task.completed_tier, task.response) == (TaskStatus.COMPLETED, "selfreport", patient_answer)
    assert task.case.events.filter(type="followup.task.completed").count() == 1
