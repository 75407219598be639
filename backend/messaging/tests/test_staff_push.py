"""Staff notices (`messaging.staff_notice.requested`, used by to-dos and others): an inbox message per user and an
FCM push to each registered device through firebase-admin (Google's endpoint mocked at the HTTP layer)."""

import json

import pytest
import responses

from integrations.adapters.fcm import FirebasePushAdapter
from integrations.registry import override_port
from integrations.tests.test_fcm import URL, FakeCredential
from messaging.models import Message, StaffDevice
from messaging.services import device_register, staff_notice_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def fcm():
    adapter = FirebasePushAdapter(credential=FakeCredential(), project_id="dsm-test", sleep=lambda s: None)
    with override_port("push", adapter):
        yield adapter
    adapter.close()


@pytest.mark.req("W1", "M5")
@responses.activate
def test_staff_notice_is_pushed_to_every_device_with_its_payload(fcm, deliver, case_of, surgeon, manager):
    case = case_of("booked")
    device_register(user=surgeon, token="fid-phone-1", platform="android")
    device_register(user=surgeon, token="fid-gone-2", platform="ios")
    ok = responses.post(URL, json={"name": "projects/dsm-test/messages/0:1"},
                        match=[lambda req: ("fid-phone-1" in req.body.decode(), "other device")])
    gone = responses.post(URL, status=404, json={"error": {"status": "NOT_FOUND", "message": "unregistered"}})

    deliver(staff_notice_request, users=[surgeon, manager], title="新的待办：审核高风险患者",
            body=f"{case.patient.masked_name} 检验超阈值", data={"todo": "t-1", "link": "/todos/t-1"}, case=case,
            key="todo:t-1", kind="todo")

    to_surgeon = Message.objects.get(recipient_user=surgeon)
    assert (to_surgeon.kind, to_surgeon.status, to_surgeon.channel) == ("todo", "sent", "fcm")
    sent = json.loads(ok.calls[0].request.body)["message"]
    assert sent["notification"] == {"title": "新的待办：审核高风险患者", "body": f"{case.patient.masked_name} 检验超阈值"}
    assert sent["data"] == {"todo": "t-1", "link": "/todos/t-1", "kind": "todo", "case": str(case.uuid),
                            "message": str(to_surgeon.uuid)}
    assert all(isinstance(v, str) for v in sent["data"].values())  # FCM data values are strings
    assert ok.call_count == 1 and gone.call_count == 1  # a refusal is not retried...
    assert not StaffDevice.objects.get(token="fid-gone-2").is_active  # ...and the dead token is switched off
    # The manager has no device: the inbox only (status failed for the push, the message is still in the inbox).
    to_manager = Message.objects.get(recipient_user=manager)
    assert to_manager.status == "failed" and to_manager.attempts.get().status == "skipped"

    # The same request delivered again (a retried publisher) makes nothing new.
    deliver(staff_notice_request, users=[surgeon], title="新的待办：审核高风险患者", case=case, key="todo:t-1",
            kind="todo")
    assert Message.objects.filter(recipient_user=surgeon).count() == 1
    assert ok.call_count == 1


@pytest.mark.req("M5")
@responses.activate
def test_fcm_down_is_retried_in_a_later_round(fcm, deliver, surgeon):
    from datetime import timedelta

    from django.utils import timezone

    from messaging.services import messages_retry_due

    device_register(user=surgeon, token="fid-phone-9", platform="android")
    down = responses.post(URL, status=503, json={"error": {"status": "UNAVAILABLE", "message": "busy"}})
    deliver(staff_notice_request, users=[surgeon], title="通知", key="n-9")
    message = Message.objects.get(recipient_user=surgeon)
    assert message.status == "retrying" and down.call_count == 3  # run_call's own attempts, then a round later
    responses.replace(responses.POST, URL, json={"name": "projects/dsm-test/messages/0:9"})
    deliver(messages_retry_due, now=timezone.now() + timedelta(hours=1))
    message.refresh_from_db()
    assert (message.status, message.round) == ("sent", 2)


@pytest.mark.req("M5")
def test_a_malformed_notice_request_is_delivered_as_far_as_it_can_be(deliver, surgeon):
    from messaging.services import staff_notice_create

    made = staff_notice_create(payload={"users": ["not-a-uuid", str(surgeon.uuid)], "title": "通知",
                                        "case": "nope", "data": {"n": 1}}, message_uuid="m-1")
    assert [m.recipient_user for m in made] == [surgeon] and made[0].case is None and made[0].data["n"] == "1"
