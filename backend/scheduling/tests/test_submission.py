"""S1: applications go to the theatre system through its port (over real HTTP to the simulator) from the outbox;
failures are recorded and retried; a roll back, cancellation or new date withdraws them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import CaseState, TheatreScheduleStatus
from cases.services import case_transition
from core.models import OutboxMessage
from core.outbox import deliver_message
from integrations.testing import sim_get
from scheduling import services
from scheduling.models import ApplicationStatus, TheatreApplication
from scheduling.tests.conftest import event_types

pytestmark = [pytest.mark.django_db]


@pytest.mark.req("S1", "P4")
def test_a_sent_application_reaches_the_theatre_with_its_details_and_is_recorded_on_the_case(world, theatre, send):
    case = send(days=2)
    app = TheatreApplication.objects.get(case=case)
    assert app.status == ApplicationStatus.SUBMITTED and app.attempts == 1
    remote = theatre.application(app.application_no)
    assert remote["status"] == "received"
    assert remote["reg_no"] == case.patient.reg_no
    assert remote["surgeon_employee_no"] == world["surgeon"].employee_no
    assert remote["procedure_code"] == case.procedure_code
    assert remote["department_code"] == world["gs"].code
    assert remote["planned_date"] == case.planned_date.isoformat()
    submitted = case.events.get(type="scheduling.application.submitted")
    assert submitted.payload["application_no"] == app.application_no and submitted.actor_type == "system"
    assert case.theatre_schedule_status == TheatreScheduleStatus.SENT_NOT_SCHEDULED
    # The idempotency key is stable per application: a retried request cannot create a second one.
    keys = {r["idempotency_key"] for r in sim_get(theatre.base, "requests", path="/theatre/applications")["items"]}
    assert f"theatre-submit:{app.application_no}" in keys


@pytest.mark.req("S1")
def test_a_redelivered_message_sends_nothing_twice(world, theatre, send):
    case = send()
    message = OutboxMessage.objects.filter(topic="cases.case.application_sent", key=str(case.uuid)).get()
    from scheduling.handlers import submit_application

    submit_application(message)  # the worker died after the call, before recording its delivery
    assert TheatreApplication.objects.filter(case=case).count() == 1
    assert event_types(case, "scheduling.") == ["scheduling.application.submitted"]
    assert len(theatre.applications(reg_no=case.patient.reg_no)) == 1
    assert "scheduling.submit_application" not in deliver_message(message.pk)  # recorded as delivered
    assert TheatreApplication.objects.filter(case=case).count() == 1


@pytest.mark.req("S1")
def test_an_unreachable_theatre_is_recorded_and_tried_again_later(world, theatre, send):
    theatre.fault(status=503, count=3)  # every attempt of the first call
    case = send()
    app = TheatreApplication.objects.get(case=case)
    assert app.status == ApplicationStatus.FAILED and app.next_attempt_at > timezone.now()
    failed = case.events.get(type="scheduling.application.failed")
    assert failed.payload["retrying"] is True and failed.payload["error"]
    assert theatre.application(app.application_no) is None
    # Not due yet: nothing happens.
    assert services.retry_due_calls()["submitted"] == 0
    # The backoff passes; the theatre is back.
    stats = services.retry_due_calls(now=app.next_attempt_at + timedelta(seconds=1))
    assert stats == {"submitted": 1, "withdrawn": 0, "errors": 0}
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SUBMITTED and app.attempts == 2 and app.last_error == ""
    assert theatre.application(app.application_no)["status"] == "received"
    assert event_types(case, "scheduling.") == ["scheduling.application.failed", "scheduling.application.submitted"]


@pytest.mark.req("S1")
def test_a_refused_application_is_not_retried_and_staff_resend_it_as_a_new_one(world, theatre, send, api_client):
    from tests.builders import authenticate

    theatre.fault(status=400, count=1)
    case = send()
    app = TheatreApplication.objects.get(case=case)
    assert app.status == ApplicationStatus.REJECTED and app.next_attempt_at is None
    assert case.events.get(type="scheduling.application.failed").payload["rejected"] is True
    assert services.retry_due_calls(now=timezone.now() + timedelta(days=1))["submitted"] == 0
    authenticate(api_client, world["nurse"])
    res = api_client.post(f"/api/v1/cases/{case.uuid}/theatre-applications/resubmit/")
    assert res.status_code == 200, res.content
    assert res.json()["status"] == "submitted" and res.json()["application_no"] != app.application_no
    listing = api_client.get(f"/api/v1/cases/{case.uuid}/theatre-applications/").json()
    assert [a["status"] for a in listing] == ["submitted", "withdrawn"]
    # Nothing left to resend.
    again = api_client.post(f"/api/v1/cases/{case.uuid}/theatre-applications/resubmit/")
    assert again.status_code == 409 and again.json()["error"]["code"] == "nothing_to_resubmit"
    # Another ward's nurse cannot see the case at all.
    authenticate(api_client, world["nurse_b"])
    assert api_client.post(f"/api/v1/cases/{case.uuid}/theatre-applications/resubmit/").status_code == 404


@pytest.mark.req("S1", "P4")
def test_rolling_back_withdraws_the_application_at_the_theatre(world, theatre, send, deliver):
    case = send()
    app = TheatreApplication.objects.get(case=case)
    deliver(case_transition, case=case, transition="roll_back_application", actor=world["nurse"], reason="补充检查")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWN and app.withdraw_reason == "application rolled back"
    assert theatre.application(app.application_no)["status"] == "cancelled"
    case.refresh_from_db()
    assert event_types(case, "scheduling.") == ["scheduling.application.submitted", "scheduling.application.withdrawn"]
    # Sent again: a new application (a new number) goes to the theatre.
    deliver(case_transition, case=case, transition="send_application", actor=world["nurse"])
    current = TheatreApplication.objects.get(case=case, status=ApplicationStatus.SUBMITTED)
    assert current.application_no != app.application_no
    assert theatre.application(current.application_no)["status"] == "received"


@pytest.mark.req("S1", "P5")
def test_cancelling_the_operation_withdraws_it(world, theatre, send, deliver):
    case = send(days=3)
    app = TheatreApplication.objects.get(case=case)
    deliver(case_transition, case=case, transition="cancel", actor=world["nurse"], reason_code="patient_request",
            reason_text="家中有事")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWN
    assert theatre.application(app.application_no)["status"] == "cancelled"


@pytest.mark.req("S1", "P5")
def test_a_new_date_replaces_the_application_at_the_theatre(world, theatre, send, deliver):
    case = send(days=2)
    old = TheatreApplication.objects.get(case=case)
    new_date = timezone.localdate() + timedelta(days=5)
    deliver(case_transition, case=case, transition="reschedule", actor=world["nurse"], planned_date=new_date,
            reason="患者要求改期", reason_code="patient_request")
    old.refresh_from_db()
    assert old.status == ApplicationStatus.WITHDRAWN
    assert theatre.application(old.application_no)["status"] == "cancelled"
    new = TheatreApplication.objects.get(case=case, status=ApplicationStatus.SUBMITTED)
    assert new.planned_date == new_date
    assert theatre.application(new.application_no)["planned_date"] == new_date.isoformat()


@pytest.mark.req("S1")
def test_an_application_answered_after_the_case_was_rolled_back_is_withdrawn_at_once(world, theatre, send,
                                                                                      monkeypatch):
    """The roll back commits while the theatre is being called (the handler holds no case lock then)."""
    from scheduling.tests.conftest import booked

    case = booked(ward=world["ward"], surgeon=world["surgeon"])
    case = case_transition(case=case, transition="send_application", actor=None)
    real = services._call_submit

    def slow_call(application, case_row):
        answer = real(application, case_row)
        # Meanwhile, on another screen: rolled back (the row is changed behind the handler's back).
        from cases.models import SurgicalCase

        SurgicalCase.objects.filter(pk=case_row.pk).update(state=CaseState.BOOKED,
                                                           theatre_schedule_status=TheatreScheduleStatus.NOT_SENT)
        return answer

    monkeypatch.setattr(services, "_call_submit", slow_call)
    app = services.application_send(case=case)
    assert app.status == ApplicationStatus.WITHDRAWN
    assert theatre.application(app.application_no)["status"] == "cancelled"


@pytest.mark.req("S1")
def test_a_withdrawal_the_theatre_did_not_receive_is_retried(world, theatre, send, deliver):
    case = send()
    app = TheatreApplication.objects.get(case=case)
    theatre.fault(path=f"/theatre/applications/{app.application_no}", status=503, count=3)
    deliver(case_transition, case=case, transition="roll_back_application", actor=world["nurse"], reason="补充检查")
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWING
    assert theatre.application(app.application_no)["status"] == "received"
    stats = services.retry_due_calls(now=app.next_attempt_at + timedelta(seconds=1))
    assert stats["withdrawn"] == 1
    app.refresh_from_db()
    assert app.status == ApplicationStatus.WITHDRAWN
    assert theatre.application(app.application_no)["status"] == "cancelled"


@pytest.mark.req("S1")
def test_a_redelivered_roll_back_does_not_withdraw_the_application_sent_afterwards(world, theatre, send, deliver):
    """Outbox delivery is at least once: the roll back's message may come again after the case was sent anew."""
    from scheduling.handlers import withdraw_application

    case = send()
    deliver(case_transition, case=case, transition="roll_back_application", actor=world["nurse"], reason="补充检查")
    deliver(case_transition, case=case, transition="send_application", actor=world["nurse"])
    current = TheatreApplication.objects.get(case=case, status=ApplicationStatus.SUBMITTED)
    rolled_back = OutboxMessage.objects.filter(topic="cases.case.application_rolled_back", key=str(case.uuid)).get()
    withdraw_application(rolled_back)  # redelivered (the worker died before recording its delivery)
    current.refresh_from_db()
    assert current.status == ApplicationStatus.SUBMITTED
    assert theatre.application(current.application_no)["status"] == "received"


@pytest.mark.req("S1")
def test_the_schedule_called_back_before_the_submission_answer_is_processed_is_kept(world, theatre, monkeypatch):
    """The theatre schedules and calls back while the submitting worker still waits for its (older) answer."""
    from integrations.ports.theatre import TheatreBooking
    from scheduling.tests.conftest import booked

    case = booked(ward=world["ward"], surgeon=world["surgeon"])
    case = case_transition(case=case, transition="send_application", actor=None)
    real = services._call_submit
    start = timezone.now().replace(microsecond=0) + timedelta(days=1)

    def call_then_callback(application, case_row):
        answer = real(application, case_row)  # "received", revision 1
        services.booking_apply(booking=TheatreBooking(application.application_no, "scheduled", room="OR-01",
                                                      sequence=1, scheduled_start=start, revision=2),
                               source="callback")
        return answer

    monkeypatch.setattr(services, "_call_submit", call_then_callback)
    app = services.application_send(case=case)
    app.refresh_from_db()
    case.refresh_from_db()
    assert case.state == CaseState.SCHEDULED
    assert app.status == ApplicationStatus.SCHEDULED and app.revision == 2
