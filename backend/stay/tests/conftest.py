"""Fixtures of the stay tests: a day-surgery ward with its nurse and surgeon, and scheduled cases of patients the
simulated HIS knows (each test takes patients nobody else admitted: the simulator outlives the test's rollback
and refuses a second open stay of the same patient, as a HIS does)."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.testing import sim_patients
from tests.builders import make_case, make_patient, make_staff

_next_sim_patient = itertools.count(150)  # patients 150..199 of the simulator (other apps read the first ones)
_sim_reg_nos: list[str] = []


@pytest.fixture
def doctor(ward):
    return make_staff("doctor", ward=ward, employee_no="E0001")


@pytest.fixture
def sim_reg_no(hospital_sim):
    """A fresh simulator patient's 登记号 (factory)."""
    if not _sim_reg_nos:
        _sim_reg_nos.extend(p["reg_no"] for p in sim_patients(hospital_sim))

    def take():
        return _sim_reg_nos[next(_next_sim_patient) % len(_sim_reg_nos)]

    return take


@pytest.fixture
def scheduled_case(ward, doctor, sim_reg_no):
    """A factory of cases scheduled for today, of simulator patients."""

    def make(**kwargs):
        patient = make_patient(reg_no=sim_reg_no())
        return make_case("scheduled", ward=ward, surgeon=doctor, patient=patient, **kwargs)

    return make


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)
