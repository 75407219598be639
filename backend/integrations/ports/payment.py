"""Payment port (WeChat Pay JSAPI for 预交金 deposits): create an order, parse the payment notification."""

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class PaymentOrder:
    out_trade_no: str
    prepay_id: str
    jsapi_params: dict = field(default_factory=dict)  # what wx.requestPayment needs


@dataclass(frozen=True)
class PaymentNotification:
    out_trade_no: str
    transaction_id: str
    total_fee: int  # fen
    openid: str
    paid: bool
    raw: dict = field(default_factory=dict)


class PaymentPort(Protocol):
    def create_jsapi_order(self, *, out_trade_no: str, openid: str, total_fee: int, description: str,
                           client_ip: str, idempotency_key: str) -> PaymentOrder: ...

    def parse_notification(self, body: bytes) -> PaymentNotification:
        """Verify the signature and decode; raises InvalidInput for a forged or malformed notification."""
        ...
