"""Guards, permissions, scoping and optimistic checks of case_transition (P4 and the lifecycle rules)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import CancelStage, CaseState, TheatreScheduleStatus
from cases.services import case_record_milestone, case_transition
from core.errors import DomainError, NotFound
from org.models import ManagementMode
from tests.builders import make_case, make_staff, make_ward

pytestmark = pytest.mark.django_db


def _code(fn):
    with pytest.raises(DomainError) as err:
        fn()
    return err.value.code


@pytest.mark.req("P4")
def test_send_application_refused_before_the_doctors_assessment():
    case = make_case("booked")
    assert _code(lambda: case_transition(case=case, transition="send_application", actor=None)) == (
        "preop_assessment_missing"
    )
    case_record_milestone(case=case, milestone="preop_assessment", status="not_suitable", actor=None)
    assert _code(lambda: case_transition(case=case, transition="send_application", actor=None)) == (
        "preop_assessment_not_suitable"
    )
    case_record_milestone(case=case, milestone="preop_assessment", status="passed", actor=None)
    # the anaesthesia clinic is required for this case and still pending
    assert _code(lambda: case_transition(case=case, transition="send_application", actor=None)) == (
        "anaesthesia_clinic_not_passed"
    )
    case_record_milestone(case=case, milestone="anaesthesia_clinic", status="passed", actor=None)
    case = case_transition(case=case, transition="send_application", actor=None)
    assert case.state == CaseState.APPLICATION_SENT
    assert case.theatre_schedule_status == TheatreScheduleStatus.SENT_NOT_SCHEDULED


@pytest.mark.req("P4")
def test_send_application_without_required_anaesthesia_clinic_needs_only_the_doctor():
    case = make_case("booked", anaesthesia_clinic_required=False)
    case_record_milestone(case=case, milestone="preop_assessment", status="needs_attention", actor=None)
    assert case_transition(case=case, transition="send_application", actor=None).state == CaseState.APPLICATION_SENT


@pytest.mark.req("P4")
def test_roll_back_allowed_while_unscheduled_and_refused_once_scheduled():
    case = make_case("application_sent")
    assert _code(lambda: case_transition(case=case, transition="roll_back_application", actor=None)) == "invalid"
    case = case_transition(case=case, transition="roll_back_application", actor=None, reason="补充化验")
    assert case.state == CaseState.BOOKED and case.theatre_schedule_status == TheatreScheduleStatus.NOT_SENT
    assert case.events.last().payload["reason"] == "补充化验"

    scheduled = make_case("scheduled")
    assert _code(
        lambda: case_transition(case=scheduled, transition="roll_back_application", actor=None, reason="x")
    ) == "application_already_scheduled"
    # only after the theatre cancels its schedule
    scheduled = case_transition(case=scheduled, transition="theatre_cancelled", actor=None)
    assert scheduled.state == CaseState.APPLICATION_SENT
    scheduled = case_transition(case=scheduled, transition="roll_back_application", actor=None, reason="x")
    assert scheduled.state == CaseState.BOOKED


def test_reschedule_moves_the_date_in_the_same_state_and_is_refused_once_scheduled():
    case = make_case("application_sent")
    new_date = timezone.localdate() + timedelta(days=7)
    case = case_transition(case=case, transition="reschedule", actor=None, planned_date=new_date, planned_session="pm",
                           reason="患者要求改期")
    assert (case.state, case.planned_date, case.planned_session) == (CaseState.APPLICATION_SENT, new_date, "pm")
    assert _code(lambda: case_transition(case=case, transition="reschedule", actor=None, planned_date=new_date,
                                         planned_session="pm", reason="改期")) == "reschedule_unchanged"
    assert _code(lambda: case_transition(case=case, transition="reschedule", actor=None,
                                         planned_date=timezone.localdate() - timedelta(days=1), reason="改期")) == (
        "planned_date_in_past"
    )
    scheduled = make_case("scheduled")
    assert _code(lambda: case_transition(case=scheduled, transition="reschedule", actor=None,
                                         planned_date=new_date)) == "reschedule_requires_roll_back"


def test_cancel_records_who_why_and_the_stage():
    nurse_ward = make_ward()
    nurse = make_staff("nurse", ward=nurse_ward)
    later = make_case("booked", ward=nurse_ward, planned_date=timezone.localdate() + timedelta(days=2))
    later = case_transition(case=later, transition="cancel", actor=nurse, reason_code="financial")
    assert (later.state, later.cancel_stage, later.cancelled_by_type, later.cancelled_by_name) == (
        CaseState.CANCELLED, CancelStage.BEFORE_DAY, "staff", nurse.name,
    )
    today = make_case("scheduled", ward=nurse_ward)
    today = case_transition(case=today, transition="cancel", actor=nurse, reason_code="patient_unwell")
    assert today.cancel_stage == CancelStage.ON_DAY_BEFORE_ARRIVAL
    assert today.theatre_schedule_status == TheatreScheduleStatus.NOT_TO_BE_SCHEDULED
    admitted = make_case("admitted", ward=nurse_ward)
    admitted = case_transition(case=admitted, transition="cancel", actor=nurse, reason_code="abnormal_results")
    assert admitted.cancel_stage == CancelStage.AFTER_ARRIVAL and admitted.discharged_at is not None
    other = make_case("booked", ward=nurse_ward)
    assert _code(lambda: case_transition(case=other, transition="cancel", actor=nurse, reason_code="other")) == (
        "invalid"
    )  # "other" needs a description
    assert _code(lambda: case_transition(case=other, transition="cancel", actor=nurse, reason_code="bogus")) == (
        "invalid"
    )


def test_no_show_only_on_or_after_the_planned_day():
    future = make_case("booked", planned_date=timezone.localdate() + timedelta(days=1))
    assert _code(lambda: case_transition(case=future, transition="no_show", actor=None)) == (
        "no_show_before_planned_day"
    )
    today = make_case("scheduled")
    assert case_transition(case=today, transition="no_show", actor=None).state == CaseState.NO_SHOW


def test_terminate_marks_the_anaesthesia_clinic_failed():
    case = make_case("booked")
    case = case_transition(case=case, transition="terminate", actor=None, reason="ASA IV")
    assert case.state == CaseState.TERMINATED and case.anaesthesia_clinic_status == "failed"


def test_finish_operation_checks_the_order_of_times():
    case = make_case("in_theatre")
    now = timezone.now()
    assert _code(lambda: case_transition(
        case=case, transition="finish_operation", actor=None,
        incision_start_at=now - timedelta(minutes=10), incision_end_at=now - timedelta(minutes=20),
    )) == "invalid"
    assert _code(lambda: case_transition(
        case=case, transition="finish_operation", actor=None, incision_start_at=case.theatre_in_at - timedelta(hours=1),
    )) == "invalid"  # cut before the patient was in theatre
    end = timezone.now()
    case = case_transition(
        case=case, transition="finish_operation", actor=None, incision_start_at=case.theatre_in_at, incision_end_at=end,
    )
    assert case.state == CaseState.OPERATED and case.incision_end_at == end and case.theatre_out_at >= end


def test_required_and_unexpected_fields_are_field_errors():
    case = make_case("draft")
    with pytest.raises(DomainError) as err:
        case_transition(case=case, transition="to_pending_pool", actor=None)
    assert "reason" in err.value.fields
    with pytest.raises(DomainError) as err:
        case_transition(case=case, transition="confirm", actor=None, colour="blue")
    assert err.value.code == "unexpected_fields" and "colour" in err.value.fields
    assert _code(lambda: case_transition(case=case, transition="fly", actor=None)) == "unknown_transition"


def test_future_occurred_at_refused():
    case = make_case("scheduled")
    assert _code(lambda: case_transition(case=case, transition="admit", actor=None,
                                         occurred_at=timezone.now() + timedelta(hours=2))) == "invalid"


def test_stale_version_is_a_conflict():
    case = make_case("booked")
    stale = case.version - 1
    assert _code(lambda: case_transition(case=case, transition="terminate", actor=None, reason="x",
                                         expected_version=stale)) == "version_conflict"
    assert case_transition(case=case, transition="terminate", actor=None, reason="x",
                           expected_version=case.version).state == CaseState.TERMINATED


def test_function_permission_and_ward_scope_are_enforced():
    ward = make_ward()
    case = make_case("booked", ward=ward)
    followup_nurse = make_staff("followup_nurse", ward=ward)
    assert _code(lambda: case_transition(case=case, transition="cancel", actor=followup_nurse,
                                         reason_code="financial")) == "permission_denied"
    stranger = make_staff("nurse", ward=make_ward())
    with pytest.raises(NotFound):
        case_transition(case=case, transition="cancel", actor=stranger, reason_code="financial")
    nurse = make_staff("nurse", ward=ward)
    assert case_transition(case=case, transition="cancel", actor=nurse, reason_code="financial").state == "cancelled"


def test_preop_decision_frozen_after_the_application_is_sent():
    case = make_case("application_sent")
    doctor = make_staff("doctor", ward=case.ward)
    assert _code(lambda: case_record_milestone(case=case, milestone="preop_assessment", status="not_suitable",
                                               actor=doctor)) == "milestone_not_editable"
    nurse = make_staff("nurse", ward=case.ward)
    booked = make_case("booked", ward=case.ward)
    assert _code(lambda: case_record_milestone(case=booked, milestone="preop_assessment", status="passed",
                                               actor=nurse)) == "permission_denied"  # doctors decide
    booked = case_record_milestone(case=booked, milestone="preop_assessment", status="passed", actor=doctor)
    event = booked.events.last()
    assert (event.type, event.payload["from"], event.payload["to"]) == (
        "cases.case.preop_assessment_recorded", "pending", "passed",
    )


@pytest.mark.req("U4")
def test_outpatient_surgery_skips_admission_and_discharge():
    ward = make_ward(ManagementMode.OUTPATIENT)
    case = make_case("scheduled", ward=ward)
    assert _code(lambda: case_transition(case=case, transition="admit", actor=None)) == (
        "not_applicable_to_management_mode"
    )
    case = case_transition(case=case, transition="enter_theatre", actor=None)
    case = case_transition(case=case, transition="finish_operation", actor=None)
    assert _code(lambda: case_transition(case=case, transition="discharge", actor=None)) == (
        "not_applicable_to_management_mode"
    )
    case = case_transition(case=case, transition="start_follow_up", actor=None)
    case = case_transition(case=case, transition="close", actor=None)
    states = [e.to_state for e in case.events.all()]
    assert states == ["draft", "booked", "booked", "booked", "application_sent", "scheduled", "in_theatre",
                      "operated", "follow_up", "closed"]
    assert "admitted" not in states and "discharged" not in states


def test_a_given_cancel_stage_must_agree_with_the_planned_day():
    """The stage feeds the cancellation indicators: a stage that contradicts the planned day is refused."""
    nurse_ward = make_ward()
    nurse = make_staff("nurse", ward=nurse_ward)
    future = make_case("booked", ward=nurse_ward, planned_date=timezone.localdate() + timedelta(days=3))
    for wrong in (CancelStage.ON_DAY_BEFORE_ARRIVAL, CancelStage.AFTER_ARRIVAL):
        with pytest.raises(DomainError) as err:
            case_transition(case=future, transition="cancel", actor=nurse, reason_code="financial", stage=wrong)
        assert "stage" in err.value.fields
    future.refresh_from_db()
    assert future.state == CaseState.BOOKED and future.events.filter(type="cases.case.cancelled").count() == 0
    today = make_case("scheduled", ward=nurse_ward)
    with pytest.raises(DomainError) as err:
        case_transition(case=today, transition="cancel", actor=nurse, reason_code="financial",
                        stage=CancelStage.BEFORE_DAY)
    assert "stage" in err.value.fields
    # On the day, staff may record that the patient had already arrived (not yet admitted, or outpatient).
    arrived = case_transition(case=today, transition="cancel", actor=nurse, reason_code="patient_unwell",
                              stage=CancelStage.AFTER_ARRIVAL)
    assert arrived.cancel_stage == CancelStage.AFTER_ARRIVAL
    undated = make_case("draft", ward=nurse_ward)
    from cases.models import SurgicalCase

    SurgicalCase.objects.filter(pk=undated.pk).update(planned_date=None)
    undated = case_transition(case=undated, transition="cancel", actor=nurse, reason_code="changed_plan")
    assert undated.cancel_stage == CancelStage.BEFORE_DAY  # no day was ever planned


def test_a_draft_whose_planned_day_has_passed_cannot_be_booked_for_that_day():
    from cases.models import SurgicalCase

    case = make_case("draft")
    yesterday = timezone.localdate() - timedelta(days=1)
    SurgicalCase.objects.filter(pk=case.pk).update(planned_date=yesterday)  # the draft waited past its day
    assert _code(lambda: case_transition(case=case, transition="confirm", actor=None)) == "planned_date_in_past"
    case.refresh_from_db()
    assert case.state == CaseState.DRAFT and case.planned_date == yesterday
    booked = case_transition(case=case, transition="confirm", actor=None,
                             planned_date=timezone.localdate() + timedelta(days=2))
    assert booked.state == CaseState.BOOKED
