"""The demo seed fetches the demo cases' results and the coming sedation lists from the simulator, idempotently."""

import pytest
from django.test import override_settings

from anaesthesia.models import SedationAppointment
from clinical.demo import seed_clinical
from clinical.models import ExamReport, LabReport
from clinical.tests.test_results import case_for, sim_patient
from tests.builders import make_ward

pytestmark = pytest.mark.django_db


def test_seed_clinical_is_idempotent(hospital_sim):
    ward = make_ward(code="SED-DEMO")
    case_for(sim_patient(hospital_sim, 3), ward=ward)
    case_for(sim_patient(hospital_sim, 4), ward=ward)
    lines = []
    with override_settings(ANAESTHESIA_SEDATION_WARDS={"default": "SED-DEMO"}):
        first = seed_clinical(ward.department.hospital, write=lines.append)
        second = seed_clinical(ward.department.hospital, write=lines.append)
    assert first["cases"] == 2 and first["labs"] == 5 + 4 and first["exams"] == 4
    assert first == second
    assert LabReport.objects.count() == 9 and ExamReport.objects.count() == 4
    assert SedationAppointment.objects.count() == first["sedation_appointments"] > 0
    assert any("clinical results" in line for line in lines)
