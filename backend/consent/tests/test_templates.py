"""Consent templates per hospital (A8): versioned, placeholders validated, draft → published → retired, editing a
published version drafts the next one, history, administrators only (with the admin-web second factor)."""

import pytest

from consent import templating
from consent.models import ConsentTemplate, TemplateStatus
from consent.services import consent_templates_ensure_default
from tests.builders import admin_token, make_hospital

pytestmark = [pytest.mark.django_db, pytest.mark.req("A8")]

BODY = "患者{patient_name}（{sex}，{age}）拟于{date}在{anaesthesia_plan}下行{procedure_name}。主要风险：{risks}。"


@pytest.fixture
def admin_client(api_client, admin):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(admin)}")
    return api_client


def create(client, hospital, **overrides):
    body = {"hospital": str(hospital.uuid), "code": "hernia_local", "title": "局部麻醉知情同意书", "body": BODY,
            "procedure_kinds": ["day_surgery"], "anaesthesia_plans": ["local_monitored"], **overrides}
    return client.post("/api/v1/consent-templates/", body, format="json")


def test_unknown_placeholders_are_field_errors(admin_client, hospital):
    res = create(admin_client, hospital, body="患者{patient_name}，身份证{id_number}，{patient_name.__class__}")
    assert res.status_code == 400
    message = res.json()["error"]["fields"]["body"][0]
    assert "{id_number}" in message and "{patient_name.__class__}" in message
    res = create(admin_client, hospital, body="单个 { 括号")
    assert res.status_code == 400 and "body" in res.json()["error"]["fields"]
    res = create(admin_client, hospital, procedure_kinds=["heart_transplant"], anaesthesia_plans=["hypnosis"])
    assert res.status_code == 400 and {"procedure_kinds", "anaesthesia_plans"} <= set(res.json()["error"]["fields"])
    assert not ConsentTemplate.objects.exists()


def test_rendering_fills_known_placeholders_and_keeps_literal_braces():
    assert templating.template_errors("{{不是占位符}} {patient_name}") == []
    text = templating.render("{{注}} {patient_name}：{diagnosis}", {"patient_name": "张伟", "diagnosis": ""})
    assert text == "{注} 张伟：________"
    assert templating.placeholders_used(BODY) == ["patient_name", "sex", "age", "date", "anaesthesia_plan",
                                                  "procedure_name", "risks"]


def test_versioning_life_cycle(admin_client, hospital):
    res = create(admin_client, hospital)
    assert res.status_code == 201, res.content
    v1 = res.json()
    assert (v1["version"], v1["status"]) == (1, "draft")
    # A draft is edited in place.
    res = admin_client.patch(f"/api/v1/consent-templates/{v1['uuid']}/", {"title": "局麻同意书"}, format="json")
    assert res.status_code == 200 and res.json()["uuid"] == v1["uuid"] and res.json()["title"] == "局麻同意书"
    assert admin_client.post(f"/api/v1/consent-templates/{v1['uuid']}/publish/").json()["status"] == "published"
    # Editing the published version drafts version 2; version 1 stays in force.
    res = admin_client.patch(f"/api/v1/consent-templates/{v1['uuid']}/",
                             {"body": BODY + "\n新增条款。", "change_note": "增加条款"}, format="json")
    assert res.status_code == 201, res.content
    v2 = res.json()
    assert (v2["version"], v2["status"], v2["title"]) == (2, "draft", "局麻同意书")
    assert ConsentTemplate.objects.get(uuid=v1["uuid"]).status == TemplateStatus.PUBLISHED
    assert ConsentTemplate.objects.get(uuid=v1["uuid"]).body == BODY
    # A second edit of the published version while a draft exists is refused: edit the draft.
    res = admin_client.patch(f"/api/v1/consent-templates/{v1['uuid']}/", {"title": "x"}, format="json")
    assert res.status_code == 409 and res.json()["error"]["draft"] == v2["uuid"]
    # Publishing v2 retires v1; retired versions cannot change.
    assert admin_client.post(f"/api/v1/consent-templates/{v2['uuid']}/publish/").status_code == 200
    assert ConsentTemplate.objects.get(uuid=v1["uuid"]).status == TemplateStatus.RETIRED
    assert admin_client.patch(f"/api/v1/consent-templates/{v1['uuid']}/", {"title": "x"},
                              format="json").status_code == 409
    assert admin_client.post(f"/api/v1/consent-templates/{v1['uuid']}/publish/").status_code == 409
    versions = admin_client.get(f"/api/v1/consent-templates/{v1['uuid']}/versions/").json()["results"]
    assert [(v["version"], v["status"]) for v in versions] == [(2, "published"), (1, "retired")]
    history = admin_client.get(f"/api/v1/consent-templates/{v2['uuid']}/history/").json()["results"]
    details = [h["detail"] for h in history]
    assert "consent template published" in details and any("retired by v2" in d for d in details)
    assert any(h["before"] and h["before"]["title"] == "局部麻醉知情同意书" for h in history)
    # Retiring the published version leaves the hospital without this form.
    assert admin_client.post(f"/api/v1/consent-templates/{v2['uuid']}/retire/").json()["status"] == "retired"
    assert not ConsentTemplate.objects.filter(code="hernia_local", status="published").exists()


def test_codes_are_unique_per_hospital_not_globally(admin_client, hospital):
    assert create(admin_client, hospital).status_code == 201
    res = create(admin_client, hospital)
    assert res.status_code == 400 and "code" in res.json()["error"]["fields"]
    other, _campus = make_hospital(code="H-OTHER")
    from tests.builders import make_department, make_staff, make_ward

    other_admin = make_staff("hospital_admin", ward=make_ward(department=make_department(hospital=other)))
    admin_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(other_admin)}")  # its own administrator
    assert create(admin_client, other).status_code == 201


def test_only_administrators_with_the_second_factor_manage_templates(client_as, api_client, hospital, templates,
                                                                   anaesthetist, admin):
    client = client_as(anaesthetist)
    assert client.get("/api/v1/consent-templates/").status_code == 200
    assert create(client, hospital).status_code == 403
    template = ConsentTemplate.objects.filter(hospital=hospital).first()
    assert client.post(f"/api/v1/consent-templates/{template.uuid}/retire/").status_code == 403
    # An administrator logged in with an SMS code only (no password): refused too.
    assert create(client_as(admin), hospital).status_code == 403


def test_default_templates_are_idempotent_and_realistic(admin_client, hospital):
    assert consent_templates_ensure_default(hospital) == 3
    assert consent_templates_ensure_default(hospital) == 0
    res = admin_client.post("/api/v1/consent-templates/ensure-defaults/", {"hospital": str(hospital.uuid)},
                            format="json")
    assert res.status_code == 200 and {t["code"] for t in res.json()} == {
        "anaesthesia_general", "regional", "sedation_endoscopy"}
    by_code = {t.code: t for t in ConsentTemplate.objects.filter(hospital=hospital)}
    assert by_code["anaesthesia_general"].title == "麻醉知情同意书"
    assert by_code["sedation_endoscopy"].title == "无痛内镜镇静知情同意书"
    for template in by_code.values():
        assert template.status == TemplateStatus.PUBLISHED and templating.template_errors(template.body) == []
        for clause in ("可能的风险与并发症", "替代方案", "患者/家属声明", "医师声明"):
            assert clause in template.body
        assert "%" not in template.body  # no invented incidence figures
    assert set(by_code["sedation_endoscopy"].procedure_kinds) == {"gastroscopy", "colonoscopy", "bronchoscopy"}


def test_demo_seed(hospital):
    from consent.demo import seed_consent

    lines = []
    assert seed_consent(hospital, write=lines.append) == {"templates": 3}
    assert seed_consent(hospital, write=lines.append) == {"templates": 0}
    assert "consent" in lines[0]


def test_matrix_seed_rows(ward, case):
    from consent.models import ConsentDocument
    from consent.testing import seed_rows

    seed_rows(ward=ward, patient=case.patient, case=case)
    seed_rows(ward=ward, patient=case.patient, case=case)
    document = ConsentDocument.objects.get(case=case)
    assert document.patient == case.patient and document.ward == ward


def test_an_administrator_manages_only_their_own_hospitals_forms(admin_client, hospital, templates):
    """Consent templates are per hospital (A8): another hospital's administrator neither creates nor changes them
    (as the risk knowledge base); their own hospital's forms stay theirs."""
    from tests.builders import make_department, make_staff, make_ward

    other_hospital, _campus = make_hospital(code="H999")
    stranger = make_staff("hospital_admin", ward=make_ward(department=make_department(code="D999",
                                                                                      hospital=other_hospital)))
    admin_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(stranger)}")
    assert create(admin_client, hospital).status_code == 403
    published = ConsentTemplate.objects.filter(hospital=hospital, status=TemplateStatus.PUBLISHED).first()
    url = f"/api/v1/consent-templates/{published.uuid}/"
    assert admin_client.patch(url, {"title": "改"}, format="json").status_code == 403
    assert admin_client.post(url + "retire/").status_code == 403
    assert admin_client.post("/api/v1/consent-templates/ensure-defaults/", {"hospital": str(hospital.uuid)},
                             format="json").status_code == 403
    own = create(admin_client, other_hospital)
    assert own.status_code == 201, own.content
    published.refresh_from_db()
    assert published.status == TemplateStatus.PUBLISHED and published.title != "改"
