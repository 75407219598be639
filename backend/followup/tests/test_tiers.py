"""F1, F3: each due task goes to the voice platform first; its signed callback brings answers that are parsed into
the form. Not reached or incomplete → the self-report link; not filled in by the deadline → a manual call for a
follow-up nurse. At each step the system decides and opens the next step only when still needed."""

import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import requests
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from core.models import OutboxMessage
from followup import services
from followup.models import CallStatus, CaseTag, FollowupTask, TaskStatus, VoiceCall
from followup.tests.conftest import GOOD, event_types
from hospital_sim.server import start_in_thread

CLIENT_ID, SECRET = "VOICE-SIM", "voice-callback-test-secret"


@contextmanager
def voice_platform(platform_url):
    """A simulator whose voice platform calls the platform back with each call's result (as in the demo)."""
    server, thread = start_in_thread("127.0.0.1", 0, platform_url=platform_url, client_id=CLIENT_ID,
                                     client_secret=SECRET)
    try:
        requests.post(f"{server.base_url}/_sim/voice/config", json={"callback_delay_seconds": 0.2},
                      timeout=5).raise_for_status()
        with override_settings(HOSPITAL_SIM_URL=server.base_url, FOLLOWUP_VOICE_CLIENTS={CLIENT_ID: SECRET}):
            yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def script(sim, phone, status, answers=None):
    requests.post(f"{sim.base_url}/_sim/voice/scripts", json={"phone": phone, "status": status,
                                                              "answers": answers or {}}, timeout=5).raise_for_status()


def wait_for(predicate, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def status_of(case):
    return FollowupTask.objects.get(case=case).status


@pytest.mark.req("F1", "F3", "F6")
@pytest.mark.django_db(transaction=True)
def test_three_tiers_end_to_end_with_the_voice_callback(discharged, nurse, client_for, live_server, settings):
    from forms.services import response_submit

    # Other contexts' consumers of these events (messages to the patient) answer at once when their system is absent.
    settings.INTEGRATION_HTTP = {**settings.INTEGRATION_HTTP, "attempts": 1, "backoff": 0.0}

    with voice_platform(live_server.url) as sim:
        with transaction.atomic():
            answered = discharged(phone="13900001231")
            partial = discharged(phone="13900001232")
            silent = discharged(phone="13900001233")
            # The path of the cases up to discharge is not what this test is about: its events need no consumers.
            OutboxMessage.objects.filter(dispatched_at__isnull=True).update(dispatched_at=timezone.now())
        script(sim, "13900001231", "completed", {"pain": "8", "fever": "没有", "wound": "干燥"})
        script(sim, "13900001232", "completed", {"pain": "3"})  # hung up after the first question
        script(sim, "13900001233", "no_answer")

        assert services.tasks_generate()["created"] == 3  # each task's first step runs after commit: the call

        # 1. Answered completely by voice: answers parsed into the form, the task done at the first step.
        assert wait_for(lambda: status_of(answered) == TaskStatus.COMPLETED), sim.state.extra
        task = FollowupTask.objects.get(case=answered)
        assert (task.completed_tier, task.outcome) == ("voice", "completed")
        assert task.response.channel == "voice" and task.response.complete
        assert task.response.answers == {"pain": 8, "fever": "no", "wound": "dry"}
        assert task.assignment.status == "completed"
        call = VoiceCall.objects.get(task=task)
        assert call.status == CallStatus.COMPLETED and call.result_source == "callback"
        assert [e for e in event_types(answered) if e != "followup.tag.added"] == [
            "followup.task.created", "followup.voice.started", "followup.voice.finished", "followup.task.completed"]
        assert not answered.events.filter(type__in=["followup.selfreport.requested",
                                                    "followup.manual_call.created"]).exists()
        # Automatic tags: followed up (the outcome) and pain (the form's rule for pain ≥ 7, set from the response).
        assert wait_for(lambda: set(CaseTag.objects.filter(case=answered).values_list("code", flat=True))
                        == {"followed_up", "pain"})

        # 2. Partial voice answers: kept (partial response), then the self-report link for the rest.
        assert wait_for(lambda: status_of(partial) == TaskStatus.SELFREPORT)
        task = FollowupTask.objects.get(case=partial)
        assert task.assignment.status == "partial"
        requested = partial.events.get(type="followup.selfreport.requested").payload
        assert requested["assignment"] == str(task.assignment.uuid) and str(task.assignment.uuid) in requested["link"]
        assert requested["deadline"]
        assert VoiceCall.objects.get(task=task).outcome == "incomplete"
        response_submit(assignment=task.assignment, answers=GOOD, channel="mobile", actor=None)  # the patient
        assert wait_for(lambda: status_of(partial) == TaskStatus.COMPLETED)
        task.refresh_from_db()
        assert task.completed_tier == "selfreport" and task.response.channel == "mobile"
        assert not partial.events.filter(type="followup.manual_call.created").exists()  # not needed any more

        # 3. Not reached: the link, then — not filled in by the deadline — the manual call for a follow-up nurse.
        assert wait_for(lambda: status_of(silent) == TaskStatus.SELFREPORT)
        assert VoiceCall.objects.get(task__case=silent).outcome == "no_answer"
        assert services.advance_overdue()["advanced"] == 0  # the self-report deadline has not passed
        later = timezone.now() + timedelta(hours=25)
        assert services.advance_overdue(now=later)["advanced"] == 1
        task = FollowupTask.objects.get(case=silent)
        assert task.status == TaskStatus.MANUAL
        assert silent.events.get(type="followup.manual_call.created").payload["task"] == str(task.uuid)
        api = client_for(nurse)
        url = f"/api/v1/followup/tasks/{task.uuid}/manual-call/"
        miss = api.post(url, {"reached": False, "note": "无人接听"}, format="json")
        assert miss.status_code == 200 and miss.json()["status"] == "manual"
        done = api.post(url, {"reached": True, "answers": {"pain": 1, "fever": "no", "wound": "dry"}}, format="json")
        assert done.status_code == 200, done.json()
        body = done.json()
        assert body["status"] == "completed" and body["completed_tier"] == "manual"
        assert body["answers"]["channel"] == "staff" and len(body["manual_calls"]) == 2
        assert [e for e in event_types(silent) if e != "followup.tag.added"] == [
            "followup.task.created", "followup.voice.started", "followup.voice.finished",
            "followup.selfreport.requested", "followup.manual_call.created", "followup.task.completed"]
        again = api.post(url, {"reached": False}, format="json")
        assert again.status_code == 409 and again.json()["error"]["code"] == "followup_task_closed"
