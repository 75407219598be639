"""Admission under real parallel transactions (G3): a double-click registers one stay; two nurses giving the same
bed to two patients at once: one wins, the other is told the bed is taken."""

import pytest
from django.db import connection

from accounts.models import User
from cases.models import SurgicalCase
from integrations.testing import sim_get
from stay.models import Admission
from stay.services import admission_register
from tests.concurrency import race

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.req("G3")]


def _register(case_pk, nurse_pk, bed_no=""):
    def job():
        case = SurgicalCase.objects.select_related("patient", "ward", "department", "surgeon").get(pk=case_pk)
        return admission_register(case=case, actor=User.objects.get(pk=nurse_pk), bed_no=bed_no).admission_no

    return job


def test_parallel_registrations_of_one_case_open_one_stay(hospital_sim, scheduled_case, nurse):
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks of a real server")
    case = scheduled_case()
    results = race([_register(case.pk, nurse.pk) for _ in range(4)])
    oks = [value for kind, value in results if kind == "ok"]
    assert len(oks) == 1, results
    assert sorted(kind for kind, _v in results) == ["ok", "refused", "refused", "refused"], results
    assert {v for kind, v in results if kind == "refused"} <= {"already_admitted", "invalid_transition"}
    assert Admission.objects.filter(case=case).count() == 1
    assert len(sim_get(hospital_sim, "adt/encounters", case=str(case.uuid))["encounters"]) == 1


def test_one_bed_two_patients_at_once(hospital_sim, scheduled_case, nurse):
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks of a real server")
    first, second = scheduled_case(), scheduled_case()
    results = race([_register(first.pk, nurse.pk, "08"), _register(second.pk, nurse.pk, "08")])
    assert sorted(kind for kind, _v in results) == ["ok", "refused"], results
    assert [v for kind, v in results if kind == "refused"] == ["bed_occupied"]
    assert Admission.objects.filter(bed_no="08").count() == 1
