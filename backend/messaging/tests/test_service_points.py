"""Built-in service points (W2, M5, PA7) end to end over the simulator: the case event fires the plan, each
recipient gets one message, the patient's goes WeChat first and falls back to SMS when WeChat refuses or is
down, staff get the in-app inbox plus FCM (or SMS without a registered device)."""

from datetime import timedelta

import pytest
import requests

from cases.models import CaseEvent
from cases.services import case_transition
from core.identity import mask_name
from integrations.testing import sent_push, sent_sms, sent_wechat_messages, sim_post
from messaging.models import AttemptStatus, Message, MessagePlan, MessageStatus, RecipientKind
from messaging.services import device_register

pytestmark = pytest.mark.django_db


@pytest.fixture
def sim(hospital_sim):
    yield hospital_sim
    requests.delete(f"{hospital_sim}/_sim/faults", timeout=5)


def _messages(case, **filters):
    return list(Message.objects.filter(case=case, **filters).order_by("id"))


@pytest.mark.req("W2")
def test_builtin_plans_exist_after_migrate():
    keys = set(MessagePlan.objects.filter(hospital__isnull=True, builtin=True).values_list("key", flat=True))
    assert {"case_cancelled", "case_cancelled_by_patient", "case_rescheduled", "theatre_scheduled", "discharged",
            "followup_selfreport", "form_assigned", "wound_answered", "consultation_reply",
            "treatment_plan_published", "surgery_eve_reminder", "education_reminder", "exam_reminder"} <= keys
    plan = MessagePlan.objects.get(hospital__isnull=True, key="case_cancelled")
    assert plan.templates.get().version == 1 and plan.audiences == ["patient", "surgeon"]


@pytest.mark.req("W2", "W1")
def test_cancellation_tells_the_patient_by_wechat_and_the_surgeon_in_app_and_by_push(
        sim, deliver, case_of, patient_with_app, surgeon):
    patient, account = patient_with_app()
    case = case_of("booked", patient=patient)
    device_register(user=surgeon, token="fcm-token-surgeon-1", platform="android")

    deliver(case_transition, case=case, transition="cancel", actor=None, reason_code="theatre_unavailable",
            reason_text="手术室设备检修")

    to_patient, to_surgeon = _messages(case, plan_key="case_cancelled")
    assert (to_patient.recipient_kind, to_patient.status, to_patient.channel) == ("patient", "sent", "wechat")
    assert "已取消" in to_patient.body and "手术室设备检修" in to_patient.body
    [wx] = sent_wechat_messages(sim, account.wechat_openid)
    assert wx["template_id"] == "DS-NOTICE" and wx["data"]["thing1"]["value"] == "手术取消通知"
    assert (to_surgeon.recipient_user, to_surgeon.status, to_surgeon.channel) == (surgeon, "sent", "fcm")
    [push] = sent_push(sim, "fcm-token-surgeon-1")
    assert push["title"] == "手术已取消" and push["data"]["message"] == str(to_surgeon.uuid)
    # The case records the message to the patient (bed-card icon, timeline), with the plan's code as the kind.
    [event] = CaseEvent.objects.filter(case=case, type="messaging.message.sent")
    assert event.payload == {"channel": "wechat", "kind": "case_cancelled", "status": "sent",
                             "message": str(to_patient.uuid)}


@pytest.mark.req("W2", "W1")
def test_wechat_refused_falls_back_to_sms(sim, deliver, case_of, patient_with_app):
    patient, account = patient_with_app(refused=True)
    case = case_of("booked", patient=patient)

    deliver(case_transition, case=case, transition="reschedule", actor=None,
            planned_date=case.planned_date + timedelta(days=2),
            reason="主刀医生外出会诊")

    [message] = _messages(case, recipient_kind=RecipientKind.PATIENT)
    assert (message.kind, message.status, message.channel) == ("case_rescheduled", "sent", "sms")
    wechat, sms = message.attempts.order_by("id")
    assert (wechat.channel, wechat.status) == ("wechat", AttemptStatus.REJECTED) and "43101" in wechat.detail
    assert (sms.channel, sms.status) == ("sms", AttemptStatus.SENT)
    [text] = sent_sms(sim, patient.phone)
    assert text["template"] == "ds_notice" and "改期" in text["params"]["content"]
    assert text["idempotency_key"] == sms.idempotency_key == f"msg:{message.uuid}:sms:1"
    assert sent_wechat_messages(sim, account.wechat_openid) == []


@pytest.mark.req("W1")
def test_wechat_down_falls_back_to_sms_at_once(sim, deliver, case_of, patient_with_app):
    patient, _account = patient_with_app()
    case = case_of("booked", patient=patient)
    sim_post(sim, "faults", {"path": "/wechat/cgi-bin/message/subscribe/send", "status": 503, "count": 3})

    deliver(case_transition, case=case, transition="cancel", actor=None, reason_code="surgeon_unavailable")

    [message] = _messages(case, recipient_kind=RecipientKind.PATIENT)
    assert (message.status, message.channel) == ("sent", "sms")
    assert [(a.channel, a.status) for a in message.attempts.order_by("id")] == [
        ("wechat", AttemptStatus.FAILED), ("sms", AttemptStatus.SENT)]


@pytest.mark.req("W1")
def test_every_channel_down_is_retried_later_with_backoff(sim, deliver, case_of, settings):
    from django.utils import timezone

    from messaging.services import messages_retry_due

    settings.MESSAGING_RETRY_BACKOFF_SECONDS = 60
    case = case_of("booked")  # no WeChat account: SMS only
    sim_post(sim, "faults", {"path": "/sms/messages", "status": 503, "count": 3})

    deliver(case_transition, case=case, transition="cancel", actor=None, reason_code="bed_unavailable")

    [message] = _messages(case, recipient_kind=RecipientKind.PATIENT)
    assert message.status == MessageStatus.RETRYING and message.round == 1
    assert timedelta(seconds=55) < message.next_attempt_at - timezone.now() <= timedelta(seconds=60)
    assert [(a.channel, a.status) for a in message.attempts.order_by("id")] == [
        ("wechat", AttemptStatus.SKIPPED), ("sms", AttemptStatus.FAILED)]
    assert not CaseEvent.objects.filter(case=case, type="messaging.message.sent").exists()

    assert deliver(messages_retry_due) == 0  # not yet due
    assert deliver(messages_retry_due, now=timezone.now() + timedelta(seconds=61)) == 1
    message.refresh_from_db()
    assert (message.status, message.round, message.channel) == ("sent", 2, "sms")
    assert message.attempts.filter(round=2, channel="sms", status="sent").count() == 1
    assert CaseEvent.objects.filter(case=case, type="messaging.message.sent").count() == 1


@pytest.mark.req("M5")
def test_patient_cancellation_notifies_surgeon_and_day_surgery_manager(
        sim, deliver, case_of, patient_with_app, surgeon, manager, client_for):
    patient, account = patient_with_app()
    case = case_of("booked", patient=patient)
    device_register(user=surgeon, token="fcm-token-surgeon-m5", platform="ios")
    client = client_for(account)

    response = deliver(client.post, f"/api/v1/my/cases/{case.uuid}/cancel/",
                       {"reason_code": "patient_unwell", "reason_text": "感冒发热"}, format="json")

    assert response.status_code == 200, response.content
    case.refresh_from_db()
    assert (case.cancelled_by_type, case.cancel_reason_code) == ("patient", "patient_unwell")  # kept for analytics
    messages = _messages(case, plan_key="case_cancelled_by_patient")
    by_user = {m.recipient_user: m for m in messages if m.recipient_user}
    assert set(by_user) == {surgeon, manager}
    assert by_user[surgeon].channel == "fcm" and "感冒发热" in by_user[surgeon].body
    # Staff texts show on phone lock screens: the patient's name is masked there.
    assert mask_name(patient.name) in by_user[surgeon].body and patient.name not in by_user[surgeon].body
    # The manager has no push device: SMS (and the in-app inbox, as every staff message).
    assert by_user[manager].channel == "sms"
    [text] = sent_sms(sim, manager.phone)
    assert "取消" in text["params"]["content"]
    assert not _messages(case, plan_key="case_cancelled")  # the hospital-cancellation plan did not fire


@pytest.mark.req("PA7")
def test_progress_notices_follow_the_case(sim, deliver, case_of, patient_with_app):
    patient, account = patient_with_app()
    case = case_of("application_sent", patient=patient)

    deliver(case_transition, case=case, transition="theatre_scheduled", actor=None)

    [message] = _messages(case, recipient_kind=RecipientKind.PATIENT)
    assert message.kind == "theatre_scheduled" and message.status == "sent"
    assert message.link == f"/pages/cases/detail?case={case.uuid}"
    [wx] = sent_wechat_messages(sim, account.wechat_openid)
    assert wx["page"] == f"pages/cases/detail?case={case.uuid}"


@pytest.mark.req("W1", "Y10")
def test_internet_hospital_channel_with_fallback(sim, deliver, case_of, ward, settings):
    from integrations.testing import sim_get, sim_patients
    from messaging.services import plan_create
    from tests.builders import make_patient

    known = sim_patients(sim)[7]
    registered = make_patient(reg_no=known["reg_no"], name=known["name"])
    stranger = make_patient()
    hospital = ward.department.hospital
    plan_create(actor=None, hospital=hospital, key="ih_notice", name="互联网医院通知", trigger_kind="event",
                trigger={"types": ["cases.case.theatre_scheduled"]}, audiences=["patient"],
                patient_channels=["internet_hospital", "sms"],
                template={"patient_title": "排程通知", "patient_body": "{patient_name}，您的手术在{surgery_date}。"})
    first = case_of("application_sent", patient=registered)
    second = case_of("application_sent", patient=stranger)

    deliver(case_transition, case=first, transition="theatre_scheduled", actor=None)
    deliver(case_transition, case=second, transition="theatre_scheduled", actor=None)

    [ih] = _messages(first, plan_key="ih_notice")
    assert ih.channel == "internet_hospital"
    [record] = sim_get(sim, "internet-hospital/messages", reg_no=known["reg_no"])["items"]
    assert record["title"] == "排程通知" and record["idempotency_key"] == f"msg:{ih.uuid}:internet_hospital:1"
    [fallback] = _messages(second, plan_key="ih_notice")
    assert fallback.channel == "sms"
    assert fallback.attempts.get(channel="internet_hospital").status == AttemptStatus.REJECTED


@pytest.mark.req("W1")
def test_voice_call_channel_reads_the_message_out(sim, deliver, case_of):
    """The D-1 reminder falls back to a voice call when SMS refuses the number; the call carries the text."""
    from datetime import datetime, time

    from django.utils import timezone

    from integrations.testing import sim_get
    from messaging.services import offset_plans_run

    case = case_of("booked", days=1)
    sim_post(sim, "faults", {"path": "/sms/messages", "status": 400, "count": 1})
    eve = timezone.make_aware(datetime.combine(case.planned_date, time(8))) - timedelta(hours=16, minutes=-1)

    deliver(offset_plans_run, now=eve)

    [message] = _messages(case, plan_key="surgery_eve_reminder")
    assert (message.status, message.channel) == ("sent", "voice")
    assert [(a.channel, a.status) for a in message.attempts.order_by("id")] == [
        ("wechat", "skipped"), ("sms", "rejected"), ("voice", "sent")]
    [call] = sim_get(sim, "voice", phone=case.patient.phone)["items"]
    assert call["scenario"] == "surgery_eve_reminder" and "禁食" in call["params"]["content"]
    assert message.attempts.get(channel="voice").external_id == call["call_id"]


@pytest.mark.req("W3")
def test_wechat_template_fields_are_filled_from_the_template_map(sim, deliver, case_of, patient_with_app, ward):
    from messaging.services import plan_create

    plan_create(actor=None, hospital=ward.department.hospital, key="wx_fields", name="排程（微信字段）",
                trigger_kind="event", trigger={"types": ["cases.case.theatre_scheduled"]}, audiences=["patient"],
                patient_channels=["wechat", "sms"],
                template={"patient_title": "排程", "patient_body": "{procedure}", "wechat_template_id": "TPL-SCHED",
                          "wechat_fields": {"thing1": "{procedure}（{ward}）", "date2": "{surgery_date}"}})
    patient, account = patient_with_app()
    case = case_of("application_sent", patient=patient)
    deliver(case_transition, case=case, transition="theatre_scheduled", actor=None)
    [wx] = [m for m in sent_wechat_messages(sim, account.wechat_openid) if m["template_id"] == "TPL-SCHED"]
    assert wx["data"]["date2"] == {"value": case.planned_date.isoformat()}
    assert wx["data"]["thing1"]["value"].startswith("腹腔镜胆囊切除术（") and len(wx["data"]["thing1"]["value"]) <= 20


@pytest.mark.req("W1")
def test_a_channel_the_hospital_does_not_have_is_skipped_not_retried(sim, deliver, case_of, ward, settings):
    from messaging.services import plan_create

    settings.HOSPITAL_SIM_URL = ""  # production: no simulator, and no internet hospital configured
    settings.INTEGRATION_ENDPOINTS = {**settings.INTEGRATION_ENDPOINTS, "sms": f"{sim}/sms"}
    plan_create(actor=None, hospital=ward.department.hospital, key="ih_only", name="互联网医院", trigger_kind="event",
                trigger={"types": ["cases.case.theatre_scheduled"]}, audiences=["patient"],
                patient_channels=["internet_hospital", "sms"],
                template={"patient_title": "排程", "patient_body": "{surgery_date}"})
    case = case_of("application_sent")
    deliver(case_transition, case=case, transition="theatre_scheduled", actor=None)
    [message] = _messages(case, plan_key="ih_only")
    assert (message.status, message.channel) == ("sent", "sms")
    assert message.attempts.get(channel="internet_hospital").status == AttemptStatus.SKIPPED
