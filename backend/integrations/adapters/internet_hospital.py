"""The internet-hospital platform over HTTP/JSON: POST {base}/messages {reg_no, phone, title, body, link}
→ {message_id}. A patient the platform does not know is answered 422 (a refusal: the sender falls back).

Base URL: env INTERNET_HOSPITAL_BASE_URL or, when empty, the simulator's `/internet-hospital` (integrations.conf).
"""

from integrations.conf import base_url
from integrations.http import HttpClient
from integrations.ports.internet_hospital import InternetHospitalNotice, InternetHospitalResult

PORT = "internet_hospital"


class HttpInternetHospitalAdapter:
    port_name = PORT

    def __init__(self, **kwargs):
        kwargs.setdefault("base", base_url(PORT))
        self.http = HttpClient(self.port_name, **kwargs)

    def push(self, notice: InternetHospitalNotice, *, idempotency_key: str) -> InternetHospitalResult:
        body = self.http.post("/messages", json={"reg_no": notice.reg_no, "phone": notice.phone,
                                                 "title": notice.title, "body": notice.body, "link": notice.link},
                              operation="push", idempotency_key=idempotency_key,
                              summary={"title_length": len(notice.title)}).json()
        return InternetHospitalResult(message_id=str(body.get("message_id", "")))
