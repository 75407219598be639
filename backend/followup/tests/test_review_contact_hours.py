"""Review of issue 6 (R2): the beat jobs never call a post-operative patient or text them a self-report link at
night. A time point due in the evening waits for the morning (FOLLOWUP_CONTACT_HOURS, Beijing time); a voice step
that ran out at night moves on to the self-report link in the morning; the manual-call to-do (staff only) is not
held back."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from cases.models import SurgicalCase
from followup import services
from followup.conf import contact_hours_open
from followup.models import FollowupTask, TaskStatus
from tests.builders import make_case

pytestmark = [pytest.mark.django_db]
CST = ZoneInfo("Asia/Shanghai")


def test_contact_hours_are_local_and_configurable():
    assert contact_hours_open(datetime(2026, 3, 3, 8, 0, tzinfo=CST))
    assert not contact_hours_open(datetime(2026, 3, 3, 20, 0, tzinfo=CST))
    assert not contact_hours_open(datetime(2026, 3, 3, 7, 59, tzinfo=CST))
    assert not contact_hours_open(datetime(2026, 3, 3, 13, 0, tzinfo=ZoneInfo("UTC")))  # 21:00 in Beijing
    with override_settings(FOLLOWUP_CONTACT_HOURS=""):
        assert contact_hours_open(datetime(2026, 3, 3, 2, 0, tzinfo=CST))


@pytest.mark.req("F1", "F2")
def test_the_beat_jobs_wait_for_the_morning_to_contact_the_patient(ward, doctor, form):
    case = make_case("discharged", ward=ward, surgeon=doctor)
    # Discharged 2026-03-02 21:30: the 24-hour follow-up falls at 21:30 the next evening.
    SurgicalCase.objects.filter(pk=case.pk).update(operated_at=datetime(2026, 3, 2, 15, 0, tzinfo=CST),
                                                   discharged_at=datetime(2026, 3, 2, 21, 30, tzinfo=CST))
    night = datetime(2026, 3, 3, 22, 0, tzinfo=CST)
    assert services.tasks_generate(now=night, case_ids=[case.pk], contact_hours=True)["created"] == 0
    assert not FollowupTask.objects.filter(case=case).exists()
    morning = datetime(2026, 3, 4, 8, 5, tzinfo=CST)
    assert services.tasks_generate(now=morning, case_ids=[case.pk], contact_hours=True)["created"] == 1
    task = FollowupTask.objects.get(case=case, point_key="d1")
    assert task.due_at == datetime(2026, 3, 3, 21, 30, tzinfo=CST)  # the follow-up date itself is unchanged

    # A voice step (no result) that runs out at night: the self-report SMS waits for the morning.
    FollowupTask.objects.filter(pk=task.pk).update(status=TaskStatus.VOICE,
                                                   step_deadline_at=datetime(2026, 3, 4, 19, 0, tzinfo=CST))
    services.advance_overdue(now=datetime(2026, 3, 5, 2, 0, tzinfo=CST), task_ids=[task.pk], contact_hours=True)
    task.refresh_from_db()
    assert task.status == TaskStatus.VOICE
    assert not case.events.filter(type="followup.selfreport.requested").exists()
    services.advance_overdue(now=datetime(2026, 3, 5, 8, 1, tzinfo=CST), task_ids=[task.pk], contact_hours=True)
    task.refresh_from_db()
    assert task.status == TaskStatus.SELFREPORT
    assert case.events.filter(type="followup.selfreport.requested").count() == 1

    # The self-report ran out at night: the nurses' manual-call to-do is opened at once (no patient contact).
    FollowupTask.objects.filter(pk=task.pk).update(step_deadline_at=datetime(2026, 3, 5, 23, 0, tzinfo=CST))
    services.advance_overdue(now=datetime(2026, 3, 5, 23, 30, tzinfo=CST), task_ids=[task.pk], contact_hours=True)
    task.refresh_from_db()
    assert task.status == TaskStatus.MANUAL
    assert task.step_deadline_at == datetime(2026, 3, 5, 23, 30, tzinfo=CST) + timedelta(hours=24)


def test_the_beat_tasks_respect_contact_hours(monkeypatch):
    from followup import tasks

    seen = {}
    monkeypatch.setattr(services, "tasks_generate", lambda **kw: seen.setdefault("generate", kw))
    monkeypatch.setattr(services, "advance_overdue", lambda **kw: seen.setdefault("advance", kw))
    tasks.generate_tasks()
    tasks.advance_overdue()
    assert seen == {"generate": {"contact_hours": True}, "advance": {"contact_hours": True}}
