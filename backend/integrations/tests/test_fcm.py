"""firebase-admin push adapter against fcm.googleapis.com mocked with `responses` (offline)."""

import json

import pytest
import responses
from firebase_admin import credentials, messaging
from google.auth import credentials as google_credentials

from core.errors import ExternalServiceError
from integrations.adapters.fcm import FirebasePushAdapter
from integrations.models import CallStatus, ExternalCall
from integrations.ports.push import PushMessage

pytestmark = pytest.mark.django_db

URL = "https://fcm.googleapis.com/v1/projects/dsm-test/messages:send"


class _GoogleCredential(google_credentials.Credentials):
    def refresh(self, request):
        self.token = "fake-oauth-token"


class FakeCredential(credentials.Base):
    def __init__(self):
        self._credential = _GoogleCredential()

    def get_credential(self):
        return self._credential


@pytest.fixture
def adapter():
    push = FirebasePushAdapter(credential=FakeCredential(), project_id="dsm-test", sleep=lambda s: None)
    yield push
    push.close()


@pytest.mark.req("DC5")
@responses.activate
def test_push_is_sent_through_the_fcm_v1_api(adapter):
    call = responses.post(URL, json={"name": "projects/dsm-test/messages/0:123"})
    result = adapter.send(PushMessage(token="fid-abc", title="新的手术申请", body="张*待审核", data={"case": 7}),
                          idempotency_key="push-1")
    assert result.message_id == "projects/dsm-test/messages/0:123"
    sent = json.loads(call.calls[0].request.body)["message"]
    assert sent["fid"] == "fid-abc" and sent["notification"] == {"title": "新的手术申请", "body": "张*待审核"}
    assert sent["data"] == {"case": "7"}  # FCM data values are strings
    assert call.calls[0].request.headers["Authorization"] == "Bearer fake-oauth-token"
    row = ExternalCall.objects.get(idempotency_key="push-1")
    assert (row.port, row.status, row.attempts) == ("push", CallStatus.OK, 1)


@responses.activate
def test_fcm_unavailable_is_retried_once_per_policy(adapter):
    call = responses.post(URL, status=503, json={"error": {"status": "UNAVAILABLE", "message": "busy"}})
    responses.post(URL, json={"name": "projects/dsm-test/messages/0:124"})
    assert adapter.send(PushMessage(token="fid-abc", title="t"), idempotency_key="push-2").message_id.endswith("124")
    assert call.call_count == 1
    assert ExternalCall.objects.get(idempotency_key="push-2").attempts == 2  # run_call did the retry
    # ... and it is the only retry loop: firebase-admin's own urllib3 retry is replaced by a no-retry adapter
    session = messaging._get_messaging_service(adapter.app)._client.session
    assert session.get_adapter(URL).max_retries.total == 0


@responses.activate
def test_unregistered_device_is_not_retried(adapter):
    call = responses.post(URL, status=404, json={"error": {"status": "NOT_FOUND", "message": "unregistered",
                                                           "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                                                        "errorCode": "UNREGISTERED"}]}})
    with pytest.raises(ExternalServiceError) as exc:
        adapter.send(PushMessage(token="fid-gone", title="t"), idempotency_key="push-3")
    assert call.call_count == 1 and exc.value.code == "external_rejected"
    row = ExternalCall.objects.get(idempotency_key="push-3")
    assert (row.status, row.http_status) == (CallStatus.CLIENT_ERROR, 404)
