"""The shared outbound-call helper over real sockets: retries with backoff, timeouts, idempotency, call log."""

import socket
import time

import pytest
import requests
import responses

from core.errors import ExternalServiceError
from integrations.conf import CallPolicy, base_url, call_policy
from integrations.http import HttpClient, redact
from integrations.models import CallStatus, ExternalCall
from integrations.testing import sim_get, sim_post

pytestmark = pytest.mark.django_db

SMS = {"phone": "13900000001", "template": "t", "params": {"code": "1"}}


@pytest.fixture
def sim(hospital_sim):
    yield hospital_sim
    requests.delete(f"{hospital_sim}/_sim/faults", timeout=5)


def client(base, sleeps, **policy):
    return HttpClient("sms", base=base, policy=CallPolicy(**{"timeout": 2, "attempts": 3, "backoff": 0.05,
                                                           **policy}), sleep=sleeps.append)


def test_5xx_is_retried_with_exponential_backoff_and_the_same_key(sim):
    sim_post(sim, "faults", {"path": "/sms/messages", "status": 503, "count": 2})
    sleeps = []
    response = client(sim + "/sms", sleeps).post("/messages", json=SMS, operation="send", idempotency_key="k-503")
    assert response.status_code == 200
    assert sleeps == [0.05, 0.1]  # backoff * 2**(attempt-1)
    keys = [r["idempotency_key"] for r in sim_get(sim, "requests", path="/sms/messages")["items"]][-3:]
    assert keys == ["k-503"] * 3
    row = ExternalCall.objects.get(idempotency_key="k-503")
    assert (row.status, row.http_status, row.attempts) == (CallStatus.OK, 200, 3)


def test_5xx_exhausting_attempts_raises_and_logs_server_error(sim):
    sim_post(sim, "faults", {"path": "/sms/messages", "status": 500, "count": 5})
    sleeps = []
    with pytest.raises(ExternalServiceError) as exc:
        client(sim + "/sms", sleeps, attempts=2).post("/messages", json=SMS, operation="send", idempotency_key="k-500")
    assert exc.value.code == "external_unavailable" and exc.value.status_code == 502
    assert exc.value.extra["http_status"] == 500
    row = ExternalCall.objects.get(idempotency_key="k-500")
    assert (row.status, row.http_status, row.attempts) == (CallStatus.SERVER_ERROR, 500, 2)
    assert "500" in row.error


def test_4xx_is_not_retried(sim):
    sim_post(sim, "faults", {"path": "/sms/messages", "status": 409, "count": 1})
    sleeps = []
    with pytest.raises(ExternalServiceError) as exc:
        client(sim + "/sms", sleeps).post("/messages", json=SMS, operation="send", idempotency_key="k-409")
    assert exc.value.code == "external_rejected" and sleeps == []
    row = ExternalCall.objects.get(idempotency_key="k-409")
    assert (row.status, row.http_status, row.attempts) == (CallStatus.CLIENT_ERROR, 409, 1)


@pytest.mark.req("B8", "B9")
@pytest.mark.parametrize("status", [408, 429])
def test_throttled_or_timed_out_4xx_is_retried_and_never_a_rejection(sim, status):
    """429 (rate limited) and 408 say "later", not "never": the booking's certificate and notice handlers record
    an `external_rejected` answer as refused for good, so these must stay `external_unavailable` (retried)."""
    sim_post(sim, "faults", {"path": "/sms/messages", "status": status, "count": 5})
    sleeps = []
    with pytest.raises(ExternalServiceError) as exc:
        client(sim + "/sms", sleeps, attempts=2).post("/messages", json=SMS, operation="send",
                                                      idempotency_key=f"k-{status}")
    assert exc.value.code == "external_unavailable" and sleeps == [0.05]
    assert ExternalCall.objects.get(idempotency_key=f"k-{status}").attempts == 2


def test_accepted_4xx_is_returned_to_the_adapter(sim):
    response = client(sim + "/voice", []).get("/calls/NOPE", operation="fetch_result", accept=(404,))
    assert response.status_code == 404
    assert ExternalCall.objects.get(operation="fetch_result").http_status == 404


def test_connection_refused_is_retried_then_fails(sim):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    sleeps = []
    with pytest.raises(ExternalServiceError):
        client(f"http://127.0.0.1:{port}", sleeps, attempts=3).get("/x", operation="probe", idempotency_key="k-refused")
    assert len(sleeps) == 2
    row = ExternalCall.objects.get(idempotency_key="k-refused")
    assert (row.status, row.http_status, row.attempts) == (CallStatus.NETWORK_ERROR, None, 3)


def test_timeout_is_honoured_per_attempt(sim):
    sim_post(sim, "faults", {"path": "/sms/messages", "delay": 1.5, "count": 2})
    started = time.monotonic()
    with pytest.raises(ExternalServiceError):
        client(sim + "/sms", [], timeout=0.3, attempts=2).post("/messages", json=SMS, operation="send",
                                                               idempotency_key="k-slow")
    elapsed = time.monotonic() - started
    # Two attempts of 0.3 s, not two of 1.5 s (an attempt that waited 1.5 s would have been answered 200 and not
    # raised at all); the upper bound leaves room for a loaded 2-core CI machine.
    assert 0.6 <= elapsed < 2.5
    row = ExternalCall.objects.get(idempotency_key="k-slow")
    assert (row.status, row.attempts) == (CallStatus.TIMEOUT, 2)


def test_generated_idempotency_key_is_sent_and_logged(sim):
    client(sim + "/sms", []).post("/messages", json={**SMS, "phone": "13900000002"}, operation="send")
    row = ExternalCall.objects.get(operation="send")
    [record] = sim_get(sim, "sms", phone="13900000002")["items"]
    assert row.idempotency_key and record["idempotency_key"] == row.idempotency_key


def test_redaction_masks_personal_values_but_keeps_shape():
    assert redact({"phone": "139", "template": "otp", "nested": {"id_number": "1101", "count": 2},
                   "identifier": "sys|val", "params": {"code": "1234"}, "unionid": "o6_bm"}) == {
        "phone": "***", "template": "otp", "nested": {"id_number": "***", "count": 2}, "identifier": "***",
        "params": "***", "unionid": "***"}


def test_endpoints_and_policy_come_from_settings(settings):
    settings.HOSPITAL_SIM_URL = "http://sim.example:9"
    settings.INTEGRATION_ENDPOINTS = {"his": "https://his.example/fhir"}
    settings.INTEGRATION_HTTP = {"timeout": 7, "attempts": 4, "per_port": {"sms": {"attempts": 1}}}
    assert base_url("his") == "https://his.example/fhir"
    assert base_url("lis") == "http://sim.example:9/fhir"
    assert call_policy("his") == CallPolicy(timeout=7, attempts=4)
    assert call_policy("sms").attempts == 1


def test_failed_call_log_holds_no_personal_numbers_or_secrets_from_the_url_or_answer(sim, caplog):
    """urllib3 repeats the full URL (search values, wechatpy's secret=/access_token=) in its connection errors,
    and a remote 4xx may echo what was searched for; neither may reach the call log or the application log."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    id_number, phone = "11010119900307001X", "13800138000"
    with pytest.raises(ExternalServiceError):
        client(f"http://127.0.0.1:{port}", [], attempts=2).get(
            "/Patient", params={"identifier": f"urn:oid:2.16.156.10011.1.3|{id_number}", "telecom": phone,
                                "secret": "APPSECRET"}, operation="probe", idempotency_key="k-pii")
    with responses.RequestsMock() as mock:
        mock.post("https://sms.example/messages", status=400, json={"detail": f"unknown phone {phone}, 王小明"})
        with pytest.raises(ExternalServiceError):
            client("https://sms.example", []).post("/messages", json={**SMS, "phone": phone}, operation="send",
                                                   idempotency_key="k-pii-400")
    rows = ExternalCall.objects.filter(idempotency_key__in=["k-pii", "k-pii-400"])
    assert rows.count() == 2
    logged = " ".join(r.error + str(r.request_summary) for r in rows) + caplog.text
    assert "Max retries" in logged  # the error itself is still said
    for secret in (id_number, "110101", phone, "APPSECRET", "王小明"):
        assert secret not in logged


def test_scrub_masks_numbers_and_query_strings():
    from integrations.http import scrub

    assert scrub("GET /x?appid=wx1&secret=S (HTTP 500)") == "GET /x?*** (HTTP 500)"
    assert scrub("id 11010119900307001x, phone 13800138000, visit V2024000001") == (
        "id ***, phone ***, visit V2024000001")
