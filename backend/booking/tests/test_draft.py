"""B2: the doctor fills the draft; derived fields follow the mapping rules and are shown with their source."""

import pytest

from booking.tests.conftest import future
from cases.models import CaseEvent
from org.models import TheatreRoom, TheatreSuite
from tests.builders import authenticate, make_case, make_department, make_patient, make_staff, make_ward

pytestmark = [pytest.mark.django_db]


def _draft(client, world, **extra):
    patient = extra.pop("patient", None) or make_patient()
    response = client.post("/api/v1/bookings/", {"patient": str(patient.uuid), **extra}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.req("B2")
def test_draft_filling_derives_department_grade_and_defaults(api_client, world):
    authenticate(api_client, world["doctor"])
    draft = _draft(api_client, world)
    url = f"/api/v1/bookings/{draft['uuid']}/"
    assert draft["state"] == "draft" and draft["surgeon"]["uuid"] == str(world["doctor"].uuid)

    # A surgeon of another department: the department follows the surgeon (rule surgeon → department).
    ortho = make_department(code="GK", name="骨科")
    surgeon = make_staff("doctor", department=ortho, ward=world["ward"])
    assistant = make_staff("doctor", ward=world["ward"])
    suite = TheatreSuite.objects.create(name="日间手术室", code="DS-S1")
    room = TheatreRoom.objects.create(suite=suite, name="3间", code="R3")
    response = api_client.patch(url, {
        "procedure": str(world["procedure"].uuid), "surgeon": str(surgeon.uuid), "planned_date": str(future()),
        "planned_session": "am", "preferred_suite": str(suite.uuid), "preferred_room": str(room.uuid),
        "position": "supine", "preferred_sequence": 2, "assistants": [str(assistant.uuid)], "triage_level": 2,
    }, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    derived = body["derived"]
    assert derived["department"]["value"]["uuid"] == str(ortho.uuid)
    assert derived["department"]["derived_from"] == "surgeon"
    assert (derived["grade"]["value"], derived["grade"]["derived_from"]) == (3, "procedure")
    assert derived["body_site"]["value"] == "腹部"
    assert derived["incision_class"]["value"] == world["procedure"].incision_class
    assert derived["expected_duration_minutes"]["value"] == 45  # the procedure's typical duration, by default
    assert body["department"]["uuid"] == str(ortho.uuid)
    assert (body["procedure_code"], body["procedure_name"]) == ("51.2300", "腹腔镜胆囊切除术")
    assert body["expected_duration_minutes"] == 45 and body["anaesthesia_method"] == ""  # two methods: doctor picks
    assert [a["uuid"] for a in body["assistants"]] == [str(assistant.uuid)]
    assert (body["position"], body["preferred_sequence"], body["triage_level"]) == ("supine", 2, 2)
    assert body["preferred_room"]["uuid"] == str(room.uuid)

    # The doctor overrides the default duration; the method must be one of the procedure's.
    assert api_client.patch(url, {"expected_duration_minutes": 70, "anaesthesia_method": "spinal"},
                            format="json").json()["expected_duration_minutes"] == 70
    refused = api_client.patch(url, {"anaesthesia_method": "local"}, format="json")
    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"anaesthesia_method"}
    other_room = TheatreRoom.objects.create(suite=TheatreSuite.objects.create(name="主手术室", code="MS"),
                                            name="1间", code="R1")
    refused = api_client.patch(url, {"preferred_room": str(other_room.uuid)}, format="json")
    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"preferred_room"}
    refused = api_client.patch(url, {"assistants": [str(surgeon.uuid)]}, format="json")
    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"assistants"}
    for bad in ({"triage_level": 5}, {"preferred_sequence": 0}, {"position": "upside_down"},
                {"planned_date": "2001-01-01"}, {"procedure": "00000000-0000-0000-0000-000000000000"}):
        assert api_client.patch(url, bad, format="json").status_code == 400, bad
    events = CaseEvent.objects.filter(case__uuid=draft["uuid"], type="booking.draft_updated")
    assert events.count() == 2


@pytest.mark.req("B2")
def test_confirm_books_the_draft_and_it_is_no_longer_editable_here(api_client, world):
    authenticate(api_client, world["doctor"])
    draft = _draft(api_client, world)
    url = f"/api/v1/bookings/{draft['uuid']}/"
    incomplete = api_client.post(url + "confirm/", {}, format="json")
    assert incomplete.status_code == 400 and incomplete.json()["error"]["code"] == "booking_incomplete"
    assert set(incomplete.json()["error"]["fields"]) == {"procedure", "planned_date", "planned_session"}
    api_client.patch(url, {"procedure": str(world["procedure"].uuid), "anaesthesia_method": "general"}, format="json")
    booked = api_client.post(url + "confirm/", {"planned_date": str(future()), "planned_session": "pm"}, format="json")
    assert booked.status_code == 200, booked.content
    assert booked.json()["state"] == "booked" and booked.json()["planned_session"] == "pm"
    assert booked.json()["booking_mode"] == "own"
    locked = api_client.patch(url, {"triage_level": 1}, format="json")
    assert locked.status_code == 409 and locked.json()["error"]["code"] == "not_a_draft"


@pytest.mark.req("B2", "B6")
def test_a_second_active_booking_of_the_patient_on_the_same_day_is_a_409(api_client, world):
    authenticate(api_client, world["doctor"])
    patient = make_patient()
    day = future(5)
    first, second = _draft(api_client, world, patient=patient), _draft(api_client, world, patient=patient)
    for d in (first, second):
        api_client.patch(f"/api/v1/bookings/{d['uuid']}/", {"procedure": str(world["procedure"].uuid)}, format="json")
    ok = api_client.post(f"/api/v1/bookings/{first['uuid']}/confirm/",
                         {"planned_date": str(day), "planned_session": "am"}, format="json")
    assert ok.status_code == 200, ok.content
    duplicate = api_client.post(f"/api/v1/bookings/{second['uuid']}/confirm/",
                                {"planned_date": str(day), "planned_session": "pm"}, format="json")
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "duplicate_booking"
    detail = api_client.get(f"/api/v1/bookings/{second['uuid']}/").json()
    assert detail["state"] == "draft" and detail["last_refusal"]["code"] == "duplicate_booking"
    # Another day is fine.
    ok = api_client.post(f"/api/v1/bookings/{second['uuid']}/confirm/",
                         {"planned_date": str(future(6)), "planned_session": "am"}, format="json")
    assert ok.status_code == 200, ok.content


@pytest.mark.req("B2", "U2")
def test_bookings_stay_in_their_ward(api_client, world):
    case = make_case(ward=world["ward"])
    outsider = make_staff("doctor", ward=make_ward())
    authenticate(api_client, outsider)
    assert api_client.get(f"/api/v1/bookings/{case.uuid}/").status_code == 404
    assert api_client.patch(f"/api/v1/bookings/{case.uuid}/", {"triage_level": 1}, format="json").status_code == 404
    assert api_client.get("/api/v1/bookings/").json()["results"] == []
    authenticate(api_client, world["doctor"])
    listed = api_client.get("/api/v1/bookings/").json()["results"]
    assert [row["uuid"] for row in listed] == [str(case.uuid)]
    assert listed[0]["patient"]["phone"].count("*") >= 4  # masked in lists
    refused = api_client.post("/api/v1/bookings/", {"patient": str(case.patient.uuid),
                                                    "ward": str(outsider.wards.first().uuid)}, format="json")
    assert refused.status_code == 400 and set(refused.json()["error"]["fields"]) == {"ward"}


@pytest.mark.req("B2")
def test_an_overlong_diagnosis_from_the_his_is_cut_to_fit_not_a_500(world, monkeypatch):
    """The visit's diagnosis comes from the HIS unchecked; the case keeps 40 / 200 characters of it."""
    from datetime import datetime

    from booking.services import booking_draft_start
    from integrations import registry
    from integrations.ports.his import HisDiagnosis, HisVisit

    patient = make_patient()
    visit = HisVisit(visit_no="V-LONG-1", reg_no=patient.reg_no, kind="outpatient", department_code="",
                     doctor_employee_no="D0101", started_at=datetime(2026, 1, 1),
                     diagnoses=(HisDiagnosis(code="K80." + "9" * 60, name="胆" * 300),))

    class FakeHis:
        def get_visit(self, visit_no):
            return visit

    monkeypatch.setattr(registry, "get_port", lambda name: FakeHis())
    case = booking_draft_start(actor=world["doctor"], ward=world["ward"], patient=patient, visit_no="V-LONG-1")
    case.refresh_from_db()
    assert case.diagnosis_code == ("K80." + "9" * 60)[:40] and case.diagnosis_name == "胆" * 200
