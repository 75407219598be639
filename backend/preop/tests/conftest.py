"""Fixtures of the pre-op tests: two wards (A and B, two departments) in one hospital, their staff, and a helper
that delivers outbox messages to chosen handlers only (other contexts' consumers are tested by them)."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tests.builders import make_department, make_hospital, make_staff, make_ward


def future(days=3):
    return timezone.localdate() + timedelta(days=days)


def deliver(*prefixes):
    """Run the outbox handlers whose names start with `prefixes` (default preop.) on every message not yet
    delivered to them, until nothing new arrives (handlers append events that are messages in turn)."""
    from core.models import OutboxDelivery, OutboxMessage
    from core.outbox import handlers_for

    prefixes = prefixes or ("preop.",)
    ran = 0
    for _round in range(20):
        progress = False
        for message in OutboxMessage.objects.order_by("id"):
            for handler in handlers_for(message.topic):
                if not handler.name.startswith(prefixes) or not handler.wants(message):
                    continue
                if OutboxDelivery.objects.filter(message=message, handler=handler.name).exists():
                    continue
                with transaction.atomic():
                    handler.func(message)
                    OutboxDelivery.objects.create(message=message, handler=handler.name)
                progress, ran = True, ran + 1
        if not progress:
            return ran
    raise AssertionError("outbox did not settle")


@pytest.fixture
def world(db):
    hospital, _campus = make_hospital()
    ward_a = make_ward(department=make_department(name="普外科", hospital=hospital), name="日间病区A")
    ward_b = make_ward(department=make_department(name="眼科", hospital=hospital), name="日间病区B")
    return {
        "hospital": hospital,
        "ward_a": ward_a,
        "ward_b": ward_b,
        "doctor_a": make_staff("doctor", ward=ward_a, name="李医生"),
        "doctor_a2": make_staff("doctor", ward=ward_a, name="王医生"),
        "nurse_a": make_staff("nurse", ward=ward_a, name="赵护士"),
        "nurse_b": make_staff("nurse", ward=ward_b, name="钱护士"),
        "followup_a": make_staff("followup_nurse", ward=ward_a, name="孙随访"),
        "admin": make_staff("hospital_admin", department=ward_a.department, name="周管理"),
    }
