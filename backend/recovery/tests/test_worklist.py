"""SA8: tracking recovery after discharge — the worklist of recently discharged patients of one's wards with the
plan's state, the latest recovery answer and open to-dos, filterable."""

from datetime import timedelta

import pytest
from django.utils import timezone

from recovery.tests.conftest import WEEK
from tests.builders import make_case

pytestmark = [pytest.mark.django_db, pytest.mark.req("SA8")]


def test_worklist_of_recent_discharges_with_plan_answers_and_todos(world, client_for):
    from cases.models import SurgicalCase
    from forms.testing import seed_rows as seed_forms

    with_plan, without = world["case"], world["other_patient"].patient.cases.get()
    old = make_case("discharged", ward=world["ward_a"])
    SurgicalCase.objects.filter(pk=old.pk).update(discharged_at=timezone.now() - timedelta(days=10))
    make_case("discharged", ward=world["ward_b"])  # another ward: never listed
    client_for(world["doctor"]).put(f"/api/v1/cases/{with_plan.uuid}/treatment-plan/",
                                    {"items": WEEK, "publish": True}, format="json")
    seed_forms(ward=with_plan.ward, patient=with_plan.patient, case=with_plan)  # an abnormal answer

    api = client_for(world["followup"])
    body = api.get("/api/v1/recovery/patients/").json()
    rows = {r["case"]: r for r in body["results"]}
    assert set(rows) == {str(with_plan.uuid), str(without.uuid)}
    row = rows[str(with_plan.uuid)]
    assert (row["plan_version"], row["plan_draft"], row["last_answer_abnormal"], row["day_after_discharge"]) == (
        1, False, True, 0)
    assert rows[str(without.uuid)]["plan_version"] is None and rows[str(without.uuid)]["last_answer_at"] is None
    assert [r["case"] for r in api.get("/api/v1/recovery/patients/", {"plan": "none"}).json()["results"]] == [
        str(without.uuid)]
    assert [r["case"] for r in api.get("/api/v1/recovery/patients/", {"abnormal": "true"}).json()["results"]] == [
        str(with_plan.uuid)]
    assert api.get("/api/v1/recovery/patients/", {"days": 30}).json()["count"] == 3
    assert api.get("/api/v1/recovery/patients/", {"ward": str(world["ward_b"].uuid)}).status_code == 400
    assert client_for(world["nurse_b"]).get("/api/v1/recovery/patients/").json()["count"] == 1
