"""The demo's follow-ups are built through the services and are idempotent."""

import pytest

from followup.demo import seed_followup
from followup.models import CaseTag, FollowupTask, TaskStatus
from tests.builders import make_case, make_staff


@pytest.mark.django_db
def test_demo_follow_ups(ward, doctor, nurse):
    make_staff("followup_nurse", ward=ward)
    cases = [make_case("follow_up", ward=ward, surgeon=doctor) for _ in range(5)]
    counts = seed_followup(ward.department.hospital, write=lambda line: None)
    assert counts["brought_forward"] == 5 and counts["skipped"] == 0
    statuses = sorted(FollowupTask.objects.filter(case__in=cases).values_list("status", flat=True))
    assert statuses == sorted([TaskStatus.PENDING, TaskStatus.COMPLETED, TaskStatus.COMPLETED, TaskStatus.MANUAL,
                               TaskStatus.COMPLETED])
    assert CaseTag.objects.filter(code="followed_up").count() == 3
    assert CaseTag.objects.filter(code="revisit").count() == 1
    assert CaseTag.objects.exclude(code__in=["followed_up", "revisit"]).exists()  # abnormal answers
    again = seed_followup(ward.department.hospital, write=lambda line: None)
    assert again["brought_forward"] == 0 and FollowupTask.objects.count() == 5
