"""SMS adapter → simulator SMS recorder over HTTP."""

import pytest

from core.errors import ExternalServiceError
from integrations.models import CallStatus, ExternalCall
from integrations.registry import get_port
from integrations.testing import sent_sms

pytestmark = pytest.mark.django_db


def test_sms_is_recorded_once_per_idempotency_key(hospital_sim):
    sms = get_port("sms")
    first = sms.send(phone="13912340001", template="login_otp", params={"code": "493817"}, idempotency_key="otp-1")
    again = sms.send(phone="13912340001", template="login_otp", params={"code": "493817"}, idempotency_key="otp-1")
    assert first.accepted and first.message_id and again.message_id == first.message_id
    [record] = sent_sms(hospital_sim, "13912340001")
    assert record["template"] == "login_otp" and record["params"] == {"code": "493817"}
    assert record["idempotency_key"] == "otp-1" and record["sign"]
    rows = ExternalCall.objects.filter(port="sms", operation="send")
    assert rows.count() == 2 and {r.idempotency_key for r in rows} == {"otp-1"}
    assert "493817" not in str(rows[0].request_summary) and "13912340001" not in str(rows[0].request_summary)


def test_sms_refused_by_gateway_is_not_retried(hospital_sim):
    with pytest.raises(ExternalServiceError) as exc:
        get_port("sms").send(phone="12345", template="login_otp", params={}, idempotency_key="otp-bad")
    assert exc.value.code == "external_rejected"
    row = ExternalCall.objects.get(idempotency_key="otp-bad")
    assert (row.status, row.http_status, row.attempts) == (CallStatus.CLIENT_ERROR, 400, 1)
