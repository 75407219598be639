"""wechatpy adapters: against the simulator over HTTP, and against api.weixin.qq.com mocked with `responses`."""

import json

import pytest
import requests
import responses
from wechatpy.session.memorystorage import MemoryStorage

from core.errors import ExternalServiceError, InvalidInput
from hospital_sim.data import openid_for
from integrations.adapters.wechat import WechatpyAdapter
from integrations.models import CallStatus, ExternalCall
from integrations.registry import get_port
from integrations.testing import sim_get, sim_patients, sim_post

pytestmark = pytest.mark.django_db

WX = "https://api.weixin.qq.com/"


def test_code_to_session_maps_codes_to_stable_openids(hospital_sim):
    wechat = get_port("wechat")
    first = wechat.code_to_session("wxcode-42")
    assert first.openid == openid_for("42") and first.session_key
    assert wechat.code_to_session("wxcode-42").openid == first.openid
    assert wechat.code_to_session("wxcode-43").openid != first.openid


def test_invalid_login_code_is_refused_without_retry(hospital_sim):
    with pytest.raises(ExternalServiceError) as exc:
        get_port("wechat").code_to_session("not-a-code")
    assert exc.value.code == "external_rejected" and exc.value.extra["remote_code"] == "40029"
    row = ExternalCall.objects.get(port="wechat", operation="code_to_session")
    assert (row.status, row.attempts) == (CallStatus.CLIENT_ERROR, 1)
    assert "not-a-code" not in json.dumps(row.request_summary)


def test_phone_number_by_code_is_a_patients_phone(hospital_sim):
    patient = sim_patients(hospital_sim)[4]
    assert get_port("wechat").phone_number(patient["wechat_phone_code"]) == patient["phone"]
    assert get_port("wechat").phone_number("phonecode-13700001111") == "13700001111"


def test_subscribe_message_is_recorded_by_the_simulator(hospital_sim):
    openid = openid_for("sub-1")
    result = get_port("wechat").send_subscribe_message(
        openid=openid, template_id="TPL-PREOP", data={"thing1": {"value": "术前禁食提醒"}},
        page="pages/case/index", idempotency_key="wx-sub-1")
    [record] = sim_get(hospital_sim, "wechat/messages", touser=openid)["items"]
    assert str(record["msgid"]) == result.msgid
    assert record["template_id"] == "TPL-PREOP" and record["data"] == {"thing1": {"value": "术前禁食提醒"}}
    assert record["page"] == "pages/case/index" and record["miniprogram_state"] == "formal"


def test_refused_subscription_raises(hospital_sim):
    with pytest.raises(ExternalServiceError) as exc:
        get_port("wechat").send_subscribe_message(openid="o-x-refused", template_id="T", data={"a": {"value": "b"}},
                                                  idempotency_key="wx-sub-2")
    assert exc.value.extra["remote_code"] == "43101"


def test_wechat_busy_is_retried(hospital_sim):
    sim_post(hospital_sim, "faults", {"path": "/wechat/sns/jscode2session", "status": 502, "count": 1})
    try:
        assert get_port("wechat").code_to_session("wxcode-7").openid == openid_for("7")
    finally:
        requests.delete(f"{hospital_sim}/_sim/faults", timeout=5)
    row = ExternalCall.objects.get(port="wechat", operation="code_to_session")
    assert (row.status, row.attempts) == (CallStatus.OK, 2)


@pytest.mark.req("DC5")
@responses.activate
def test_against_api_weixin_qq_com(settings):
    settings.WECHAT = {**settings.WECHAT, "api_base_url": WX, "app_id": "wx123", "app_secret": "s3cret"}
    token = responses.get(WX + "cgi-bin/token", json={"access_token": "ACCESS", "expires_in": 7200})
    responses.get(WX + "sns/jscode2session", json={"openid": "oABC", "session_key": "SK", "unionid": "uX"})
    phone = responses.post(WX + "wxa/business/getuserphonenumber",
                           json={"errcode": 0, "errmsg": "ok", "phone_info": {"phoneNumber": "13800138000",
                                                                              "purePhoneNumber": "13800138000"}})
    subscribe = responses.post(WX + "cgi-bin/message/subscribe/send", json={"errcode": 0, "errmsg": "ok",
                                                                            "msgid": 99})
    adapter = WechatpyAdapter(storage=MemoryStorage())
    session = adapter.code_to_session("CODE")
    assert (session.openid, session.unionid, session.session_key) == ("oABC", "uX", "SK")
    assert adapter.phone_number("PCODE") == "13800138000"
    assert adapter.send_subscribe_message(openid="oABC", template_id="T1", data={"thing1": {"value": "x"}},
                                          idempotency_key="sub-k").msgid == "99"
    assert token.call_count == 1  # the token is fetched once and reused
    assert "appid=wx123" in token.calls[0].request.url
    assert json.loads(phone.calls[0].request.body) == {"code": "PCODE"}
    assert "access_token=ACCESS" in phone.calls[0].request.url
    sent = json.loads(subscribe.calls[0].request.body)
    assert sent["touser"] == "oABC" and sent["miniprogram_state"] == "formal"
    assert subscribe.calls[0].request.headers["Idempotency-Key"] == "sub-k"


@responses.activate
def test_expired_token_is_refreshed_once(settings):
    settings.WECHAT = {**settings.WECHAT, "api_base_url": WX}
    token = responses.get(WX + "cgi-bin/token", json={"access_token": "NEW", "expires_in": 7200})
    storage = MemoryStorage()
    storage.set(f"{settings.WECHAT['app_id']}_access_token", "OLD", 7200)
    responses.post(WX + "wxa/business/getuserphonenumber", json={"errcode": 42001, "errmsg": "expired"})
    responses.post(WX + "wxa/business/getuserphonenumber",
                   json={"errcode": 0, "phone_info": {"purePhoneNumber": "13800138001"}})
    assert WechatpyAdapter(storage=storage).phone_number("C") == "13800138001"
    assert token.call_count == 1


@pytest.mark.req("DC5")
def test_wechat_pay_order_and_notification(hospital_sim):
    payment = get_port("payment")
    order = payment.create_jsapi_order(out_trade_no="YJ20260001", openid=openid_for("pay"), total_fee=50000,
                                       description="日间手术预交金", client_ip="127.0.0.1", idempotency_key="pay-1")
    assert order.prepay_id.startswith("wx")
    assert order.jsapi_params["package"] == f"prepay_id={order.prepay_id}" and order.jsapi_params["paySign"]
    again = payment.create_jsapi_order(out_trade_no="YJ20260001", openid=openid_for("pay"), total_fee=50000,
                                       description="日间手术预交金", client_ip="127.0.0.1", idempotency_key="pay-1")
    assert again.prepay_id == order.prepay_id
    xml = sim_post(hospital_sim, "wechat-pay/notifications", {"out_trade_no": "YJ20260001"})["xml"]
    notification = payment.parse_notification(xml.encode())
    assert notification.paid and notification.total_fee == 50000 and notification.out_trade_no == "YJ20260001"
    assert notification.transaction_id and notification.openid == openid_for("pay")
    with pytest.raises(InvalidInput):
        payment.parse_notification(xml.replace("50000", "1").encode())  # tampered amount: signature fails


def test_wechat_pay_rejects_a_changed_amount_for_the_same_order(hospital_sim):
    payment = get_port("payment")
    payment.create_jsapi_order(out_trade_no="YJ20260002", openid="o1", total_fee=100, description="预交金",
                               client_ip="127.0.0.1", idempotency_key="pay-2")
    with pytest.raises(ExternalServiceError) as exc:
        payment.create_jsapi_order(out_trade_no="YJ20260002", openid="o1", total_fee=200, description="预交金",
                                   client_ip="127.0.0.1", idempotency_key="pay-3")
    assert exc.value.extra["remote_code"] == "INVALID_REQUEST"
