"""Single use under real parallel transactions (PostgreSQL row locks): one code, one refresh token, one winner."""


import pytest
from django.db import connection

from accounts import otp
from accounts.models import OtpPurpose
from tests.builders import make_staff
from tests.concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.req("SA1")
def test_one_code_logs_in_once_even_when_submitted_in_parallel(sms):
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks of a real server")
    user = make_staff()
    otp.otp_request(phone=user.phone, purpose=OtpPurpose.STAFF_LOGIN)
    code = sms.code_for(user.phone)
    # 4 parallel submissions: 1 wins, 3 are refused as reuse (5 failures would lock the phone).
    results = race([lambda: otp.otp_verify(phone=user.phone, purpose=OtpPurpose.STAFF_LOGIN, code=code).pk] * 4, timeout=30)
    assert len([r for r in results if r[0] == "ok"]) == 1, results
    assert sorted(r for r in results if r[0] != "ok") == [("refused", "otp_used")] * 3


@pytest.mark.req("DC1")
def test_one_refresh_token_rotates_once_even_in_parallel():
    if connection.vendor != "postgresql":
        pytest.skip("needs row locks of a real server")
    from accounts.services import session_refresh
    from accounts.tokens import issue_staff_tokens

    user = make_staff()
    refresh = issue_staff_tokens(user)["refresh"]
    results = race([lambda: session_refresh(refresh=refresh, principal="staff")["refresh"]] * 6, timeout=30)
    winners = [r for r in results if r[0] == "ok"]
    assert len(winners) == 1, results
    assert all(r[1] in ("token_blacklisted", "token_not_valid") for r in results if r[0] != "ok")


@pytest.mark.req("SA1")
def test_parallel_password_guesses_cannot_slip_under_the_lockout():
    """Ten wrong passwords sent at once: no more than OTP_LOCKOUT_FAILURES (5) are ever checked, and the phone
    ends up locked (before, every guess passed the lock check while the slow checks were running)."""
    import time
    from unittest import mock

    from accounts.models import User
    from accounts.services import staff_login_password

    user = make_staff()
    user.set_password("correct horse battery")
    user.save()
    checked = []
    real_check = User.check_password

    def slow_check(self, raw):
        checked.append(raw)
        time.sleep(0.5)  # a password hash takes time; the guesses overlap while it runs
        return real_check(self, raw)

    with mock.patch.object(User, "check_password", slow_check):
        results = race([lambda: staff_login_password(phone=user.phone, password="wrong guess")] * 10, timeout=30)
    assert len(checked) <= 5, results
    assert all(r[0] == "refused" for r in results)
    assert otp.is_locked(user.phone)
    assert [r for r in results if r[1] == "phone_locked"]
