"""WeChat mini-program port: login (code2Session), phone number by code, subscribe messages."""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class WechatSession:
    openid: str
    unionid: str
    session_key: str  # never send to the client


@dataclass(frozen=True)
class SubscribeResult:
    msgid: str


class WechatPort(Protocol):
    def code_to_session(self, code: str) -> WechatSession: ...

    def phone_number(self, code: str) -> str: ...

    def send_subscribe_message(self, *, openid: str, template_id: str, data: dict, page: str = "",
                               idempotency_key: str) -> SubscribeResult: ...
