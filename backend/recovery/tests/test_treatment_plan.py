"""SA8 / PA9: the first-week-after-discharge treatment plan — set by staff as versioned drafts, published (case
event for messaging and the timeline), read by the patient day by day; validation with field errors; isolation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from cases.models import CaseEvent
from recovery.tests.conftest import WEEK

pytestmark = [pytest.mark.django_db]


def _url(case, my=False):
    return f"/api/v1/{'my/' if my else ''}cases/{case.uuid}/treatment-plan/"


@pytest.mark.req("SA8", "PA9")
def test_staff_set_and_publish_the_plan_and_the_patient_reads_it_day_by_day(world, client_for):
    case, doctor = world["case"], client_for(world["doctor"])
    empty = doctor.get(_url(case)).json()
    assert empty["latest_version"] == 0 and empty["published"] is None
    assert any(i["category"] == "warning_sign" for i in empty["suggestion"])  # a week to start from

    saved = doctor.put(_url(case), {"items": WEEK, "note": "如有不适随时联系日间手术中心", "base_version": 0},
                       format="json")
    assert saved.status_code == 200, saved.json()
    assert saved.json()["draft"]["number"] == 1 and saved.json()["published"] is None
    patient = client_for(world["patient"])
    assert patient.get(_url(case, my=True)).status_code == 404  # a draft is not the patient's yet

    published = doctor.post(f"{_url(case)}publish/", {"base_version": 1}, format="json")
    assert published.status_code == 200, published.json()
    assert published.json()["published"]["number"] == 1 and published.json()["draft"] is None
    event = CaseEvent.objects.get(case=case, type="recovery.treatment_plan.published")
    assert event.payload == {"plan": published.json()["plan"], "version": 1}

    mine = patient.get(_url(case, my=True)).json()
    start = timezone.localtime(case.discharged_at).date() + timedelta(days=1)
    assert mine["version"] == 1 and mine["start_date"] == start.isoformat()
    assert [d["day"] for d in mine["days"]] == [1, 2, 3, 4, 5, 6, 7]
    assert mine["days"][1]["date"] == (start + timedelta(days=1)).isoformat()
    day2 = {i["title"] for i in mine["days"][1]["items"]}
    assert day2 == {"止痛", "门诊换药", "一周内避免提重物"}
    assert {i["title"] for i in mine["days"][3]["items"]} == {"一周内避免提重物"}
    drug = mine["days"][0]["items"][0]
    assert (drug["drug_name"], drug["dose"], drug["frequency"]) == ("布洛芬缓释胶囊", "0.3 g", "每12小时一次")
    assert [w["title"] for w in mine["warning_signs"]] == ["发热超过38.5℃或切口渗血请立即就诊"]
    assert AuditEntry.objects.filter(action="read", detail="own treatment plan", actor_type="patient").exists()


@pytest.mark.req("SA8", "PA9")
def test_versions_the_patient_keeps_the_published_one_until_the_next_is_published(world, client_for):
    case, doctor, patient = world["case"], client_for(world["doctor"]), client_for(world["patient"])
    doctor.put(_url(case), {"items": WEEK, "publish": True}, format="json")
    changed = [*WEEK[:1], {**WEEK[1], "day_from": 3, "day_to": 3}, *WEEK[2:]]
    draft = doctor.put(_url(case), {"items": changed, "base_version": 1}, format="json").json()
    assert (draft["published"]["number"], draft["draft"]["number"]) == (1, 2)
    assert patient.get(_url(case, my=True)).json()["version"] == 1
    stale = doctor.put(_url(case), {"items": changed, "base_version": 1}, format="json")
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_conflict"

    doctor.post(f"{_url(case)}publish/", {}, format="json")
    mine = patient.get(_url(case, my=True)).json()
    assert mine["version"] == 2 and {i["title"] for i in mine["days"][2]["items"]} >= {"门诊换药"}
    history = doctor.get(_url(case)).json()
    assert [(v["number"], v["status"]) for v in history["versions"]] == [(2, "published"), (1, "superseded")]
    old = doctor.get(_url(case), {"version": 1}).json()["version"]
    assert old["items"][1]["day_from"] == 2  # what the patient was told first is kept
    assert doctor.get(_url(case), {"version": 9}).status_code == 404
    assert CaseEvent.objects.filter(case=case, type="recovery.treatment_plan.published").count() == 2


@pytest.mark.req("SA8")
def test_validation_gives_field_errors(world, client_for):
    case, doctor = world["case"], client_for(world["doctor"])
    no_dose = [{**WEEK[0], "dose": ""}, *WEEK[1:]]
    answer = doctor.put(_url(case), {"items": no_dose}, format="json")
    assert answer.status_code == 400 and "items.0.dose" in answer.json()["error"]["fields"]
    backwards = [{**WEEK[1], "day_from": 5, "day_to": 2}]
    answer = doctor.put(_url(case), {"items": backwards}, format="json")
    assert answer.status_code == 400 and "items.0.day_to" in answer.json()["error"]["fields"]
    assert doctor.put(_url(case), {"items": [{**WEEK[1], "day_to": 8}]}, format="json").status_code == 400
    assert doctor.put(_url(case), {"items": []}, format="json").status_code == 400
    no_warning = doctor.put(_url(case), {"items": WEEK[:4], "publish": True}, format="json")
    assert no_warning.status_code == 400 and "items" in no_warning.json()["error"]["fields"]
    assert doctor.post(f"{_url(case)}publish/", {}, format="json").json()["error"]["code"] == "no_draft"
    assert doctor.put(_url(case), {"items": WEEK[:4]}, format="json").status_code == 200  # a draft may lack them
    refused = doctor.post(f"{_url(case)}publish/", {"base_version": 1}, format="json")
    assert refused.status_code == 400 and "items" in refused.json()["error"]["fields"]


@pytest.mark.req("SA8", "PA9")
def test_isolation_other_ward_other_patient_and_permissions(world, client_for):
    case = world["case"]
    client_for(world["doctor"]).put(_url(case), {"items": WEEK, "publish": True}, format="json")
    assert client_for(world["nurse_b"]).get(_url(case)).status_code == 404
    assert client_for(world["nurse_b"]).put(_url(case), {"items": WEEK}, format="json").status_code == 404
    assert client_for(world["followup"]).get(_url(case)).status_code == 200
    assert client_for(world["followup"]).put(_url(case), {"items": WEEK}, format="json").status_code == 403
    assert client_for(world["other_patient"]).get(_url(case, my=True)).status_code == 404
    assert client_for(world["patient"]).get(_url(case)).status_code in (401, 403)
    assert client_for(world["nurse"]).get(_url(case, my=True)).status_code in (401, 403)


@pytest.mark.req("SA8")
def test_a_cancelled_case_gets_no_plan_and_the_suggestion_follows_the_discharge_instructions(world, client_for):
    from stay.models import Discharge
    from tests.builders import make_case

    cancelled = make_case("cancelled", ward=world["ward_a"])
    refused = client_for(world["doctor"]).put(_url(cancelled), {"items": WEEK}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "treatment_plan_not_allowed"

    case = world["case"]
    Discharge.objects.create(case=case, ward=case.ward, patient=case.patient, discharged_at=case.discharged_at,
                             disposition="1", his_status="not_applicable",
                             instructions={"wound_care": "保持敷料干燥，第3天换药", "warning_signs": "发热、切口渗血请及时就诊",
                                           "medication": "头孢克洛 0.25g 每日三次 共3天"})
    suggestion = client_for(world["nurse"]).get(_url(case)).json()["suggestion"]
    assert [(i["category"], i["instructions"]) for i in suggestion] == [
        ("other", "头孢克洛 0.25g 每日三次 共3天"), ("dressing", "保持敷料干燥，第3天换药"),
        ("warning_sign", "发热、切口渗血请及时就诊")]
