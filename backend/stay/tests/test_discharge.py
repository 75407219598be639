"""Discharge assessment (PADS) and discharge with instructions and 离院方式 (G3): refused without a passing
assessment unless a doctor documents why; every discharge path obeys it; the HIS gets ADT A03 after commit."""

from datetime import timedelta

import pytest
import requests
from django.test import override_settings
from django.utils import timezone

from cases.models import CaseEvent
from core.errors import ExternalServiceError
from core.models import OutboxMessage
from core.outbox import deliver_message
from integrations.testing import sim_get, sim_post
from stay.models import Discharge, DischargeAssessment
from stay.rules import pads_score
from stay.services import discharge_his_resend
from tests.builders import make_patient

pytestmark = [pytest.mark.django_db, pytest.mark.req("G3")]

READY = {"vital_signs": 2, "activity": 2, "nausea_vomiting": 2, "pain": 1, "surgical_bleeding": 2}  # 9
NOT_READY = {"vital_signs": 2, "activity": 1, "nausea_vomiting": 2, "pain": 1, "surgical_bleeding": 2}  # 8
INSTRUCTIONS = {"wound_care": "保持切口干燥，3天后换药", "diet": "术后当日流质，次日半流质", "activity": "1周内避免剧烈运动",
                "warning_signs": "发热>38.5℃、切口渗血渗液、腹痛加剧请立即来院或拨打病区电话",
                "follow_up": "术后第7天门诊复查拆线"}


def test_pads_scoring():
    assert pads_score(READY) == (9, True, 9)
    assert pads_score(NOT_READY) == (8, False, 9)
    with override_settings(STAY_PADS_READY_SCORE=8):
        assert pads_score(NOT_READY)[1] is True
        zero = {**READY, "vital_signs": 0, "pain": 2}  # 8 but an item at 0 never passes
        assert pads_score(zero) == (8, False, 8)


@pytest.fixture
def operated(hospital_sim, scheduled_case, nurse, client_for):
    """An operated case, admitted through the HIS (A01), theatre times recorded."""

    def make():
        case = scheduled_case()
        client = client_for(nurse)
        now = timezone.now()
        assert client.post(f"/api/v1/cases/{case.uuid}/admission/", {"admitted_at": (now - timedelta(hours=6))
                                                                      .isoformat()}, format="json").status_code == 201
        times = {"room_in": now - timedelta(hours=5), "incision": now - timedelta(hours=4.8),
                 "surgery_end": now - timedelta(hours=4), "room_out": now - timedelta(hours=3.9)}
        response = client.post(f"/api/v1/cases/{case.uuid}/theatre-times/",
                               {"times": {k: v.isoformat() for k, v in times.items()}}, format="json")
        assert response.status_code == 200, response.json()
        case.refresh_from_db()
        assert case.state == "operated"
        return case

    return make


def _assess(client, case, items, **extra):
    return client.post(f"/api/v1/cases/{case.uuid}/discharge-assessments/", {**items, **extra}, format="json")


def _discharge(client, case, **extra):
    body = {"disposition": "1", "instructions": INSTRUCTIONS, "escort_name": "家属王某",
            "follow_up_date": (timezone.localdate() + timedelta(days=7)).isoformat(), **extra}
    return client.post(f"/api/v1/cases/{case.uuid}/discharge-with-instructions/", body, format="json")


def _deliver(topic, case):
    message = OutboxMessage.objects.filter(topic=topic, key=str(case.uuid)).latest("id")
    deliver_message(message.id)


def test_discharge_with_a_passing_assessment_and_instructions(hospital_sim, operated, nurse, client_for):
    case = operated()
    client = client_for(nurse)
    failing = _assess(client, case, NOT_READY)
    assert failing.status_code == 201 and failing.json()["passed"] is False and failing.json()["score"] == 8
    refused = _discharge(client, case)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "discharge_assessment_required"
    passing = _assess(client, case, READY, note="生命体征平稳，可自行行走")
    assert passing.status_code == 201 and passing.json()["passed"] is True
    event = CaseEvent.objects.filter(case=case, type="stay.discharge_assessment.recorded").latest("sequence")
    assert {k: event.payload[k] for k in ("score", "passed", "tool")} == {"score": 9, "passed": True, "tool": "pads"}

    response = _discharge(client, case)
    assert response.status_code == 201, response.json()
    case.refresh_from_db()
    discharge = Discharge.objects.get(case=case)
    assert case.state == "discharged" and case.discharged_at == discharge.discharged_at
    assert discharge.assessment.uuid == DischargeAssessment.objects.get(passed=True, case=case).uuid
    assert discharge.instructions["warning_signs"].startswith("发热") and discharge.override_reason == ""
    given = CaseEvent.objects.get(case=case, type="stay.discharge.instructions_given")
    assert given.payload["disposition"] == "1" and "warning_signs" in given.payload["topics"]
    discharged = CaseEvent.objects.get(case=case, type="cases.case.discharged")
    assert discharged.payload["discharge_assessment"]["score"] == 9

    assert discharge.his_status == "pending"  # A03 leaves after commit, from the outbox
    _deliver("cases.case.discharged", case)
    discharge.refresh_from_db()
    assert discharge.his_status == "sent" and discharge.his_synced_at is not None
    [encounter] = sim_get(hospital_sim, "adt/encounters", case=str(case.uuid))["encounters"]
    assert encounter["status"] == "finished"
    assert encounter["hospitalization"]["dischargeDisposition"]["coding"][0]["code"] == "1"
    again = _discharge(client, case)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_discharged"


def test_override_needs_a_doctor_and_a_reason(hospital_sim, operated, nurse, doctor, client_for):
    case = operated()
    nurse_try = _discharge(client_for(nurse), case, override_reason="患者坚持回家")
    assert nurse_try.status_code == 403 and nurse_try.json()["error"]["code"] == "discharge_override_not_permitted"
    response = _discharge(client_for(doctor), case, disposition="4", override_reason="患者及家属签字要求自动离院，已告知风险")
    assert response.status_code == 201, response.json()
    discharge = Discharge.objects.get(case=case)
    assert discharge.assessment is None and discharge.override_reason.startswith("患者及家属")
    assert discharge.disposition == "4"
    event = CaseEvent.objects.get(case=case, type="cases.case.discharged")
    assert event.payload["discharge_override"] == "staff" and event.payload["reason"].startswith("患者及家属")


def test_the_generic_discharge_transition_obeys_the_same_rule(hospital_sim, operated, nurse, client_for):
    case = operated()
    client = client_for(nurse)
    refused = client.post(f"/api/v1/cases/{case.uuid}/discharge/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "discharge_assessment_required"
    _assess(client, case, READY)
    assert client.post(f"/api/v1/cases/{case.uuid}/discharge/", {}, format="json").status_code == 200
    _deliver("cases.case.discharged", case)  # no Discharge row: the HIS still hears of it (医嘱离院)
    [encounter] = sim_get(hospital_sim, "adt/encounters", case=str(case.uuid))["encounters"]
    assert encounter["status"] == "finished"


def test_a_stale_or_pre_operative_assessment_does_not_count(hospital_sim, operated, nurse, client_for):
    case = operated()
    client = client_for(nurse)
    before_op = _assess(client, case, READY, assessed_at=(timezone.now() - timedelta(hours=4.5)).isoformat())
    assert before_op.status_code == 400 and "assessed_at" in before_op.json()["error"]["fields"]
    assert _assess(client, case, READY, assessed_at=(timezone.now() - timedelta(hours=3.5)).isoformat()
                   ).status_code == 201
    with override_settings(STAY_PADS_VALID_HOURS=2):
        stale = _discharge(client, case)
    assert stale.status_code == 409 and stale.json()["error"]["assessment"]["current"] is False
    assert _discharge(client, case).status_code == 201  # within the default validity


def test_assessment_only_after_the_operation_and_items_validated(hospital_sim, scheduled_case, operated, nurse,
                                                                 client_for):
    client = client_for(nurse)
    early = scheduled_case()
    response = _assess(client, early, READY)
    assert response.status_code == 409 and response.json()["error"]["code"] == "not_assessable"
    case = operated()
    bad = _assess(client, case, {**READY, "pain": 3})
    assert bad.status_code == 400 and "pain" in bad.json()["error"]["fields"]
    missing = _discharge(client, case, instructions={"diet": "清淡饮食"})
    assert missing.status_code == 400 and "instructions" in missing.json()["error"]["fields"]


def test_his_refusal_and_outage_of_the_a03(hospital_sim, operated, nurse, client_for):
    case = operated()
    client = client_for(nurse)
    _assess(client, case, READY)
    assert _discharge(client, case).status_code == 201
    encounter_id = Discharge.objects.get(case=case).case.stay_admission.his_encounter_id
    case.refresh_from_db()
    from stay.services import discharge_send_to_his

    sim_post(hospital_sim, "faults", {"path": f"/fhir/Encounter/{encounter_id}", "status": 422, "count": 1})
    assert discharge_send_to_his(case=case) == "failed"  # a refusal is recorded, not retried forever
    assert Discharge.objects.get(case=case).his_error
    sim_post(hospital_sim, "faults", {"path": f"/fhir/Encounter/{encounter_id}", "status": 503, "count": 20})
    try:
        with pytest.raises(ExternalServiceError):  # transient: the outbox retries the handler
            discharge_send_to_his(case=case)
    finally:
        requests.delete(f"{hospital_sim}/_sim/faults", timeout=5)
    assert Discharge.objects.get(case=case).his_status == "failed"
    Discharge.objects.filter(case=case).update(created_at=timezone.now() - timedelta(hours=1))
    assert discharge_his_resend() == 1  # the periodic resend delivers it
    assert Discharge.objects.get(case=case).his_status == "sent"


def test_the_patient_reads_their_own_discharge_instructions(hospital_sim, operated, nurse, client_for):
    from rest_framework.test import APIClient

    from tests.builders import authenticate, make_patient_account

    case = operated()
    own = authenticate(APIClient(), make_patient_account(patient=case.patient))
    assert own.get(f"/api/v1/my/cases/{case.uuid}/discharge-instructions/").status_code == 404  # not yet
    _assess(client_for(nurse), case, READY)
    _discharge(client_for(nurse), case)
    body = own.get(f"/api/v1/my/cases/{case.uuid}/discharge-instructions/").json()
    assert body["instructions"]["warning_signs"] == INSTRUCTIONS["warning_signs"] and body["disposition"] == "1"
    assert "override_reason" not in body and "his_status" not in body
    other = authenticate(APIClient(), make_patient_account(patient=make_patient()))
    assert other.get(f"/api/v1/my/cases/{case.uuid}/discharge-instructions/").status_code == 404
    assert client_for(nurse).get(f"/api/v1/my/cases/{case.uuid}/discharge-instructions/").status_code == 403


def test_a_discharge_cannot_be_dated_before_the_operation_ended(hospital_sim, operated, doctor, client_for):
    """Even with a documented override: the patient left the operating room 3.9 h ago (operated fixture)."""
    case = operated()
    response = _discharge(client_for(doctor), case, override_reason="患者要求离院",
                          discharged_at=(timezone.now() - timedelta(hours=4.5)).isoformat())
    assert response.status_code == 400, response.json()
    assert "discharged_at" in response.json()["error"]["fields"]
    case.refresh_from_db()
    assert case.state == "operated" and not Discharge.objects.filter(case=case).exists()
