"""Fixtures of the booking tests: a HIS client key, a day-surgery ward with a doctor, a catalogue procedure."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from booking.signing import signed_headers
from tests.builders import make_department, make_staff, make_ward

CLIENT_ID, SECRET = "his-ws", "s3cret-his-key"
LAUNCH = "/api/v1/his-launches/"


@pytest.fixture(autouse=True)
def _his_client(settings):
    settings.BOOKING_HIS_CLIENTS = {CLIENT_ID: SECRET}


@pytest.fixture
def world(db):
    from catalog.services import procedure_create

    ward = make_ward(department=make_department(name="普外科"), name="日间病区甲")
    doctor = make_staff("doctor", ward=ward, employee_no="D0101", name="李医生")
    procedure = procedure_create(
        actor=None, code="51.2300", name="腹腔镜胆囊切除术", grade=3, incision_class="II",
        department=ward.department, wards=[ward], default_duration_minutes=45, body_site="腹部",
        anaesthesia_methods=["general", "spinal"], notice_text="术前8小时禁食，携带身份证。",
    )
    return {"ward": ward, "doctor": doctor, "procedure": procedure}


def future(days=7):
    return timezone.localdate() + timedelta(days=days)


def signed_meta(raw: bytes, *, client_id=CLIENT_ID, secret=SECRET, path=LAUNCH, **header_kwargs):
    """The signature headers of `raw`, as test-client META entries."""
    headers = signed_headers(client_id, secret, method="POST", path=path, body=raw, **header_kwargs)
    return {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}


def signed_post(client, body, **kwargs):
    raw = json.dumps(body, ensure_ascii=False).encode()
    return client.generic("POST", LAUNCH, data=raw, content_type="application/json", **signed_meta(raw, **kwargs))
