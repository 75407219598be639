"""The demo booking policy is seeded once and a second run adds nothing."""

import pytest

from booking_policy.demo import RULES, seed_booking_policy
from booking_policy.models import BookingModeGrant
from org.models import MedicalGroup
from tests.builders import make_department, make_staff, make_ward

pytestmark = pytest.mark.django_db


@pytest.mark.req("B5", "U4")
def test_seed_booking_policy_is_idempotent():
    dept = make_department()
    ward = make_ward(department=dept)
    leader = make_staff("doctor", ward=ward)
    MedicalGroup.objects.create(department=dept, name="一组", leader=leader)
    make_staff("doctor", department=dept, is_virtual=True)
    assert seed_booking_policy(dept.hospital, write=lambda line: None) == {"rules": len(RULES), "grants": 2}
    assert seed_booking_policy(dept.hospital, write=lambda line: None) == {"rules": 0, "grants": 0}
    assert set(BookingModeGrant.objects.values_list("mode", flat=True)) == {"group", "virtual"}
