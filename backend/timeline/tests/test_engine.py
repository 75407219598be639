"""Node states follow case events (T1): triggers, history with the event/actor that moved a node, resets,
skips, failures, overdue by the clock, idempotent and order-proof delivery, and rebuild = incremental."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from cases.models import CaseEvent
from cases.services import case_record_milestone, case_transition
from core.models import OutboxMessage
from core.outbox import deliver_message
from tests.builders import make_case
from tests.concurrency import race
from timeline import services
from timeline.models import CaseNode, CaseTimeline, NodeTransition
from timeline.tests.conftest import states
from timeline.tests.helpers import append, projection

pytestmark = pytest.mark.django_db


def later(days=7):
    return timezone.localdate() + timedelta(days=days)


def history(case, key):
    return [(t.from_state, t.to_state, t.trigger, t.event_type, t.actor_name)
            for t in NodeTransition.objects.filter(case=case, node__key=key).order_by("occurred_at", "id")]


@pytest.mark.req("T1")
def test_nodes_change_state_as_trigger_events_arrive_with_full_history(world, run):
    case = run(make_case, "booked", ward=world["ward"], surgeon=world["surgeon"], planned_date=later())
    assert states(case)["booking"] == "done"
    assert states(case)["preop_assessment"] == "pending" and states(case)["application"] == "pending"

    run(case_record_milestone, case=case, milestone="preop_assessment", status="passed", actor=world["surgeon"],
        note="各项检查未见手术禁忌")
    run(case_record_milestone, case=case, milestone="anaesthesia_clinic", status="passed",
        actor=world["anaesthetist"])
    run(case_transition, case=case, transition="send_application", actor=world["nurse"])
    now = states(case)
    assert now["preop_assessment"] == now["anaesthesia_assessment"] == now["application"] == "done"
    assert now["theatre_scheduling"] == "in_progress"

    # The history names the event that moved the node, when, and who did it.
    event = CaseEvent.objects.get(case=case, type="cases.case.preop_assessment_recorded")
    transition = NodeTransition.objects.get(case=case, node__key="preop_assessment")
    assert (transition.from_state, transition.to_state, transition.trigger) == ("pending", "done", "complete")
    assert transition.event == event and transition.event_sequence == event.sequence
    assert transition.occurred_at == event.occurred_at and transition.actor_name == "医生甲"
    assert transition.actor_type == "staff" and transition.actor_id == str(world["surgeon"].uuid)
    node = CaseNode.objects.get(case=case, key="preop_assessment")
    assert node.completed_at == event.occurred_at and node.last_event == event

    # Rolling the application back resets its node (and the scheduling node); the history keeps both rounds.
    run(case_transition, case=case, transition="roll_back_application", actor=world["nurse"], reason="补充资料")
    assert states(case)["application"] == "pending" and states(case)["theatre_scheduling"] == "pending"
    assert [h[:3] for h in history(case, "application")] == [("pending", "done", "complete"),
                                                             ("done", "pending", "reset")]
    run(case_transition, case=case, transition="send_application", actor=world["nurse"])
    run(case_transition, case=case, transition="theatre_scheduled", actor=world["nurse"])
    assert states(case)["application"] == "done" and states(case)["theatre_scheduling"] == "done"
    assert len(history(case, "application")) == 3


@pytest.mark.req("T1")
def test_failed_and_not_required_and_ended_cases(world, run):
    not_required = run(make_case, "booked", ward=world["ward"], planned_date=later(),
                       anaesthesia_clinic_required=False)
    assert states(not_required)["anaesthesia_assessment"] == "skipped"
    assert NodeTransition.objects.get(case=not_required, node__key="anaesthesia_assessment").cause == "applicability"

    failed = run(make_case, "booked", ward=world["ward"], planned_date=later())
    run(case_record_milestone, case=failed, milestone="anaesthesia_clinic", status="failed",
        actor=world["anaesthetist"])
    assert states(failed)["anaesthesia_assessment"] == "failed"
    run(case_transition, case=failed, transition="terminate", actor=world["anaesthetist"], reason="ASA Ⅳ级")
    after = states(failed)
    # Open nodes no longer apply to an ended case; done and failed ones keep their outcome.
    assert after["anaesthesia_assessment"] == "failed" and after["booking"] == "done"
    assert after["preop_education"] == after["application"] == after["follow_up"] == "skipped"


@pytest.mark.req("T1")
def test_events_of_other_contexts_drive_nodes_with_their_payload_conditions(world, run):
    case = run(make_case, "scheduled", ward=world["ward"], planned_date=later())
    run(append, case, "education.material.read", {"kind": "discharge", "material": "m1", "title": "出院须知"})
    assert states(case)["preop_education"] == "pending"  # a discharge leaflet is not the pre-op education
    assert states(case)["discharge_education"] == "done"
    run(append, case, "education.material.read", {"kind": "preop", "material": "m2", "title": "术前禁食须知"})
    assert states(case)["preop_education"] == "done"
    run(append, case, "stay.discharge_assessment.recorded", {"score": 7, "passed": False, "tool": "pads"})
    assert states(case)["discharge_assessment"] == "in_progress"
    run(append, case, "stay.discharge_assessment.recorded", {"score": 9, "passed": True, "tool": "pads"})
    assert states(case)["discharge_assessment"] == "done"
    run(append, case, "stay.admission.registered", {"admission_no": "ZY001", "bed_no": "12", "his_visit_no": "V1"})
    assert states(case)["admission_registration"] == "done"


@pytest.mark.req("T1")
def test_a_case_excluded_from_scheduling_skips_the_theatre_node(world, run, monkeypatch):
    monkeypatch.setattr("scheduling.exclusions.is_excluded", lambda case: True)
    case = run(make_case, "application_sent", ward=world["ward"], planned_date=later())
    assert states(case)["theatre_scheduling"] == "skipped" and states(case)["application"] == "done"


@pytest.mark.req("T1")
def test_overdue_by_the_clock_on_read_and_by_the_beat_and_cleared_by_a_later_date(world, run, api_client,
                                                                                     monkeypatch):
    from tests.builders import authenticate

    day = later(2)
    case = run(make_case, "booked", ward=world["ward"], planned_date=day)
    assert states(case)["preop_education"] == "pending"
    # expected the evening before surgery (20:00); nothing read by then
    deadline = timezone.make_aware(timezone.datetime.combine(day - timedelta(days=1), timezone.datetime.min.time())
                                   ) + timedelta(hours=20)
    assert CaseNode.objects.get(case=case, key="preop_education").deadline_at == deadline

    services.timeline_mark_overdue(now=deadline - timedelta(minutes=1))
    assert states(case)["preop_education"] == "pending"
    assert states(case)["notification"] == "overdue"  # the booking notice was expected within 2 hours
    services.timeline_mark_overdue(now=deadline + timedelta(minutes=5))
    node = CaseNode.objects.get(case=case, key="preop_education")
    assert node.state == "overdue" and node.overdue_at == deadline and node.was_overdue
    clock = NodeTransition.objects.get(case=case, node__key="preop_education")
    assert (clock.cause, clock.trigger, clock.occurred_at, clock.event) == ("clock", "overdue", deadline, None)

    # Rescheduling to a later day moves the deadline: the node is no longer overdue.
    run(case_transition, case=case, transition="reschedule", actor=world["nurse"], planned_date=later(9),
        reason="患者要求改期", reason_code="patient_request")
    assert states(case)["preop_education"] == "pending"

    # On read, an open node past its deadline shows as overdue even before the beat runs.
    client = authenticate(api_client, world["nurse"])
    new_deadline = CaseNode.objects.get(case=case, key="preop_education").deadline_at
    body = client.get(f"/api/v1/cases/{case.uuid}/timeline-nodes/").json()
    education = next(n for n in body["nodes"] if n["key"] == "preop_education")
    assert education["state"] == "pending" and education["overdue"] is False
    from types import SimpleNamespace

    from timeline import selectors

    monkeypatch.setattr(selectors, "timezone", SimpleNamespace(now=lambda: new_deadline + timedelta(minutes=1)))
    body = client.get(f"/api/v1/cases/{case.uuid}/timeline-nodes/").json()
    education = next(n for n in body["nodes"] if n["key"] == "preop_education")
    assert education["state"] == "overdue" and education["overdue"] is True
    assert states(case)["preop_education"] == "pending"  # stored by the beat only


@pytest.mark.req("T1")
def test_done_late_is_kept_and_a_start_deadline_is_met_by_starting(world, run):
    case = run(make_case, "discharged", ward=world["ward"], planned_date=timezone.localdate())
    discharged = CaseEvent.objects.get(case=case, type="cases.case.discharged").occurred_at
    node = CaseNode.objects.get(case=case, key="follow_up")
    assert node.expected_at == discharged + timedelta(hours=48) and node.state == "pending"
    services.timeline_mark_overdue(now=discharged + timedelta(hours=49))
    assert states(case)["follow_up"] == "overdue"
    run(case_transition, case=case, transition="start_follow_up", actor=world["nurse"])
    node = CaseNode.objects.get(case=case, key="follow_up")
    assert node.state == "in_progress" and node.was_overdue  # started, late
    # A node due to *start* is not overdue while in progress, however long follow-up takes.
    services.timeline_mark_overdue(now=discharged + timedelta(days=20))
    assert states(case)["follow_up"] == "in_progress"


@pytest.mark.req("T1")
def test_redelivered_and_out_of_order_messages_change_nothing_twice(world, run):
    case = run(make_case, "booked", ward=world["ward"], planned_date=later())
    with transaction.atomic():
        case_record_milestone(case=case, milestone="preop_assessment", status="passed", actor=world["surgeon"])
        case_record_milestone(case=case, milestone="anaesthesia_clinic", status="passed", actor=None)
    first, second = OutboxMessage.objects.filter(
        key=str(case.uuid), topic__in=["cases.case.preop_assessment_recorded",
                                       "cases.case.anaesthesia_clinic_recorded"]).order_by("id")
    deliver_message(second.pk)  # the later event first: the handler catches up from the case-event table
    assert states(case)["preop_assessment"] == "done" and states(case)["anaesthesia_assessment"] == "done"
    count = NodeTransition.objects.filter(case=case).count()
    deliver_message(first.pk)
    from timeline.handlers import apply_case_events

    apply_case_events(second)  # a redelivery of a message already applied
    assert NodeTransition.objects.filter(case=case).count() == count
    assert CaseTimeline.objects.get(case=case).last_sequence == case.events.count()


@pytest.mark.django_db(transaction=True)
@pytest.mark.req("T1")
def test_concurrent_workers_apply_each_event_once_in_real_transactions():
    from tests.builders import make_staff, make_ward

    ward = make_ward()
    surgeon = make_staff("doctor", ward=ward)
    case = make_case("booked", ward=ward, surgeon=surgeon, planned_date=later())
    case_record_milestone(case=case, milestone="preop_assessment", status="passed", actor=surgeon)
    CaseTimeline.objects.filter(case=case).delete()  # as if no message had been delivered yet
    CaseNode.objects.filter(case=case).delete()
    results = race([lambda: len(services.timeline_sync(case)) for _ in range(4)])
    assert all(kind == "ok" for kind, _ in results), results
    assert NodeTransition.objects.filter(case=case, node__key="preop_assessment").count() == 1
    assert NodeTransition.objects.filter(case=case, node__key="booking").count() == 1


@pytest.mark.req("T1")
def test_rebuild_by_replaying_events_equals_the_incremental_projection(world, run):
    case = run(make_case, "admitted", ward=world["ward"], planned_date=timezone.localdate())
    run(append, case, "education.material.read", {"kind": "preop", "material": "m", "title": "术前须知"})
    run(append, case, "stay.admission.registered", {"admission_no": "ZY9", "bed_no": "3", "his_visit_no": "V"})
    incremental = projection(case)
    assert incremental["transitions"]
    services.timeline_rebuild(case)
    assert projection(case) == incremental
    assert CaseTimeline.objects.get(case=case).rebuilt_at is not None

    # A case whose messages were lost (no projection at all) is repaired the same way.
    CaseNode.objects.filter(case=case).delete()
    CaseTimeline.objects.filter(case=case).delete()
    services.timeline_rebuild(case)
    assert projection(case) == incremental


@pytest.mark.req("T1")
def test_the_overdue_job_is_scheduled_and_runs_as_a_task(world, run):
    from django.conf import settings

    from timeline.tasks import mark_overdue

    assert settings.CELERY_BEAT_SCHEDULE["timeline.mark_overdue"]["task"] == "timeline.mark_overdue"
    case = run(make_case, "booked", ward=world["ward"], planned_date=later())
    CaseNode.objects.filter(case=case, key="preop_education").update(
        deadline_at=timezone.now() - timedelta(minutes=1))  # a candidate for the job (it re-checks the rules)
    assert mark_overdue.delay().get() == 1
    assert states(case)["preop_education"] == "pending"  # the real deadline (7 days ahead) has not passed
