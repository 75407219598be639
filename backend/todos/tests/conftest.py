"""Fixtures of the to-do tests: two wards (A and B, two departments) of one hospital with their staff, a virtual
surgeon, helpers to append the issue-6 contract events on a case and to deliver the outbox to the to-do handler."""

import uuid
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from preop.tests.conftest import deliver as _deliver
from tests.builders import make_department, make_hospital, make_staff, make_ward


def deliver():
    return _deliver("todos.")


def emit(case, type, **data):
    """Another context appends a contract event on the case (as its service would, in its own transaction)."""
    from cases.services import case_append_event, case_lock

    with transaction.atomic():
        return case_append_event(case_lock(case), type=type, actor=None, payload=data)


def new_id():
    return str(uuid.uuid4())


def in_hours(hours):
    return (timezone.now() + timedelta(hours=hours)).isoformat()


@pytest.fixture
def world(db):
    hospital, _campus = make_hospital()
    ward_a = make_ward(department=make_department(name="普外科", hospital=hospital), name="日间病区A")
    ward_b = make_ward(department=make_department(name="眼科", hospital=hospital), name="日间病区B")
    return {
        "hospital": hospital, "ward_a": ward_a, "ward_b": ward_b,
        "doctor_a": make_staff("doctor", ward=ward_a, name="李医生"),
        "nurse_a": make_staff("nurse", ward=ward_a, name="赵护士"),
        "nurse_b": make_staff("nurse", ward=ward_b, name="钱护士"),
        "followup_a": make_staff("followup_nurse", ward=ward_a, name="孙随访"),
        "followup_b": make_staff("followup_nurse", ward=ward_b, name="吴随访"),
        "virtual_a": make_staff("doctor", ward=ward_a, name="日间虚拟医生", is_virtual=True),
        "admin": make_staff("hospital_admin", department=ward_a.department, name="周管理"),
    }
