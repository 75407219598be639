"""Where each port's real adapter sends its calls, and how patiently.

`INTEGRATION_ENDPOINTS[port]` (env `<PORT>_BASE_URL`) names a hospital's own endpoint; when it is empty the
adapter talks to the hospital simulator at HOSPITAL_SIM_URL + the port's simulator path. Adapters read this
when they are built, and the registry rebuilds them when these settings change (tests point them at a
simulator on a random port that way).
"""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SIMULATOR_PATHS = {
    "his": "/fhir",
    "lis": "/fhir",
    "pacs": "/fhir",
    "sms": "/sms",
    "voice": "/voice",
    "theatre": "/theatre",
    "medtech": "/medtech",
    "ca": "/ca",
    "push": "/push",
    "internet_hospital": "/internet-hospital",
    "wechat": "/wechat/",
    "payment": "/wechat-pay/",
}


def base_url(port: str) -> str:
    explicit = (getattr(settings, "INTEGRATION_ENDPOINTS", {}) or {}).get(port)
    if explicit:
        return explicit
    if not settings.HOSPITAL_SIM_URL:
        # Production leaves HOSPITAL_SIM_URL empty: a port without its own endpoint must fail loudly,
        # never talk to a simulator by accident.
        raise ImproperlyConfigured(f"no endpoint configured for the {port} port (set {port.upper()}_BASE_URL)")
    return settings.HOSPITAL_SIM_URL.rstrip("/") + SIMULATOR_PATHS[port]


@dataclass(frozen=True)
class CallPolicy:
    """Timeout per attempt (seconds), total attempts, and exponential backoff: backoff * 2**(n-1), capped."""

    timeout: float = 5.0
    attempts: int = 3
    backoff: float = 0.3
    max_backoff: float = 4.0

    def delay(self, attempt: int) -> float:
        return min(self.max_backoff, self.backoff * 2 ** (attempt - 1))


def call_policy(port: str) -> CallPolicy:
    config = dict(getattr(settings, "INTEGRATION_HTTP", {}) or {})
    config.update((config.pop("per_port", {}) or {}).get(port, {}))
    return CallPolicy(**{k: v for k, v in config.items() if k in CallPolicy.__dataclass_fields__})
