"""Risk API: permissions per role, the calculator's own-only evaluations, knowledge-base editing through the API
(second factor, drafts only, publish, history), procedure profiles, and Chinese field errors instead of 500s."""

import uuid

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from risk import services
from risk.models import KnowledgeBaseEntry, KnowledgeBaseVersion, ProcedureRiskProfile
from risk.tests.helpers import OSA_SMOKER, hospital_with_staff, make_procedure
from tests.builders import admin_token, authenticate, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    hospital, ward, staff = hospital_with_staff()
    return {"hospital": hospital, "ward": ward, **staff}


def _client(user, *, admin=False):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    if admin:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(user)}")
        return client
    return authenticate(client, user)


@pytest.mark.req("A1")
def test_model_catalogue_is_readable_by_all_staff(world):
    response = _client(world["nurse"]).get("/api/v1/risk-models/")
    assert response.status_code == 200, response.content
    cards = {c["id"]: c for c in response.json()}
    assert {"gupta_mica", "stop_bang", "sepsis_screen"} <= set(cards)
    assert cards["stop_bang"]["event"] == "osa" and cards["stop_bang"]["card"]["bands"]
    assert APIClient().get("/api/v1/risk-models/").status_code == 401


@pytest.mark.req("A1", "A6")
def test_calculator_evaluation_is_created_and_readable_only_by_its_creator(world):
    client = _client(world["anaesthetist"])
    response = client.post("/api/v1/risk-evaluations/", {"inputs": OSA_SMOKER, "subject": "计算器"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    summary = body["summary"]
    assert summary["evaluation"] == body["uuid"] and summary["knowledge_base_version"] == 1
    osa = next(e for e in summary["events"] if e["event"] == "osa")
    assert osa["level"] == "high" and osa["primary"]["model"] == "stop_bang"
    assert {e["event"] for e in summary["events"]} >= {"sepsis", "shock"}  # A6 events
    assert body["inputs"]["age"] == 68 and body["actor"]["uuid"] == str(world["anaesthetist"].uuid)

    assert client.get(f"/api/v1/risk-evaluations/{body['uuid']}/").status_code == 200
    listed = client.get("/api/v1/risk-evaluations/").json()["results"]
    assert [e["uuid"] for e in listed] == [body["uuid"]] and listed[0]["disposition"] == summary["disposition"]
    other = _client(world["doctor"])
    assert other.get(f"/api/v1/risk-evaluations/{body['uuid']}/").status_code == 404
    assert other.get("/api/v1/risk-evaluations/").json()["results"] == []
    # Nurses and administrators do not run the calculator.
    for role in ("nurse", "admin"):
        assert _client(world[role]).post("/api/v1/risk-evaluations/", {"inputs": {}}, format="json").status_code == 403


def test_bad_evaluation_input_is_a_chinese_field_error_never_a_500(world):
    client = _client(world["doctor"])
    for payload, field in (
        ({"inputs": {"age": "六十"}}, "age"),
        ({"inputs": {"asa_class": 7}}, "asa_class"),
        ({"inputs": "age=60"}, "inputs"),
        ({}, "inputs"),
        ({"inputs": {f"x{i}": 1 for i in range(300)}}, "inputs"),
    ):
        with translation.override("zh-hans"):
            response = client.post("/api/v1/risk-evaluations/", payload, format="json")
        assert response.status_code == 400, (payload, response.content)
        assert field in str(response.json()), response.json()
    assert client.get(f"/api/v1/risk-evaluations/{uuid.uuid4()}/").status_code == 404
    assert client.get("/api/v1/risk-evaluations/not-a-uuid/").status_code == 404


@pytest.mark.req("A7")
def test_knowledge_base_is_edited_published_and_its_history_read_through_the_api(world):
    admin = _client(world["admin"], admin=True)
    current = _client(world["doctor"]).get("/api/v1/risk-knowledge-bases/current/")
    assert current.status_code == 200 and current.json()["number"] == 1 and len(current.json()["entries"]) == 60
    v1 = current.json()["uuid"]

    created = admin.post("/api/v1/risk-knowledge-bases/", {"note": "2026版"}, format="json")
    assert created.status_code == 201, created.content
    draft = created.json()
    assert draft["status"] == "draft" and draft["number"] == 2 and draft["based_on"] == 1
    entry = next(e for e in draft["entries"] if e["event"] == "difficult_airway" and e["level"] == "high")
    patched = admin.patch(f"/api/v1/risk-knowledge-base-entries/{entry['uuid']}/",
                          {"seniority": "chief", "equipment": ["可视喉镜", "纤维支气管镜"]}, format="json")
    assert patched.status_code == 200 and patched.json()["seniority"] == "chief"
    bad = admin.patch(f"/api/v1/risk-knowledge-base-entries/{entry['uuid']}/", {"disposition": "perhaps"},
                      format="json")
    assert bad.status_code == 400 and "disposition" in bad.json()["error"]["fields"]
    cut = admin.patch(f"/api/v1/risk-knowledge-bases/{draft['uuid']}/",
                      {"band_cutoffs": {"gupta_mica": {"intermediate_from": 0.5, "high_from": 0.1}}}, format="json")
    assert cut.status_code == 400 and "band_cutoffs.gupta_mica" in cut.json()["error"]["fields"]

    published = admin.post(f"/api/v1/risk-knowledge-bases/{draft['uuid']}/publish/")
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert admin.get(f"/api/v1/risk-knowledge-bases/{v1}/").json()["status"] == "retired"
    again = admin.patch(f"/api/v1/risk-knowledge-base-entries/{entry['uuid']}/", {"advice": "x"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "knowledge_base_not_draft"
    copy = admin.post(f"/api/v1/risk-knowledge-bases/{v1}/copy/", {"note": "回到v1"}, format="json")
    assert copy.status_code == 201 and copy.json()["based_on"] == 1 and copy.json()["number"] == 3
    assert admin.delete(f"/api/v1/risk-knowledge-bases/{copy.json()['uuid']}/").status_code == 204

    history = admin.get(f"/api/v1/risk-knowledge-bases/{draft['uuid']}/history/").json()["results"]
    assert [h["detail"] for h in history][:2] == ["published", "v2 difficult_airway/high"]
    assert history[1]["before"]["seniority"] == "associate_chief" and history[1]["after"]["seniority"] == "chief"
    listed = admin.get("/api/v1/risk-knowledge-bases/", {"status": "published"}).json()["results"]
    assert [v["number"] for v in listed] == [2]
    assert admin.get("/api/v1/risk-knowledge-bases/history/").status_code == 200


@pytest.mark.req("A7")
def test_knowledge_base_writes_need_the_permission_and_the_second_factor(world):
    services.knowledge_base_ensure_default(world["hospital"])
    draft = services.knowledge_base_create_draft(actor=world["admin"], hospital=world["hospital"])
    entry = KnowledgeBaseEntry.objects.filter(version=draft).first()
    routes = [
        ("post", "/api/v1/risk-knowledge-bases/", {}),
        ("post", f"/api/v1/risk-knowledge-bases/{draft.uuid}/publish/", {}),
        ("patch", f"/api/v1/risk-knowledge-base-entries/{entry.uuid}/", {"advice": "改"}),
    ]
    for user, as_admin in ((world["anaesthetist"], True), (world["doctor"], True), (world["admin"], False)):
        client = _client(user, admin=as_admin)
        for method, url, body in routes:
            assert getattr(client, method)(url, body, format="json").status_code == 403, (user, url)
    # An anaesthetist chief granted the permission may edit.
    from accounts.models import FunctionPermission

    chief = make_staff("anaesthetist", ward=world["ward"], title="主任医师")
    chief.extra_permissions.add(FunctionPermission.objects.get(slug="risk.manage_knowledge_base"))
    response = _client(chief, admin=True).patch(f"/api/v1/risk-knowledge-base-entries/{entry.uuid}/",
                                                {"advice": "主任修改"}, format="json")
    assert response.status_code == 200 and response.json()["advice"] == "主任修改"
    draft.refresh_from_db()
    assert KnowledgeBaseVersion.objects.get(pk=draft.pk).status == "draft"


def test_procedure_profiles_through_the_api(world):
    procedure = make_procedure("无痛胃镜检查", duration=20, methods=("sedation",), incision="0类")
    admin = _client(world["admin"], admin=True)
    derived = _client(world["nurse"]).get("/api/v1/procedure-risk-profiles/inputs/", {"procedure": procedure.uuid})
    assert derived.status_code == 200 and derived.json()["has_profile"] is False
    assert derived.json()["inputs"]["procedure_type"] == {"value": "gastroscopy", "source": "derived",
                                                          "reason": "名称含内镜检查关键词"}
    assert _client(world["nurse"]).get("/api/v1/procedure-risk-profiles/inputs/",
                                       {"procedure": "nope"}).status_code == 400

    body = {"procedure": str(procedure.uuid), "procedure_type": "gastroscopy", "sort_severity": "minor",
            "sort_specialty": "other"}
    assert _client(world["doctor"], admin=True).post("/api/v1/procedure-risk-profiles/", body,
                                                     format="json").status_code == 403
    created = admin.post("/api/v1/procedure-risk-profiles/", body, format="json")
    assert created.status_code == 201, created.content
    profile = created.json()
    assert profile["procedure"]["code"] == procedure.code and profile["procedure_type"] == "gastroscopy"
    bad = admin.patch(f"/api/v1/procedure-risk-profiles/{profile['uuid']}/", {"procedure_category": "eye"},
                      format="json")
    assert bad.status_code == 400 and "procedure_category" in bad.json()["error"]["fields"]
    ok = admin.patch(f"/api/v1/procedure-risk-profiles/{profile['uuid']}/", {"general_anaesthesia": False},
                     format="json")
    assert ok.status_code == 200 and ok.json()["general_anaesthesia"] is False
    listed = _client(world["nurse"]).get("/api/v1/procedure-risk-profiles/", {"procedure_type": "gastroscopy"})
    assert [p["uuid"] for p in listed.json()["results"]] == [profile["uuid"]]
    history = admin.get(f"/api/v1/procedure-risk-profiles/{profile['uuid']}/history/").json()["results"]
    assert [h["detail"] for h in history] == ["procedure risk profile changed", "procedure risk profile created"]
    assert admin.delete(f"/api/v1/procedure-risk-profiles/{profile['uuid']}/").status_code == 204
    assert not ProcedureRiskProfile.objects.exists()
    assert admin.get(f"/api/v1/procedure-risk-profiles/{profile['uuid']}/history/").status_code == 200


def test_evaluations_of_a_named_patient_are_not_served_by_the_calculator_api(world):
    from tests.builders import make_patient

    evaluation = services.risk_evaluate(inputs=OSA_SMOKER, actor=world["anaesthetist"], hospital=world["hospital"],
                                        patient=make_patient(), subject="术前评估")
    client = _client(world["anaesthetist"])
    assert client.get(f"/api/v1/risk-evaluations/{evaluation.uuid}/").status_code == 404
    assert client.get("/api/v1/risk-evaluations/").json()["results"] == []


@pytest.mark.req("A7")
def test_entries_list_shows_one_version_the_draft_being_edited_by_default(world):
    v1 = services.knowledge_base_ensure_default(world["hospital"])
    client = _client(world["nurse"])
    assert {e["version"] for e in client.get("/api/v1/risk-knowledge-base-entries/").json()} == {str(v1.uuid)}
    draft = services.knowledge_base_create_draft(actor=world["admin"], hospital=world["hospital"])
    entries = client.get("/api/v1/risk-knowledge-base-entries/").json()
    assert len(entries) == 60 and {e["version"] for e in entries} == {str(draft.uuid)}
    osa = client.get("/api/v1/risk-knowledge-base-entries/", {"version": v1.uuid, "event": "osa"}).json()
    assert [e["level"] for e in osa] == ["low", "intermediate", "high", "unknown"]
    bad = client.get("/api/v1/risk-knowledge-base-entries/", {"event": "RMTX-secret", "version": "x"})
    assert bad.status_code == 400 and "RMTX-secret" not in bad.content.decode()
