"""Push through Firebase Cloud Messaging with firebase-admin (the production push adapter).

firebase-admin cannot be pointed at another host, so the demo uses http_json.SimulatorPushAdapter instead.
firebase-admin mounts its own urllib3 retry on fcm.googleapis.com; we replace it with a no-retry adapter so
`run_call` is the only retry loop (one policy, one log row per call with the true attempt count).
FCM has no idempotency header: the key is logged, and FCM's own message id identifies what was sent.
"""

from __future__ import annotations

import itertools

import firebase_admin
import requests
from django.conf import settings
from firebase_admin import credentials, exceptions, messaging

from integrations.conf import call_policy
from integrations.http import Failure, classify_requests_error, run_call
from integrations.models import CallStatus
from integrations.ports.push import PushMessage, PushResult

_app_seq = itertools.count(1)
_TRANSIENT = (exceptions.UnavailableError, exceptions.InternalError, exceptions.DeadlineExceededError)


def classify_firebase_error(exc: Exception) -> Failure | None:
    plain = classify_requests_error(exc)
    if plain is not None:
        return plain
    if isinstance(exc, exceptions.FirebaseError):
        status = getattr(exc.http_response, "status_code", None)
        if isinstance(exc, exceptions.DeadlineExceededError):
            return Failure(CallStatus.TIMEOUT, True, status, exc.code)
        if isinstance(exc, _TRANSIENT):
            kind = CallStatus.SERVER_ERROR if status else CallStatus.NETWORK_ERROR
            return Failure(kind, True, status, exc.code)
        return Failure(CallStatus.CLIENT_ERROR, False, status, exc.code)
    return None


class FirebasePushAdapter:
    port_name = "push"

    def __init__(self, *, credential: credentials.Base | None = None, project_id: str | None = None, sleep=None):
        config = getattr(settings, "FCM", {})
        self.policy = call_policy(self.port_name)
        credential = credential or credentials.Certificate(config["credentials_file"])
        self.app = firebase_admin.initialize_app(
            credential, {"projectId": project_id or config.get("project_id"), "httpTimeout": self.policy.timeout},
            name=f"daysurgery-push-{next(_app_seq)}")
        service = messaging._get_messaging_service(self.app)
        service._client.session.mount("https://fcm.googleapis.com", requests.adapters.HTTPAdapter(max_retries=0))
        self.sleep = sleep

    def send(self, message: PushMessage, *, idempotency_key: str) -> PushResult:
        fcm_message = messaging.Message(
            fid=message.token,
            notification=messaging.Notification(title=message.title, body=message.body or None),
            data={str(k): str(v) for k, v in (message.data or {}).items()} or None,
        )
        extra = {"sleep": self.sleep} if self.sleep else {}
        name = run_call(port=self.port_name, operation="send", fn=lambda _n: messaging.send(fcm_message, app=self.app),
                        classify=classify_firebase_error, policy=self.policy, idempotency_key=idempotency_key,
                        summary={"title_length": len(message.title)}, **extra)
        return PushResult(message_id=name)

    def close(self):
        firebase_admin.delete_app(self.app)
