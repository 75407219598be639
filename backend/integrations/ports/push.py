"""Push port (FCM to the staff app)."""

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class PushMessage:
    token: str  # device registration token
    title: str
    body: str = ""
    data: dict = field(default_factory=dict)  # string values only (FCM data payload)


@dataclass(frozen=True)
class PushResult:
    message_id: str


class PushPort(Protocol):
    def send(self, message: PushMessage, *, idempotency_key: str) -> PushResult: ...
