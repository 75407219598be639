"""GET /api/v1/external-calls/: the call log for administrators (integrations.view_calls)."""

import pytest

from integrations.models import CallStatus, ExternalCall
from tests.builders import authenticate, make_staff

pytestmark = pytest.mark.django_db

URL = "/api/v1/external-calls/"


def log(**fields):
    return ExternalCall.objects.create(**{"port": "his", "operation": "find_patient", "status": CallStatus.OK,
                                          "http_status": 200, **fields})


def test_admin_lists_and_filters_the_call_log(api_client):
    log()
    failed = log(port="sms", operation="send", status=CallStatus.SERVER_ERROR, http_status=503, attempts=3,
                 request_summary={"phone": "***"})
    authenticate(api_client, make_staff("hospital_admin"))
    body = api_client.get(URL).json()
    assert body["count"] == 2 and body["results"][0]["uuid"] == str(failed.uuid)  # newest first
    only = api_client.get(URL, {"port": "sms", "status": "server_error"}).json()["results"]
    assert [(r["operation"], r["attempts"], r["http_status"]) for r in only] == [("send", 3, 503)]
    detail = api_client.get(f"{URL}{failed.uuid}/").json()
    assert detail["request_summary"] == {"phone": "***"}


def test_bad_filter_is_a_4xx_envelope(api_client):
    authenticate(api_client, make_staff("hospital_admin"))
    response = api_client.get(URL, {"status": "nonsense"})
    assert response.status_code == 400 and "status" in response.json()["error"]["fields"]


@pytest.mark.parametrize("role", ["doctor", "nurse", "anaesthetist", "followup_nurse", "quality_manager"])
def test_other_roles_are_refused(api_client, role):
    log()
    authenticate(api_client, make_staff(role))
    assert api_client.get(URL).status_code == 403


def test_anonymous_is_refused(api_client):
    assert api_client.get(URL).status_code == 401


def test_the_log_is_read_only(api_client):
    authenticate(api_client, make_staff("hospital_admin"))
    call = log()
    assert api_client.post(URL, {"port": "x"}).status_code == 405
    assert api_client.delete(f"{URL}{call.uuid}/").status_code == 405
