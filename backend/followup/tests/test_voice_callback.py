"""F1/F3: the voice platform's result callback is signed (bad, stale or replayed signatures refused before anything
is read) and idempotent (a second result of the same call changes nothing); a lost callback is polled."""

import json
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from booking.signing import signed_headers
from followup import services
from followup.models import CallStatus, FollowupTask, TaskStatus, VoiceCall, VoiceCallbackNonce
from integrations.testing import sim_post

CALLBACK = "/api/v1/followup/voice-callbacks/"
CLIENT_ID, SECRET = "VOICE-PLATFORM", "voice-test-secret"


def _post(client, payload, *, secret=SECRET, client_id=CLIENT_ID, headers=None, raw=None):
    raw = raw if raw is not None else json.dumps(payload).encode()
    signed = headers or signed_headers(client_id, secret, method="POST", path=CALLBACK, body=raw)
    return client.post(CALLBACK, data=raw, content_type="application/json",
                       **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed.items()})


@pytest.fixture
def calling(discharged, hospital_sim):
    """A due task whose voice call was placed on the (simulated) voice platform."""

    def make(phone):
        case = discharged(phone=phone)
        services.tasks_generate(case_ids=[case.pk])
        task = FollowupTask.objects.get(case=case)
        assert services.voice_call_start(task=task) == "started"
        return VoiceCall.objects.get(task=task)

    return make


@pytest.mark.req("F1", "F3")
@pytest.mark.django_db
def test_the_callback_is_signed_and_a_repeat_changes_nothing(calling, client):
    call = calling("13900002341")
    body = {"call_id": call.call_id, "status": "completed", "answered": True, "duration_seconds": 70,
            "answers": {"pain": "2", "fever": "没有", "wound": "干燥"}, "transcript": "患者按键回答"}
    with override_settings(FOLLOWUP_VOICE_CLIENTS={CLIENT_ID: SECRET}):
        assert client.post(CALLBACK, data=body, content_type="application/json").status_code == 401  # unsigned
        assert _post(client, body, secret="wrong").status_code == 401
        assert _post(client, body, client_id="OTHER").status_code == 401
        raw = json.dumps(body).encode()
        stale = signed_headers(CLIENT_ID, SECRET, method="POST", path=CALLBACK, body=raw, timestamp=time.time() - 3600)
        refused = _post(client, body, headers=stale)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "signature_expired"
        tampered = signed_headers(CLIENT_ID, SECRET, method="POST", path=CALLBACK, body=raw)
        assert _post(client, body, headers=tampered, raw=json.dumps({**body, "status": "no_answer"}).encode()
                     ).status_code == 401
        call.refresh_from_db()
        assert call.status == CallStatus.QUEUED  # nothing applied

        ok = _post(client, body)
        assert ok.status_code == 200 and ok.json() == {"call_id": call.call_id, "outcome": "completed"}
        task = FollowupTask.objects.get(pk=call.task_id)
        assert task.status == TaskStatus.COMPLETED and task.response.answers == {"pain": 2, "fever": "no",
                                                                                 "wound": "dry"}
        # The same request again (same nonce): a replay, refused.
        headers = signed_headers(CLIENT_ID, SECRET, method="POST", path=CALLBACK, body=raw)
        assert _post(client, body, headers=headers).json()["outcome"] == "duplicate"
        replay = _post(client, body, headers=headers)
        assert replay.status_code == 401 and replay.json()["error"]["code"] == "signature_replayed"
        # A new report of the same call (the platform repeating itself, even with other answers): ignored.
        again = _post(client, {**body, "answers": {"pain": "9"}})
        assert again.status_code == 200 and again.json()["outcome"] == "duplicate"
        assert task.assignment.responses.count() == 1
        call.refresh_from_db()
        assert call.duplicate_callbacks == 2 and call.answers["pain"] == "2"
        assert task.case.events.filter(type="followup.voice.finished").count() == 1
        assert VoiceCallbackNonce.objects.count() == 3

        unknown = _post(client, {**body, "call_id": "CALL-NOPE"})
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_call"
        bad = _post(client, {**body, "status": "maybe"})
        assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]
        assert _post(client, None, raw=b"[1, 2]").status_code == 400


@pytest.mark.req("F1")
@pytest.mark.django_db
def test_a_lost_callback_is_polled_and_a_silent_platform_moves_on(calling, hospital_sim):
    # The platform answered the call but its callback never arrived: the advance job reads the result.
    sim_post(hospital_sim, "voice/scripts", {"phone": "13900002342", "status": "completed",
                                             "answers": {"pain": "1", "fever": "否", "wound": "dry"}})
    call = calling("13900002342")
    later = timezone.now() + timedelta(hours=5)
    assert services.advance_overdue(now=later)["polled"] == 1
    call.refresh_from_db()
    assert call.result_source == "poll" and call.status == CallStatus.COMPLETED
    assert FollowupTask.objects.get(pk=call.task_id).status == TaskStatus.COMPLETED

    # A call whose platform says it is still running past the window: no result in time → the self-report link.
    call = calling("13900002343")
    VoiceCall.objects.filter(pk=call.pk).update(call_id="CALL-GONE")  # the platform does not know it any more
    assert services.advance_overdue(now=later)["advanced"] == 1
    call.refresh_from_db()
    assert call.status == CallStatus.NO_RESULT
    task = FollowupTask.objects.get(pk=call.task_id)
    assert task.status == TaskStatus.SELFREPORT
    assert task.case.events.filter(type="followup.selfreport.requested").exists()


@pytest.mark.req("F1")
@pytest.mark.django_db
def test_a_result_arriving_after_the_task_moved_on_still_completes_it(calling, client):
    call = calling("13900002344")
    VoiceCall.objects.filter(pk=call.pk).update(call_id="CALL-LATE-1")  # the platform will not answer a poll
    services.advance_overdue(now=timezone.now() + timedelta(hours=5))
    task = FollowupTask.objects.get(pk=call.task_id)
    assert task.status == TaskStatus.SELFREPORT  # gave up waiting for the voice result
    body = {"call_id": "CALL-LATE-1", "status": "completed", "answered": True,
            "answers": {"pain": "1", "fever": "no", "wound": "dry"}}
    with override_settings(FOLLOWUP_VOICE_CLIENTS={CLIENT_ID: SECRET}):
        res = _post(client, body)
        assert res.status_code == 200 and res.json()["outcome"] == "completed"
        task.refresh_from_db()
        assert (task.status, task.completed_tier) == (TaskStatus.COMPLETED, "voice")
        call.refresh_from_db()
        assert call.result_source == "callback_late"
        assert _post(client, body).json()["outcome"] == "duplicate"


@pytest.mark.req("F3")
@pytest.mark.django_db
def test_the_his_key_cannot_post_voice_results(calling, client):
    """The voice vendor is outside the hospital: a HIS workstation key is no voice-platform key."""
    call = calling("13900002349")
    body = {"call_id": call.call_id, "status": "completed", "answered": True, "answers": {"pain": "9"}}
    with override_settings(FOLLOWUP_VOICE_CLIENTS={}, BOOKING_HIS_CLIENTS={"HIS-1": "his-secret"}):
        assert _post(client, body, client_id="HIS-1", secret="his-secret").status_code == 401
    call.refresh_from_db()
    assert call.status == CallStatus.QUEUED
