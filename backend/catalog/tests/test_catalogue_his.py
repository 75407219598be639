"""The procedure catalogue against the simulated HIS over real HTTP (Y3): initial import with progress, the
incremental skip, HIS-side changes taken over while the hospital's own configuration survives, and the test
package pushed to the HIS."""

from io import StringIO

import pytest
import requests
from django.core.management import call_command

from catalog.models import CatalogSyncState, Procedure
from catalog.services import (
    procedure_set_admitted_doctors,
    procedure_set_test_package,
    procedure_sync_from_his,
    procedure_update,
)
from integrations.models import ExternalCall
from integrations.testing import sim_get, sim_post
from tests.builders import authenticate, make_department, make_staff, make_ward

pytestmark = [pytest.mark.django_db, pytest.mark.req("Y3")]

SIM_DEPARTMENTS = {"OPH": "眼科", "ENT": "耳鼻咽喉科", "GS": "普外科", "ORTH": "骨科", "GYN": "妇科", "URO": "泌尿外科"}


@pytest.fixture
def his_catalogue(hospital_sim):
    """The simulator's catalogue as it started; put back afterwards whatever a test changed."""
    departments = {code: make_department(code=code, name=name) for code, name in SIM_DEPARTMENTS.items()}
    requests.delete(f"{hospital_sim}/_sim/procedures", timeout=5).raise_for_status()
    yield departments
    requests.delete(f"{hospital_sim}/_sim/procedures", timeout=5).raise_for_status()


def _catalogue_reads():
    return ExternalCall.objects.filter(port="his", operation="list_procedures").order_by("id")


def test_initial_import_shows_progress_and_takes_the_his_details(hospital_sim, his_catalogue):
    out = StringIO()
    call_command("import_procedures", stdout=out)
    lines = out.getvalue().splitlines()
    total = len(sim_get(hospital_sim, "procedures")["items"])
    progress = [line for line in lines if line.strip().startswith("procedures ")]
    assert len(progress) >= 5, lines  # several lines as it goes, not one at the end
    assert progress[-1].strip().startswith(f"procedures {total}/{total}: {total} created")
    assert f"{total} created" in lines[-1]
    assert Procedure.objects.filter(source="his").count() == total

    phaco = Procedure.objects.get(code="13.41")
    assert (phaco.name, phaco.grade, phaco.incision_class, phaco.department.code) == ("白内障超声乳化抽吸术", 3, "Ⅰ类", "OPH")
    assert (phaco.body_site, phaco.default_duration_minutes, phaco.anaesthesia_methods) == ("眼", 30, ["local", "sedation"])
    hernia = Procedure.objects.get(code="53.04")
    assert hernia.anaesthesia_methods == ["spinal", "nerve_block", "general"] and hernia.body_site == "腹股沟"
    assert CatalogSyncState.objects.get(source="his").version == f'W/"{sim_get(hospital_sim, "procedures")["version"]}"'


def test_an_unchanged_his_catalogue_is_skipped_quickly_and_recorded(hospital_sim, his_catalogue):
    procedure_sync_from_his(actor=None)
    state = CatalogSyncState.objects.get(source="his")
    first_check = state.checked_at
    updated = dict(Procedure.objects.values_list("code", "updated_at"))

    result = procedure_sync_from_his(actor=None)
    assert result.not_modified and result.total == 0
    assert _catalogue_reads().last().http_status == 304  # the HIS answered "not modified": nothing was parsed
    assert dict(Procedure.objects.values_list("code", "updated_at")) == updated  # nothing written
    state.refresh_from_db()
    assert state.checked_at > first_check and state.last_result["not_modified"] is True

    out = StringIO()
    call_command("import_procedures", "--incremental", stdout=out)
    assert "unchanged" in out.getvalue() and _catalogue_reads().last().http_status == 304
    # a full import reads everything even so
    assert procedure_sync_from_his(actor=None, full=True).unchanged == Procedure.objects.count()


def test_his_changes_show_after_the_next_sync_and_local_configuration_survives(hospital_sim, his_catalogue):
    procedure_sync_from_his(actor=None)
    admin = make_staff("hospital_admin", department=his_catalogue["OPH"])
    surgeon = make_staff("doctor", department=his_catalogue["OPH"])
    ward = make_ward(department=his_catalogue["OPH"])
    phaco, skin, polyp = (Procedure.objects.get(code=c) for c in ("13.41", "86.3", "45.42"))
    procedure_update(actor=admin, procedure=phaco, wards=[ward], requires_anaesthesia_clinic=True,
                     notice_text="术前停用抗凝药", patient_instructions="术后勿揉眼", default_duration_minutes=45)
    procedure_set_admitted_doctors(actor=admin, procedure=phaco, doctors=[surgeon])
    procedure_set_test_package(actor=admin, procedure=phaco, items=[{"code": "CBC", "name": "血常规", "kind": "lab"}])
    procedure_update(actor=admin, procedure=skin, is_active=False)  # an administrator's choice

    # the HIS changes its catalogue while we are running
    sim_post(hospital_sim, "procedures", {"code": "13.41", "name": "白内障超声乳化摘除术", "grade": 4,
                                          "anaesthesia": ["表面麻醉", "神经阻滞麻醉", "针刺麻醉"]})
    sim_post(hospital_sim, "procedures", {"code": "86.3", "body_site": "躯干皮肤"})
    sim_post(hospital_sim, "procedures", {"code": "45.42", "duration_minutes": 50})
    sim_post(hospital_sim, "procedures", {"code": "99.1", "name": "新增日间手术", "grade": 2, "incision_class": "II",
                                          "department_code": "GS", "body_site": "腹壁", "duration_minutes": 40})
    requests.delete(f"{hospital_sim}/_sim/procedures/57.32", timeout=5).raise_for_status()

    result = procedure_sync_from_his(actor=None)
    assert not result.not_modified
    assert (result.created, result.updated, result.deactivated) == (1, 3, 1)
    assert [c for c, _ in result.warnings] == ["13.41"]  # "针刺麻醉" is no method we know: left out, said so

    phaco.refresh_from_db()
    assert (phaco.name, phaco.grade) == ("白内障超声乳化摘除术", 4)
    assert phaco.anaesthesia_methods == ["local", "nerve_block"]
    assert phaco.default_duration_minutes == 45  # the HIS did not change its 30: the local 45 stands
    assert list(phaco.wards.all()) == [ward] and list(phaco.admitted_doctors.all()) == [surgeon]
    assert [i.code for i in phaco.test_package_items.all()] == ["CBC"]
    assert phaco.requires_anaesthesia_clinic and phaco.is_active
    assert (phaco.notice_text, phaco.patient_instructions) == ("术前停用抗凝药", "术后勿揉眼")
    skin.refresh_from_db()
    assert skin.body_site == "躯干皮肤" and not skin.is_active  # taken over, still disabled by the administrator
    polyp.refresh_from_db()
    assert polyp.default_duration_minutes == 50  # the HIS changed its own value: taken over
    new = Procedure.objects.get(code="99.1")
    assert (new.source, new.department.code, new.incision_class, new.default_duration_minutes) == ("his", "GS", "Ⅱ类", 40)
    gone = Procedure.objects.get(code="57.32")
    assert not gone.is_active and gone.his_removed_at is not None


def test_the_on_demand_sync_endpoint_is_incremental_and_can_be_forced(api_client, hospital_sim, his_catalogue):
    authenticate(api_client, make_staff("hospital_admin"))
    first = api_client.post("/api/v1/procedures/sync/", {}, format="json")
    assert first.status_code == 200 and first.json()["created"] > 60 and not first.json()["not_modified"]
    again = api_client.post("/api/v1/procedures/sync/", {}, format="json")
    assert again.json()["not_modified"] is True and again.json()["created"] == 0
    forced = api_client.post("/api/v1/procedures/sync/", {"full": True}, format="json")
    assert forced.json()["not_modified"] is False and forced.json()["unchanged"] == first.json()["created"]


def test_push_test_package_is_received_by_the_his(api_client, hospital_sim, his_catalogue):
    procedure_sync_from_his(actor=None)
    phaco = Procedure.objects.get(code="13.41")
    authenticate(api_client, make_staff("hospital_admin"))
    url = f"/api/v1/procedures/{phaco.uuid}/"
    empty = api_client.post(url + "push-test-package/")
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "empty_test_package"

    items = [{"code": "CBC", "name": "血常规", "kind": "lab"}, {"code": "COAG", "name": "凝血四项", "kind": "lab"},
             {"code": "ECG12", "name": "十二导联心电图", "kind": "exam"}]
    assert api_client.put(url + "test-package/", {"items": items}, format="json").status_code == 200
    resp = api_client.post(url + "push-test-package/")
    assert resp.status_code == 200, resp.content
    assert resp.json()["his_id"] == "dsp-13.41" and resp.json()["pushed_at"]

    received = sim_get(hospital_sim, "test-packages", code="13.41")["items"]
    assert len(received) == 1
    plan = received[0]
    assert plan["resourceType"] == "PlanDefinition" and plan["meta"]["versionId"] == "1"
    assert [(a["code"][0]["coding"][0]["code"], a["title"]) for a in plan["action"]] == [
        ("CBC", "血常规"), ("COAG", "凝血四项"), ("ECG12", "十二导联心电图")]
    call = ExternalCall.objects.filter(port="his", operation="push_test_package").latest("id")
    assert call.status == "ok" and call.idempotency_key.startswith("test-package-")
    shown = api_client.get(url).json()
    assert shown["test_package_his_id"] == "dsp-13.41" and shown["test_package_pushed_at"]

    # a changed package pushed again replaces the HIS's copy (same id, next version), never a second one
    api_client.put(url + "test-package/", {"items": items[:2]}, format="json")
    api_client.post(url + "push-test-package/")
    received = sim_get(hospital_sim, "test-packages", code="13.41")["items"]
    assert len(received) == 1 and received[0]["meta"]["versionId"] == "2" and len(received[0]["action"]) == 2
