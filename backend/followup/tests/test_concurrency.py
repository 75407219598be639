"""F2/F1 under real parallel transactions: two generation runs at once create each task once; two reports of the
same call at once record the answers once."""

import pytest
from django.db import transaction
from django.utils import timezone

from core.models import OutboxMessage
from followup import services
from followup.models import FollowupTask, VoiceCall
from integrations.ports.voice import VoiceCallResult
from tests.concurrency import race


@pytest.mark.req("F2", "F1")
@pytest.mark.django_db(transaction=True)
def test_parallel_runs_and_callbacks_change_things_once(discharged, hospital_sim, settings):
    settings.INTEGRATION_HTTP = {**settings.INTEGRATION_HTTP, "attempts": 1, "backoff": 0.0}
    with transaction.atomic():
        cases = [discharged(phone=f"1390000345{i}") for i in range(1, 4)]
        OutboxMessage.objects.filter(dispatched_at__isnull=True).update(dispatched_at=timezone.now())

    results = race([services.tasks_generate, services.tasks_generate])
    assert all(kind == "ok" for kind, _ in results), results
    assert sum(value["created"] for _, value in results) == 3  # between them, each task once
    assert FollowupTask.objects.filter(case__in=cases).count() == 3
    assert all(c.events.filter(type="followup.task.created").count() == 1 for c in cases)

    # The first step ran after commit: the voice call was placed on the simulator (no callback configured there).
    call = VoiceCall.objects.get(task__case=cases[0])
    result = VoiceCallResult(call_id=call.call_id, status="completed", answered=True,
                             answers={"pain": "2", "fever": "no", "wound": "dry"})
    outcomes = race([lambda: services.voice_result_apply(result=result)] * 2)
    assert sorted(value for _, value in outcomes) == ["completed", "duplicate"], outcomes
    task = FollowupTask.objects.get(pk=call.task_id)
    assert task.assignment.responses.count() == 1
    assert task.case.events.filter(type="followup.task.completed").count() == 1
