"""The internet-hospital platform over HTTP/JSON: POST {base}/messages {reg_no, phone, title, body, link}
→ {message_id}. A patient the platform does not know is answered 422 (a refusal: the sender falls back).

Base URL: INTEGRATION_ENDPOINTS["internet_hospital"] (env INTERNET_HOSPITAL_BASE_URL) or, when empty, the
simulator's `/internet-hospital` (refused in production, where HOSPITAL_SIM_URL is empty).
"""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from integrations.http import HttpClient
from integrations.ports.internet_hospital import InternetHospitalNotice, InternetHospitalResult

PORT = "internet_hospital"
SIMULATOR_PATH = "/internet-hospital"


def internet_hospital_base_url() -> str:
    explicit = (getattr(settings, "INTEGRATION_ENDPOINTS", {}) or {}).get(PORT) or os.environ.get(
        "INTERNET_HOSPITAL_BASE_URL", "")
    if explicit:
        return explicit
    if not settings.HOSPITAL_SIM_URL:
        raise ImproperlyConfigured("no endpoint configured for the internet_hospital port "
                                   "(set INTERNET_HOSPITAL_BASE_URL)")
    return settings.HOSPITAL_SIM_URL.rstrip("/") + SIMULATOR_PATH


class HttpInternetHospitalAdapter:
    port_name = PORT

    def __init__(self, **kwargs):
        kwargs.setdefault("base", internet_hospital_base_url())
        self.http = HttpClient(self.port_name, **kwargs)

    def push(self, notice: InternetHospitalNotice, *, idempotency_key: str) -> InternetHospitalResult:
        body = self.http.post("/messages", json={"reg_no": notice.reg_no, "phone": notice.phone,
                                                 "title": notice.title, "body": notice.body, "link": notice.link},
                              operation="push", idempotency_key=idempotency_key,
                              summary={"title_length": len(notice.title)}).json()
        return InternetHospitalResult(message_id=str(body.get("message_id", "")))
