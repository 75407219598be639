"""SMS gateway port: one templated message to one mainland mobile number."""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SmsResult:
    message_id: str
    accepted: bool
    error: str = ""


class SmsPort(Protocol):
    def send(self, *, phone: str, template: str, params: dict, idempotency_key: str) -> SmsResult: ...
