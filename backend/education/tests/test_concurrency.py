"""Reading under real parallel transactions (M3): a double-tapped start opens one session; finishes racing each other
record the reading once (one event on the case)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import PatientAccount
from cases.models import CaseEvent, SurgicalCase
from education import services
from education.models import Material, ReadingSession
from tests.concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.req("M3")]


def test_parallel_starts_and_finishes_record_one_reading(case, account):
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks of a real server")
    material = Material.objects.get(hospital__isnull=True, key="preop_instructions")

    def start():
        return services.reading_start(case=SurgicalCase.objects.get(pk=case.pk), material=material,
                                      actor=PatientAccount.objects.get(pk=account.pk)).pk

    started = race([start for _ in range(3)])
    assert {kind for kind, _v in started} == {"ok"}, started
    assert len({v for _k, v in started}) == 1 and ReadingSession.objects.filter(case=case).count() == 1
    ReadingSession.objects.filter(case=case).update(started_at=timezone.now() - timedelta(hours=1))

    def finish():
        session = ReadingSession.objects.select_related("case").get(case=case)
        return services.reading_finish(session=session, actor=PatientAccount.objects.get(pk=account.pk)).pk

    finished = race([finish for _ in range(3)])
    assert {kind for kind, _v in finished} == {"ok"}, finished
    assert CaseEvent.objects.filter(case=case, type="education.material.read").count() == 1
