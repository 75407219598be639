"""Fixtures of the messaging tests: a day-surgery ward of the demo hospital with its surgeon, a day-surgery
manager (holder of preop.manage_bookings) and a patient who uses the mini-program; `deliver` runs the outbox
messages a block wrote through messaging's own handlers, as a worker would (other contexts' consumers are left
out: these tests are about messaging)."""

import itertools
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tests.builders import make_case, make_patient, make_patient_account, make_staff

_openids = itertools.count(1)


@pytest.fixture
def surgeon(ward):
    return make_staff("doctor", ward=ward, name="李主任")


@pytest.fixture
def manager(ward):
    return make_staff("nurse", ward=ward, name="王护士长")  # nurses hold preop.manage_bookings


@pytest.fixture
def patient_with_app():
    """(patient, account) — the account has a WeChat openid; `refused=True` gives one WeChat refuses (43101)."""

    def make(*, refused=False, **kwargs):
        patient = make_patient(**kwargs)
        suffix = "-refused" if refused else ""
        account = make_patient_account(patient=patient, openid=f"o-msg-{next(_openids)}-{id(patient)}{suffix}")
        return patient, account

    return make


@pytest.fixture
def case_of(ward, surgeon):
    def make(state="booked", *, patient=None, days=1, **kwargs):
        return make_case(state, ward=ward, surgeon=surgeon, patient=patient or make_patient(),
                         planned_date=timezone.localdate() + timedelta(days=days), **kwargs)

    return make


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Run `fn`, then deliver every outbox message written since to messaging's handlers (each in its own
    transaction, recorded as delivered), until no new message appears. Returns fn's result."""
    from core.models import OutboxDelivery, OutboxMessage
    from core.outbox import handlers_for

    def run(fn, *args, **kwargs):
        last = OutboxMessage.objects.order_by("-id").values_list("id", flat=True).first() or 0
        with django_capture_on_commit_callbacks(execute=False):
            result = fn(*args, **kwargs)
        pending_all(since=last)
        return result

    def pending_all(since=None):
        last = since if since is not None else 0
        delivered = set(OutboxDelivery.objects.values_list("message_id", "handler"))
        while True:
            messages = list(OutboxMessage.objects.filter(id__gt=last).order_by("id"))
            if not messages:
                return
            for message in messages:
                last = message.id
                for handler in handlers_for(message.topic):
                    if (handler.name.startswith("messaging.") and handler.wants(message)
                            and (message.id, handler.name) not in delivered):
                        with django_capture_on_commit_callbacks(execute=False), transaction.atomic():
                            handler.func(message)
                            OutboxDelivery.objects.create(message=message, handler=handler.name)

    run.pending = pending_all
    return run
