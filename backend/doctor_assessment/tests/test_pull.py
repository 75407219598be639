"""D1: results of cases planned in the next days are pulled automatically (the beat task), within each hospital's
settings; a hospital system that is down is recorded per case and the task moves on."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from clinical.models import ExamImage, LabReport
from doctor_assessment.models import CaseRiskState
from doctor_assessment.services import assessment_settings_update
from doctor_assessment.tasks import pull_results_task
from doctor_assessment.tests.conftest import case_of, lab_day, positives, sim_hospital
from integrations.testing import sim_post
from tests.builders import make_ward

pytestmark = pytest.mark.django_db


def recent_positive(code="5196-1", within=20):
    """A screening-positive patient whose labs are at most `within` days old (in the default window)."""
    today = timezone.localdate()
    return next(r for r in positives(code) if (today - lab_day(r)).days <= within)


@pytest.mark.req("D1", "D5")
def test_the_periodic_pull_fetches_evaluates_and_skips_cases_too_far_ahead(hospital_sim):
    ward = make_ward()
    today = timezone.localdate()
    soon = case_of(recent_positive(), ward=ward, planned_date=today + timedelta(days=2))
    far = case_of(sim_hospital().patients[0].reg_no, ward=ward, planned_date=today + timedelta(days=20))
    counts = pull_results_task()
    assert counts["cases"] == 1 and counts["failed"] == 0
    assert LabReport.objects.filter(patient=soon.patient).count() >= 4
    assert not LabReport.objects.filter(patient=far.patient).exists()
    state = CaseRiskState.objects.get(case=soon)
    assert state.results_pulled_at and state.pull_error == "" and state.high_risk
    assert ExamImage.objects.filter(report__patient=soon.patient, status="stored").exists()  # D3: images copied
    # pulled recently: the next run leaves it alone; a hospital that looks further ahead gets the far case too
    assert pull_results_task()["cases"] == 0
    assessment_settings_update(actor=None, hospital=ward.department.hospital, pull_ahead_days=21)
    assert pull_results_task()["cases"] == 1
    assert LabReport.objects.filter(patient=far.patient).exists()


@pytest.mark.req("D1")
def test_a_hospital_system_down_is_recorded_and_retried_next_time(hospital_sim):
    ward = make_ward()
    case = case_of(recent_positive("16128-1", within=25), ward=ward,
                   planned_date=timezone.localdate() + timedelta(days=1))
    sim_post(hospital_sim, "faults", {"path": "/fhir/DiagnosticReport", "status": 503, "count": 2})
    with override_settings(INTEGRATION_HTTP={"timeout": 5, "attempts": 1, "backoff": 0}):
        counts = pull_results_task()
    assert counts == {"cases": 1, "failed": 1}
    assert CaseRiskState.objects.get(case=case).pull_error == "external_unavailable"
    with override_settings(DOCTOR_ASSESSMENT_PULL_EVERY_MINUTES=0):
        assert pull_results_task() == {"cases": 1, "failed": 0}
    state = CaseRiskState.objects.get(case=case)
    assert state.pull_error == "" and state.high_risk and "infectious" in state.categories
