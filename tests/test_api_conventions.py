"""API conventions (item 10): /api/v1/ paths, page-number pagination, public UUIDs, Asia/Shanghai times,
filters, one error envelope in Chinese by default and English on request."""

import re

import pytest
from rest_framework.test import APIClient

from tests.builders import admin_token, make_staff, make_ward

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(make_staff('hospital_admin'))}")
    return c


def test_pagination_uuids_and_time_zone(client):
    for i in range(5):
        make_ward(code=f"CONV{i}")
    page = client.get("/api/v1/wards/", {"page_size": 2}).json()
    assert set(page) == {"count", "next", "previous", "results"}
    assert page["count"] >= 5 and len(page["results"]) == 2 and "page=2" in page["next"]
    ward = page["results"][0]
    assert re.fullmatch(r"[0-9a-f-]{36}", ward["uuid"]) and "id" not in ward
    assert ward["created_at"].endswith("+08:00")  # Asia/Shanghai
    assert client.get(f"/api/v1/wards/{ward['uuid']}/").json()["uuid"] == ward["uuid"]
    capped = client.get("/api/v1/wards/", {"page_size": 100000}).json()
    assert len(capped["results"]) <= 200
    beyond = client.get("/api/v1/wards/", {"page": 999})
    assert beyond.status_code == 404 and beyond.json()["error"]["code"] == "not_found"


def test_errors_speak_chinese_unless_english_is_asked(client):
    zh = client.post("/api/v1/wards/", {}, format="json").json()["error"]
    en = client.post("/api/v1/wards/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en").json()["error"]
    assert zh["code"] == en["code"] == "validation_error"
    assert set(zh["fields"]) >= {"department", "name", "code", "management_mode"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh["message"])
    assert en["message"] == "The input is invalid." and en["fields"]["name"] == ["This field is required."]
