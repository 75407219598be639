import pytest


@pytest.mark.django_db
def test_unknown_api_path_answers_in_the_envelope(api_client):
    res = api_client.get("/api/v1/no-such-thing/")
    assert res.status_code == 404
    assert res.json()["error"]["code"] == "not_found"


@pytest.mark.django_db
def test_messages_are_chinese_by_default_and_english_on_request(api_client):
    zh = api_client.get("/api/v1/no-such-thing/").json()["error"]["message"]
    en = api_client.get("/api/v1/no-such-thing/", HTTP_ACCEPT_LANGUAGE="en").json()["error"]["message"]
    assert en == "Not found."
    assert zh != en and any("\u4e00" <= ch <= "\u9fff" for ch in zh)


@pytest.mark.django_db
def test_api_root_is_public(api_client):
    res = api_client.get("/api/v1/")
    assert res.status_code == 200
    assert res.json()["docs"].endswith("/api/docs/")


@pytest.mark.django_db
def test_token_errors_are_chinese_by_default(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    error = api_client.get("/api/v1/auth/me/").json()["error"]
    assert error["code"] == "token_not_valid"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error["message"]
    api_client.credentials(HTTP_AUTHORIZATION="Bearer")
    error = api_client.get("/api/v1/auth/me/").json()["error"]
    assert error["code"] == "bad_authorization_header"
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error["message"]


@pytest.mark.django_db
def test_an_unexpected_failure_answers_in_the_envelope_without_details(monkeypatch):
    from rest_framework.test import APIClient

    from cases import selectors
    from tests.builders import authenticate, make_staff, make_ward

    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(selectors, "case_list", broken)
    client = APIClient(raise_request_exception=False)
    authenticate(client, make_staff("nurse", ward=make_ward()))
    res = client.get("/api/v1/cases/", HTTP_ACCEPT_LANGUAGE="en")
    assert res.status_code == 500
    assert res["Content-Type"] == "application/json"
    assert res.json() == {
        "error": {"code": "server_error", "message": "An unexpected error occurred; please try again later.",
                  "fields": {}}
    }
    assert "secret internals" not in res.content.decode()
    zh = client.get("/api/v1/cases/").json()["error"]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in zh)
