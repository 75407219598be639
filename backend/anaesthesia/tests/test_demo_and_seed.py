"""The demo seed (in-progress, passed and failed assessments through the real services) and the seed rows of the
cross-cutting tests."""

import pytest

from anaesthesia.demo import seed_anaesthesia
from anaesthesia.models import AnaesthesiaAssessment
from anaesthesia.testing import seed_rows
from anaesthesia.tests.conftest import plain_case
from tests.builders import make_patient

pytestmark = pytest.mark.django_db


def test_demo_seed_creates_assessments_in_every_state_and_is_idempotent(clinic, hospital_sim,
                                                                        django_capture_on_commit_callbacks):
    cases = [plain_case(clinic) for _ in range(10)]
    hospital = clinic["ward"].department.hospital
    lines = []
    with django_capture_on_commit_callbacks(execute=True):
        created = seed_anaesthesia(hospital, write=lines.append)
    assert created == {"in_progress": 3, "passed": 4, "failed": 2}
    assert any("anaesthesia clinic:" in line for line in lines)
    failed = AnaesthesiaAssessment.objects.filter(status="failed").select_related("case")
    assert all(a.case.state == "terminated" for a in failed)
    assert seed_anaesthesia(hospital, write=lines.append) == {"in_progress": 0, "passed": 0, "failed": 0}
    assert AnaesthesiaAssessment.objects.filter(case__in=cases).count() == 9


def test_seed_rows_give_the_cross_cutting_tests_one_of_each_row(clinic):
    case = plain_case(clinic)
    seed_rows(ward=clinic["ward"], patient=case.patient, case=case)
    seed_rows(ward=clinic["ward"], patient=make_patient(), case=None)
    assert AnaesthesiaAssessment.objects.filter(ward=clinic["ward"]).count() == 3
