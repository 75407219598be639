"""The case API: scoping (another ward's staff gets 404), masked lists, audited detail reads, transitions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from cases.models import IdentifierSystem
from cases.state_machine import TRANSITIONS
from tests.builders import authenticate, make_case, make_patient_account, make_staff, make_ward

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward():
    return make_ward()


@pytest.fixture
def nurse(ward):
    return make_staff("nurse", ward=ward)


def test_list_is_scoped_to_the_callers_wards_and_masks_identifiers(api_client, ward, nurse):
    mine = make_case("booked", ward=ward)
    make_case("booked", ward=make_ward())  # another ward
    authenticate(api_client, nurse)
    response = api_client.get("/api/v1/cases/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["uuid"] for r in rows] == [str(mine.uuid)]
    patient = rows[0]["patient"]
    id_number = mine.patient.identifier(IdentifierSystem.ID_CARD)
    assert patient["id_number"] == id_number[:4] + "*" * 10 + id_number[-4:]
    assert patient["phone"] == mine.patient.phone[:3] + "****" + mine.patient.phone[-4:]
    assert id_number not in response.content.decode() and mine.patient.phone not in response.content.decode()
    assert patient["reg_no"] == mine.patient.reg_no


def test_list_filters(api_client, ward, nurse):
    today = timezone.localdate()
    a = make_case("booked", ward=ward)
    b = make_case("draft", ward=ward, planned_date=today + timedelta(days=5))
    authenticate(api_client, nurse)

    def uuids(query):
        response = api_client.get("/api/v1/cases/" + query)
        assert response.status_code == 200, response.content
        return {r["uuid"] for r in response.json()["results"]}

    assert uuids("?state=booked") == {str(a.uuid)}
    assert uuids(f"?date_from={today + timedelta(days=1)}") == {str(b.uuid)}
    assert uuids(f"?date_to={today}&ward={ward.uuid}") == {str(a.uuid)}
    assert api_client.get("/api/v1/cases/?state=nonsense").status_code == 400
    assert api_client.get("/api/v1/cases/?date_from=yesterday").status_code == 400


@pytest.mark.req("G1")
def test_detail_has_the_pathway_and_every_read_is_audited(api_client, ward, nurse):
    case = make_case("scheduled", ward=ward)
    authenticate(api_client, nurse)
    response = api_client.get(f"/api/v1/cases/{case.uuid}/")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "scheduled" and body["pathway"]["current"] == "admission"
    assert {s["key"]: s["status"] for s in body["pathway"]["stages"]}["scheduling"] == "done"
    assert "admit" in body["available_transitions"] and "cancel" in body["available_transitions"]
    read = AuditEntry.objects.filter(action="read", target_id=str(case.uuid)).get()
    assert read.actor_id == str(nurse.uuid) and read.ip == "127.0.0.1"


def test_staff_of_another_ward_get_404_and_no_audit(api_client, ward):
    case = make_case("booked", ward=ward)
    stranger = make_staff("nurse", ward=make_ward())
    authenticate(api_client, stranger)
    for url in (f"/api/v1/cases/{case.uuid}/", f"/api/v1/cases/{case.uuid}/events/"):
        response = api_client.get(url)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    response = api_client.post(f"/api/v1/cases/{case.uuid}/cancel/", {"reason_code": "financial"}, format="json")
    assert response.status_code == 404
    case.refresh_from_db()
    assert case.state == "booked"
    assert not AuditEntry.objects.filter(action="read", target_id=str(case.uuid)).exists()


def test_anonymous_gets_401(api_client, ward):
    case = make_case("booked", ward=ward)
    assert api_client.get("/api/v1/cases/").status_code == 401
    assert api_client.get(f"/api/v1/cases/{case.uuid}/").status_code == 401
    assert api_client.post(f"/api/v1/cases/{case.uuid}/confirm/", {}, format="json").status_code == 401


def test_timeline_lists_events_in_order(api_client, ward, nurse):
    case = make_case("application_sent", ward=ward)
    authenticate(api_client, nurse)
    response = api_client.get(f"/api/v1/cases/{case.uuid}/events/")
    assert response.status_code == 200
    events = response.json()["results"]
    assert [e["type"] for e in events] == [
        "cases.case.created", "cases.case.booked", "cases.case.preop_assessment_recorded",
        "cases.case.anaesthesia_clinic_recorded", "cases.case.application_sent",
    ]
    assert [e["sequence"] for e in events] == [1, 2, 3, 4, 5]
    assert AuditEntry.objects.filter(action="read", target_id=str(case.uuid), detail="case timeline").count() == 1


@pytest.mark.req("P2", "D5")
def test_result_findings_in_the_event_history_are_shown_only_to_readers_of_results(api_client, ward, nurse):
    from cases.services import case_append_event, case_lock

    case = make_case("booked", ward=ward)
    case_append_event(case_lock(case), type="clinical.findings.flagged", actor=None, payload={
        "high_risk": True, "categories": ["infectious"],
        "flags": [{"category": "infectious", "code": "HIV", "label": "HIV抗原抗体有反应性", "rule": ""}]})

    def flagged(user):
        events = authenticate(api_client, user).get(f"/api/v1/cases/{case.uuid}/events/").json()["results"]
        return next(e["payload"] for e in events if e["type"] == "clinical.findings.flagged")

    assert flagged(nurse)["flags"][0]["label"] == "HIV抗原抗体有反应性"  # nurses read results
    follow_up = flagged(make_staff("followup_nurse", ward=ward))
    assert follow_up == {"high_risk": True, "categories": ["infectious"]}  # the icon's kind, not the finding


def test_create_a_draft_case(api_client, ward, nurse):
    from tests.builders import make_patient

    patient = make_patient()
    surgeon = make_staff("doctor", ward=ward)
    authenticate(api_client, nurse)
    payload = {
        "patient": str(patient.uuid), "ward": str(ward.uuid), "surgeon": str(surgeon.uuid),
        "procedure_name": "腹股沟疝修补术", "procedure_code": "53.0000",
        "planned_date": str(timezone.localdate() + timedelta(days=3)), "planned_session": "am",
        "anaesthesia_method": "spinal",
    }
    response = api_client.post("/api/v1/cases/", payload, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "draft" and body["surgeon"]["uuid"] == str(surgeon.uuid)
    assert AuditEntry.objects.filter(action="create", target_id=body["uuid"]).exists()
    # a ward outside the caller's scope is refused like an unknown ward
    other = make_ward()
    response = api_client.post("/api/v1/cases/", {**payload, "ward": str(other.uuid)}, format="json")
    assert response.status_code == 400 and "ward" in response.json()["error"]["fields"]
    response = api_client.post("/api/v1/cases/", {**payload, "planned_session": "night"}, format="json")
    assert response.status_code == 400 and "planned_session" in response.json()["error"]["fields"]


def test_transition_endpoints_follow_the_table(api_client, ward, nurse):
    case = make_case("draft", ward=ward)
    authenticate(api_client, nurse)
    response = api_client.post(f"/api/v1/cases/{case.uuid}/confirm/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "booked"
    version = response.json()["version"]

    response = api_client.post(f"/api/v1/cases/{case.uuid}/send-application/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "preop_assessment_missing"
    assert response.json()["error"]["message"] == "医生术前评估完成前不能发送手术申请。"

    response = api_client.post(
        f"/api/v1/cases/{case.uuid}/reschedule/",
        {"planned_date": str(timezone.localdate() + timedelta(days=2)), "reason": "患者要求改期", "version": version - 1},
        format="json",
    )
    assert response.status_code == 409 and response.json()["error"]["code"] == "version_conflict"

    response = api_client.post(f"/api/v1/cases/{case.uuid}/cancel/", {"reason_code": "nope"}, format="json")
    assert response.status_code == 400 and "reason_code" in response.json()["error"]["fields"]
    response = api_client.post(
        f"/api/v1/cases/{case.uuid}/cancel/", {"reason_code": "financial", "reason_text": "费用问题"}, format="json"
    )
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert response.json()["cancel_stage"] == "on_day_before_arrival"

    response = api_client.post(f"/api/v1/cases/{case.uuid}/admit/", {}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "invalid_transition"
    response = api_client.post(f"/api/v1/cases/{case.uuid}/admit/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["message"] == "This action is not possible in the case's current state."


def test_every_transition_has_an_endpoint(api_client, ward, nurse):
    from django.urls import resolve

    case = make_case("draft", ward=ward)
    for t in TRANSITIONS.values():
        match = resolve(f"/api/v1/cases/{case.uuid}/{t.slug}/")
        assert match.func.view_class.transition == t.name


def test_transition_needs_the_function_permission(api_client, ward):
    case = make_case("booked", ward=ward)
    anaesthetist = make_staff("anaesthetist", ward=ward)
    authenticate(api_client, anaesthetist)
    response = api_client.post(f"/api/v1/cases/{case.uuid}/cancel/", {"reason_code": "financial"}, format="json")
    assert response.status_code == 403
    response = api_client.post(f"/api/v1/cases/{case.uuid}/milestones/", {"milestone": "anaesthesia_clinic",
                                                                          "status": "passed"}, format="json")
    assert response.status_code == 200 and response.json()["anaesthesia_clinic_status"] == "passed"


def test_a_patient_sees_only_their_own_cases(api_client, ward):
    own = make_case("booked", ward=ward)
    other = make_case("booked", ward=ward)
    account = make_patient_account(patient=own.patient)
    authenticate(api_client, account)
    response = api_client.get("/api/v1/my/cases/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["uuid"] for r in rows] == [str(own.uuid)]
    id_number = own.patient.identifier(IdentifierSystem.ID_CARD)
    assert id_number not in response.content.decode()
    detail = api_client.get(f"/api/v1/my/cases/{own.uuid}/")
    assert detail.status_code == 200 and detail.json()["pathway"]["stages"]
    assert api_client.get(f"/api/v1/my/cases/{other.uuid}/").status_code == 404
    # patient tokens never reach the staff endpoints
    assert api_client.get("/api/v1/cases/").status_code == 403
    assert api_client.get(f"/api/v1/cases/{own.uuid}/").status_code == 403
    # and staff tokens never reach the patient endpoints
    authenticate(api_client, make_staff("nurse", ward=ward))
    assert api_client.get("/api/v1/my/cases/").status_code == 403


def test_an_unbound_patient_account_sees_nothing(api_client, ward):
    make_case("booked", ward=ward)
    authenticate(api_client, make_patient_account())
    response = api_client.get("/api/v1/my/cases/")
    assert response.status_code == 200 and response.json()["results"] == []


def test_a_patient_cancels_their_own_case_only(api_client, ward):
    own = make_case("booked", ward=ward, planned_date=timezone.localdate() + timedelta(days=3))
    other = make_case("booked", ward=ward)
    account = make_patient_account(patient=own.patient)
    authenticate(api_client, account)
    response = api_client.post(f"/api/v1/my/cases/{other.uuid}/cancel/", {"reason_code": "patient_request"},
                               format="json")
    assert response.status_code == 404
    response = api_client.post(f"/api/v1/my/cases/{own.uuid}/cancel/", {"reason_code": "bogus"}, format="json")
    assert response.status_code == 400 and "reason_code" in response.json()["error"]["fields"]
    response = api_client.post(f"/api/v1/my/cases/{own.uuid}/cancel/",
                               {"reason_code": "patient_request", "reason_text": "出差"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "cancelled" and response.json()["cancel_stage"] == "before_day"
    own.refresh_from_db()
    assert (own.cancelled_by_type, own.cancelled_by_id) == ("patient", str(account.uuid))
    event = own.events.order_by("-sequence").first()
    assert (event.type, event.actor_type) == ("cases.case.cancelled", "patient")
    # a patient may cancel, but not perform staff transitions through the service
    from cases.services import case_transition
    from core.errors import NotAllowed

    booked = make_case("booked", ward=ward, patient=own.patient)
    with pytest.raises(NotAllowed):
        case_transition(case=booked, transition="confirm", actor=account)


def test_create_from_a_catalogue_procedure(api_client, ward, nurse):
    from catalog.models import IncisionClass, Procedure
    from tests.builders import make_patient

    procedure = Procedure.objects.create(code="53.0001", name="腹腔镜腹股沟疝修补术", grade=2, incision_class=IncisionClass.CLASS_I)
    authenticate(api_client, nurse)
    response = api_client.post("/api/v1/cases/", {
        "patient": str(make_patient().uuid), "ward": str(ward.uuid),
        "surgeon": str(make_staff("doctor", ward=ward).uuid), "procedure": str(procedure.uuid),
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["procedure"]["uuid"], body["procedure_name"], body["procedure_code"]) == (
        str(procedure.uuid), procedure.name, procedure.code,
    )
    response = api_client.post("/api/v1/cases/", {
        "patient": str(make_patient().uuid), "ward": str(ward.uuid), "surgeon": str(make_staff("doctor").uuid),
    }, format="json")
    assert response.status_code == 400 and "procedure_name" in response.json()["error"]["fields"]


@pytest.mark.req("P3")
def test_details_editable_until_the_application_is_sent_then_roll_back_first(api_client, ward, nurse):
    from cases.services import case_record_milestone

    case = make_case("booked", ward=ward)
    authenticate(api_client, nurse)
    url = f"/api/v1/cases/{case.uuid}/"
    response = api_client.patch(url, {"companion_name": "李四", "companion_phone": "13811112222",
                                      "remarks": "需轮椅", "version": case.version}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["companion_name"], body["companion_phone"], body["remarks"]) == ("李四", "13811112222", "需轮椅")
    event = case.events.order_by("-sequence").first()
    assert event.type == "cases.case.details_updated" and "13811112222" not in str(event.payload)
    audit = AuditEntry.objects.filter(action="update", target_id=str(case.uuid), detail="case details").get()
    assert audit.after["companion_phone"] == "138****2222"

    case_record_milestone(case=case, milestone="preop_assessment", status="passed", actor=None)
    case_record_milestone(case=case, milestone="anaesthesia_clinic", status="passed", actor=None)
    assert api_client.post(f"{url}send-application/", {}, format="json").status_code == 200
    response = api_client.patch(url, {"remarks": "改"}, format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "details_locked"
    assert api_client.post(f"{url}roll-back-application/", {"reason": "修改信息"}, format="json").status_code == 200
    response = api_client.patch(url, {"remarks": "改"}, format="json")
    assert response.status_code == 200 and response.json()["remarks"] == "改"
    response = api_client.patch(url, {"companion_phone": "12345"}, format="json")
    assert response.status_code == 400 and "companion_phone" in response.json()["error"]["fields"]
    assert api_client.put(url, {"remarks": "x"}, format="json").status_code == 405
    # editing needs the function permission
    authenticate(api_client, make_staff("followup_nurse", ward=ward))
    assert api_client.patch(url, {"remarks": "x"}, format="json").status_code == 403


def test_a_patient_cannot_cancel_once_admitted_staff_record_that(api_client, ward, nurse):
    """Cancelling an admitted case ends a hospital stay (discharge time set): that is the ward's act, not the app's."""
    admitted = make_case("admitted", ward=ward)
    authenticate(api_client, make_patient_account(patient=admitted.patient))
    response = api_client.post(f"/api/v1/my/cases/{admitted.uuid}/cancel/", {"reason_code": "patient_request"},
                               format="json")
    assert response.status_code == 409 and response.json()["error"]["code"] == "invalid_transition"
    admitted.refresh_from_db()
    assert admitted.state == "admitted" and admitted.discharged_at is None
    authenticate(api_client, nurse)
    response = api_client.post(f"/api/v1/cases/{admitted.uuid}/cancel/", {"reason_code": "patient_request"},
                               format="json")
    assert response.status_code == 200 and response.json()["cancel_stage"] == "after_arrival"
