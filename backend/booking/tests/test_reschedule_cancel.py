"""Issue 3 item 12: rescheduling and cancelling a booking (the case endpoints /reschedule/ and /cancel/, and the
patient's own /my/cases/<uuid>/cancel/) follow the rules: a reason, who may, capacity moved or released at once."""

import pytest

from booking.tests.conftest import future
from capacity.models import CapacitySlot
from tests.builders import (
    authenticate,
    make_capacity,
    make_patient,
    make_patient_account,
    make_staff,
    make_ward,
    patient_token,
)

pytestmark = [pytest.mark.django_db]


def _used(slot):
    return CapacitySlot.objects.get(pk=slot.pk).used


@pytest.fixture
def booked(api_client, world):
    """A booking confirmed through the booking API into the doctor's only place of the day."""
    first = make_capacity(world["doctor"], day=future(7), max_bookings=1)
    second = make_capacity(world["doctor"], day=future(14), max_bookings=1)
    patient = make_patient()
    authenticate(api_client, world["doctor"])
    draft = api_client.post("/api/v1/bookings/", {"patient": str(patient.uuid)}, format="json").json()
    api_client.patch(f"/api/v1/bookings/{draft['uuid']}/", {"procedure": str(world["procedure"].uuid),
                                                            "anaesthesia_method": "general"}, format="json")
    response = api_client.post(f"/api/v1/bookings/{draft['uuid']}/confirm/",
                               {"planned_date": str(future(7)), "planned_session": "am"}, format="json")
    assert response.status_code == 200, response.content
    assert _used(first) == 1
    return {"uuid": draft["uuid"], "patient": patient, "first": first, "second": second}


@pytest.mark.req("B4", "B6")
def test_reschedule_needs_a_reason_and_moves_the_place(api_client, world, booked):
    url = f"/api/v1/cases/{booked['uuid']}/reschedule/"
    target = {"planned_date": str(future(14)), "planned_session": "am"}
    missing = api_client.post(url, target, format="json")
    assert missing.status_code == 400 and set(missing.json()["error"]["fields"]) == {"reason"}
    assert (_used(booked["first"]), _used(booked["second"])) == (1, 0)

    moved = api_client.post(url, {**target, "reason": "患者出差改期"}, format="json")
    assert moved.status_code == 200 and moved.json()["planned_date"] == str(future(14))
    assert (_used(booked["first"]), _used(booked["second"])) == (0, 1)

    # No place on the new day: refused, and the booking keeps its place.
    full = api_client.post(url, {"planned_date": str(future(21)), "planned_session": "am", "reason": "再改"},
                           format="json")
    assert full.status_code == 409 and full.json()["error"]["code"] in ("outside_resources", "no_places_left")
    assert (_used(booked["first"]), _used(booked["second"])) == (0, 1)


@pytest.mark.req("B4")
def test_who_may_reschedule_and_cancel(api_client, world, booked):
    url = f"/api/v1/cases/{booked['uuid']}/"
    body = {"planned_date": str(future(14)), "planned_session": "am", "reason": "改期"}
    authenticate(api_client, make_staff("nurse", ward=make_ward()))  # another ward: the booking does not exist
    assert api_client.post(url + "reschedule/", body, format="json").status_code == 404
    assert api_client.post(url + "cancel/", {"reason_code": "other", "reason_text": "x"},
                           format="json").status_code == 404
    authenticate(api_client, make_staff("anaesthetist", ward=world["ward"]))  # same ward, not their decision
    assert api_client.post(url + "reschedule/", body, format="json").status_code == 403
    assert api_client.post(url + "cancel/", {"reason_code": "other", "reason_text": "x"},
                           format="json").status_code == 403
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {patient_token(make_patient_account(patient=make_patient()))}")
    assert api_client.post(url + "reschedule/", body, format="json").status_code == 403
    assert _used(booked["first"]) == 1


@pytest.mark.req("B4", "B6")
def test_the_patient_cancels_their_own_booking_with_a_reason_and_the_place_is_released(api_client, booked):
    token = patient_token(make_patient_account(patient=booked["patient"]))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/my/cases/{booked['uuid']}/cancel/"
    missing = api_client.post(url, {}, format="json")
    assert missing.status_code == 400 and "reason_code" in missing.json()["error"]["fields"]
    assert _used(booked["first"]) == 1
    cancelled = api_client.post(url, {"reason_code": "patient_request", "reason_text": "家中有事"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert _used(booked["first"]) == 0
