"""Review R1: a staff device is registered within the login session that registered it. After that session ends
(logout, idle expiry) no push — patient names, procedures — reaches the device any more (a shared ward phone
shows nothing of the last user's patients), nor after the account is disabled; a login that registers the token
again brings the pushes back."""

import pytest
import responses
from rest_framework.test import APIClient

from accounts.tokens import end_session
from integrations.tests.test_fcm import URL
from messaging.delivery import message_deliver
from messaging.models import Message, StaffDevice
from messaging.services import staff_notice_create, staff_notice_request
from messaging.tests.test_staff_push import fcm  # noqa: F401 - the fixture
from tests.builders import authenticate

pytestmark = pytest.mark.django_db


@pytest.mark.req("W1", "M5")
@responses.activate
def test_no_push_to_a_device_whose_login_ended(fcm, deliver, case_of, surgeon):  # noqa: F811
    case = case_of("booked")
    pushed = responses.post(URL, json={"name": "projects/dsm-test/messages/0:1"})
    phone = authenticate(APIClient(), surgeon)
    assert phone.post("/api/v1/staff-devices/", {"token": "fid-ward-phone", "platform": "android"},
                      format="json").status_code == 201
    device = StaffDevice.objects.get(token="fid-ward-phone")
    assert device.sid  # the login that registered it

    deliver(staff_notice_request, users=[surgeon], title="新的待办", body=case.patient.name, case=case, key="k-1")
    assert pushed.call_count == 1

    end_session(device.sid)  # the surgeon logs out of the ward phone
    deliver(staff_notice_request, users=[surgeon], title="新的待办", body=case.patient.name, case=case, key="k-2")
    assert pushed.call_count == 1
    after_logout = Message.objects.get(trigger_ref="notice:k-2")
    assert after_logout.status == "failed" and after_logout.attempts.get().status == "skipped"
    assert after_logout.read_at is None  # still in the in-app inbox for the next login

    # logging in again on the phone registers the token again: pushes resume
    again = authenticate(APIClient(), surgeon)
    assert again.post("/api/v1/staff-devices/", {"token": "fid-ward-phone", "platform": "android"},
                      format="json").status_code == 201
    deliver(staff_notice_request, users=[surgeon], title="新的待办", case=case, key="k-3")
    assert pushed.call_count == 2

    # an account disabled after its message was made gets no push either
    made = staff_notice_create(payload={"users": [str(surgeon.uuid)], "title": "通知", "key": "k-5"},
                               message_uuid="m-5")
    type(surgeon).objects.filter(pk=surgeon.pk).update(is_active=False)
    message_deliver(message_uuid=made[0].uuid, round_=1)
    assert pushed.call_count == 2
    assert made[0].attempts.get().status == "skipped"
