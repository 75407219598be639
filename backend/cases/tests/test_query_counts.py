"""N+1 guards: the case list and the timeline cost the same number of queries for 1 row or many."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.builders import authenticate, make_case, make_staff, make_ward

pytestmark = pytest.mark.django_db


def _count(api_client, url):
    api_client.get(url)  # the first request of a session also records the login activity: not what is measured
    with CaptureQueriesContext(connection) as ctx:
        response = api_client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


def _procedure():
    from catalog.models import Procedure

    return Procedure.objects.create(
        code=f"51.{Procedure.objects.count() + 1:04d}", name="腹腔镜胆囊切除术", grade=2, incision_class="Ⅱ类"
    )


def test_case_list_query_count_does_not_grow_with_the_number_of_cases(api_client):
    from cases.models import SurgicalCase

    ward = make_ward()
    nurse = make_staff("nurse", ward=ward)
    authenticate(api_client, nurse)

    def add_case():
        case = make_case("booked", ward=ward)
        # a catalogue procedure on every row: each relation the list shows must be joined
        SurgicalCase.objects.filter(pk=case.pk).update(procedure=_procedure())

    add_case()
    one, body = _count(api_client, "/api/v1/cases/")
    assert body["count"] == 1 and body["results"][0]["procedure"] is not None
    for _ in range(5):
        add_case()
    many, body = _count(api_client, "/api/v1/cases/")
    assert body["count"] == 6 and all(r["procedure"] for r in body["results"])
    assert many == one


def test_timeline_query_count_does_not_grow_with_the_number_of_events(api_client):
    ward = make_ward()
    nurse = make_staff("nurse", ward=ward)
    authenticate(api_client, nurse)
    short = make_case("draft", ward=ward)
    long = make_case("closed", ward=ward)
    few, body_few = _count(api_client, f"/api/v1/cases/{short.uuid}/events/")
    lots, body_lots = _count(api_client, f"/api/v1/cases/{long.uuid}/events/")
    assert len(body_lots["results"]) > len(body_few["results"]) >= 1
    assert lots == few
