"""S4: selected procedures or departments skip theatre scheduling ("not to be scheduled") without blocking the
rest of the flow; hospital administrators keep the list (validated, audited, their own hospital only)."""

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from cases.models import CaseState, TheatreScheduleStatus
from cases.services import case_transition
from catalog.models import Procedure
from scheduling.exclusions import exclusion_for, is_excluded
from scheduling.models import ExclusionKind, ScheduleExclusion, TheatreApplication
from scheduling.tests.conftest import booked
from tests.builders import admin_token, authenticate, make_department, make_hospital, make_staff

pytestmark = [pytest.mark.django_db]
URL = "/api/v1/theatre-schedule-exclusions/"


def _procedure(code="86.3", name="皮肤病损切除术", department=None):
    return Procedure.objects.create(code=code, name=name, grade=1, incision_class="Ⅰ类", department=department)


@pytest.mark.req("S4")
def test_exclusion_by_catalogue_procedure_by_code_and_by_department(world):
    local = _procedure()
    case = booked(ward=world["ward"], surgeon=world["surgeon"])
    assert not is_excluded(case)
    rule = ScheduleExclusion.objects.create(hospital=world["hospital"], kind=ExclusionKind.PROCEDURE,
                                            procedure=local, reason="门诊局麻手术")
    assert not is_excluded(case)  # another procedure
    case.procedure, case.procedure_code = local, "86.3"
    assert exclusion_for(case) == rule
    case.procedure = None  # booked without the catalogue entry, by the same code
    assert is_excluded(case)
    rule.is_active = False
    rule.save()
    assert not is_excluded(case)
    ScheduleExclusion.objects.create(hospital=world["hospital"], kind=ExclusionKind.DEPARTMENT,
                                     department=world["gs"], reason="普外科日间手术在病区完成")
    assert is_excluded(case)
    # Another hospital's list does not apply.
    other, _campus = make_hospital(code="H-OTHER")
    ScheduleExclusion.objects.all().delete()
    ScheduleExclusion.objects.create(hospital=other, kind=ExclusionKind.PROCEDURE, procedure=local, reason="x")
    assert not is_excluded(case)


@pytest.mark.req("S4", "S1")
def test_an_excluded_case_is_not_sent_to_the_theatre_and_goes_on_to_admission(world, theatre, send, deliver,
                                                                              api_client):
    ScheduleExclusion.objects.create(hospital=world["hospital"], kind=ExclusionKind.DEPARTMENT,
                                     department=world["gs"], reason="病区治疗室完成")
    case = send(days=0)  # today
    assert case.state == CaseState.APPLICATION_SENT
    assert case.theatre_schedule_status == TheatreScheduleStatus.NOT_TO_BE_SCHEDULED
    assert case.events.get(type="cases.case.application_sent").payload["excluded_from_scheduling"] is True
    assert not TheatreApplication.objects.filter(case=case).exists()
    assert theatre.applications(reg_no=case.patient.reg_no) == []
    assert not case.events.filter(type__startswith="scheduling.").exists()
    # The flow is not blocked: admitted straight from "application sent".
    authenticate(api_client, world["nurse"])
    res = api_client.post(f"/api/v1/cases/{case.uuid}/admit/", {}, format="json")
    assert res.status_code == 200, res.content
    case.refresh_from_db()
    assert case.state == CaseState.ADMITTED
    # A case that is not excluded still waits for the theatre before admission.
    waiting = booked(ward=world["ward_b"], surgeon=world["surgeon_b"], days=0)
    deliver(case_transition, case=waiting, transition="send_application", actor=None)
    authenticate(api_client, world["nurse_b"])
    refused = api_client.post(f"/api/v1/cases/{waiting.uuid}/admit/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_scheduled_yet"


@pytest.mark.req("S4", "Y2")
def test_administrators_keep_the_list_with_validation_and_audit(world, api_client):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(world['admin'])}")
    proc = _procedure()
    res = api_client.post(URL, {"kind": "procedure", "procedure": str(proc.uuid), "reason": "局麻门诊手术"},
                          format="json")
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["hospital"] == str(world["hospital"].uuid) and body["procedure"]["code"] == "86.3"
    assert AuditEntry.objects.filter(action="config", target_id=body["uuid"]).exists()
    duplicate = api_client.post(URL, {"kind": "procedure", "procedure": str(proc.uuid), "reason": "再次"},
                                format="json")
    assert duplicate.status_code == 400 and "procedure" in duplicate.json()["error"]["fields"]
    for bad, field in [
        ({"kind": "procedure", "reason": "缺手术"}, "procedure"),
        ({"kind": "department", "reason": "缺科室"}, "department"),
        ({"kind": "department", "department": str(world["oph"].uuid), "procedure": str(proc.uuid), "reason": "两者"},
         "procedure"),
        ({"kind": "department", "department": str(world["oph"].uuid), "reason": "  "}, "reason"),
        ({"kind": "ward", "reason": "x"}, "kind"),
    ]:
        res = api_client.post(URL, bad, format="json")
        assert res.status_code == 400, bad
        assert field in res.json()["error"]["fields"], (bad, res.json())
    other_dept = make_department(code="FOREIGN", hospital=make_hospital(code="H-OTHER")[0])
    foreign = api_client.post(URL, {"kind": "department", "department": str(other_dept.uuid), "reason": "x"},
                              format="json")
    assert foreign.status_code == 400 and "department" in foreign.json()["error"]["fields"]
    # Switched off and on, reason changed; deleted.
    detail = f"{URL}{body['uuid']}/"
    off = api_client.patch(detail, {"is_active": False, "reason": "暂停"}, format="json")
    assert off.status_code == 200 and off.json()["is_active"] is False and off.json()["reason"] == "暂停"
    listing = api_client.get(URL, {"active": "false"}).json()
    assert [e["uuid"] for e in listing] == [body["uuid"]]
    assert api_client.delete(detail).status_code == 204
    assert not ScheduleExclusion.objects.exists()
    assert AuditEntry.objects.filter(action="config", target_id=body["uuid"]).count() == 3


@pytest.mark.req("S4", "Y2")
def test_only_administrators_of_the_hospital_change_the_list(world, api_client):
    proc = _procedure()
    exclusion = ScheduleExclusion.objects.create(hospital=world["hospital"], kind=ExclusionKind.PROCEDURE,
                                                 procedure=proc, reason="局麻")
    authenticate(api_client, world["nurse"])  # may read it (why is my patient not scheduled?)
    assert api_client.get(URL).status_code == 200
    assert api_client.get(f"{URL}{exclusion.uuid}/").json()["reason"] == "局麻"
    refused = api_client.post(URL, {"kind": "procedure", "procedure": str(proc.uuid), "reason": "x"}, format="json")
    assert refused.status_code == 403
    assert api_client.patch(f"{URL}{exclusion.uuid}/", {"is_active": False}, format="json").status_code == 403
    other_hospital, _campus = make_hospital(code="H-OTHER")
    stranger = make_staff("hospital_admin", department=make_department(code="X1", hospital=other_hospital))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(stranger)}")
    assert api_client.get(URL).json() == []
    assert api_client.get(f"{URL}{exclusion.uuid}/").status_code == 404
    assert api_client.delete(f"{URL}{exclusion.uuid}/").status_code == 404
    exclusion.refresh_from_db()
    assert exclusion.is_active and timezone.now()
