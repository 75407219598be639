"""Every transition allowed from each of its source states and refused from every other state, per mode.

The allowed/refused partition is generated from THE table (cases.state_machine.TRANSITIONS); a hand-written
copy of CASE_LIFECYCLE.md below checks that the table itself says what the lifecycle says.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from cases.models import CaseEvent, CaseState, SurgicalCase
from cases.services import case_record_milestone, case_transition
from cases.state_machine import TRANSITIONS
from core.errors import DomainError
from core.models import OutboxMessage
from org.models import ManagementMode
from tests.builders import make_case, make_ward

S = CaseState
PRE = {S.DRAFT, S.PENDING_POOL, S.BOOKED, S.APPLICATION_SENT, S.SCHEDULED}

# CASE_LIFECYCLE.md, written out by hand: transition -> (sources in centre/ward mode, sources in outpatient, target)
LIFECYCLE = {
    "confirm": ({S.DRAFT}, {S.DRAFT}, S.BOOKED),
    "to_pending_pool": ({S.DRAFT}, {S.DRAFT}, S.PENDING_POOL),
    "resume": ({S.PENDING_POOL}, {S.PENDING_POOL}, S.DRAFT),
    "send_application": ({S.BOOKED}, {S.BOOKED}, S.APPLICATION_SENT),
    "roll_back_application": ({S.APPLICATION_SENT}, {S.APPLICATION_SENT}, S.BOOKED),
    "theatre_scheduled": ({S.APPLICATION_SENT}, {S.APPLICATION_SENT}, S.SCHEDULED),
    "theatre_cancelled": ({S.SCHEDULED}, {S.SCHEDULED}, S.APPLICATION_SENT),
    "reschedule": ({S.BOOKED, S.APPLICATION_SENT}, {S.BOOKED, S.APPLICATION_SENT}, None),
    "cancel": (PRE | {S.ADMITTED}, PRE, S.CANCELLED),
    "no_show": ({S.BOOKED, S.APPLICATION_SENT, S.SCHEDULED}, {S.BOOKED, S.APPLICATION_SENT, S.SCHEDULED}, S.NO_SHOW),
    "terminate": ({S.BOOKED, S.APPLICATION_SENT, S.SCHEDULED}, {S.BOOKED, S.APPLICATION_SENT, S.SCHEDULED},
                  S.TERMINATED),
    "admit": ({S.SCHEDULED, S.APPLICATION_SENT}, set(), S.ADMITTED),  # from application_sent: excluded (S4)
    "enter_theatre": ({S.ADMITTED}, {S.SCHEDULED, S.APPLICATION_SENT}, S.IN_THEATRE),
    "finish_operation": ({S.IN_THEATRE}, {S.IN_THEATRE}, S.OPERATED),
    "discharge": ({S.OPERATED}, set(), S.DISCHARGED),
    "transfer_to_inpatient": ({S.ADMITTED, S.IN_THEATRE, S.OPERATED}, {S.IN_THEATRE, S.OPERATED},
                              S.TRANSFERRED_TO_INPATIENT),
    "start_follow_up": ({S.DISCHARGED}, {S.OPERATED}, S.FOLLOW_UP),
    "close": ({S.FOLLOW_UP}, {S.FOLLOW_UP}, S.CLOSED),
}
MODES = [ManagementMode.CENTRE, ManagementMode.OUTPATIENT]
# States a case of the mode can actually be in (outpatient cases never reach admitted/discharged).
REACHABLE = {
    ManagementMode.CENTRE: list(S.values),
    ManagementMode.OUTPATIENT: [s for s in S.values if s not in (S.ADMITTED, S.DISCHARGED)],
}
SPECIFIC_REFUSALS = {
    ("roll_back_application", S.SCHEDULED): "application_already_scheduled",
    ("reschedule", S.SCHEDULED): "reschedule_requires_roll_back",
}


def valid_data(name):
    return {
        "to_pending_pool": {"reason": "患者犹豫"},
        "roll_back_application": {"reason": "需补充检查"},
        "reschedule": {"planned_date": timezone.localdate() + timedelta(days=3), "reason": "患者要求改期"},
        "cancel": {"reason_code": "patient_unwell", "reason_text": "发热"},
        "terminate": {"reason": "麻醉门诊评估不通过"},
        "transfer_to_inpatient": {"reason": "术后出血需观察", "inpatient_ward_name": "普外一病区"},
    }.get(name, {})


def test_table_matches_the_lifecycle():
    assert set(TRANSITIONS) == set(LIFECYCLE)
    for name, (sources, outpatient_sources, target) in LIFECYCLE.items():
        t = TRANSITIONS[name]
        assert set(t.sources_for(ManagementMode.CENTRE)) == sources, name
        assert set(t.sources_for(ManagementMode.WARD)) == sources, name
        assert set(t.sources_for(ManagementMode.OUTPATIENT)) == outpatient_sources, name
        assert t.target == target, name
        assert t.event_type.startswith("cases.case."), name
        assert t.permission.slug.startswith("cases."), name


ALLOWED = [
    (name, mode, state)
    for name, t in TRANSITIONS.items()
    for mode in MODES
    for state in sorted(t.sources_for(mode))
]


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "mode", "state"), ALLOWED, ids=[f"{n}-{m}-from-{s}" for n, m, s in ALLOWED])
def test_transition_allowed_from_source(name, mode, state):
    ward = make_ward(mode)
    case = make_case(state, ward=ward)
    if name == "send_application":
        case_record_milestone(case=case, milestone="preop_assessment", status="passed", actor=None)
        case_record_milestone(case=case, milestone="anaesthesia_clinic", status="passed", actor=None)
    if state == S.APPLICATION_SENT and name in ("admit", "enter_theatre"):  # only a case excluded from scheduling
        SurgicalCase.objects.filter(pk=case.pk).update(theatre_schedule_status="not_to_be_scheduled")
        case.refresh_from_db()
    t = TRANSITIONS[name]
    events_before = case.events.count()
    version = case.version
    result = case_transition(case=case, transition=name, actor=None, **valid_data(name))
    result.refresh_from_db()
    assert result.state == (t.target or state)
    assert result.previous_state == state
    assert result.version == version + 1
    last = result.events.order_by("-sequence").first()
    assert result.events.count() == events_before + 1
    assert (last.type, last.from_state, last.to_state) == (t.event_type, state, result.state)


REFUSED = [
    (mode, state) for mode in MODES for state in REACHABLE[mode]
]


@pytest.mark.django_db
@pytest.mark.parametrize(("mode", "state"), REFUSED, ids=[f"{m}-{s}" for m, s in REFUSED])
def test_every_other_transition_refused_and_writes_nothing(mode, state):
    ward = make_ward(mode)
    case = make_case(state, ward=ward)
    snapshot = SurgicalCase.objects.filter(pk=case.pk).values().get()
    counts = (CaseEvent.objects.count(), OutboxMessage.objects.count(), AuditEntry.objects.count())
    refused = [n for n, t in TRANSITIONS.items() if state not in t.sources_for(mode)]
    assert refused  # every state refuses something
    for name in refused:
        t = TRANSITIONS[name]
        expected = (
            "not_applicable_to_management_mode"
            if not t.sources_for(mode)
            else SPECIFIC_REFUSALS.get((name, state), "invalid_transition")
        )
        with pytest.raises(DomainError) as err:
            case_transition(case=case, transition=name, actor=None, **valid_data(name))
        assert err.value.code == expected, name
        assert err.value.status_code == 409
    assert SurgicalCase.objects.filter(pk=case.pk).values().get() == snapshot
    assert (CaseEvent.objects.count(), OutboxMessage.objects.count(), AuditEntry.objects.count()) == counts
