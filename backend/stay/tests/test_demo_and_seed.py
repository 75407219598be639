"""The demo seed runs on existing cases, idempotently; the matrix/fuzzer seed rows are complete."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import CaseEvent
from stay.demo import seed_stay
from stay.models import (
    Admission,
    AdverseEvent,
    Complication,
    Discharge,
    DischargeAssessment,
    InpatientTransfer,
    TheatreTime,
    UnplannedReturn,
)
from stay.testing import seed_rows
from tests.builders import make_case, make_patient, make_staff

pytestmark = pytest.mark.django_db


def _operated(case):
    """make_case leaves the theatre facts empty: give them as the demo's cases have them."""
    now = timezone.now()
    case.theatre_in_at = case.admitted_at + timedelta(minutes=30) if case.admitted_at else now - timedelta(hours=4)
    case.incision_start_at = case.theatre_in_at + timedelta(minutes=15)
    case.incision_end_at = case.incision_start_at + timedelta(minutes=50)
    case.theatre_out_at = case.incision_end_at + timedelta(minutes=10)
    case.operated_at = case.theatre_out_at
    case.save()
    return case


def test_seed_stay_is_idempotent_and_goes_through_the_services(hospital_sim, ward, doctor, sim_reg_no):
    make_staff("nurse", ward=ward)
    hospital = ward.department.hospital
    admitted_hours = timezone.now() - timedelta(hours=8)
    admitted = make_case("admitted", ward=ward, surgeon=doctor, patient=make_patient(reg_no=sim_reg_no()),
                         admitted_at=admitted_hours)
    operated = _operated(make_case("operated", ward=ward, surgeon=doctor, admitted_at=admitted_hours))
    discharged = make_case("operated", ward=ward, surgeon=doctor, admitted_at=admitted_hours)
    _operated(discharged)
    from stay.services import discharge_assessment_record

    discharge_assessment_record(case=discharged, actor=None, items={"vital_signs": 2, "activity": 2,
                                                                    "nausea_vomiting": 2, "pain": 2,
                                                                    "surgical_bleeding": 2})
    from cases.services import case_transition

    case_transition(case=discharged, transition="discharge", actor=None)
    transferred = _operated(make_case("operated", ward=ward, surgeon=doctor, admitted_at=admitted_hours))
    case_transition(case=transferred, transition="transfer_to_inpatient", actor=None, reason="术后出血")
    lines = []
    counts = seed_stay(hospital, write=lines.append)
    assert counts["admissions"] == 1 and Admission.objects.get(case=admitted).admission_no
    assert counts["theatre_times"] == 3 and TheatreTime.objects.filter(case=operated, point="room_out").exists()
    assert counts["assessments"] == 1 and DischargeAssessment.objects.filter(case=operated).exists()
    assert counts["discharges"] == 1 and Discharge.objects.get(case=discharged).instructions["warning_signs"]
    assert counts["complications"] >= 1 and counts["adverse_events"] == 1 and counts["unplanned_returns"] == 1
    assert CaseEvent.objects.filter(case=operated, type="stay.theatre_time.recorded").count() >= 6
    assert lines[-1].startswith("  stay:")
    again = seed_stay(hospital, write=lines.append)
    assert sum(again.values()) == 0


def test_seed_rows_create_one_row_of_every_model(ward, doctor):
    case = make_case("operated", ward=ward, surgeon=doctor)
    seed_rows(ward=ward, patient=case.patient, case=case)
    for model in (Admission, TheatreTime, Complication, AdverseEvent, UnplannedReturn, DischargeAssessment,
                  Discharge, InpatientTransfer):
        assert model.objects.filter(case=case, ward=ward).count() == 1, model
