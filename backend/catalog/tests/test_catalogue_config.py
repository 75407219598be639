"""The hospital's own configuration of a procedure (Y3: admitted doctors, test package, texts) and the
admitting wards set from the ward's side (Y4): validation in Chinese, authorisation, audit."""

import pytest

from audit.models import AuditEntry
from catalog.demo import seed_catalog_extras
from catalog.models import Procedure
from catalog.selectors import procedure_get_for_booking
from catalog.services import anaesthesia_method_from_name, procedure_create, procedure_update
from integrations.adapters import fhir
from tests.builders import authenticate, make_department, make_hospital, make_staff, make_ward

pytestmark = pytest.mark.django_db


def _procedure(code="53.04", department=None, **extra):
    return procedure_create(actor=None, code=code, name="单侧腹股沟斜疝无张力修补术", grade=3, incision_class="Ⅰ类",
                            department=department, **extra)


@pytest.mark.req("Y3")
@pytest.mark.parametrize("name, method", [
    ("全身麻醉", "general"), ("静吸复合全麻", "general"), ("腰硬联合麻醉", "spinal"), ("硬膜外麻醉", "spinal"),
    ("臂丛神经阻滞", "nerve_block"), ("监护麻醉", "sedation"), ("局麻", "local"), ("表面麻醉", "local"),
    ("GA", "general"), ("MAC", "sedation"), ("针刺麻醉", None), ("", None), ("REGIONAL", None),
])
def test_anaesthesia_methods_are_mapped_by_name(name, method):
    assert anaesthesia_method_from_name(name) == method


@pytest.mark.req("Y3")
def test_fhir_catalogue_reads_repeated_anaesthesia_body_site_and_duration():
    concept = {"code": "80.6", "display": "关节镜下膝关节半月板部分切除术", "property": [
        {"code": "grade", "valueInteger": 3}, {"code": "incision-class", "valueString": "0"},
        {"code": "body-site", "valueString": " 膝关节 "}, {"code": "duration", "valueInteger": 60},
        {"code": "anaesthesia", "valueString": "椎管内麻醉"}, {"code": "anaesthesia", "valueString": "全身麻醉"}]}
    [procedure] = fhir.map_procedures({"concept": [concept, {"code": "x", "property": []}]})
    assert (procedure.body_site, procedure.typical_duration_minutes) == ("膝关节", 60)
    assert procedure.anaesthesia_methods == ("椎管内麻醉", "全身麻醉")
    assert fhir.codesystem_version({"version": "7"}, 'W/"abc"') == 'W/"abc"'
    assert fhir.codesystem_version({"meta": {"versionId": "3"}}) == "3"


@pytest.mark.req("Y3")
def test_admitted_doctors_are_set_listed_validated_and_audited(api_client):
    gs = make_department(code="GS")
    hernia = _procedure(department=gs)
    admin = make_staff("hospital_admin", department=gs)
    surgeon, other = make_staff("doctor", department=gs, name="王刚"), make_staff("doctor", department=gs)
    disabled = make_staff("doctor", department=gs, name="李停", is_active=False)
    elsewhere = make_staff("doctor", department=make_department(hospital=make_hospital("H999")[0]), name="外院医生")
    url = f"/api/v1/procedures/{hernia.uuid}/doctors/"
    authenticate(api_client, admin)

    resp = api_client.put(url, {"doctors": [str(surgeon.uuid), str(other.uuid)]}, format="json")
    assert resp.status_code == 200, resp.content
    assert {d["uuid"] for d in resp.json()["admitted_doctors"]} == {str(surgeon.uuid), str(other.uuid)}
    assert {d["name"] for d in api_client.get(url).json()} == {surgeon.name, other.name}
    entry = AuditEntry.objects.filter(target_id=str(hernia.uuid), detail="admitted doctors").latest("id")
    assert entry.before == {"admitted_doctors": []} and len(entry.after["admitted_doctors"]) == 2

    for refused in (disabled, elsewhere):
        resp = api_client.put(url, {"doctors": [str(refused.uuid)]}, format="json")
        assert resp.status_code == 400, resp.content
        assert resp.json()["error"]["fields"]["doctors"] == [f"只能准入本院在用的医务人员：{refused.name}。"]
    resp = api_client.put(url, {"doctors": ["00000000-0000-0000-0000-000000000000", "x"]}, format="json")
    assert resp.status_code == 400 and "doctors" in resp.json()["error"]["fields"]
    assert api_client.put(url, {"doctors": []}, format="json").json()["admitted_doctors"] == []  # any surgeon
    assert procedure_get_for_booking(hernia.uuid).admitted_doctors.count() == 0


@pytest.mark.req("Y3")
def test_test_package_is_an_ordered_list_validated_in_chinese(api_client):
    hernia = _procedure()
    authenticate(api_client, make_staff("hospital_admin"))
    url = f"/api/v1/procedures/{hernia.uuid}/test-package/"
    items = [{"code": "ECG12", "name": "心电图", "kind": "exam"}, {"code": "CBC", "name": "血常规", "kind": "lab"}]
    resp = api_client.put(url, {"items": items}, format="json")
    assert resp.status_code == 200, resp.content
    assert [(i["code"], i["position"]) for i in resp.json()["items"]] == [("ECG12", 1), ("CBC", 2)]
    assert resp.json()["updated_at"] and resp.json()["pushed_at"] is None

    dup = api_client.put(url, {"items": [*items, {"code": "CBC", "name": "血常规", "kind": "lab"}]}, format="json")
    assert dup.status_code == 400
    assert dup.json()["error"]["message"] == "检查检验套餐中有无效的项目。"
    assert dup.json()["error"]["fields"] == {"items[2].code": ["该项目已在套餐中。"]}
    bad_kind = api_client.put(url, {"items": [{"code": "X", "name": "某项", "kind": "drug"}]}, format="json")
    assert bad_kind.status_code == 400 and "items" in bad_kind.json()["error"]["fields"]
    assert [i.code for i in Procedure.objects.get(pk=hernia.pk).test_package_items.all()] == ["ECG12", "CBC"]
    entries = AuditEntry.objects.filter(target_id=str(hernia.uuid), detail="test package")
    assert entries.count() == 1 and entries.get().after["test_package"][0]["code"] == "ECG12"


@pytest.mark.req("Y3")
def test_notice_text_instructions_and_details_are_patched_and_audited(api_client):
    hernia = _procedure()
    authenticate(api_client, make_staff("hospital_admin"))
    body = {"notice_text": "术前 8 小时禁食。", "patient_instructions": "术后一个月内避免重体力劳动。",
            "body_site": "腹股沟", "anaesthesia_methods": ["spinal", "general"]}
    resp = api_client.patch(f"/api/v1/procedures/{hernia.uuid}/", body, format="json")
    assert resp.status_code == 200, resp.content
    assert {k: resp.json()[k] for k in body} == body
    entry = AuditEntry.objects.filter(target_id=str(hernia.uuid), action="update").latest("id")
    assert entry.before["notice_text"] == "" and entry.after["notice_text"] == "术前 8 小时禁食。"
    bad = api_client.patch(f"/api/v1/procedures/{hernia.uuid}/", {"anaesthesia_methods": ["acupuncture"]}, format="json")
    assert bad.status_code == 400 and "anaesthesia_methods" in bad.json()["error"]["fields"]


@pytest.mark.req("Y3", "Y4")
def test_only_catalogue_managers_change_the_configuration(api_client):
    ward = make_ward()
    hernia = _procedure()
    authenticate(api_client, make_staff("doctor", ward=ward))
    base = f"/api/v1/procedures/{hernia.uuid}/"
    assert api_client.get(base + "doctors/").status_code == 200
    assert api_client.get(base + "test-package/").status_code == 200
    assert api_client.get(f"/api/v1/wards/{ward.uuid}/procedures/").status_code == 200
    assert api_client.put(base + "doctors/", {"doctors": []}, format="json").status_code == 403
    assert api_client.put(base + "test-package/", {"items": []}, format="json").status_code == 403
    assert api_client.post(base + "push-test-package/").status_code == 403
    assert api_client.patch(base, {"notice_text": "x"}, format="json").status_code == 403
    assert api_client.put(f"/api/v1/wards/{ward.uuid}/procedures/", {"procedures": []}, format="json").status_code == 403
    api_client.credentials()
    assert api_client.get(base + "doctors/").status_code == 401


@pytest.mark.req("Y4")
def test_a_wards_admitted_procedures_are_read_and_set_from_the_ward_side(api_client):
    ward, other_ward = make_ward(), make_ward()
    a, b, c = _procedure("A.1"), _procedure("B.2"), _procedure("C.3")
    procedure_update(actor=None, procedure=a, wards=[ward, other_ward])
    authenticate(api_client, make_staff("hospital_admin"))
    url = f"/api/v1/wards/{ward.uuid}/procedures/"
    assert [p["code"] for p in api_client.get(url).json()] == ["A.1"]

    resp = api_client.put(url, {"procedures": [str(b.uuid), str(c.uuid)]}, format="json")
    assert resp.status_code == 200, resp.content
    assert [p["code"] for p in resp.json()] == ["B.2", "C.3"]
    assert list(a.wards.all()) == [other_ward]  # the other ward's admission is untouched
    assert [w.code for w in Procedure.objects.get(pk=b.pk).wards.all()] == [ward.code]
    entry = AuditEntry.objects.filter(target_id=str(ward.uuid), detail="admitted procedures").get()
    assert (entry.before, entry.after) == ({"procedures": ["A.1"]}, {"procedures": ["B.2", "C.3"]})

    bad = api_client.put(url, {"procedures": ["not-a-uuid"]}, format="json")
    assert bad.status_code == 400 and "procedures" in bad.json()["error"]["fields"]
    assert api_client.get("/api/v1/wards/00000000-0000-0000-0000-000000000000/procedures/").status_code == 404


@pytest.mark.req("Y3")
def test_demo_extras_give_realistic_packages_texts_and_doctors_and_leave_edits_alone():
    hospital, _ = make_hospital()
    gs = make_department(code="GS", hospital=hospital)
    hernia = _procedure(department=gs, anaesthesia_methods=["spinal"])
    skin = procedure_create(actor=None, code="86.3", name="皮肤病损切除术", grade=1, incision_class="Ⅰ类", department=gs,
                            anaesthesia_methods=["local"])
    surgeons = [make_staff("doctor", department=gs) for _ in range(3)]
    procedure_update(actor=None, procedure=skin, patient_instructions="本院自定须知")

    counts = seed_catalog_extras(hospital)
    assert counts == {"test_packages": 2, "texts": 2, "admitted": 1}
    names = [i.name for i in hernia.test_package_items.all()]
    assert names[:2] == ["血常规", "凝血四项"] and "胸部正位片" in names and "血型鉴定（ABO+Rh）" in names
    assert "胸部正位片" not in [i.name for i in skin.test_package_items.all()]  # local anaesthesia, grade 1
    hernia.refresh_from_db()
    skin.refresh_from_db()
    assert "禁食" in hernia.notice_text and "无需禁食" in skin.notice_text
    assert skin.patient_instructions == "本院自定须知"
    assert set(hernia.admitted_doctors.all()) <= set(surgeons) and hernia.admitted_doctors.count() == 2
    assert seed_catalog_extras(hospital) == {"test_packages": 0, "texts": 0, "admitted": 0}  # a re-run adds nothing
