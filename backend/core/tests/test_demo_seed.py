"""The demo hospital seed: three management modes, staff in groups with a virtual surgeon, procedures
admitted by wards, patients and cases in every pathway state reached through the case services; idempotent."""

from collections import Counter

import pytest
from django.utils import timezone

from accounts.models import User
from audit.models import AuditEntry
from cases.models import CaseEvent, Patient, SurgicalCase
from catalog.models import Procedure
from core.demo.cases import PLAN
from core.demo.seed import SUPERUSER_PHONE, DemoSeeder, demo_logins
from org.models import MedicalGroup, TheatreSession, Ward
from org.scoping import ward_scope_for

pytestmark = pytest.mark.django_db(transaction=True)

STATE_OF_TARGET = {
    "admitted_21h": "admitted",
    "cancelled_before_day": "cancelled",
    "cancelled_on_day": "cancelled",
    "cancelled_after_arrival": "cancelled",
    "transferred": "transferred_to_inpatient",
    "terminated": "terminated",
}


def _state(target):
    target = target.removeprefix("o:")
    return STATE_OF_TARGET.get(target, target)


def _counts():
    return {
        "users": User.objects.count(),
        "patients": Patient.objects.count(),
        "cases": SurgicalCase.objects.count(),
        "events": CaseEvent.objects.count(),
        "procedures": Procedure.objects.count(),
        "groups": MedicalGroup.objects.count(),
        "sessions": TheatreSession.objects.count(),
    }


@pytest.mark.slow
def test_seed_builds_the_demo_hospital_and_is_idempotent(hospital_sim):
    # The simulator answers the outbox's HIS and SMS calls, as under `make demo` (else each one retries and waits).
    lines = []
    report = DemoSeeder(write=lines.append, patients=len(PLAN), use_his=False).run()
    assert report.source == "local"
    assert any(line.strip().startswith(f"patients {len(PLAN)}/{len(PLAN)}") for line in lines)  # progress

    wards = {w.management_mode: w for w in Ward.objects.all()}
    assert set(wards) == {"centre", "ward", "outpatient"}
    assert all(w.beds.filter(is_day_bed=True).exists() for w in wards.values())
    surgeons = User.objects.filter(roles__slug="doctor", is_virtual=False)
    assert 18 <= surgeons.count() <= 26
    virtual = User.objects.get(is_virtual=True)
    assert virtual.phone is None and not virtual.has_usable_password()
    assert MedicalGroup.objects.filter(members=virtual).exists()
    assert all(MedicalGroup.objects.filter(members=s).exists() for s in surgeons)
    for role in ("anaesthetist", "nurse", "followup_nurse", "hospital_admin", "quality_manager"):
        assert User.objects.filter(roles__slug=role).exists(), role
    assert User.objects.get(phone=SUPERUSER_PHONE).is_superuser
    assert {row[0] for row in demo_logins()} == {
        "doctor", "nurse", "anaesthetist", "followup_nurse", "hospital_admin", "quality_manager"
    }

    procedures = Procedure.objects.filter(is_active=True)
    assert procedures.count() >= 60
    assert set(procedures.values_list("grade", flat=True)) == {1, 2, 3, 4}
    for ward in wards.values():
        assert ward.procedures.exists(), ward.code

    # every planned target state is present, and each case's event chain ends in its state
    states = Counter(SurgicalCase.objects.values_list("state", flat=True))
    assert set(states) == {_state(t) for t, _ in PLAN}
    for case in SurgicalCase.objects.all():
        events = list(case.events.order_by("sequence"))
        assert events[0].type == "cases.case.created"
        last_change = [e for e in events if e.from_state != e.to_state][-1]
        assert last_change.to_state == case.state
    assert not SurgicalCase.objects.filter(procedure=None).exists()  # every case names a catalogue procedure
    outpatient_cases = SurgicalCase.objects.filter(ward=wards["outpatient"])
    assert outpatient_cases.exists() and not outpatient_cases.exclude(admitted_at=None).exists()
    long_stay = SurgicalCase.objects.get(state="admitted", los_alert_level="approaching_24")
    assert 20 <= (timezone.now() - long_stay.admitted_at).total_seconds() / 3600 < 24
    transferred = SurgicalCase.objects.get(state="transferred_to_inpatient")
    assert transferred.inpatient_admission_no and transferred.inpatient_ward_name
    assert AuditEntry.objects.filter(action="transition").count() >= states.total() - states["draft"]

    # ward isolation shows in the demo: the day-ward nurse sees only her ward
    day_ward_nurses = [u for u in User.objects.filter(roles__slug="nurse") if ward_scope_for(u).ward_ids == {wards["ward"].pk}]
    assert day_ward_nurses

    before = _counts()
    DemoSeeder(write=lines.append, patients=len(PLAN), use_his=False).run()
    assert _counts() == before


def test_seed_command_refuses_without_debug(settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    with pytest.raises(CommandError, match="published password"):
        call_command("seed_demo", "--no-his", "--patients", "1")
    assert not User.objects.exists()


def test_local_fallback_is_the_simulators_hospital(hospital_sim):
    """Without the simulator the seed builds the same hospital: one generator, not a second made-up roster."""
    from core.demo import fallback
    from integrations.testing import sim_patients, sim_staff

    assert [(m.employee_no, m.phone, m.id_number) for m in fallback.staff()] == [
        (s["employee_no"], s["phone"], s["id_number"]) for s in sim_staff(hospital_sim)]
    assert [(p.reg_no, p.id_number) for p in fallback.patients(200)] == [
        (p["reg_no"], p["id_number"]) for p in sim_patients(hospital_sim)]
