"""SA8 under real parallel transactions: two staff saving the first version of a plan at once — one wins, the other
is told someone else changed it (no lost update, one draft)."""

import pytest
from django.db import connection

from accounts.models import User
from cases.models import SurgicalCase
from recovery.models import TreatmentPlanVersion
from recovery.services import treatment_plan_save
from recovery.tests.conftest import WEEK
from tests.builders import make_case, make_staff, make_ward
from tests.concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.req("SA8")]


def test_two_first_saves_at_once_one_wins(transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks of a real server")
    ward = make_ward()
    doctor, nurse = make_staff("doctor", ward=ward), make_staff("nurse", ward=ward)
    case = make_case("discharged", ward=ward, surgeon=doctor)

    def save(user_pk, title):
        def job():
            items = [{**WEEK[-1], "title": title}]
            return treatment_plan_save(case=SurgicalCase.objects.get(pk=case.pk), actor=User.objects.get(pk=user_pk),
                                       items=items, base_version=0).number
        return job

    results = race([save(doctor.pk, "医生写的"), save(nurse.pk, "护士写的")])
    assert sorted(results) == [("ok", 1), ("refused", "version_conflict")], results
    assert TreatmentPlanVersion.objects.filter(plan__case=case).count() == 1
