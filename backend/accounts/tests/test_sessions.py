"""Staff sessions: password login, admin second factor, JWT rotation + blacklist, idle expiry, refusals."""

import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework_simplejwt.tokens import UntypedToken

from accounts.models import User
from accounts.tokens import SESSION_CLAIM, session_state
from audit.models import AuditEntry
from tests.builders import admin_token, idle_session, make_staff, make_ward, staff_token

pytestmark = pytest.mark.django_db

PASSWORD = "Zx9!day-surgery"


def _bearer(client, token):
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def _otp_login(client, sms, user):
    client.post("/api/v1/auth/otp/", {"phone": user.phone}, format="json")
    response = client.post("/api/v1/auth/login/", {"phone": user.phone, "code": sms.code_for(user.phone)},
                           format="json")
    assert response.status_code == 200, response.content
    return response.json()


def _otp_login_again(client, sms, user):
    with override_settings(OTP_PHONE_PER_MINUTE=10):
        return _otp_login(client, sms, user)


def _with_password(user):
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.mark.req("SA1")
def test_password_login_works_but_wrong_password_counts_as_failure(api_client):
    user = _with_password(make_staff())
    bad = api_client.post("/api/v1/auth/login/", {"phone": user.phone, "password": "nope-nope"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_credentials"
    ok = api_client.post("/api/v1/auth/login/", {"phone": user.phone, "password": PASSWORD}, format="json")
    assert ok.status_code == 200
    assert AuditEntry.objects.filter(action="login_failed", detail__contains="invalid_credentials").exists()
    # Unknown phone: the same refusal, no hint that the account does not exist.
    unknown = api_client.post("/api/v1/auth/login/", {"phone": "13700000001", "password": "x"}, format="json")
    assert unknown.json()["error"]["code"] == "invalid_credentials"


@pytest.mark.req("SA1", "Y2")
def test_admin_endpoints_require_password_and_sms_code(api_client, sms):
    admin = _with_password(make_staff("hospital_admin"))

    # SMS-code login alone, or password alone: not enough for user administration.
    for tokens in (_otp_login(api_client, sms, admin),):
        r = _bearer(api_client, tokens["access"]).get("/api/v1/users/")
        assert r.status_code == 403
    api_client.credentials()
    pwd = api_client.post("/api/v1/auth/login/", {"phone": admin.phone, "password": PASSWORD}, format="json").json()
    assert _bearer(api_client, pwd["access"]).get("/api/v1/users/").status_code == 403
    api_client.credentials()

    # Step 1 refuses a wrong password and sends no code.
    sent = len(sms.sent)
    r = api_client.post("/api/v1/auth/admin-login/otp/", {"phone": admin.phone, "password": "wrong-pass"},
                        format="json")
    assert r.status_code == 400 and len(sms.sent) == sent
    with override_settings(OTP_PHONE_PER_MINUTE=10):
        r = api_client.post("/api/v1/auth/admin-login/otp/", {"phone": admin.phone, "password": PASSWORD},
                            format="json")
    assert r.status_code == 202
    code = sms.code_for(admin.phone)
    assert sms.sent[-1]["params"]["purpose"] == "admin_2fa"
    # Step 2 needs both factors.
    r = api_client.post("/api/v1/auth/admin-login/", {"phone": admin.phone, "password": "wrong-pass", "code": code},
                        format="json")
    assert r.status_code == 400
    r = api_client.post("/api/v1/auth/admin-login/", {"phone": admin.phone, "password": PASSWORD, "code": code},
                        format="json")
    assert r.status_code == 200, r.content
    assert _bearer(api_client, r.json()["access"]).get("/api/v1/users/").status_code == 200
    assert AuditEntry.objects.filter(action="login", detail="staff:otp+pwd", actor_id=str(admin.uuid)).exists()


@pytest.mark.req("DC1")
def test_refresh_rotates_and_the_old_refresh_token_is_refused(api_client, sms):
    user = make_staff()
    tokens = _otp_login(api_client, sms, user)
    r = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert r.status_code == 200
    rotated = r.json()
    assert rotated["refresh"] != tokens["refresh"]
    assert _bearer(api_client, rotated["access"]).get("/api/v1/auth/me/").status_code == 200
    api_client.credentials()

    replay = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "token_blacklisted"
    assert api_client.post("/api/v1/auth/refresh/", {"refresh": rotated["refresh"]}, format="json").status_code == 200


@pytest.mark.req("DC1")
def test_logout_blacklists_the_refresh_token(api_client, sms):
    user = make_staff()
    tokens = _otp_login(api_client, sms, user)
    other_device = _otp_login_again(api_client, sms, user)
    assert _bearer(api_client, tokens["access"]).get("/api/v1/auth/me/").status_code == 200
    api_client.credentials()
    r = api_client.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json")
    assert r.status_code == 204
    r = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert r.status_code == 401
    # The session's access token stops at once; another login of the same user is not affected.
    r = _bearer(api_client, tokens["access"]).get("/api/v1/auth/me/")
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_ended"
    assert _bearer(api_client, other_device["access"]).get("/api/v1/auth/me/").status_code == 200
    api_client.credentials()
    assert AuditEntry.objects.filter(action="logout", actor_id=str(user.uuid)).exists()


def test_a_logout_is_recorded_in_the_database_not_only_a_cache(api_client, sms):
    """A cache flush or Redis restart must not revive logged-out sessions: the session row says it ended."""
    from accounts.models import LoginSession

    tokens = _otp_login(api_client, sms, make_staff())
    sid = UntypedToken(tokens["access"])[SESSION_CLAIM]
    assert LoginSession.objects.get(sid=sid).ended_at is None
    api_client.post("/api/v1/auth/logout/", {"refresh": tokens["refresh"]}, format="json")
    assert LoginSession.objects.get(sid=sid).ended_at is not None
    assert session_state(sid)[0] is True


def test_garbage_refresh_token_is_a_401_envelope(api_client):
    r = api_client.post("/api/v1/auth/refresh/", {"refresh": "not-a-token"}, format="json")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "token_not_valid"
    assert api_client.post("/api/v1/auth/refresh/", {}, format="json").status_code == 400


@pytest.mark.req("DC1")
def test_idle_session_expires(api_client, sms):
    user = make_staff()
    tokens = _otp_login(api_client, sms, user)
    _bearer(api_client, tokens["access"])
    assert api_client.get("/api/v1/auth/me/").status_code == 200

    idle_session(tokens["access"], minutes=29)
    User.objects.filter(pk=user.pk).update(last_activity_at=timezone.now() - timedelta(minutes=29))
    assert api_client.get("/api/v1/auth/me/").status_code == 200  # activity renews the window
    assert api_client.get("/api/v1/auth/me/").status_code == 200
    user.refresh_from_db()
    assert timezone.now() - user.last_activity_at < timedelta(seconds=5)  # still kept, for display

    idle_session(tokens["access"], minutes=31)
    with override_settings(SESSION_IDLE_MINUTES=60):  # the limit is a setting
        assert api_client.get("/api/v1/auth/me/").status_code == 200

    idle_session(tokens["access"], minutes=31)
    r = api_client.get("/api/v1/auth/me/")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "session_idle"
    # The idle session is over for good: its tokens stay refused even once the user is active elsewhere.
    other = _otp_login_again(api_client, sms, user)
    assert _bearer(api_client, other["access"]).get("/api/v1/auth/me/").status_code == 200
    assert _bearer(api_client, tokens["access"]).get("/api/v1/auth/me/").status_code == 401
    api_client.credentials()
    r = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert r.status_code == 401

    # Refreshing an idle session is refused too.
    fresh = _otp_login_again(api_client, sms, user)
    idle_session(fresh["refresh"], minutes=31)
    r = api_client.post("/api/v1/auth/refresh/", {"refresh": fresh["refresh"]}, format="json")
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_idle"


@pytest.mark.req("DC1")
def test_idle_expiry_is_per_session_not_per_user(api_client, sms):
    """Two devices of one user: the one in use stays logged in, the unattended one expires on its own."""
    user = make_staff()
    desk = _otp_login(api_client, sms, user)
    ward_pc = _otp_login_again(api_client, sms, user)
    idle_session(ward_pc["access"], minutes=31)
    idle_session(desk["access"], minutes=5)
    for _ in range(2):
        assert _bearer(api_client, desk["access"]).get("/api/v1/auth/me/").status_code == 200
    r = _bearer(api_client, ward_pc["access"]).get("/api/v1/auth/me/")
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_idle"
    api_client.credentials()
    r = api_client.post("/api/v1/auth/refresh/", {"refresh": ward_pc["refresh"]}, format="json")
    assert r.status_code == 401  # the idle session is ended, its refresh token with it
    assert _bearer(api_client, desk["access"]).get("/api/v1/auth/me/").status_code == 200


@pytest.mark.req("DC1")
def test_refresh_is_not_activity(api_client, sms):
    """A background refresh loop cannot keep an unattended session alive: refreshing does not move the idle
    window, and once the window has passed the refresh itself is refused."""
    user = make_staff()
    tokens = _otp_login(api_client, sms, user)
    idle_session(tokens["access"], minutes=29)
    r = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
    assert r.status_code == 200  # still within the window
    rotated = r.json()
    _ended, last_seen = session_state(UntypedToken(rotated["access"])[SESSION_CLAIM])
    assert time.time() - last_seen > 28 * 60  # the refresh did not count as activity
    idle_session(rotated["access"], minutes=31)
    r = api_client.post("/api/v1/auth/refresh/", {"refresh": rotated["refresh"]}, format="json")
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_idle"
    r = _bearer(api_client, rotated["access"]).get("/api/v1/auth/me/")
    assert r.status_code == 401 and r.json()["error"]["code"] == "session_ended"


@pytest.mark.req("SA1", "Y1")
def test_disabled_user_cannot_log_in_and_existing_tokens_stop_working(api_client, sms):
    user = _with_password(make_staff())
    tokens = _otp_login(api_client, sms, user)
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert _bearer(api_client, tokens["access"]).get("/api/v1/auth/me/").status_code == 401
    api_client.credentials()
    assert api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json").status_code == 401
    r = api_client.post("/api/v1/auth/login/", {"phone": user.phone, "password": PASSWORD}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_disabled"


@pytest.mark.req("SA1")
def test_virtual_surgeon_cannot_log_in(api_client, sms):
    virtual = _with_password(make_staff("doctor", is_virtual=True))
    r = api_client.post("/api/v1/auth/login/", {"phone": virtual.phone, "password": PASSWORD}, format="json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_virtual"
    api_client.post("/api/v1/auth/otp/", {"phone": virtual.phone}, format="json")
    assert sms.to(virtual.phone) == []  # no code is even sent
    assert _bearer(api_client, staff_token(virtual)).get("/api/v1/auth/me/").status_code == 401


@pytest.mark.req("DC1")
def test_me_lists_roles_permissions_and_wards(api_client):
    ward = make_ward()
    other = make_ward()
    nurse = make_staff("nurse", ward=ward)
    body = _bearer(api_client, staff_token(nurse)).get("/api/v1/auth/me/").json()
    assert body["principal"] == "staff"
    assert [w["uuid"] for w in body["wards"]] == [str(ward.uuid)]
    assert str(other.uuid) not in {w["uuid"] for w in body["wards"]}
    assert body["all_wards"] is False
    admin_body = _bearer(api_client, admin_token(make_staff("hospital_admin"))).get("/api/v1/auth/me/").json()
    assert admin_body["all_wards"] is True
    assert "accounts.manage_users" in admin_body["permissions"]


def test_me_needs_a_token(api_client):
    r = api_client.get("/api/v1/auth/me/")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "not_authenticated"


@pytest.mark.req("DC1")
def test_an_idle_ended_session_stays_ended_after_its_access_tokens_expired(api_client, sms):
    """Nobody tried the idle session's refresh token while its access tokens could still live; a quarter of
    an hour later, with the user active on another device, that refresh token must not revive it."""
    from unittest import mock

    from django.core.cache.backends import locmem

    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                               "LOCATION": "idle-session-test"}}):
        user = make_staff()
        tokens = _otp_login(api_client, sms, user)
        idle_session(tokens["access"], minutes=31)
        r = _bearer(api_client, tokens["access"]).get("/api/v1/auth/me/")
        assert r.status_code == 401 and r.json()["error"]["code"] == "session_idle"
        api_client.credentials()
        _otp_login_again(api_client, sms, user)  # active on another device

        real_time = locmem.time

        class Later:
            @staticmethod
            def time():
                return real_time.time() + 20 * 60  # past the access lifetime (15 min)

        with mock.patch.object(locmem, "time", Later):
            r = api_client.post("/api/v1/auth/refresh/", {"refresh": tokens["refresh"]}, format="json")
        assert r.status_code == 401, r.content
