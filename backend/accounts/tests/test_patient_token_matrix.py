"""Patient and staff tokens do not cross. Every API route (found by walking the URL conf, so new routes are
covered without editing this test) answers a patient token with 401/403/404/405 unless the view declares
IsPatient; and every IsPatient route refuses a staff token."""

import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from accounts.permissions import IsPatient
from tests.builders import make_patient_account, make_staff, patient_token, staff_token

pytestmark = pytest.mark.django_db

PUBLIC = {"/api/v1/"}


def _routes(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def _concrete(route):
    if route.startswith("^") or "(?P" in route or route.endswith("$"):
        route = route.lstrip("^").rstrip("$")
        route = re.sub(r"\(\?P<[^>]+>[^)]*\)", "x", route)
        if any(ch in route for ch in "*+?()[]"):
            return None
    route = re.sub(r"<uuid:[^>]+>", str(uuid.uuid4()), route)
    route = re.sub(r"<(int|pk):[^>]+>", "1", route)
    route = re.sub(r"<[^>]+>", "x", route)
    return "/" + route


def _is_patient_route(url):
    match = resolve(url)
    cls = getattr(match.func, "view_class", None) or getattr(match.func, "cls", None)
    if cls is None:
        return False
    view = cls()
    view.kwargs, view.args, view.request = match.kwargs, (), None
    view.action = next(iter((getattr(match.func, "actions", None) or {"get": "list"}).values()))
    try:
        permissions = view.get_permissions()
    except Exception:
        permissions = [p() for p in getattr(cls, "permission_classes", [])]
    return any(isinstance(p, IsPatient) for p in permissions)


def _api_urls():
    urls = sorted({u for u in (_concrete(r) for r in _routes(get_resolver().url_patterns))
                   if u and u.startswith("/api/v1/")})
    assert "/api/v1/users/" in urls and len(urls) > 10
    return urls


@pytest.mark.req("PA1", "DC1")
def test_patient_token_is_refused_by_every_staff_route(api_client):
    account = make_patient_account()
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {patient_token(account)}")
    leaks = []
    for url in _api_urls():
        if url in PUBLIC or _is_patient_route(url):
            continue
        response = api_client.get(url)
        if response.status_code not in (401, 403, 404, 405):
            leaks.append((url, response.status_code))
    assert leaks == []


@pytest.mark.req("PA1", "DC1")
def test_staff_token_is_refused_by_every_patient_route(api_client):
    admin = make_staff("hospital_admin")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {staff_token(admin, amr=('otp', 'pwd'))}")
    patient_routes = [u for u in _api_urls() if _is_patient_route(u)]
    assert "/api/v1/patient-auth/me/" in patient_routes and "/api/v1/patient-auth/bind/" in patient_routes
    for url in patient_routes:
        response = api_client.get(url) if url != "/api/v1/patient-auth/bind/" else api_client.post(url, {})
        assert response.status_code in (401, 403), (url, response.status_code)
