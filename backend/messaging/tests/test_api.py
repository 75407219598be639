"""The messaging API: plan configuration by hospital administrators (W3, Y10), the case's message log (ward
scoped), the staff and patient inboxes (own rows only, read/unread, realtime), staff devices, signed SMS receipts."""

import json
import time

import pytest
from rest_framework.test import APIClient

from booking.signing import signed_headers
from cases.services import case_transition
from messaging.models import DeliveryAttempt, Message, MessagePlan, StaffDevice
from tests.builders import admin_token, make_patient_account, make_staff, make_ward

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hospital_sim")]


@pytest.fixture
def admin(ward):
    return make_staff("hospital_admin", ward=ward)


@pytest.fixture
def admin_client(admin):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(admin)}")
    return client


@pytest.mark.req("W3", "Y10")
def test_administrator_configures_a_plan_and_edits_its_text_as_versions(admin_client, client_for, surgeon):
    body = {"key": "d2_call", "name": "术前两日电话提醒", "trigger_kind": "offset", "anchor": "surgery",
            "offset_minutes": -2 * 24 * 60, "window_minutes": 240, "audiences": ["patient"],
            "patient_channels": ["voice", "sms"],
            "filters": [{"name": "education_not_read", "params": {"kind": "preop"}}],
            "template": {"patient_title": "术前提醒", "patient_body": "{patient_name}您好，{surgery_date}手术。"}}
    created = admin_client.post("/api/v1/message-plans/", body, format="json")
    assert created.status_code == 201, created.content
    plan = created.json()
    assert plan["current_template"]["version"] == 1 and plan["in_force"] and plan["hospital"]

    edited = admin_client.post(f"/api/v1/message-plans/{plan['uuid']}/templates/",
                               {"patient_title": "术前提醒", "patient_body": "{patient_name}，请于{surgery_date}按时到院。"},
                               format="json")
    assert edited.status_code == 201 and edited.json()["version"] == 2
    versions = admin_client.get(f"/api/v1/message-plans/{plan['uuid']}/templates/").json()
    assert [v["version"] for v in versions] == [2, 1]

    bad = admin_client.post(f"/api/v1/message-plans/{plan['uuid']}/templates/",
                            {"patient_title": "x", "patient_body": "{patient_nmae}"}, format="json")
    assert bad.status_code == 400 and "patient_body" in bad.json()["error"]["fields"]
    bad = admin_client.patch(f"/api/v1/message-plans/{plan['uuid']}/", {"trigger_kind": "event",
                                                                        "trigger": {"types": "x"}}, format="json")
    assert bad.status_code == 400 and "trigger" in bad.json()["error"]["fields"]

    patched = admin_client.patch(f"/api/v1/message-plans/{plan['uuid']}/", {"patient_channels": ["sms"]},
                                 format="json")
    assert patched.status_code == 200 and patched.json()["version"] == 2

    # Staff read the plans; only administrators change them.
    doctor = client_for(surgeon)
    listed = {p["key"]: p for p in doctor.get("/api/v1/message-plans/").json()}
    assert "d2_call" in listed and listed["case_cancelled"]["builtin"]
    assert doctor.patch(f"/api/v1/message-plans/{plan['uuid']}/", {"name": "x"}, format="json").status_code == 403
    options = doctor.get("/api/v1/message-plan-options/").json()
    assert "education_not_read" in {f["name"] for f in options["filters"]}
    assert "surgery_date" in {v["value"] for v in options["variables"]}


@pytest.mark.req("Y10")
def test_builtin_plans_are_overridden_not_edited_by_a_hospital(admin_client):
    builtin = MessagePlan.objects.get(hospital__isnull=True, key="discharged")
    refused = admin_client.patch(f"/api/v1/message-plans/{builtin.uuid}/", {"is_active": False}, format="json")
    assert refused.status_code == 403
    override = admin_client.post("/api/v1/message-plans/", {
        "key": "discharged", "name": "出院通知（短信）", "trigger_kind": "event",
        "trigger": {"types": ["cases.case.discharged"]}, "audiences": ["patient"], "patient_channels": ["sms"]},
        format="json")
    assert override.status_code == 201, override.content
    # The hospital's plan starts from the built-in text.
    assert override.json()["current_template"]["patient_title"] == "出院指导"
    listed = {(p["key"], p["hospital"] is None): p for p in admin_client.get("/api/v1/message-plans/").json()}
    assert listed[("discharged", False)]["in_force"] and not listed[("discharged", True)]["in_force"]
    assert admin_client.delete(f"/api/v1/message-plans/{builtin.uuid}/").status_code == 403
    assert admin_client.delete(f"/api/v1/message-plans/{override.json()['uuid']}/").status_code == 204


@pytest.mark.req("W1", "PA7")
def test_case_messages_and_inboxes(deliver, case_of, patient_with_app, surgeon, client_for, ward):
    patient, account = patient_with_app()
    case = case_of("booked", patient=patient)
    deliver(case_transition, case=case, transition="cancel", actor=None, reason_code="bed_unavailable")

    nurse = make_staff("nurse", ward=ward)
    log = client_for(nurse).get(f"/api/v1/cases/{case.uuid}/messages/")
    assert log.status_code == 200
    rows = log.json()["results"]
    assert {r["audience"] for r in rows} == {"patient", "surgeon"}
    patient_row = next(r for r in rows if r["audience"] == "patient")
    assert patient_row["attempts"][0]["channel"] == "wechat" and patient_row["template_version"] == 1
    outsider = make_staff("nurse", ward=make_ward())
    assert client_for(outsider).get(f"/api/v1/cases/{case.uuid}/messages/").status_code == 404

    # The patient's inbox: their own messages, read/unread.
    me = client_for(account)
    inbox = me.get("/api/v1/my/messages/").json()["results"]
    assert [m["title"] for m in inbox] == ["手术取消通知"] and inbox[0]["read_at"] is None
    assert me.get("/api/v1/my/messages/unread-count/").json() == {"unread": 1}
    other = client_for(make_patient_account(patient=case_of("booked").patient))
    assert other.post("/api/v1/my/messages/read/", {"messages": [inbox[0]["uuid"]]},
                      format="json").json() == {"marked": 0}
    assert other.get("/api/v1/my/messages/").json()["results"] == []
    assert me.post("/api/v1/my/messages/read/", {"messages": [inbox[0]["uuid"]]}, format="json").json() == {
        "marked": 1}
    assert me.get("/api/v1/my/messages/").json()["results"][0]["read_at"]
    assert me.get("/api/v1/my/messages/unread-count/").json() == {"unread": 0}
    assert me.get("/api/v1/my/messages/?unread=true").json()["results"] == []

    # The surgeon's inbox; another staff member cannot touch it; staff tokens cannot read patients' inboxes.
    doctor = client_for(surgeon)
    [item] = doctor.get("/api/v1/inbox/messages/?unread=true").json()["results"]
    assert item["title"] == "手术已取消" and item["case"] == str(case.uuid)
    assert client_for(nurse).post("/api/v1/inbox/messages/read/", {"messages": [item["uuid"]]},
                                  format="json").json() == {"marked": 0}
    assert doctor.get("/api/v1/my/messages/").status_code == 403
    assert doctor.post("/api/v1/inbox/messages/read-all/").json() == {"marked": 1}
    assert doctor.get("/api/v1/inbox/unread-count/").json() == {"unread": 0}


@pytest.mark.req("W1")
def test_inbox_messages_are_pushed_on_the_recipients_realtime_group(case_of, patient_with_app, surgeon,
                                                                    django_capture_on_commit_callbacks, monkeypatch):
    from messaging.services import plan_fire

    published = []
    monkeypatch.setattr("realtime.publisher.publish", lambda group, event, payload=None, **kw: published.append(
        (group, event, payload)))
    patient, account = patient_with_app()
    case = case_of("booked", patient=patient)
    plan = MessagePlan.objects.get(hospital__isnull=True, key="case_cancelled")
    with django_capture_on_commit_callbacks(execute=True):
        plan_fire(plan=plan, case=case, trigger_ref="event:test")
    groups = {g: e for g, e, _p in published if e.startswith("messaging.")}
    assert groups == {f"patient.{account.uuid}": "messaging.inbox.new", f"user.{surgeon.uuid}": "messaging.inbox.new"}


@pytest.mark.req("M5")
def test_staff_devices(client_for, surgeon, ward):
    doctor = client_for(surgeon)
    created = doctor.post("/api/v1/staff-devices/", {"token": "fcm-token-abcdef", "platform": "android"},
                          format="json")
    assert created.status_code == 201
    assert doctor.post("/api/v1/staff-devices/", {"token": "bad token", "platform": "android"},
                       format="json").status_code == 400
    # The same phone handed to a colleague: the token moves.
    colleague = client_for(make_staff("nurse", ward=ward))
    assert colleague.post("/api/v1/staff-devices/", {"token": "fcm-token-abcdef", "platform": "android"},
                          format="json").status_code == 201
    assert doctor.get("/api/v1/staff-devices/").json() == []
    assert StaffDevice.objects.get(token="fcm-token-abcdef").user != surgeon
    uuid = colleague.get("/api/v1/staff-devices/").json()[0]["uuid"]
    assert doctor.delete(f"/api/v1/staff-devices/{uuid}/").status_code == 404
    assert colleague.delete(f"/api/v1/staff-devices/{uuid}/").status_code == 204


@pytest.mark.req("W1")
def test_signed_sms_receipts(settings, deliver, case_of):
    settings.MESSAGING_RECEIPT_CLIENTS = {"SMS-GW": "receipt-secret"}
    case = case_of("booked")
    deliver(case_transition, case=case, transition="cancel", actor=None, reason_code="bed_unavailable")
    attempt = DeliveryAttempt.objects.get(message__case=case, channel="sms")
    path = "/api/v1/sms-receipts/"
    body = json.dumps({"message_id": attempt.external_id, "status": "delivered"}).encode()
    client = APIClient()

    def post(headers, raw=body):
        return client.generic("POST", path, raw, content_type="application/json",
                              **{f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()})

    headers = signed_headers("SMS-GW", "receipt-secret", method="POST", path=path, body=body)
    assert post(headers).json() == {"status": "recorded"}
    attempt.refresh_from_db()
    assert attempt.receipt_status == "delivered" and attempt.receipt_at
    assert post(headers).status_code == 401  # replayed nonce
    wrong = signed_headers("SMS-GW", "other-secret", method="POST", path=path, body=body)
    assert post(wrong).status_code == 401
    stale = signed_headers("SMS-GW", "receipt-secret", method="POST", path=path, body=body,
                           timestamp=time.time() - 3600)
    assert post(stale).status_code == 401
    unknown = json.dumps({"message_id": "nope", "status": "undelivered"}).encode()
    assert post(signed_headers("SMS-GW", "receipt-secret", method="POST", path=path, body=unknown),
                unknown).json() == {"status": "unknown"}
    assert Message.objects.get(case=case, recipient_kind="patient").status == "sent"


@pytest.mark.req("W1")
def test_demo_seed_and_cross_cutting_rows(ward, case_of, deliver):
    from messaging.demo import seed_messaging
    from messaging.testing import seed_rows

    case = case_of("booked", days=3)
    lines = []
    deliver(seed_messaging, ward.department.hospital, write=lines.append)
    deliver(seed_messaging, ward.department.hospital, write=lines.append)  # idempotent
    assert Message.objects.filter(case=case, plan_key="education_reminder").count() == 1
    plan = MessagePlan.objects.get(hospital=ward.department.hospital, key="surgery_eve_reminder")
    assert plan.templates.count() == 2 and "education reminders" in lines[0]
    seed_rows(ward=ward, patient=case.patient, case=case)
    assert Message.objects.filter(kind="seed_notice").count() == 2
