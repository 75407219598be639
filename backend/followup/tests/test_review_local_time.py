"""Review of issue 6 (R2): follow-up dates and message times are instants of the hospital's local day
(Asia/Shanghai), pinned here against explicit offsets so a UTC slip (8 hours) cannot pass unnoticed."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from cases.models import SurgicalCase
from followup import services
from followup.models import FollowupTask
from tests.builders import make_case

pytestmark = [pytest.mark.django_db]
CST = ZoneInfo("Asia/Shanghai")


@pytest.mark.req("F2")
def test_follow_up_dates_count_from_local_times(ward, doctor, form):
    case = make_case("discharged", ward=ward, surgeon=doctor)
    # Operated 2026-03-02 16:30 and discharged 2026-03-02 19:00 Beijing time.
    SurgicalCase.objects.filter(pk=case.pk).update(
        operated_at=datetime(2026, 3, 2, 16, 30, tzinfo=CST), discharged_at=datetime(2026, 3, 2, 19, 0, tzinfo=CST))
    services.tasks_generate(now=datetime(2026, 3, 9, 17, 0, tzinfo=CST), case_ids=[case.pk])
    due = {t.point_key: t.due_at for t in FollowupTask.objects.filter(case=case)}
    assert due["d1"] == datetime(2026, 3, 3, 19, 0, tzinfo=CST)  # 24 h after the actual discharge
    assert due["d7"] == datetime(2026, 3, 9, 16, 30, tzinfo=CST)  # day 7 after the operation

    # Without theatre facts the planned day counts, at 08:00 local (00:00 UTC), not 08:00 UTC (16:00 local).
    SurgicalCase.objects.filter(pk=case.pk).update(
        operated_at=None, incision_end_at=None, theatre_out_at=None, incision_start_at=None, theatre_in_at=None,
        planned_date=date(2026, 3, 2), scheduled_start=None)
    case.refresh_from_db()
    assert services.surgery_time(case) == datetime(2026, 3, 2, 8, 0, tzinfo=CST)


@pytest.mark.req("W1")
def test_the_surgery_eve_reminder_goes_at_16_00_beijing_time_the_day_before(ward, doctor):
    from django.utils import timezone

    from messaging.models import MessagePlan
    from messaging.services import _offset_candidates

    day = timezone.localdate() + timedelta(days=10)
    case = make_case("booked", ward=ward, surgeon=doctor, planned_date=day)
    plan = MessagePlan.objects.get(hospital__isnull=True, key="surgery_eve_reminder")
    eve = datetime.combine(day - timedelta(days=1), time(16, 0), tzinfo=CST)
    assert [c.pk for c, _a in _offset_candidates(plan, eve + timedelta(minutes=1))] == [case.pk]
    assert [c.pk for c, _a in _offset_candidates(plan, eve - timedelta(minutes=1))] == []
    # 16:00 UTC would be midnight in Beijing: the window (6 h) has long closed by then.
    late = datetime.combine(day - timedelta(days=1), time(16, 0), tzinfo=ZoneInfo("UTC"))
    assert [c.pk for c, _a in _offset_candidates(plan, late)] == []
