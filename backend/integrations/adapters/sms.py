"""SMS gateway over HTTP/JSON: POST {base}/messages {phone, template, params, sign} → {message_id, accepted}.

This is the shape of the hospital's SMS platform (or a commercial gateway behind it); the OTP code travels
in `params`, so the call log masks params and the phone.
"""

from django.conf import settings

from integrations.http import HttpClient
from integrations.ports.sms import SmsResult


class HttpSmsAdapter:
    port_name = "sms"

    def __init__(self, **kwargs):
        self.http = HttpClient(self.port_name, **kwargs)
        self.sign = getattr(settings, "SMS_SIGN_NAME", "")

    def send(self, *, phone: str, template: str, params: dict, idempotency_key: str) -> SmsResult:
        body = self.http.post("/messages", json={"phone": phone, "template": template, "params": params,
                                                 "sign": self.sign},
                              operation="send", idempotency_key=idempotency_key,
                              summary={"template": template, "phone": phone}).json()
        return SmsResult(message_id=str(body.get("message_id", "")), accepted=bool(body.get("accepted")),
                         error=str(body.get("error", "")))
