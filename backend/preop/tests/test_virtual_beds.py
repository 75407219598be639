"""P1: booked patients shown as virtual beds; the number of beds comes from the booking resources; bookings
outside the resources are impossible; patients separated by date and ward type (management mode)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from capacity.errors import NoPlacesLeft, OutsideResources
from cases.services import case_create, case_transition
from org.models import ManagementMode, MedicalGroup
from preop.tests.conftest import future
from tests.builders import (
    admin_token,
    authenticate,
    make_capacity,
    make_case,
    make_patient,
    make_staff,
    make_ward,
)

pytestmark = [pytest.mark.django_db]


def _beds(client, **params):
    response = client.get("/api/v1/virtual-beds/", {k: str(v) for k, v in params.items()})
    assert response.status_code == 200, response.content
    return response.json()


def _ward_days(body, ward):
    return next(w for m in body["modes"] for w in m["wards"] if w["ward"]["uuid"] == str(ward.uuid))["days"]


@pytest.mark.req("P1")
def test_beds_come_from_the_booking_capacity_and_patients_are_placed_on_them(world):
    day = future(4)
    ward, surgeon, colleague = world["ward_a"], world["doctor_a"], world["doctor_a2"]
    make_capacity(surgeon, day=day, session="am", max_bookings=3)
    make_capacity(colleague, day=day, session="pm", max_bookings=2)
    first = make_case("booked", ward=ward, surgeon=surgeon, planned_date=day)
    second = make_case("booked", ward=ward, surgeon=surgeon, planned_date=day)
    make_case("cancelled", ward=ward, surgeon=surgeon, planned_date=day)  # gave its place back: no bed

    client = authenticate(APIClient(), world["nurse_a"])
    [today] = _ward_days(_beds(client, ward=ward.uuid, date=day), ward)
    assert today["resources_limited"] and today["capacity"] == 5 and today["occupied"] == 2 and today["free"] == 3
    assert today["sessions"] == [{"session": "am", "capacity": 3, "occupied": 2},
                                 {"session": "pm", "capacity": 2, "occupied": 0}]
    assert [(b["number"], b["session"], b["card"] and b["card"]["case"]) for b in today["beds"]] == [
        (1, "am", str(first.uuid)), (2, "am", str(second.uuid)), (3, "am", None), (4, "pm", None), (5, "pm", None)]
    assert today["beds"][0]["card"]["surgery"]["surgeon"]["name"] == surgeon.name

    # A medical group with resources counts once for its members; a department slot caps the whole department.
    group = MedicalGroup.objects.create(department=ward.department, name="普外一组", leader=surgeon)
    group.members.add(colleague)
    make_capacity(group, day=day, session="pm", max_bookings=4)
    pm = _ward_days(_beds(client, ward=ward.uuid, date=day), ward)[0]["sessions"][1]
    assert pm == {"session": "pm", "capacity": 4, "occupied": 0}
    make_capacity(ward.department, day=day, session="am", max_bookings=2)  # 2 places taken: the department is full
    am = _ward_days(_beds(client, ward=ward.uuid, date=day), ward)[0]
    assert am["sessions"][0] == {"session": "am", "capacity": 2, "occupied": 2} and am["capacity"] == 6


@pytest.mark.req("P1")
def test_a_doctor_cannot_book_outside_the_resources(world):
    day = future(5)
    surgeon = world["doctor_a"]
    make_capacity(surgeon, day=day, session="am", max_bookings=1)
    make_capacity(world["doctor_a2"], day=future(9), session="am")  # the colleague's resources are other days
    make_case("booked", ward=world["ward_a"], surgeon=surgeon, planned_date=day)

    def draft(session="am", planned=day):
        return case_create(actor=surgeon, patient=make_patient(), ward=world["ward_a"], surgeon=surgeon,
                           procedure_name="腹股沟疝修补术", planned_date=planned, planned_session=session)

    with pytest.raises(NoPlacesLeft):  # the only place is taken
        case_transition(case=draft(), transition="confirm", actor=surgeon)
    with pytest.raises(OutsideResources):  # no resources in the afternoon
        case_transition(case=draft("pm"), transition="confirm", actor=surgeon)
    with pytest.raises(OutsideResources):  # nor on a day without a slot
        case_transition(case=draft(planned=future(6)), transition="confirm", actor=surgeon)
    client = authenticate(APIClient(), surgeon)
    refused = client.post(f"/api/v1/cases/{draft().uuid}/confirm/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "no_places_left"
    [beds] = _ward_days(_beds(authenticate(APIClient(), world["nurse_a"]), ward=world["ward_a"].uuid, date=day),
                        world["ward_a"])
    assert beds["capacity"] == 1 and beds["occupied"] == 1 and beds["free"] == 0
    assert not any(b["overflow"] for b in beds["beds"])


@pytest.mark.req("P1")
def test_patients_are_separated_by_date_and_ward_type(world):
    day, next_day = future(3), future(4)
    outpatient = make_ward(ManagementMode.OUTPATIENT, department=world["ward_a"].department, name="门诊手术室")
    op_surgeon = make_staff("doctor", ward=outpatient)
    make_capacity(op_surgeon, day=day, session="am", max_bookings=2)
    on_day = make_case("booked", ward=world["ward_a"], planned_date=day)
    later = make_case("booked", ward=world["ward_a"], planned_date=next_day)
    minor = make_case("booked", ward=outpatient, surgeon=op_surgeon, planned_date=day)

    admin = APIClient()
    admin.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(world['admin'])}")
    body = _beds(admin, date=day, date_to=next_day)
    modes = {m["management_mode"]: m for m in body["modes"]}
    assert {"centre", "outpatient"} <= set(modes)
    assert str(outpatient.uuid) not in {w["ward"]["uuid"] for w in modes["centre"]["wards"]}

    def cases(days):
        return [[b["card"]["case"] for b in d["beds"] if b["card"]] for d in days]

    assert cases(_ward_days(body, world["ward_a"])) == [[str(on_day.uuid)], [str(later.uuid)]]
    op_days = _ward_days(body, outpatient)
    assert cases(op_days) == [[str(minor.uuid)], []] and op_days[0]["capacity"] == 2
    # Ward A has no resources configured at all (gradual adoption): not limited, one bed per patient.
    assert _ward_days(body, world["ward_a"])[0]["resources_limited"] is False
    assert _ward_days(body, world["ward_a"])[0]["capacity"] is None
    only_op = _beds(admin, date=day, management_mode="outpatient")
    assert [m["management_mode"] for m in only_op["modes"]] == ["outpatient"]

    # A ward-B nurse sees ward B only, and asking for ward A is refused like an unknown ward.
    nurse_b = authenticate(APIClient(), world["nurse_b"])
    assert [w["ward"]["uuid"] for m in _beds(nurse_b, date=day)["modes"] for w in m["wards"]] == [
        str(world["ward_b"].uuid)]
    assert nurse_b.get("/api/v1/virtual-beds/", {"ward": str(world["ward_a"].uuid)}).status_code == 400


@pytest.mark.req("P1")
def test_range_limits_and_constant_queries(world):
    client = authenticate(APIClient(), world["nurse_a"])
    too_long = client.get("/api/v1/virtual-beds/", {"date": str(future(1)), "date_to": str(future(20))})
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "range_too_long"
    backwards = client.get("/api/v1/virtual-beds/", {"date": str(future(3)), "date_to": str(future(1))})
    assert backwards.status_code == 400 and "date_to" in backwards.json()["error"]["fields"]

    make_capacity(world["doctor_a"], day=future(2), session="am", max_bookings=20)
    counts = []
    for n in (1, 5):
        for _i in range(n):
            make_case("booked", ward=world["ward_a"], surgeon=world["doctor_a"], planned_date=future(2))
        client.get("/api/v1/virtual-beds/", {"date": str(future(2))})
        with CaptureQueriesContext(connection) as queries:
            _beds(client, date=future(2), date_to=future(8))
        counts.append(len(queries))
    assert counts[0] == counts[1]
