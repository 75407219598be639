"""SMS one-time codes: login, hashing, expiry, single use, lockout, rate limits, audit (SA1, PA1)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from accounts import otp
from accounts.models import OtpChallenge, OtpPurpose
from audit.models import AuditEntry
from core.crypto import blind_index
from core.errors import InvalidInput, RateLimited
from tests.builders import make_staff, unique_phone

pytestmark = pytest.mark.django_db

OTP_URL = "/api/v1/auth/otp/"
LOGIN_URL = "/api/v1/auth/login/"


def _request_code(client, phone, **extra):
    return client.post(OTP_URL, {"phone": phone}, format="json", **extra)


@pytest.mark.req("SA1", "DC1")
def test_staff_logs_in_with_phone_and_sms_code(api_client, sms):
    user = make_staff("nurse")
    response = _request_code(api_client, user.phone)
    assert response.status_code == 202, response.content
    assert response.json()["expires_in"] == 300
    code = sms.code_for(user.phone)

    response = api_client.post(LOGIN_URL, {"phone": user.phone, "code": code}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["uuid"] == str(user.uuid)
    assert body["access"] and body["refresh"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    me = api_client.get("/api/v1/auth/me/")
    assert me.status_code == 200
    assert me.json()["user"]["phone"] == user.phone
    assert me.json()["roles"] == ["nurse"]
    assert "org.view" in me.json()["permissions"]

    actions = list(AuditEntry.objects.order_by("id").values_list("action", "success"))
    assert ("otp_request", True) in actions
    assert ("login", True) in actions
    user.refresh_from_db()
    assert user.last_login is not None and user.last_activity_at is not None


@pytest.mark.req("SA1")
def test_codes_are_random_six_digits_and_stored_only_hashed(sms):
    phone = unique_phone()
    make_staff(phone=phone)
    with override_settings(OTP_PHONE_PER_MINUTE=10, OTP_PHONE_PER_HOUR=10):
        for _ in range(3):
            otp.otp_request(phone=phone, purpose=OtpPurpose.STAFF_LOGIN)
    codes = [m["params"]["code"] for m in sms.to(phone)]
    assert len(codes) == 3 and all(len(c) == 6 and c.isdigit() for c in codes)

    rows = list(OtpChallenge.objects.filter(phone_index=blind_index(phone)))
    assert len(rows) == 3
    assert len({r.salt for r in rows}) == 3  # a salt per row
    for row in rows:
        assert row.code_hash not in codes and len(row.code_hash) == 64
    newest = rows[0]
    assert newest.code_hash == otp.hash_code(newest.salt, codes[-1])
    # Neither the codes nor the phone appear anywhere in the stored rows.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {OtpChallenge._meta.db_table}")
        dump = repr(cursor.fetchall())
    for code in codes:
        assert code not in dump
    assert phone not in dump


@pytest.mark.req("SA1")
def test_expired_code_is_refused(sms):
    user = make_staff()
    otp.otp_request(phone=user.phone, purpose=OtpPurpose.STAFF_LOGIN)
    code = sms.code_for(user.phone)
    later = timezone.now() + timedelta(minutes=5, seconds=1)
    with mock.patch("django.utils.timezone.now", return_value=later):
        with pytest.raises(InvalidInput) as exc:
            otp.otp_verify(phone=user.phone, purpose=OtpPurpose.STAFF_LOGIN, code=code)
    assert exc.value.code == "otp_expired"
    # Just inside the five minutes the same kind of code works.
    with override_settings(OTP_PHONE_PER_MINUTE=10):
        otp.otp_request(phone=user.phone, purpose=OtpPurpose.STAFF_LOGIN)
    code = sms.code_for(user.phone)
    with mock.patch("django.utils.timezone.now", return_value=timezone.now() + timedelta(minutes=4, seconds=50)):
        otp.otp_verify(phone=user.phone, purpose=OtpPurpose.STAFF_LOGIN, code=code)


@pytest.mark.req("SA1")
def test_code_is_single_use(api_client, sms):
    user = make_staff()
    _request_code(api_client, user.phone)
    code = sms.code_for(user.phone)
    first = api_client.post(LOGIN_URL, {"phone": user.phone, "code": code}, format="json")
    assert first.status_code == 200
    again = api_client.post(LOGIN_URL, {"phone": user.phone, "code": code}, format="json")
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "otp_used"
    assert "access" not in again.json()


@pytest.mark.req("SA1")
def test_code_for_one_purpose_does_not_work_for_another(sms):
    user = make_staff()
    otp.otp_request(phone=user.phone, purpose=OtpPurpose.REGISTER)
    code = sms.code_for(user.phone)
    with pytest.raises(InvalidInput):
        otp.otp_verify(phone=user.phone, purpose=OtpPurpose.STAFF_LOGIN, code=code)


@pytest.mark.req("SA1")
def test_five_wrong_codes_lock_the_phone(api_client, sms):
    user = make_staff()
    _request_code(api_client, user.phone)
    code = sms.code_for(user.phone)
    wrong = "000000" if code != "000000" else "111111"
    statuses = []
    for _ in range(5):
        r = api_client.post(LOGIN_URL, {"phone": user.phone, "code": wrong}, format="json")
        statuses.append((r.status_code, r.json()["error"]["code"]))
    assert statuses[:4] == [(400, "otp_invalid")] * 4
    assert statuses[4] == (429, "phone_locked")

    # Locked: even the right code is refused, and no new code is sent.
    r = api_client.post(LOGIN_URL, {"phone": user.phone, "code": code}, format="json")
    assert (r.status_code, r.json()["error"]["code"]) == (429, "phone_locked")
    sent_before = len(sms.sent)
    r = _request_code(api_client, user.phone)
    assert (r.status_code, r.json()["error"]["code"]) == (429, "phone_locked")
    assert len(sms.sent) == sent_before
    # The password path is locked too.
    r = api_client.post(LOGIN_URL, {"phone": user.phone, "password": "whatever-123"}, format="json")
    assert r.status_code == 429

    failures = AuditEntry.objects.filter(action="login_failed", success=False)
    assert failures.filter(detail__contains="lockout").count() == 1
    assert failures.filter(detail__contains="otp_invalid").count() == 5
    assert otp.is_locked(user.phone)


@pytest.mark.req("SA1")
def test_lockout_ends_after_the_configured_period(sms):
    user = make_staff()
    with override_settings(OTP_LOCKOUT_MINUTES=0.02, OTP_LOCKOUT_FAILURES=2):  # 1.2 s lock
        for _ in range(2):
            with pytest.raises((InvalidInput, RateLimited)):
                otp.otp_verify(phone=user.phone, purpose=OtpPurpose.STAFF_LOGIN, code="123456")
        assert otp.is_locked(user.phone)
        import time

        time.sleep(1.5)
        assert not otp.is_locked(user.phone)


@pytest.mark.req("SA1")
def test_rate_limit_per_phone(api_client, sms):
    user = make_staff()
    assert _request_code(api_client, user.phone).status_code == 202
    second = _request_code(api_client, user.phone)
    assert second.status_code == 429
    assert second.json()["error"]["code"] == "otp_rate_limited"
    assert len(sms.to(user.phone)) == 1

    with override_settings(OTP_PHONE_PER_MINUTE=100, OTP_PHONE_PER_HOUR=3):
        assert _request_code(api_client, user.phone).status_code == 202
        assert _request_code(api_client, user.phone).status_code == 202
        assert _request_code(api_client, user.phone).status_code == 429
    assert len(sms.to(user.phone)) == 3
    refused = AuditEntry.objects.filter(action="otp_request", success=False, detail__contains="rate_limited")
    assert refused.count() == 2


@pytest.mark.req("SA1")
def test_rate_limit_per_ip(api_client, sms):
    users = [make_staff() for _ in range(4)]
    with override_settings(OTP_IP_PER_HOUR=3):
        for user in users[:3]:
            assert _request_code(api_client, user.phone, REMOTE_ADDR="10.9.8.7").status_code == 202
        refused = _request_code(api_client, users[3].phone, REMOTE_ADDR="10.9.8.7")
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "otp_rate_limited"
        assert sms.to(users[3].phone) == []
        # Another client address is not affected.
        assert _request_code(api_client, users[3].phone, REMOTE_ADDR="10.9.8.8").status_code == 202
    assert AuditEntry.objects.filter(detail__contains="ip_hour", ip="10.9.8.7").exists()


@pytest.mark.req("SA1")
def test_unknown_or_disabled_phone_gets_the_same_answer_but_no_sms(api_client, sms):
    disabled = make_staff(is_active=False)
    unknown = unique_phone()
    for phone in (unknown, disabled.phone):
        response = _request_code(api_client, phone)
        assert response.status_code == 202
    assert sms.sent == []
    assert AuditEntry.objects.filter(action="otp_request", detail__contains="no_account").count() == 2


def test_sms_gateway_failure_is_a_502_and_leaves_no_usable_code(api_client):
    from accounts.tests.fakes import SmsRecorder
    from integrations.registry import override_port

    user = make_staff()
    with override_port("sms", SmsRecorder(accept=False)) as down:
        response = _request_code(api_client, user.phone)
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "sms_failed"
    code = down.code_for(user.phone)
    with pytest.raises(InvalidInput):
        otp.otp_verify(phone=user.phone, purpose=OtpPurpose.STAFF_LOGIN, code=code)


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"phone": "12345"}, "phone"),
        ({"phone": "13800000000", "purpose": "nonsense"}, "purpose"),
        ({}, "phone"),
    ],
)
def test_bad_otp_requests_are_field_errors(api_client, sms, payload, field):
    response = api_client.post(OTP_URL, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_bad_login_input_is_a_field_error(api_client):
    for payload in ({"phone": "13800000000", "code": "12ab"}, {"phone": "13800000000"}):
        response = api_client.post(LOGIN_URL, payload, format="json")
        assert response.status_code == 400
        assert "code" in response.json()["error"]["fields"]


@pytest.mark.req("SA1")
def test_staff_login_code_travels_through_the_real_sms_adapter(api_client, hospital_sim):
    """The HTTP SMS adapter posts to the simulator; the test reads the code from the simulator's recorder."""
    from integrations.testing import sent_sms

    user = make_staff("doctor")
    assert _request_code(api_client, user.phone).status_code == 202
    messages = sent_sms(hospital_sim, user.phone)
    assert len(messages) == 1 and messages[0]["template"] == "otp"
    assert messages[0]["idempotency_key"].startswith("otp:")
    r = api_client.post(LOGIN_URL, {"phone": user.phone, "code": messages[0]["params"]["code"]}, format="json")
    assert r.status_code == 200, r.content


def test_one_address_guessing_across_phones_is_stopped(api_client, sms):
    users = [make_staff() for _ in range(3)]
    with override_settings(OTP_IP_FAILURES_PER_HOUR=3):
        for user in users:
            r = api_client.post(LOGIN_URL, {"phone": user.phone, "code": "123456"}, format="json",
                                REMOTE_ADDR="10.1.1.1")
            assert r.status_code == 400
        r = api_client.post(LOGIN_URL, {"phone": users[0].phone, "code": "123456"}, format="json",
                            REMOTE_ADDR="10.1.1.1")
        assert r.status_code == 429 and r.json()["error"]["code"] == "ip_rate_limited"
        r = api_client.post(LOGIN_URL, {"phone": users[0].phone, "code": "123456"}, format="json",
                            REMOTE_ADDR="10.1.1.2")
        assert r.status_code == 400  # other addresses unaffected
    assert not any(otp.is_locked(u.phone) for u in users)


def test_purge_removes_old_codes_and_expired_tokens(sms):
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from accounts.services import purge_expired
    from accounts.tasks import purge_expired_task
    from tests.builders import staff_token

    user = make_staff()
    otp.otp_request(phone=user.phone, purpose=OtpPurpose.STAFF_LOGIN)
    staff_token(user)
    assert purge_expired() == {"otp_challenges": 0, "tokens": 0, "sessions": 0}
    later = timezone.now() + timedelta(days=31)
    result = purge_expired(now=later)
    assert result["otp_challenges"] == 1 and result["tokens"] >= 1 and result["sessions"] == 1
    assert not OtpChallenge.objects.exists() and not OutstandingToken.objects.filter(user=user).exists()
    assert purge_expired_task.delay().get() == {"otp_challenges": 0, "tokens": 0, "sessions": 0}
    assert AuditEntry.objects.filter(action="otp_request").exists()  # the audit trail stays


@pytest.mark.req("SA1")
def test_parallel_code_requests_cannot_all_pass_the_rate_limit(monkeypatch):
    """Eight requests for one phone at the same moment: the per-minute limit (1) lets exactly one through,
    however their reads and writes of the counters interleave."""
    import threading

    from django.core.cache import cache as real_cache

    parallel = 8
    barrier = threading.Barrier(parallel)

    class Interleaving:
        """The shared cache, except that every read of a counter waits for all the requests to have read."""

        def __getattr__(self, name):
            return getattr(real_cache, name)

        def get(self, *args, **kwargs):
            value = real_cache.get(*args, **kwargs)
            try:
                barrier.wait(timeout=2)
            except threading.BrokenBarrierError:
                pass
            return value

    monkeypatch.setattr(otp, "cache", Interleaving())
    monkeypatch.setattr(otp, "_audit", lambda *a, **k: None)
    phone = unique_phone()
    idx = blind_index(phone)
    passed, refused = [], []

    def request():
        try:
            otp._check_rate_limits(phone, idx, "10.7.7.7", OtpPurpose.STAFF_LOGIN)
            passed.append(1)
        except RateLimited:
            refused.append(1)

    threads = [threading.Thread(target=request) for _ in range(parallel)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (len(passed), len(refused)) == (1, parallel - 1)
    # a refused request is not counted: the phone's hourly budget lost only the one that passed
    assert real_cache.get(otp._cache_key("ph", idx)) == 1
    assert real_cache.get(otp._cache_key("ip", "10.7.7.7")) == 1
