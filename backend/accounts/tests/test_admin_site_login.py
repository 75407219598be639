"""The Django admin site demands the second factor too: a password alone never opens it."""

import pytest
from django.test import Client

from tests.builders import make_staff

pytestmark = [pytest.mark.django_db, pytest.mark.req("SA1")]

PASSWORD = "Admin-pass-2026"


@pytest.fixture
def admin_user():
    user = make_staff("hospital_admin", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save()
    return user


def test_password_alone_sends_a_code_but_does_not_log_in(admin_user, sms):
    client = Client()
    res = client.post("/admin/login/", {"username": admin_user.phone, "password": PASSWORD})
    assert res.status_code == 200  # the form again, asking for the code
    assert "_auth_user_id" not in client.session
    assert len(sms.to(admin_user.phone)) == 1
    assert client.get("/admin/").status_code == 302  # still sent to the login page


def test_password_and_code_log_in(admin_user, sms):
    client = Client()
    client.post("/admin/login/", {"username": admin_user.phone, "password": PASSWORD})
    code = sms.code_for(admin_user.phone)
    res = client.post("/admin/login/?next=/admin/", {"username": admin_user.phone, "password": PASSWORD, "code": code})
    assert res.status_code == 302 and res["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_wrong_code_or_password_is_refused_with_a_message(admin_user, sms):
    client = Client()
    client.post("/admin/login/", {"username": admin_user.phone, "password": PASSWORD})
    res = client.post("/admin/login/", {"username": admin_user.phone, "password": PASSWORD, "code": "000000"})
    assert res.status_code == 200 and "_auth_user_id" not in client.session
    assert "验证码" in res.content.decode()
    res = client.post("/admin/login/", {"username": admin_user.phone, "password": "wrong-password", "code": "123456"})
    assert res.status_code == 200 and "_auth_user_id" not in client.session
    assert len(sms.to(admin_user.phone)) == 1  # a wrong password sends nothing


def test_an_idle_admin_site_session_expires(admin_user):
    """Like token sessions, the admin site's cookie session ends after SESSION_IDLE_MINUTES without a request
    (it lasted two weeks whatever the activity) and every request renews it."""
    from datetime import timedelta

    from django.conf import settings
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    client = Client()
    client.force_login(admin_user)
    assert client.get("/admin/").status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    idle = timedelta(minutes=settings.SESSION_IDLE_MINUTES)
    assert session.expire_date <= timezone.now() + idle + timedelta(seconds=5)

    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() + timedelta(minutes=1))
    assert client.get("/admin/").status_code == 200  # activity renews the window
    session.refresh_from_db()
    assert session.expire_date >= timezone.now() + idle - timedelta(seconds=5)

    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/admin/").status_code == 302  # idle too long: back to the login page
