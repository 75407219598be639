"""Shared builders of the doctor-assessment tests: simulator patients picked by what their results say."""

from datetime import timedelta
from functools import cache

import pytest
from django.utils import timezone

from cases.models import SurgicalCase
from hospital_sim.data import Hospital
from tests.builders import make_case, make_patient


@cache
def sim_hospital() -> Hospital:
    """The simulator's hospital as the `hospital_sim` fixture serves it (default seed, anchored today)."""
    return Hospital()


def positives(code: str) -> list[str]:
    return sim_hospital().infectious_positive()[code]


def lab_day(reg_no: str):
    """The local date the patient's labs were issued (their last visit)."""
    report = next(r for r in sim_hospital().labs if r.reg_no == reg_no)
    return timezone.localtime(report.issued_at).date()


def negative_everywhere() -> list[str]:
    """Patients with every screening item negative."""
    flagged = {reg for regs in sim_hospital().infectious_positive().values() for reg in regs}
    return [p.reg_no for p in sim_hospital().patients if p.reg_no not in flagged]


def case_of(reg_no: str, *, ward=None, surgeon=None, state="booked", planned_date=None, days_after_labs=3):
    """A case of the simulator patient `reg_no` on its last visit, planned `days_after_labs` after its labs."""
    sim = next(p for p in sim_hospital().patients if p.reg_no == reg_no)
    patient = make_patient(name=sim.name, reg_no=reg_no)
    planned = planned_date or lab_day(reg_no) + timedelta(days=days_after_labs)
    case = make_case(state, ward=ward, surgeon=surgeon, patient=patient,
                     planned_date=max(planned, timezone.localdate()))
    # The simulator's labs are days to weeks old: the test moves the surgery date next to them (booking refuses
    # past dates, so it is set directly).
    SurgicalCase.objects.filter(pk=case.pk).update(visit_no=sim.visits[-1].visit_no, planned_date=planned)
    case.refresh_from_db()
    return case


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run outbox deliveries (and their handlers) as the transaction would after commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
