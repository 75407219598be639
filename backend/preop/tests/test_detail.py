"""P3: the pre-op detail page — booking-derived fields read-only, the manager's fields (companion, phone, remarks)
editable until the surgery application is sent; afterwards locked until the application is rolled back (with a
reason, audited)."""

import pytest
from rest_framework.test import APIClient

from audit.models import AuditEntry
from cases.models import CaseEvent
from cases.services import case_record_milestone
from preop.tests.conftest import future
from tests.builders import authenticate, make_case

pytestmark = [pytest.mark.django_db]


def _assessed_case(world):
    case = make_case("booked", ward=world["ward_a"], surgeon=world["doctor_a"], planned_date=future(6))
    case_record_milestone(case=case, milestone="preop_assessment", status="passed", actor=None)
    case_record_milestone(case=case, milestone="anaesthesia_clinic", status="passed", actor=None)
    return case


@pytest.mark.req("P3")
def test_edit_locked_after_the_application_is_sent_and_unlocked_by_roll_back(world):
    case = _assessed_case(world)
    client = authenticate(APIClient(), world["nurse_a"])
    url = f"/api/v1/preop/cases/{case.uuid}/"
    detail = client.get(url).json()
    assert detail["editable"] and detail["locked_reason"] == ""
    assert detail["editable_fields"] == ["companion_name", "companion_phone", "remarks"]
    assert detail["booking"]["procedure_name"] == "腹腔镜胆囊切除术" and detail["booking"]["surgeon"]["name"] == "李医生"
    assert AuditEntry.objects.filter(action="read", target_id=str(case.uuid), detail="pre-op detail").exists()

    edited = client.patch(url, {"companion_name": "张小明", "companion_phone": "13900001111", "remarks": "高血压，自带药"},
                          format="json")
    assert edited.status_code == 200, edited.content
    assert edited.json()["manager"] == {"companion_name": "张小明", "companion_phone": "13900001111",
                                        "remarks": "高血压，自带药"}
    assert edited.json()["card"]["remarks"] == "高血压，自带药"
    booking_field = client.patch(url, {"procedure_name": "别的手术"}, format="json")
    assert booking_field.status_code == 400 and "procedure_name" in booking_field.json()["error"]["fields"]

    assert client.post(f"/api/v1/cases/{case.uuid}/send-application/", {}, format="json").status_code == 200
    locked = client.get(url).json()
    assert not locked["editable"] and locked["locked_reason"] == "application_sent" and locked["can_roll_back"]
    assert locked["editable_fields"] == [] and locked["locked_message"]
    refused = client.patch(url, {"remarks": "改"}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "details_locked"

    no_reason = client.post(f"/api/v1/cases/{case.uuid}/roll-back-application/", {}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["error"]["fields"]
    rolled = client.post(f"/api/v1/cases/{case.uuid}/roll-back-application/", {"reason": "需补充陪护信息"}, format="json")
    assert rolled.status_code == 200
    event = CaseEvent.objects.get(case=case, type="cases.case.application_rolled_back")
    assert event.payload["reason"] == "需补充陪护信息" and event.actor_name == "赵护士"
    assert AuditEntry.objects.filter(action="transition", target_id=str(case.uuid),
                                     detail="roll_back_application").exists()
    assert client.get(url).json()["editable"]
    assert client.patch(url, {"remarks": "已补充"}, format="json").status_code == 200


@pytest.mark.req("P3")
def test_who_may_read_and_edit_the_detail_page(world):
    case = _assessed_case(world)
    url = f"/api/v1/preop/cases/{case.uuid}/"
    authenticate(APIClient(), world["nurse_a"]).patch(url, {"companion_phone": "13900002222"}, format="json")
    follow_up = authenticate(APIClient(), world["followup_a"])
    read = follow_up.get(url).json()
    assert read["manager"]["companion_phone"] == "139****2222" and read["card"]["patient"]["masked"]
    assert not read["editable"] and read["locked_reason"] == "not_permitted"
    assert follow_up.patch(url, {"remarks": "x"}, format="json").status_code == 403
    assert authenticate(APIClient(), world["nurse_b"]).get(url).status_code == 404
    ended = make_case("cancelled", ward=world["ward_a"], planned_date=future(6))
    assert authenticate(APIClient(), world["nurse_a"]).get(
        f"/api/v1/preop/cases/{ended.uuid}/").json()["locked_reason"] == "case_ended"
