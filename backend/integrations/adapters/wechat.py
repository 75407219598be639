"""WeChat adapters on wechatpy 1.8.18: mini-program login, phone number, subscribe messages; WeChat Pay v2.

wechatpy hard-codes api.weixin.qq.com / api.mch.weixin.qq.com; settings.WECHAT["api_base_url"] and
["pay_base_url"] redirect it (the demo and the tests point them at the hospital simulator). Every call goes
through `integrations.http.run_call` (timeout, retry on network errors / 5xx / errcode -1, idempotency key
header, call log). A fresh wechatpy client per call carries that call's idempotency key; the access token is
shared through Django's cache (Redis in production), so workers do not each fetch their own.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from wechatpy import WeChatClient, WeChatPay
from wechatpy.exceptions import InvalidSignatureException, WeChatClientException, WeChatPayException
from wechatpy.session import SessionStorage

from core.errors import InvalidInput
from integrations.conf import base_url as simulator_base
from integrations.conf import call_policy
from integrations.http import (
    IDEMPOTENCY_HEADER,
    Failure,
    TimeoutSession,
    classify_requests_error,
    new_idempotency_key,
    run_call,
)
from integrations.models import CallStatus
from integrations.ports.payment import PaymentNotification, PaymentOrder
from integrations.ports.wechat import SubscribeResult, WechatSession

WECHAT_BUSY = -1  # "system busy, retry later": the only WeChat errcode worth retrying


class DjangoCacheStorage(SessionStorage):
    """wechatpy token storage on Django's cache (shared across processes when the cache is Redis)."""

    prefix = "wechatpy:"

    def get(self, key, default=None):
        return cache.get(self.prefix + key, default)

    def set(self, key, value, ttl=None):
        cache.set(self.prefix + key, value, timeout=ttl)

    def delete(self, key):
        cache.delete(self.prefix + key)


def _config() -> dict:
    return settings.WECHAT


def classify_wechat_error(exc: Exception) -> Failure | None:
    plain = classify_requests_error(exc)
    if plain is not None:
        return plain
    if isinstance(exc, WeChatPayException):
        response = exc.response
        status = getattr(response, "status_code", None)
        code = str(exc.errcode or exc.return_code or "")
        if status is not None and status >= 500 or code == "SYSTEMERROR":
            return Failure(CallStatus.SERVER_ERROR, True, status, code)
        return Failure(CallStatus.CLIENT_ERROR, False, status, code)
    if isinstance(exc, WeChatClientException):
        response = exc.response
        status = getattr(response, "status_code", None)
        if exc.errcode is None:  # HTTP-level failure, wrapped by wechatpy
            if status is None or status >= 500:
                return Failure(CallStatus.SERVER_ERROR if status else CallStatus.NETWORK_ERROR, True, status)
            return Failure(CallStatus.CLIENT_ERROR, False, status)
        if int(exc.errcode) == WECHAT_BUSY:
            return Failure(CallStatus.SERVER_ERROR, True, status, str(exc.errcode))
        return Failure(CallStatus.CLIENT_ERROR, False, status, str(exc.errcode))
    return None


class WechatpyAdapter:
    port_name = "wechat"

    def __init__(self, *, storage: SessionStorage | None = None, sleep=None):
        config = _config()
        self.app_id, self.app_secret = config["app_id"], config["app_secret"]
        self.api_base = (config.get("api_base_url") or simulator_base("wechat")).rstrip("/") + "/"
        self.miniprogram_state = config.get("miniprogram_state", "formal")
        self.policy = call_policy(self.port_name)
        self.storage = storage or DjangoCacheStorage()
        self.sleep = sleep

    def _client(self, key: str) -> WeChatClient:
        client = WeChatClient(self.app_id, self.app_secret, session=self.storage, timeout=self.policy.timeout,
                              auto_retry=True)
        client._http = TimeoutSession(timeout=self.policy.timeout, headers={IDEMPOTENCY_HEADER: key})
        base = self.api_base
        client.API_BASE_URL = base + "cgi-bin/"
        client.wxa.API_BASE_URL = base
        client.fetch_access_token = lambda: client._fetch_access_token(
            url=base + "cgi-bin/token",
            params={"grant_type": "client_credential", "appid": self.app_id, "secret": self.app_secret})
        return client

    def _run(self, operation, fn, *, key=None, summary=None):
        key = key or new_idempotency_key()
        extra = {"sleep": self.sleep} if self.sleep else {}
        return run_call(port=self.port_name, operation=operation, fn=lambda _n: fn(self._client(key)),
                        classify=classify_wechat_error, policy=self.policy, idempotency_key=key,
                        summary=summary, **extra)

    def code_to_session(self, code: str) -> WechatSession:
        result = self._run("code_to_session", lambda c: c.wxa.code_to_session(code))
        return WechatSession(openid=result["openid"], unionid=result.get("unionid", ""),
                             session_key=result.get("session_key", ""))

    def phone_number(self, code: str) -> str:
        url = self.api_base + "wxa/business/getuserphonenumber"
        result = self._run("phone_number", lambda c: c.post(url, data={"code": code}))
        info = result.get("phone_info") or {}
        return info.get("purePhoneNumber") or info.get("phoneNumber", "")

    def send_subscribe_message(self, *, openid, template_id, data, page="", idempotency_key) -> SubscribeResult:
        # Posted by full URL (not wxa.send_subscribe_message) to pass miniprogram_state and lang.
        url = self.api_base + "cgi-bin/message/subscribe/send"
        payload = {"touser": openid, "template_id": template_id, "data": data,
                   "miniprogram_state": self.miniprogram_state, "lang": "zh_CN"}
        if page:
            payload["page"] = page
        result = self._run("send_subscribe_message", lambda c: c.post(url, data=payload), key=idempotency_key,
                           summary={"template_id": template_id})
        return SubscribeResult(msgid=str(result.get("msgid", "")))


class WechatPayAdapter:
    """PaymentPort on WeChat Pay API v2 (wechatpy.WeChatPay): JSAPI unified order, signed notifications."""

    port_name = "payment"

    def __init__(self, *, sleep=None):
        config = _config()
        self.config = config
        self.base = (config.get("pay_base_url") or simulator_base("payment")).rstrip("/") + "/"
        self.policy = call_policy(self.port_name)
        self.sleep = sleep

    def _pay(self, key: str | None = None) -> WeChatPay:
        pay = WeChatPay(appid=self.config["app_id"], api_key=self.config["pay_api_key"],
                        mch_id=self.config["mch_id"], timeout=self.policy.timeout)
        pay._http = TimeoutSession(timeout=self.policy.timeout,
                                   headers={IDEMPOTENCY_HEADER: key} if key else None)
        pay.API_BASE_URL = self.base
        return pay

    def create_jsapi_order(self, *, out_trade_no, openid, total_fee, description, client_ip,
                           idempotency_key) -> PaymentOrder:
        def attempt(_n):
            pay = self._pay(idempotency_key)
            result = pay.order.create(trade_type="JSAPI", body=description, total_fee=int(total_fee),
                                      notify_url=self.config["pay_notify_url"], client_ip=client_ip,
                                      user_id=openid, out_trade_no=out_trade_no)
            return result, pay.jsapi.get_jsapi_params(result["prepay_id"])

        extra = {"sleep": self.sleep} if self.sleep else {}
        result, params = run_call(port=self.port_name, operation="create_jsapi_order", fn=attempt,
                                  classify=classify_wechat_error, policy=self.policy,
                                  idempotency_key=idempotency_key,
                                  summary={"out_trade_no": out_trade_no, "total_fee": int(total_fee)}, **extra)
        return PaymentOrder(out_trade_no=out_trade_no, prepay_id=result["prepay_id"], jsapi_params=params)

    def parse_notification(self, body: bytes) -> PaymentNotification:
        try:
            data = self._pay().parse_payment_result(body)
        except InvalidSignatureException as exc:
            raise InvalidInput(_("The payment notification signature is invalid."),
                               code="invalid_signature") from exc
        if data.get("appid") != self.config["app_id"] or data.get("mch_id") != self.config["mch_id"]:
            raise InvalidInput(_("The payment notification is for another merchant."), code="wrong_merchant")
        return PaymentNotification(
            out_trade_no=data.get("out_trade_no", ""), transaction_id=data.get("transaction_id", ""),
            total_fee=int(data.get("total_fee") or 0), openid=data.get("openid", ""),
            paid=data.get("return_code") == "SUCCESS" and data.get("result_code") == "SUCCESS", raw=dict(data))

