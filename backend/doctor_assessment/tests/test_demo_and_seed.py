"""The demo seeding (idempotent, on existing cases) and the cross-cutting seed rows."""

import pytest

from cases.services import case_record_milestone
from clinical.services import clinical_results_fetch
from doctor_assessment.demo import seed_doctor_assessment
from doctor_assessment.models import CaseFinding, CaseRiskState, DoctorAssessment
from doctor_assessment.testing import seed_rows
from doctor_assessment.tests.conftest import case_of, positives
from tests.builders import make_case, make_ward

pytestmark = pytest.mark.django_db


@pytest.mark.req("D5", "D1")
def test_seed_doctor_assessment_is_idempotent(hospital_sim):
    ward = make_ward()
    risky = case_of(positives("5196-1")[0], ward=ward)
    clinical_results_fetch(patient=risky.patient, visit_no=risky.visit_no, actor=None)
    decided = make_case("booked", ward=ward)
    case_record_milestone(case=decided, milestone="preop_assessment", status="passed", actor=None)
    lines = []
    first = seed_doctor_assessment(ward.department.hospital, write=lines.append)
    second = seed_doctor_assessment(ward.department.hospital, write=lines.append)
    assert first["high_risk"] == 1 and first["decisions"] == 1 and second["decisions"] == 0
    assert CaseRiskState.objects.get(case=risky).high_risk
    assert DoctorAssessment.objects.get(case=decided).note
    assert any("doctor assessment" in line for line in lines)


def test_seed_rows_build_the_patient_bearing_rows():
    case = make_case("booked")
    seed_rows(ward=case.ward, patient=case.patient, case=case)
    assert CaseFinding.objects.filter(case=case).exists() and DoctorAssessment.objects.filter(case=case).exists()
