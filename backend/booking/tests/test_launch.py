"""B1: the HIS doctor workstation opens a pre-filled booking for its doctor — signed, single-use, no system switch."""

import json
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEntry
from booking.models import LaunchTicket
from booking.tests.conftest import CLIENT_ID, LAUNCH, signed_meta, signed_post
from cases.models import SurgicalCase
from integrations.testing import sim_patients
from tests.builders import make_ward, staff_token

pytestmark = [pytest.mark.django_db]


def _context(sim, index):
    patient = sim_patients(sim)[index]
    return patient, {"reg_no": patient["reg_no"], "visit_no": patient["visit_nos"][-1], "doctor_employee_no": "D0101"}


def _ticket(link):
    return parse_qs(urlparse(link).query)["ticket"][0]


@pytest.mark.req("B1", "B2")
def test_launch_prefills_a_draft_from_the_his_and_signs_the_doctor_in_once(api_client, world, hospital_sim):
    his_patient, context = _context(hospital_sim, 21)
    response = signed_post(api_client, context)
    assert response.status_code == 201, response.content
    body = response.json()
    case = SurgicalCase.objects.get(uuid=body["draft"])
    # Demographics, visit and diagnosis come from the HIS (over HTTP to the simulator).
    assert case.state == "draft" and case.visit_no == context["visit_no"]
    assert case.patient.name == his_patient["name"] and case.patient.reg_no == his_patient["reg_no"]
    assert case.patient.phone == his_patient["phone"]
    last_visit_dx = his_patient["diagnoses"][-1]
    assert (case.diagnosis_code, case.diagnosis_name) == (last_visit_dx["code"], last_visit_dx["name"])
    assert (case.surgeon, case.ward, case.booked_by) == (world["doctor"], world["ward"], world["doctor"])
    assert body["ward"] == world["ward"].code and str(case.uuid) in body["link"]
    assert LaunchTicket.objects.get(case=case).token_hash != _ticket(body["link"])  # only a hash is stored

    # The doctor's browser exchanges the link for a session and opens the draft: no second login.
    doctor_browser = APIClient()
    redeemed = doctor_browser.post("/api/v1/launch-tickets/redeem/", {"ticket": _ticket(body["link"])},
                                   format="json")
    assert redeemed.status_code == 200 and redeemed.json()["draft"] == str(case.uuid)
    doctor_browser.credentials(HTTP_AUTHORIZATION=f"Bearer {redeemed.json()['access']}")
    draft = doctor_browser.get(f"/api/v1/bookings/{case.uuid}/")
    assert draft.status_code == 200 and draft.json()["patient"]["name"] == his_patient["name"]
    assert AuditEntry.objects.filter(action="login", detail=f"staff:his_launch:{CLIENT_ID}").count() == 1
    assert AuditEntry.objects.filter(action="read", target_id=str(case.uuid)).exists()

    # Single use.
    again = APIClient().post("/api/v1/launch-tickets/redeem/", {"ticket": _ticket(body["link"])}, format="json")
    assert again.status_code == 401 and again.json()["error"]["code"] == "launch_ticket_invalid"

    # The same visit launched again reopens the same draft, with a new link.
    second = signed_post(api_client, context)
    assert second.status_code == 201 and second.json()["draft"] == str(case.uuid)
    assert second.json()["link"] != body["link"]


@pytest.mark.req("B1")
def test_an_expired_link_is_refused(api_client, world, hospital_sim):
    _patient, context = _context(hospital_sim, 22)
    link = signed_post(api_client, context).json()["link"]
    LaunchTicket.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api_client.post("/api/v1/launch-tickets/redeem/", {"ticket": _ticket(link)}, format="json")
    assert response.status_code == 401 and response.json()["error"]["code"] == "launch_ticket_invalid"
    for bad in ({}, {"ticket": ""}, {"ticket": "x" * 500}, {"ticket": ["a"]}):
        assert api_client.post("/api/v1/launch-tickets/redeem/", bad, format="json").status_code == 401


@pytest.mark.req("B1")
def test_unsigned_wrongly_signed_stale_and_replayed_requests_are_refused(api_client, world, hospital_sim):
    _patient, context = _context(hospital_sim, 23)

    def code(response):
        assert response.status_code == 401, response.content
        return response.json()["error"]["code"]

    assert code(api_client.post(LAUNCH, context, format="json")) == "signature_invalid"
    assert code(signed_post(api_client, context, secret="wrong")) == "signature_invalid"
    assert code(signed_post(api_client, context, client_id="other-client")) == "signature_invalid"
    assert code(signed_post(api_client, context, timestamp=time.time() - 3600)) == "signature_expired"
    assert code(signed_post(api_client, context, path="/api/v1/elsewhere/")) == "signature_invalid"
    # A body changed after signing.
    meta = signed_meta(json.dumps(context).encode())
    tampered = json.dumps(dict(context, reg_no="0000000001"))
    assert code(api_client.generic("POST", LAUNCH, data=tampered, content_type="application/json", **meta)) == (
        "signature_invalid"
    )
    # A staff token is not a HIS signature.
    staff = APIClient()
    staff.credentials(HTTP_AUTHORIZATION=f"Bearer {staff_token(world['doctor'])}")
    assert code(staff.post(LAUNCH, context, format="json")) == "signature_invalid"
    # Replay: the same nonce twice.
    first = signed_post(api_client, context, nonce="nonce-replay-0001")
    assert first.status_code == 201
    assert code(signed_post(api_client, context, nonce="nonce-replay-0001")) == "signature_replayed"
    assert SurgicalCase.objects.count() == 1


@pytest.mark.req("B1")
def test_signed_but_wrong_context_is_a_field_error_never_a_500(api_client, world, hospital_sim):
    his_patient, context = _context(hospital_sim, 24)
    other, other_context = _context(hospital_sim, 25)

    def fields(body):
        response = signed_post(api_client, body)
        assert response.status_code == 400, response.content
        return set(response.json()["error"]["fields"])

    assert fields(dict(context, doctor_employee_no="NOBODY")) == {"doctor_employee_no"}
    assert fields(dict(context, visit_no=other_context["visit_no"])) == {"visit_no"}
    assert fields(dict(context, visit_no="V-NOPE")) == {"visit_no"}
    assert fields(dict(context, ward_code=make_ward().code)) == {"ward_code"}  # not one of the doctor's wards
    assert "reg_no" in fields({"visit_no": 5, "doctor_employee_no": None})
    assert fields(dict(context, reg_no="x" * 41)) == {"reg_no"}
    for raw in (b"{not json", b"\xff\xfe", b"[]"):
        response = api_client.generic("POST", LAUNCH, data=raw, content_type="application/json", **signed_meta(raw))
        assert 400 <= response.status_code < 500, (raw, response.status_code)
    assert not SurgicalCase.objects.exists()


@pytest.mark.req("B1")
def test_malformed_signature_headers_are_refused_never_a_500(api_client, world, hospital_sim):
    """Header values arrive as latin-1 text: a superscript digit passes str.isdigit() but not int(), and a
    non-ASCII signature made hmac.compare_digest raise TypeError."""
    _patient, context = _context(hospital_sim, 26)
    raw = json.dumps(context).encode()
    good = signed_meta(raw)
    for name, value in (
        ("HTTP_X_TIMESTAMP", "\u00b2"),  # '²'
        ("HTTP_X_TIMESTAMP", "1" * 40),
        ("HTTP_X_SIGNATURE", "\u00e9" * 64),
        ("HTTP_X_SIGNATURE", good["HTTP_X_SIGNATURE"][:-1] + "\u00e9"),
    ):
        meta = dict(good, **{name: value})
        response = api_client.generic("POST", LAUNCH, data=raw, content_type="application/json", **meta)
        assert response.status_code == 401, (name, value, response.status_code)
    assert not SurgicalCase.objects.exists()
