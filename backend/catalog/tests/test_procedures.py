import pytest

from audit.models import AuditEntry
from catalog.models import Procedure, ProcedureSource
from catalog.services import (
    incision_class_from_name,
    procedure_create,
    procedure_sync_from_his,
    procedure_update,
)
from core.errors import ExternalServiceError, InvalidInput
from integrations.ports.his import HisProcedure, HisProcedureCatalogue
from integrations.registry import override_port
from org.models import ManagementMode
from tests.builders import authenticate, make_department, make_staff, make_ward

pytestmark = pytest.mark.django_db


class FakeHis:
    """A HIS that gives no catalogue version: every sync reads the whole catalogue."""

    def __init__(self, procedures):
        self.procedures = procedures

    def procedure_catalogue(self, *, known_version=""):
        return HisProcedureCatalogue(version="", procedures=tuple(self.procedures))


class BrokenHis:
    def procedure_catalogue(self, *, known_version=""):
        raise ConnectionError("HIS down")


def his(code, name="腹股沟疝修补术", grade=2, incision="I", dept="GS"):
    return HisProcedure(code=code, name=name, grade=grade, incision_class=incision, department_code=dept)


@pytest.mark.parametrize(
    "raw, expected",
    [("0", "0类"), ("I", "Ⅰ类"), ("II", "Ⅱ类"), ("III", "Ⅲ类"), ("Ⅱ类切口", "Ⅱ类"), ("Ⅲ类", "Ⅲ类"), (" ii ", "Ⅱ类"), ("0类切口", "0类")],
)
def test_incision_class_is_mapped_by_name(raw, expected):
    assert incision_class_from_name(raw) == expected


@pytest.mark.parametrize("raw", ["1", "2", "IV", "", None, "甲"])
def test_ambiguous_or_unknown_incision_class_is_refused(raw):
    with pytest.raises(InvalidInput):
        incision_class_from_name(raw)


def test_sync_creates_updates_deactivates_and_keeps_local_settings():
    gs = make_department(code="GS", name="普外科")
    admin = make_staff("hospital_admin", department=gs)
    with override_port("his", FakeHis([his("53.0000"), his("13.1900", "白内障囊外摘除术", 2, "I", "OPH"), his("bad", grade=7)])):
        first = procedure_sync_from_his(actor=admin)
    assert (first.created, first.updated, first.deactivated) == (2, 0, 0)
    assert [c for c, _ in first.skipped] == ["bad"]
    hernia = Procedure.objects.get(code="53.0000")
    assert (hernia.grade, hernia.incision_class, hernia.department, hernia.source) == (2, "Ⅰ类", gs, "his")
    assert Procedure.objects.get(code="13.1900").department is None  # unknown department code: kept, unassigned

    # a local setting survives the next sync; a changed grade is taken over; a vanished code is disabled
    ward = make_ward(department=gs)
    procedure_update(actor=admin, procedure=hernia, requires_anaesthesia_clinic=True, default_duration_minutes=90, wards=[ward])
    with override_port("his", FakeHis([his("53.0000", grade=3, incision="II")])):
        second = procedure_sync_from_his(actor=admin)
    assert (second.created, second.updated, second.unchanged, second.deactivated) == (0, 1, 0, 1)
    hernia.refresh_from_db()
    assert (hernia.grade, hernia.incision_class) == (3, "Ⅱ类")
    assert hernia.requires_anaesthesia_clinic and hernia.default_duration_minutes == 90
    assert list(hernia.wards.all()) == [ward]
    cataract = Procedure.objects.get(code="13.1900")
    assert not cataract.is_active and cataract.his_removed_at is not None

    # it comes back when the HIS lists it again; an unchanged row counts as unchanged
    with override_port("his", FakeHis([his("53.0000", grade=3, incision="II"), his("13.1900", "白内障囊外摘除术", 2, "I", "OPH")])):
        third = procedure_sync_from_his(actor=admin)
    assert (third.unchanged, third.reactivated, third.updated) == (1, 1, 1)
    cataract.refresh_from_db()
    assert cataract.is_active and cataract.his_removed_at is None

    summaries = AuditEntry.objects.filter(target_id="his-sync", action="config")
    assert summaries.count() == 3
    assert AuditEntry.objects.filter(target_id=str(hernia.uuid), action="update").exists()


def test_sync_keeps_admin_disabled_procedure_disabled_and_leaves_local_ones_alone():
    admin = make_staff("hospital_admin")
    with override_port("his", FakeHis([his("53.0000")])):
        procedure_sync_from_his(actor=admin)
    hernia = Procedure.objects.get(code="53.0000")
    procedure_update(actor=admin, procedure=hernia, is_active=False)
    local = procedure_create(actor=admin, code="L-001", name="本院自定义术式", grade=1, incision_class="0类")
    with override_port("his", FakeHis([his("53.0000")])):
        result = procedure_sync_from_his(actor=admin)
    assert (result.unchanged, result.deactivated, result.reactivated) == (1, 0, 0)
    hernia.refresh_from_db()
    local.refresh_from_db()
    assert not hernia.is_active
    assert local.is_active and local.source == ProcedureSource.LOCAL


def test_sync_failure_is_a_clean_external_error_and_changes_nothing():
    admin = make_staff("hospital_admin")
    with override_port("his", BrokenHis()), pytest.raises(ExternalServiceError):
        procedure_sync_from_his(actor=admin)
    assert Procedure.objects.count() == 0


def test_his_owned_fields_cannot_be_edited_locally():
    admin = make_staff("hospital_admin")
    with override_port("his", FakeHis([his("53.0000")])):
        procedure_sync_from_his(actor=admin)
    with pytest.raises(InvalidInput) as err:
        procedure_update(actor=admin, procedure=Procedure.objects.get(), grade=4)
    assert err.value.code == "his_owned"


@pytest.mark.req("Y4")
def test_api_list_filters_and_ward_assignment(api_client):
    gs = make_department(code="GS", name="普外科")
    oph = make_department(code="OPH", name="眼科")
    centre = make_ward(ManagementMode.CENTRE, department=gs)
    outpatient = make_ward(ManagementMode.OUTPATIENT, department=oph)
    admin = make_staff("hospital_admin", department=gs)
    doctor = make_staff("doctor", ward=centre)
    with override_port("his", FakeHis([his("53.0000"), his("13.4100", "白内障超声乳化吸除术", 3, "I", "OPH"), his("86.0400", "皮肤切开引流术", 1, "III", "GS")])):
        procedure_sync_from_his(actor=admin)

    authenticate(api_client, admin)
    cataract = Procedure.objects.get(code="13.4100")
    resp = api_client.patch(f"/api/v1/procedures/{cataract.uuid}/", {"wards": [str(outpatient.uuid)], "requires_anaesthesia_clinic": True}, format="json")
    assert resp.status_code == 200, resp.content
    assert [w["code"] for w in resp.json()["wards"]] == [outpatient.code]

    authenticate(api_client, doctor)
    def codes(**params):
        resp = api_client.get("/api/v1/procedures/", params)
        assert resp.status_code == 200, resp.content
        return sorted(p["code"] for p in resp.json()["results"])

    assert codes() == ["13.4100", "53.0000", "86.0400"]
    assert codes(grade=3) == ["13.4100"]
    assert codes(grade=[1, 2]) == ["53.0000", "86.0400"]
    assert codes(department=str(gs.uuid)) == ["53.0000", "86.0400"]
    assert codes(ward=str(outpatient.uuid)) == ["13.4100"]
    assert codes(q="白内障") == ["13.4100"]
    assert codes(q="86.04") == ["86.0400"]
    item = api_client.get(f"/api/v1/procedures/{cataract.uuid}/").json()
    assert item["incision_class"] == "Ⅰ类" and item["grade"] == 3 and item["department"]["code"] == "OPH"
    # bad filter input answers in the envelope, never a 500
    resp = api_client.get("/api/v1/procedures/", {"grade": 9, "department": "not-a-uuid"})
    assert resp.status_code == 400
    assert set(resp.json()["error"]["fields"]) == {"grade", "department"}


def test_api_permissions(api_client):
    ward = make_ward()
    doctor = make_staff("doctor", ward=ward)
    admin = make_staff("hospital_admin")
    assert api_client.get("/api/v1/procedures/").status_code == 401
    authenticate(api_client, doctor)
    assert api_client.get("/api/v1/procedures/").status_code == 200
    assert api_client.post("/api/v1/procedures/sync/").status_code == 403
    body = {"code": "L-1", "name": "局部病灶切除术", "grade": 1, "incision_class": "Ⅰ类"}
    assert api_client.post("/api/v1/procedures/", body, format="json").status_code == 403
    authenticate(api_client, admin)
    resp = api_client.post("/api/v1/procedures/", body, format="json")
    assert resp.status_code == 201, resp.content
    assert resp.json()["source"] == "local"
    dup = api_client.post("/api/v1/procedures/", body, format="json")
    assert dup.status_code == 409 and "code" in dup.json()["error"]["fields"]
    assert dup.json()["error"]["message"] == "该手术编码已存在。"  # Chinese by default
    dup_en = api_client.post("/api/v1/procedures/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert dup_en.json()["error"]["message"] == "A procedure with this code already exists."
    bad = api_client.post("/api/v1/procedures/", {**body, "code": "L-2", "grade": 5, "incision_class": "1"}, format="json")
    assert bad.status_code == 400 and set(bad.json()["error"]["fields"]) == {"grade", "incision_class"}
    with override_port("his", FakeHis([his("53.0000")])):
        resp = api_client.post("/api/v1/procedures/sync/")
    assert resp.status_code == 200 and resp.json()["created"] == 1
    with override_port("his", BrokenHis()):
        resp = api_client.post("/api/v1/procedures/sync/")
    assert resp.status_code == 502 and resp.json()["error"]["code"] == "external_service_error"


def test_scheduled_sync_runs_as_the_system_and_is_on_the_beat_schedule(settings):
    from catalog.tasks import sync_procedures_from_his

    assert settings.CELERY_BEAT_SCHEDULE["catalog.sync_procedures_from_his"]["task"] == "catalog.sync_procedures_from_his"
    with override_port("his", FakeHis([his("53.0000")])):
        result = sync_procedures_from_his.delay().get()
    assert result["created"] == 1
    procedure = Procedure.objects.get(code="53.0000")
    entries = AuditEntry.objects.filter(target_id__in=[str(procedure.uuid), "his-sync"])
    assert entries.count() == 2
    assert set(entries.values_list("actor_type", flat=True)) == {"system"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_of_one_code_give_one_procedure_and_a_conflict():
    """Two administrators adding the same code at once: both pass any look-up before either inserts; the loser
    must get the duplicate refusal (409), not an IntegrityError (500)."""
    import threading
    import time

    from django.db import connection, transaction

    from core.errors import Conflict

    barrier, outcomes = threading.Barrier(2), []

    def create():
        try:
            with transaction.atomic():
                barrier.wait(timeout=10)  # both transactions are open before either inserts
                procedure_create(actor=None, code="99.99", name="并发", grade=1, incision_class="I")
                time.sleep(0.3)  # keep the winner uncommitted while the other inserts (any order must pass)
                outcomes.append("created")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["created", "duplicate"]
    assert Procedure.objects.filter(code="99.99").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_sync_racing_another_sync_is_refused_cleanly():
    """Two syncs at once (the nightly job and an administrator's click): the later one is refused at once with a
    409 "already running" while the earlier one is inserting, never an IntegrityError (500) or a wait."""
    import threading
    import time

    from django.db import connection, transaction

    from core.errors import Conflict

    first_synced, outcomes = threading.Event(), []

    def first():
        try:
            with transaction.atomic():
                procedure_sync_from_his(actor=None)
                first_synced.set()
                time.sleep(0.5)  # uncommitted while the second reads the catalogue and inserts
            outcomes.append("synced")
        finally:
            first_synced.set()
            connection.close()

    def second():
        try:
            first_synced.wait(timeout=10)
            procedure_sync_from_his(actor=None)
            outcomes.append("synced")
        except Conflict as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    with override_port("his", FakeHis([his("53.04"), his("49.46", name="痔切除术")])):
        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert sorted(outcomes) == ["sync_in_progress", "synced"]
    assert Procedure.objects.count() == 2
