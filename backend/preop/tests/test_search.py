"""P6: search by date range, ward, state, surgeon and registration number; the results show each surgeon's number
of operations over the whole result set."""

import pytest
from rest_framework.test import APIClient

from preop.tests.conftest import future
from tests.builders import authenticate, make_case, make_patient

pytestmark = [pytest.mark.django_db]


def _search(client, **params):
    response = client.get("/api/v1/preop/search/", params)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.req("P6")
def test_search_filters_and_counts_operations_per_surgeon_over_all_pages(world):
    ward, li, wang = world["ward_a"], world["doctor_a"], world["doctor_a2"]
    for day in (2, 3, 4):
        make_case("booked", ward=ward, surgeon=li, planned_date=future(day))
    make_case("application_sent", ward=ward, surgeon=wang, planned_date=future(3))
    patient = make_patient(reg_no="R77000001")
    wanted = make_case("booked", ward=ward, surgeon=wang, patient=patient, planned_date=future(4))
    make_case("booked", ward=ward, surgeon=li, planned_date=future(9))  # outside the range
    make_case("booked", ward=world["ward_b"], planned_date=future(3))  # another ward
    make_case("draft", ward=ward, surgeon=li, planned_date=future(3))  # a draft is the booking doctor's

    client = authenticate(APIClient(), world["nurse_a"])
    page = _search(client, date_from=str(future(2)), date_to=str(future(4)), page_size=2)
    assert page["count"] == 5 and len(page["results"]) == 2 and page["next"]
    assert page["per_surgeon"] == [{"surgeon": str(li.uuid), "name": "李医生", "count": 3},
                                   {"surgeon": str(wang.uuid), "name": "王医生", "count": 2}]
    assert page["results"][0]["icons"] == {"alert": [], "lookup": [], "state": []}

    sent = _search(client, date_from=str(future(2)), date_to=str(future(4)), state="application_sent")
    assert sent["count"] == 1 and sent["per_surgeon"] == [{"surgeon": str(wang.uuid), "name": "王医生", "count": 1}]
    several = client.get("/api/v1/preop/search/?state=booked&state=application_sent").json()
    assert several["count"] == 6
    by_surgeon = _search(client, surgeon=str(wang.uuid))
    assert by_surgeon["count"] == 2 and {r["surgery"]["surgeon"]["name"] for r in by_surgeon["results"]} == {"王医生"}
    by_reg = _search(client, reg_no="R77000001")
    assert [r["case"] for r in by_reg["results"]] == [str(wanted.uuid)] and by_reg["results"][0]["patient"][
        "reg_no"] == "R77000001"
    assert _search(client, ward=str(ward.uuid), date_from=str(future(9)))["count"] == 1

    # Ward B's patients never appear; bad input answers with field messages.
    assert _search(authenticate(APIClient(), world["nurse_b"]), reg_no="R77000001")["count"] == 0
    bad = client.get("/api/v1/preop/search/", {"date_from": str(future(4)), "date_to": str(future(2))})
    assert bad.status_code == 400 and "date_to" in bad.json()["error"]["fields"]
    assert client.get("/api/v1/preop/search/", {"state": "asleep"}).status_code == 400
    assert client.get("/api/v1/preop/search/", {"surgeon": "00000000-0000-0000-0000-000000000000"}).status_code == 400
