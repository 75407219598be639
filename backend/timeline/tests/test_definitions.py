"""Timeline configuration (Y6, T2, G2): default nodes, per-hospital and per-mode overrides through the admin API
with validation, audit and version history; a change re-derives the active cases' timelines."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEntry
from org.models import ManagementMode
from tests.builders import (
    admin_token,
    authenticate,
    make_case,
    make_department,
    make_hospital,
    make_staff,
    make_ward,
)
from timeline.definitions import resolve
from timeline.models import CaseNode, NodeDefinition
from timeline.tests.helpers import append

pytestmark = pytest.mark.django_db

URL = "/api/v1/timeline-node-definitions/"
T2_STAGES = ["application", "preop_education", "anaesthesia_assessment", "preop_assessment", "theatre_scheduling",
             "admission_registration", "discharge_assessment", "discharge_education", "follow_up"]


def later(days=7):
    return timezone.localdate() + timedelta(days=days)


def default(key, mode=""):
    return NodeDefinition.objects.get(hospital__isnull=True, management_mode=mode, key=key)


@pytest.mark.req("T2", "G2")
def test_default_timeline_has_the_tender_stages_and_covers_the_perioperative_workflow(world):
    centre = [r.definition.key for r in resolve(world["hospital"].pk, ManagementMode.CENTRE)]
    assert set(T2_STAGES) <= set(centre)  # every stage of the tender
    # G2: application, registration, education, assessment, notification and follow-up are nodes.
    assert {"application", "booking", "admission_registration", "preop_education", "discharge_education",
            "anaesthesia_assessment", "preop_assessment", "discharge_assessment", "notification",
            "follow_up"} <= set(centre)
    # Outpatient surgery has no admission or inpatient discharge: those nodes are hidden in that mode only.
    outpatient = [r.definition.key for r in resolve(world["hospital"].pk, ManagementMode.OUTPATIENT)]
    assert "admission_registration" not in outpatient and "discharge_assessment" not in outpatient
    assert "follow_up" in outpatient and "application" in outpatient
    # Every default has a trigger that completes it; staff/patient audiences differ.
    for r in resolve(world["hospital"].pk, ManagementMode.CENTRE):
        assert r.definition.complete_on and r.source == "default"
    audiences = {r.definition.key: r.definition.audience for r in resolve(world["hospital"].pk, "centre")}
    assert audiences["notification"] == "staff" and audiences["preop_education"] == "both"


@pytest.mark.req("Y6")
def test_the_event_catalogue_names_every_default_trigger(world, api_client):
    from timeline.definitions import TRIGGERS, as_matchers

    catalogue = authenticate(api_client, world["nurse"]).get(URL + "event-types/").json()
    known = {row["type"]: row["data"] for row in catalogue}
    assert "to" in known["cases.case.preop_assessment_recorded"] and "kind" in known["education.material.read"]
    assert "reason" in known["cases.case.application_rolled_back"]
    for definition in NodeDefinition.objects.filter(hospital__isnull=True):
        for trigger in TRIGGERS:
            for matcher in as_matchers(getattr(definition, trigger)):
                for event_type in matcher["types"]:
                    assert event_type in known, (definition.key, event_type)
                for path in matcher.get("where", {}):
                    assert path.split(".")[1] in known[matcher["types"][0]], (definition.key, path)


@pytest.mark.req("Y6", "T2")
def test_hospital_admin_overrides_a_node_with_versions_audit_and_rebuild(world, run, admin_client, api_client):
    case = run(make_case, "booked", ward=world["ward"], planned_date=later())
    before = CaseNode.objects.get(case=case, key="preop_education").expected_at
    assert timezone.localtime(before).hour == 20

    payload = {"hospital": str(world["hospital"].uuid), "key": "preop_education",
               "copy_from": str(default("preop_education").uuid), "name": "术前宣教", "patient_name": "看宣教视频",
               "expected_time": "18:00", "reason": "本院要求术前一日18点前完成宣教"}
    response = run(admin_client.post, URL, payload, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["scope"] == "hospital" and created["version"] == 1 and created["expected_time"] == "18:00:00"
    assert created["complete_on"] == default("preop_education").complete_on  # copied
    # The active case was re-derived with the new time point; the staff and patient screens use the new names.
    assert timezone.localtime(CaseNode.objects.get(case=case, key="preop_education").expected_at).hour == 18
    nurse = authenticate(APIClient(), world["nurse"])
    body = nurse.get(f"/api/v1/cases/{case.uuid}/timeline-nodes/").json()
    education = next(n for n in body["nodes"] if n["key"] == "preop_education")
    assert education["name"] == "术前宣教" and education["patient_name"] == "看宣教视频"

    effective = admin_client.get(URL + "effective/", {"management_mode": "centre"}).json()
    sources = {row["definition"]["key"]: row["source"] for row in effective}
    assert sources["preop_education"] == "hospital" and sources["booking"] == "default"

    uuid = created["uuid"]
    changed = admin_client.patch(f"{URL}{uuid}/", {"version": 1, "overdue_after_minutes": 120,
                                                    "reason": "给予两小时宽限"}, format="json")
    assert changed.status_code == 200 and changed.json()["version"] == 2, changed.content
    stale = admin_client.patch(f"{URL}{uuid}/", {"version": 1, "name": "旧版本"}, format="json")
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "timeline_definition_version_conflict"
    versions = admin_client.get(f"{URL}{uuid}/versions/").json()["results"]
    assert [(v["version"], v["change"], v["reason"], v["changed_by"]) for v in versions] == [
        (2, "updated", "给予两小时宽限", "管理员甲"), (1, "created", "本院要求术前一日18点前完成宣教", "管理员甲")]
    assert versions[0]["snapshot"]["overdue_after_minutes"] == 120
    audits = AuditEntry.objects.filter(action="config", target_id=uuid).order_by("id")
    assert [a.detail for a in audits] == ["timeline node preop_education: created",
                                          "timeline node preop_education: updated"]
    assert audits[1].before["overdue_after_minutes"] == 0 and audits[1].after["overdue_after_minutes"] == 120

    # Retiring the override falls back to the platform default.
    retired = run(admin_client.post, f"{URL}{uuid}/retire/", {"reason": "恢复默认"}, format="json")
    assert retired.status_code == 200 and retired.json()["retired"] is True
    body = nurse.get(f"/api/v1/cases/{case.uuid}/timeline-nodes/").json()
    assert next(n for n in body["nodes"] if n["key"] == "preop_education")["name"] == "术前/入院宣教"
    restored = admin_client.post(f"{URL}{uuid}/restore/", {}, format="json")
    assert restored.status_code == 200 and restored.json()["version"] == 4


@pytest.mark.req("Y6", "T1")
def test_a_new_node_with_its_own_trigger_and_a_hidden_node(world, run, admin_client, api_client):
    case = run(make_case, "booked", ward=world["ward"], planned_date=later())
    run(append, case, "consent.document.completed", {"document": "x"})
    response = run(admin_client.post, URL, {
        "hospital": str(world["hospital"].uuid), "management_mode": "centre", "key": "anaesthesia_consent",
        "name": "麻醉知情同意", "order": 45, "audience": "staff", "detail_kind": "anaesthesia",
        "complete_on": {"types": ["consent.document.completed"]},
        "expected_anchor": "node", "expected_anchor_ref": "anaesthesia_assessment", "expected_offset_hours": 2,
        "overdue_after_minutes": 0,
    }, format="json")
    assert response.status_code == 201, response.content
    # The rebuild replayed the case's events: the consent already signed marks the new node done.
    assert CaseNode.objects.get(case=case, key="anaesthesia_consent").state == "done"
    hide = run(admin_client.post, URL, {"hospital": str(world["hospital"].uuid), "key": "notification",
                                        "copy_from": str(default("notification").uuid), "is_active": False},
               format="json")
    assert hide.status_code == 201
    body = authenticate(api_client, world["nurse"]).get(f"/api/v1/cases/{case.uuid}/timeline-nodes/").json()
    keys = [n["key"] for n in body["nodes"]]
    assert "notification" not in keys and keys.index("anaesthesia_consent") == keys.index(
        "anaesthesia_assessment") + 1
    # Another mode of the same hospital keeps the defaults.
    outpatient = [r.definition.key for r in resolve(world["hospital"].pk, "outpatient")]
    assert "anaesthesia_consent" not in outpatient and "notification" not in outpatient  # hidden for every mode


@pytest.mark.req("Y6")
def test_invalid_definitions_are_refused_field_by_field(world, admin_client):
    base = {"hospital": str(world["hospital"].uuid), "key": "custom_node", "name": "自定义",
            "complete_on": {"types": ["cases.case.booked"]}}

    def refused(**changes):
        response = admin_client.post(URL, {**base, **changes}, format="json")
        assert response.status_code == 400, response.content
        return response.json()["error"]["fields"]

    assert "complete_on" in refused(complete_on={"where": {"data.to": ["x"]}})
    assert "complete_on" in refused(complete_on=None)
    assert "start_on" in refused(start_on={"types": ["Booked!"]})
    assert "start_on" in refused(start_on=[{"types": ["a.b"], "bogus": 1}])
    assert "skip_when" in refused(skip_when={"patient_name": ["张三"]})
    assert "skip_when" in refused(skip_when={"anaesthesia_method": ["magic"]})
    assert "key" in refused(key="Bad Key")
    assert "overdue_after_minutes" in refused(overdue_after_minutes=30)  # no expected time point
    assert "expected_anchor_ref" in refused(expected_anchor="node", expected_anchor_ref="no_such_node")
    assert "expected_anchor_ref" in refused(expected_anchor="node", expected_anchor_ref="custom_node")
    assert "expected_anchor_ref" in refused(expected_anchor="event", expected_anchor_ref="")
    assert "audience" in refused(audience="everyone")
    # A loop of node anchors: a → b → a.
    own_hospital = {k: v for k, v in base.items() if k != "hospital"}  # left out: the administrator's hospital
    ok = admin_client.post(URL, {**own_hospital, "key": "node_a", "expected_anchor": "node",
                                 "expected_anchor_ref": "booking"}, format="json")
    assert ok.status_code == 201 and ok.json()["hospital"] == str(world["hospital"].uuid)
    ok = admin_client.post(URL, {**base, "key": "node_b", "expected_anchor": "node",
                                 "expected_anchor_ref": "node_a"}, format="json")
    assert ok.status_code == 201
    loop = admin_client.patch(f"{URL}{_uuid('node_a')}/",
                              {"expected_anchor_ref": "node_b"}, format="json")
    assert loop.status_code == 400 and "expected_anchor_ref" in loop.json()["error"]["fields"]
    duplicate = admin_client.post(URL, {**base, "key": "node_a"}, format="json")
    assert duplicate.status_code == 409 and duplicate.json()["error"]["code"] == "timeline_definition_key_taken"


def _uuid(key):
    return NodeDefinition.objects.get(key=key, retired_at__isnull=True).uuid


@pytest.mark.req("Y6")
def test_only_the_hospitals_own_administrators_configure_it(world, api_client):
    payload = {"hospital": str(world["hospital"].uuid), "key": "custom_node", "name": "自定义",
               "complete_on": {"types": ["cases.case.booked"]}}
    nurse = authenticate(api_client, world["nurse"])
    assert nurse.get(URL).status_code == 200  # staff may read the configuration
    assert nurse.post(URL, payload, format="json").status_code == 403
    other_hospital = make_hospital("H777")[0]
    stranger = make_staff("hospital_admin", department=make_department(hospital=other_hospital))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(stranger)}")
    refused = api_client.post(URL, payload, format="json")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "hospital_not_allowed"
    assert api_client.patch(f"{URL}{default('booking').uuid}/", {"name": "改"}, format="json").status_code == 403
    # The platform defaults are the platform's: a hospital administrator overrides them instead.
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(world['admin'])}")
    response = api_client.patch(f"{URL}{default('booking').uuid}/", {"name": "改"}, format="json")
    assert response.status_code == 403
    # A platform administrator (no department, as for the other hospital configuration) maintains the defaults.
    platform = make_staff("hospital_admin")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(platform)}")
    response = api_client.patch(f"{URL}{default('booking').uuid}/", {"patient_name": "预约成功啦"}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 2
    # Admin endpoints need the admin-web login (password + SMS code).
    authenticate(api_client, world["admin"])
    assert api_client.post(URL, payload, format="json").status_code == 403
    # Another hospital's rows are not listed.
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(stranger)}")
    assert api_client.get(URL + "effective/", {"hospital": str(world["hospital"].uuid),
                                               "management_mode": "centre"}).status_code == 403


@pytest.mark.req("Y6")
def test_rebuild_on_request_and_by_command(world, run, admin_client):
    case = run(make_case, "booked", ward=world["ward"], planned_date=later())
    CaseNode.objects.filter(case=case).delete()
    response = run(admin_client.post, URL + "rebuild/", {"hospital": str(world["hospital"].uuid)}, format="json")
    assert response.status_code == 202 and response.json()["queued"] >= 1
    assert CaseNode.objects.get(case=case, key="booking").state == "done"
    CaseNode.objects.filter(case=case).delete()
    lines = []
    call_command("timeline_rebuild", "--case", str(case.uuid), stdout=_Out(lines))
    assert CaseNode.objects.get(case=case, key="booking").state == "done"
    assert any("1/1" in line for line in lines)
    other = make_ward(department=make_department(hospital=world["hospital"]))
    assert call_command("timeline_rebuild", "--ward", other.code, stdout=_Out(lines)) is None


class _Out:
    def __init__(self, lines):
        self.lines = lines

    def write(self, text):
        self.lines.append(text)

    def flush(self):
        pass
