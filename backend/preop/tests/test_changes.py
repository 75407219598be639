"""P5, D6: reschedule and cancel by the day-surgery manager and by doctors (their own patients) within the booking
rules (capacity of the new date, admission rules re-checked) and the application rules (a case the theatre
scheduled must be rolled back first); reasons from the lists; cancellation analytics."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from booking_policy.services import admission_rule_create
from capacity.models import BookingPlace
from cases.models import CaseEvent
from cases.services import case_record_milestone, case_transition
from org.models import MedicalGroup
from preop.tests.conftest import future
from tests.builders import (
    authenticate,
    make_capacity,
    make_case,
    make_patient,
    make_patient_account,
    make_staff,
    valid_id_number,
)

pytestmark = [pytest.mark.django_db]


def _reschedule(client, case, day, **extra):
    body = {"planned_date": str(day), "planned_session": "am", "reason_code": "patient_request",
            "reason": "患者家中有事", **extra}
    return client.post(f"/api/v1/preop/cases/{case.uuid}/reschedule/", body, format="json")


def _cancel(client, case, **body):
    return client.post(f"/api/v1/preop/cases/{case.uuid}/cancel/", body, format="json")


@pytest.mark.req("P5", "D6")
def test_reason_lists(world):
    body = authenticate(APIClient(), world["doctor_a"]).get("/api/v1/change-reasons/").json()
    assert "patient_unwell" in [r["code"] for r in body["reschedule"]]
    cancel = {r["code"]: r for r in body["cancel"]}
    assert cancel["surgeon_unavailable"]["category"] == "organisational" and cancel["financial"]["category"] == "patient"
    assert [s["code"] for s in body["cancel_stages"]] == ["before_day", "on_day_before_arrival", "after_arrival"]
    assert all(r["label"] for r in body["reschedule"] + body["cancel"])


@pytest.mark.req("P5", "D6")
def test_manager_changes_any_booking_doctors_only_their_own(world):
    case = make_case("booked", ward=world["ward_a"], surgeon=world["doctor_a"], planned_date=future(3))
    manager = authenticate(APIClient(), world["nurse_a"])
    missing = manager.post(f"/api/v1/preop/cases/{case.uuid}/reschedule/",
                           {"planned_date": str(future(5)), "reason": "x"}, format="json")
    assert missing.status_code == 400 and "reason_code" in missing.json()["error"]["fields"]
    moved = _reschedule(manager, case, future(5), reason_code="bed_unavailable")
    assert moved.status_code == 200, moved.content
    assert moved.json()["booking"]["planned_date"] == str(future(5))
    event = CaseEvent.objects.filter(case=case, type="cases.case.rescheduled").get()
    assert event.payload["reason_code"] == "bed_unavailable" and event.payload["reason"] == "患者家中有事"

    colleague = authenticate(APIClient(), world["doctor_a2"])
    refused = _reschedule(colleague, case, future(6))
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "not_own_patient"
    assert _cancel(colleague, case, reason_code="patient_request").status_code == 403
    assert not colleague.get(f"/api/v1/preop/cases/{case.uuid}/").json()["can_change_booking"]
    # The generic case actions obey the same rule (one rule, whichever screen the doctor uses).
    generic = colleague.post(f"/api/v1/cases/{case.uuid}/reschedule/",
                             {"planned_date": str(future(6)), "reason": "患者要求"}, format="json")
    assert generic.status_code == 403 and generic.json()["error"]["code"] == "not_own_patient"
    generic = colleague.post(f"/api/v1/cases/{case.uuid}/cancel/", {"reason_code": "patient_request"}, format="json")
    assert generic.status_code == 403 and generic.json()["error"]["code"] == "not_own_patient"
    surgeon = authenticate(APIClient(), world["doctor_a"])
    assert _reschedule(surgeon, case, future(6)).status_code == 200
    # A member of the surgeon's medical group may act for the group's patients.
    group = MedicalGroup.objects.create(department=world["ward_a"].department, name="普外一组", leader=world["doctor_a"])
    group.members.add(world["doctor_a2"])
    assert _reschedule(colleague, case, future(7)).status_code == 200
    assert authenticate(APIClient(), world["nurse_b"]).post(
        f"/api/v1/preop/cases/{case.uuid}/reschedule/", {}, format="json").status_code == 404


@pytest.mark.req("P5", "D6")
def test_booking_rules_full_day_and_admission_rules_are_rechecked(world):
    surgeon = world["doctor_a"]
    day, full_day = future(3), future(4)
    make_capacity(surgeon, day=day, session="am", max_bookings=2)
    make_capacity(surgeon, day=full_day, session="am", max_bookings=1)
    case = make_case("booked", ward=world["ward_a"], surgeon=surgeon, planned_date=day)
    make_case("booked", ward=world["ward_a"], surgeon=surgeon, planned_date=full_day)
    client = authenticate(APIClient(), surgeon)
    full = _reschedule(client, case, full_day)
    assert full.status_code == 409 and full.json()["error"]["code"] == "no_places_left"
    case.refresh_from_db()
    assert case.planned_date == day and BookingPlace.objects.filter(case=case, slot__date=day).count() == 1
    no_resources = _reschedule(client, case, future(5))
    assert no_resources.status_code == 409 and no_resources.json()["error"]["code"] == "outside_resources"
    past = _reschedule(client, case, timezone.localdate() - timedelta(days=1))
    assert past.status_code == 400

    # The patient turns 70 in five days; the hospital admits day-surgery patients up to 69.
    birthday = future(5)
    patient = make_patient(id_number=valid_id_number(birth=f"{birthday.year - 70}{birthday:%m%d}"))
    admission_rule_create(actor=None, hospital=world["hospital"], name="年龄上限", kind="age", max_age=69)
    older = make_case("booked", ward=world["ward_b"], patient=patient, planned_date=future(3))
    nurse_b = authenticate(APIClient(), world["nurse_b"])
    refused = _reschedule(nurse_b, older, future(8))
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "admission_refused"
    assert _reschedule(nurse_b, older, future(4)).status_code == 200


@pytest.mark.req("P5", "D6")
def test_a_scheduled_case_must_be_rolled_back_before_rescheduling(world):
    case = make_case("scheduled", ward=world["ward_a"], surgeon=world["doctor_a"], planned_date=future(3))
    surgeon = authenticate(APIClient(), world["doctor_a"])
    refused = _reschedule(surgeon, case, future(5))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "reschedule_requires_roll_back"
    roll_back = surgeon.post(f"/api/v1/cases/{case.uuid}/roll-back-application/", {"reason": "改期"}, format="json")
    assert roll_back.status_code == 409 and roll_back.json()["error"]["code"] == "application_already_scheduled"
    # The theatre withdraws its schedule; then the application goes back and the date can move.
    case_transition(case=case, transition="theatre_cancelled", actor=None, reason="手术室检修")
    assert _reschedule(surgeon, case, future(5)).status_code == 200  # an unscheduled application may move
    sent = make_case("application_sent", ward=world["ward_a"], surgeon=world["doctor_a"], planned_date=future(3))
    assert _reschedule(surgeon, sent, future(6)).status_code == 200


@pytest.mark.req("P5", "D6")
def test_cancel_needs_a_listed_reason_and_feeds_the_statistics(world):
    manager = authenticate(APIClient(), world["nurse_a"])
    surgeon = authenticate(APIClient(), world["doctor_a"])
    by_manager = make_case("booked", ward=world["ward_a"], surgeon=world["doctor_a"], planned_date=future(3))
    by_doctor = make_case("booked", ward=world["ward_a"], surgeon=world["doctor_a"], planned_date=future(4))
    by_patient = make_case("booked", ward=world["ward_a"], surgeon=world["doctor_a"], planned_date=future(5))
    elsewhere = make_case("booked", ward=world["ward_b"], planned_date=future(3))

    other = _cancel(manager, by_manager, reason_code="other")
    assert other.status_code == 400 and "reason_text" in other.json()["error"]["fields"]
    unknown = _cancel(manager, by_manager, reason_code="bored")
    assert unknown.status_code == 400 and "reason_code" in unknown.json()["error"]["fields"]
    done = _cancel(manager, by_manager, reason_code="patient_unwell", reason_text="发热38.5℃")
    assert done.status_code == 200 and done.json()["card"]["state"] == "cancelled"
    assert _cancel(surgeon, by_doctor, reason_code="surgeon_unavailable", reason_text="外出会诊").status_code == 200
    account = make_patient_account(patient=by_patient.patient)
    case_transition(case=by_patient, transition="cancel", actor=account, reason_code="financial")
    case_transition(case=elsewhere, transition="cancel", actor=None, reason_code="patient_request")
    by_manager.refresh_from_db()
    assert (by_manager.cancel_reason_code, by_manager.cancel_stage, by_manager.cancelled_by_name) == (
        "patient_unwell", "before_day", "赵护士")

    stats = manager.get("/api/v1/cancellation-stats/").json()
    assert stats["total"] == 3  # ward B's cancellation is not the manager's
    assert {r["code"]: r["count"] for r in stats["by_reason"]} == {
        "patient_unwell": 1, "surgeon_unavailable": 1, "financial": 1}
    assert {r["code"]: r["count"] for r in stats["by_initiator"]} == {"manager": 1, "doctor": 1, "patient": 1}
    assert {r["code"]: r["count"] for r in stats["by_category"]} == {"clinical": 1, "organisational": 1, "patient": 1}
    assert stats["by_stage"] == [{"code": "before_day", "label": stats["by_stage"][0]["label"], "count": 3}]
    planned = manager.get("/api/v1/cancellation-stats/", {"from": str(future(4)), "to": str(future(5)),
                                                          "basis": "planned"}).json()
    assert planned["total"] == 2
    assert manager.get("/api/v1/cancellation-stats/", {"date_from": str(future(3)),
                                                       "date_to": str(future(1))}).status_code == 400
    assert authenticate(APIClient(), make_staff("followup_nurse", ward=world["ward_a"])).get(
        "/api/v1/cancellation-stats/").status_code == 403


def test_the_detail_page_says_whether_the_booking_may_change(world):
    case = make_case("booked", ward=world["ward_a"], surgeon=world["doctor_a"], planned_date=future(3))
    case_record_milestone(case=case, milestone="preop_assessment", status="passed", actor=None)
    assert authenticate(APIClient(), world["doctor_a"]).get(
        f"/api/v1/preop/cases/{case.uuid}/").json()["can_change_booking"]


@pytest.mark.req("P5", "D6")
def test_cancellation_stats_of_an_end_date_near_year_one_is_a_field_error(world):
    # date_to alone defaults date_from to 30 days before it: 0001-01-01 - 30 days overflowed (500).
    manager = authenticate(APIClient(), world["nurse_a"])
    res = manager.get("/api/v1/cancellation-stats/", {"date_to": "0001-01-10"})
    assert res.status_code == 400 and "date_to" in res.json()["error"]["fields"]
