"""Theatre day facts: time points (order, corrections, transitions), complications with Clavien–Dindo, adverse
events, unplanned returns to theatre — structured, with occurred_at, recorder, audit and case events; and the
signed push of time points by the theatre / anaesthesia system."""

import json
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from audit.models import AuditEntry
from booking.signing import signed_headers
from cases.models import CaseEvent
from stay.models import AdverseEvent, Complication, TheatreTime, UnplannedReturn
from tests.builders import make_case, make_staff, make_ward

pytestmark = pytest.mark.django_db


def _times(client, case, reason="", **times):
    body = {"times": {k: v.isoformat() for k, v in times.items()}, "reason": reason}
    return client.post(f"/api/v1/cases/{case.uuid}/theatre-times/", body, format="json")


@pytest.fixture
def admitted(ward, doctor):
    def make(hours=5):
        return make_case("admitted", ward=ward, surgeon=doctor, admitted_at=timezone.now() - timedelta(hours=hours))

    return make


NOW = timezone.now().replace(microsecond=0)  # one clock for the module: times compare exactly


def _t(hours_ago):
    return NOW - timedelta(hours=hours_ago)


@pytest.mark.req("G3")
def test_times_in_order_drive_the_case_into_and_out_of_theatre(admitted, nurse, client_for):
    case = admitted()
    client = client_for(nurse)
    response = _times(client, case, suite_in=_t(4), room_in=_t(3.8), anaesthesia_start=_t(3.7))
    assert response.status_code == 200, response.json()
    case.refresh_from_db()
    assert case.state == "in_theatre" and case.theatre_in_at == _t(3.8)
    response = _times(client, case, incision=_t(3.5), surgery_end=_t(2.5), anaesthesia_end=_t(2.4),
                      room_out=_t(2.3), recovery_in=_t(2.2), recovery_out=_t(1.5))
    assert response.status_code == 200, response.json()
    case.refresh_from_db()
    assert case.state == "operated"
    assert (case.incision_start_at, case.incision_end_at, case.theatre_out_at, case.operated_at) == (
        _t(3.5), _t(2.5), _t(2.3), _t(2.3))
    assert [p["point"] for p in response.json()["theatre_times"]] == [
        "suite_in", "room_in", "anaesthesia_start", "incision", "surgery_end", "anaesthesia_end", "room_out",
        "recovery_in", "recovery_out"]
    events = CaseEvent.objects.filter(case=case, type="stay.theatre_time.recorded").order_by("sequence")
    assert [e.payload["point"] for e in events][:2] == ["suite_in", "room_in"] and events.count() == 9
    entered = CaseEvent.objects.get(case=case, type="cases.case.entered_theatre")
    assert entered.occurred_at == _t(3.8)
    assert TheatreTime.objects.get(case=case, point="room_in").recorded_by == nurse


@pytest.mark.req("G3")
def test_out_of_order_future_and_before_admission_times_are_refused(admitted, nurse, client_for):
    case = admitted(hours=5)
    client = client_for(nurse)
    assert _times(client, case, room_in=_t(3)).status_code == 200
    wrong = _times(client, case, incision=_t(3.5))
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "theatre_time_order"
    assert "incision" in wrong.json()["error"]["fields"]
    future = _times(client, case, incision=timezone.now() + timedelta(hours=1))
    assert future.status_code == 400 and "times" in future.json()["error"]["fields"]
    early = _times(client, case, suite_in=_t(6))
    assert early.status_code == 400 and "suite_in" in early.json()["error"]["fields"]
    unknown = client.post(f"/api/v1/cases/{case.uuid}/theatre-times/", {"times": {"lunch": _t(1).isoformat()}},
                          format="json")
    assert unknown.status_code == 400
    case.refresh_from_db()
    assert TheatreTime.objects.filter(case=case).count() == 1 and case.state == "in_theatre"


@pytest.mark.req("G3")
def test_a_correction_needs_a_reason_and_moves_the_case_facts(admitted, nurse, client_for):
    case = admitted()
    client = client_for(nurse)
    _times(client, case, room_in=_t(4), incision=_t(3.8), surgery_end=_t(3), room_out=_t(2.9))
    refused = _times(client, case, room_in=_t(4.2))
    assert refused.status_code == 400 and "reason" in refused.json()["error"]["fields"]
    assert _times(client, case, reason="手麻系统录入错误，按护理记录更正", room_in=_t(4.2)).status_code == 200
    case.refresh_from_db()
    row = TheatreTime.objects.get(case=case, point="room_in")
    assert case.theatre_in_at == _t(4.2) and row.corrections == 1 and row.correction_reason.startswith("手麻")
    last = CaseEvent.objects.filter(case=case, type="stay.theatre_time.recorded").latest("sequence")
    assert last.payload["previous"] is not None and last.payload["reason"]
    assert AuditEntry.objects.filter(target_id=str(row.uuid), action="update").exists()
    assert _times(client, case, room_in=_t(4.2)).status_code == 200  # the same value again changes nothing
    assert TheatreTime.objects.get(case=case, point="room_in").corrections == 1


@pytest.mark.req("G3")
def test_times_are_refused_before_the_patient_arrived(ward, doctor, nurse, client_for):
    case = make_case("scheduled", ward=ward, surgeon=doctor)
    response = _times(client_for(nurse), case, room_in=_t(1))
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_in_stay"


@pytest.mark.req("G3")
def test_outpatient_surgery_enters_theatre_from_scheduled(nurse, client_for):
    from org.models import ManagementMode

    ward = make_ward(mode=ManagementMode.OUTPATIENT)
    nurse_o = make_staff("nurse", ward=ward)
    case = make_case("scheduled", ward=ward, anaesthesia_clinic_required=False)
    response = _times(client_for(nurse_o), case, room_in=_t(1), incision=_t(0.9), surgery_end=_t(0.5),
                      room_out=_t(0.4))
    assert response.status_code == 200, response.json()
    case.refresh_from_db()
    assert case.state == "operated" and case.admitted_at is None


@pytest.mark.req("G3")
def test_complications_adverse_events_and_unplanned_returns_are_structured(admitted, nurse, doctor, client_for):
    case = admitted()
    _times(client_for(nurse), case, room_in=_t(4), incision=_t(3.8), surgery_end=_t(3), room_out=_t(2.9))
    client = client_for(doctor)
    url = f"/api/v1/cases/{case.uuid}"
    complication = client.post(f"{url}/complications/", {
        "occurred_at": _t(2).isoformat(), "stage": "recovery", "clavien_dindo_grade": "IIIb", "description": "术后腹腔出血",
        "diagnosis_code": "T81.0", "treatment": "全麻下腹腔镜探查止血"}, format="json")
    assert complication.status_code == 201, complication.json()
    assert complication.json()["clavien_dindo_grade"] == "IIIb" and complication.json()["recorded_by"]["uuid"] == str(doctor.uuid)
    bad_grade = client.post(f"{url}/complications/", {"occurred_at": _t(2).isoformat(), "stage": "recovery",
                                                       "clavien_dindo_grade": "VI", "description": "x"}, format="json")
    assert bad_grade.status_code == 400 and "clavien_dindo_grade" in bad_grade.json()["error"]["fields"]
    intra_before = client.post(f"{url}/complications/", {"occurred_at": _t(4.5).isoformat(), "stage": "intraoperative",
                                                          "clavien_dindo_grade": "I", "description": "x"}, format="json")
    assert intra_before.status_code == 400
    returned = client.post(f"{url}/unplanned-returns/", {
        "occurred_at": _t(1.5).isoformat(), "reason": "术后出血再次手术", "procedure_name": "腹腔镜探查止血术",
        "complication": complication.json()["uuid"]}, format="json")
    assert returned.status_code == 201, returned.json()
    assert returned.json()["complication"] == complication.json()["uuid"]
    too_early = client.post(f"{url}/unplanned-returns/", {"occurred_at": _t(3.5).isoformat(), "reason": "x"},
                            format="json")
    assert too_early.status_code == 400 and "occurred_at" in too_early.json()["error"]["fields"]
    fall = client_for(nurse).post(f"{url}/adverse-events/", {
        "kind": "fall_from_bed", "occurred_at": _t(1).isoformat(), "harm": "mild", "description": "夜间坠床，右膝擦伤",
        "actions_taken": "床栏加固，告知家属"}, format="json")
    assert fall.status_code == 201 and fall.json()["never_event"] is False
    wrong_site = client.post(f"{url}/adverse-events/", {
        "kind": "wrong_site", "occurred_at": _t(3.7).isoformat(), "harm": "none", "description": "切口标记侧别错误，术中发现纠正"},
        format="json")
    assert wrong_site.status_code == 201 and wrong_site.json()["never_event"] is True

    types = list(CaseEvent.objects.filter(case=case, type__in=[
        "stay.complication.recorded", "stay.adverse_event.recorded", "stay.unplanned_return.recorded"])
        .order_by("sequence").values_list("type", "payload"))
    assert [t for t, _p in types] == ["stay.complication.recorded", "stay.unplanned_return.recorded",
                                      "stay.adverse_event.recorded", "stay.adverse_event.recorded"]
    assert types[0][1]["grade"] == "IIIb" and types[3][1]["never_event"] is True
    assert "description" not in types[2][1]  # events carry codes; the text stays on the row
    assert Complication.objects.get(case=case).ward == case.ward and UnplannedReturn.objects.filter(case=case).count() == 1
    assert AdverseEvent.objects.filter(case=case).count() == 2
    record = client.get(f"{url}/stay/").json()
    assert len(record["complications"]) == 1 and len(record["adverse_events"]) == 2
    assert AuditEntry.objects.filter(target_id=str(case.uuid), action="read").exists()


@pytest.mark.req("G3")
def test_incidents_are_scoped_and_need_the_permission(admitted, client_for):
    case = admitted()
    outsider = make_staff("doctor", ward=make_ward())
    body = {"kind": "fall", "occurred_at": _t(1).isoformat(), "harm": "none", "description": "跌倒"}
    assert client_for(outsider).post(f"/api/v1/cases/{case.uuid}/adverse-events/", body, format="json").status_code == 404
    assert client_for(outsider).get(f"/api/v1/cases/{case.uuid}/stay/").status_code == 404
    quality = make_staff("quality_manager", ward=case.ward)
    assert client_for(quality).post(f"/api/v1/cases/{case.uuid}/adverse-events/", body,
                                    format="json").status_code == 403
    assert client_for(quality).get(f"/api/v1/cases/{case.uuid}/adverse-events/").status_code == 200


@pytest.mark.req("G3")
@override_settings(BOOKING_HIS_CLIENTS={"ANAES-SYS": "s3cret-theatre"})
def test_the_theatre_system_pushes_time_points_signed(admitted, api_client):
    case = admitted()
    path = "/api/v1/stay/theatre-events/"
    body = json.dumps({"case": str(case.uuid), "times": {"room_in": _t(3).isoformat(),
                                                         "incision": _t(2.9).isoformat()}}).encode()

    def post(headers):
        return api_client.generic("POST", path, body, content_type="application/json",
                                  **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})

    assert post({}).status_code == 401
    assert post(signed_headers("ANAES-SYS", "wrong", method="POST", path=path, body=body)).status_code == 401
    response = post(signed_headers("ANAES-SYS", "s3cret-theatre", method="POST", path=path, body=body))
    assert response.status_code == 200, response.json()
    case.refresh_from_db()
    assert case.state == "in_theatre"
    row = TheatreTime.objects.get(case=case, point="room_in")
    assert row.source == "theatre_system" and row.recorded_by is None
    event = CaseEvent.objects.get(case=case, type="stay.theatre_time.recorded", payload__point="room_in")
    assert event.actor_type == "system"
    # A repeat (the theatre system resends) changes nothing; an unknown case is 404.
    assert post(signed_headers("ANAES-SYS", "s3cret-theatre", method="POST", path=path, body=body)).status_code == 200
    assert CaseEvent.objects.filter(case=case, type="stay.theatre_time.recorded").count() == 2
    # Named by the theatre application number instead of the case.
    from scheduling.models import TheatreApplication

    TheatreApplication.objects.create(case=case, application_no="DS-PUSH-1", planned_date=case.planned_date)
    by_number = json.dumps({"application_no": "DS-PUSH-1", "times": {"surgery_end": _t(2).isoformat()}}).encode()
    pushed = api_client.generic("POST", path, by_number, content_type="application/json", **{
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed_headers(
            "ANAES-SYS", "s3cret-theatre", method="POST", path=path, body=by_number).items()})
    assert pushed.status_code == 200, pushed.json()
    assert TheatreTime.objects.filter(case=case, point="surgery_end", source="theatre_system").exists()
    missing = json.dumps({"application_no": "NOPE", "times": {"room_in": _t(1).isoformat()}}).encode()
    assert api_client.generic("POST", path, missing, content_type="application/json", **{
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in signed_headers(
            "ANAES-SYS", "s3cret-theatre", method="POST", path=path, body=missing).items()}).status_code == 404


@pytest.mark.req("G3")
def test_quality_review_list_of_incidents(admitted, nurse, doctor, client_for):
    case = admitted()
    theirs = make_case("admitted", ward=make_ward(), admitted_at=timezone.now() - timedelta(hours=5))
    _times(client_for(nurse), case, room_in=_t(4), incision=_t(3.8), surgery_end=_t(3), room_out=_t(2.9))
    from stay.services import adverse_event_record, complication_record

    complication_record(case=case, actor=doctor, occurred_at=_t(2), stage="recovery", clavien_dindo_grade="II",
                        description="术后尿潴留，予导尿")
    adverse_event_record(case=case, actor=nurse, kind="wrong_patient", occurred_at=_t(1), harm="none",
                         description="核对时发现腕带信息错误，已纠正")
    adverse_event_record(case=theirs, actor=None, kind="fall", occurred_at=_t(1), harm="none", description="跌倒")
    quality = make_staff("quality_manager", ward=case.ward)
    today = timezone.localdate().isoformat()
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client_for(quality).get("/api/v1/stay/incidents/", {"date_from": yesterday, "date_to": today})
    assert response.status_code == 200, response.json()
    assert response.json()["count"] == 3  # the quality office sees every ward
    rows = client_for(nurse).get("/api/v1/stay/incidents/", {"date_from": yesterday, "date_to": today}).json()
    rows = rows["results"]
    assert [(r["kind"], r["code"], r["never_event"]) for r in rows] == [
        ("adverse_event", "wrong_patient", True), ("complication", "II", False)]  # the ward's own, newest first
    assert rows[1]["case"]["uuid"] == str(case.uuid)
    only = client_for(quality).get("/api/v1/stay/incidents/", {"date_from": yesterday, "date_to": today,
                                                                "kind": "complication"}).json()
    assert [r["kind"] for r in only["results"]] == ["complication"]
    too_long = client_for(quality).get("/api/v1/stay/incidents/", {"date_from": "2026-01-01", "date_to": today})
    assert too_long.status_code == 400 and "date_to" in too_long.json()["error"]["fields"]


@pytest.mark.req("G3")
@override_settings(SCHEDULING_THEATRE_CLIENTS={"SHOUMA": "theatre-system-key"},
                   BOOKING_HIS_CLIENTS={"HIS-WS": "his-workstation-key"})
def test_time_points_are_pushed_with_the_theatre_systems_key_not_the_his_workstations(admitted, api_client):
    """The 手麻 system signs with its own key (the one its schedule callbacks use); the HIS workstation's key,
    given to doctors' launches, cannot write theatre times once the theatre system has its own."""
    case = admitted()
    path = "/api/v1/stay/theatre-events/"
    body = json.dumps({"case": str(case.uuid), "times": {"room_in": _t(3).isoformat()}}).encode()

    def post(client_id, secret):
        headers = signed_headers(client_id, secret, method="POST", path=path, body=body)
        return api_client.generic("POST", path, body, content_type="application/json",
                                  **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})

    assert post("HIS-WS", "his-workstation-key").status_code == 401
    assert not TheatreTime.objects.filter(case=case).exists()
    assert post("SHOUMA", "theatre-system-key").status_code == 200
    assert TheatreTime.objects.filter(case=case, point="room_in").exists()
