"""Delivering one message: its channels in order until one accepts it (the fallback, e.g. WeChat → SMS).

Runs as the outbox handler of `messaging.message.dispatch` (one outbox message per message and round), inside
that handler's transaction with the message row locked, so two workers never deliver the same round. Each try
is a `DeliveryAttempt` whose idempotency key (message, channel, round) goes to the gateway: a worker killed after
the gateway answered but before the commit repeats the call with the same key, and the gateway recognises it.

Outcomes per channel: accepted → the message is sent (a patient's message appends `messaging.message.sent` to
the case); refused (4xx, unknown address) or no address → the next channel; down (5xx, timeout) → the next
channel too, and if no channel accepted the message a later round retries all of them after a backoff (beat job
`messaging.retry_due`). Nothing here raises for a remote failure: a failed channel never blocks anything.
"""

import logging
from datetime import timedelta

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from core.errors import ExternalServiceError
from integrations.registry import get_port
from messaging.conf import conf
from messaging.models import (
    AttemptStatus,
    Channel,
    DeliveryAttempt,
    Message,
    MessageStatus,
    RecipientKind,
    StaffDevice,
)

logger = logging.getLogger(__name__)
WECHAT_THING_MAX = 20


class _Outcome:
    def __init__(self, status, external_id="", detail=""):
        self.status, self.external_id, self.detail = status, str(external_id)[:120], str(detail)[:500]


def _refusal(exc: ExternalServiceError) -> _Outcome:
    extra = exc.extra or {}
    text = f"HTTP {extra.get('http_status', '')} [{extra.get('remote_code', '')}] {exc.message}"
    if exc.code == "external_rejected":
        return _Outcome(AttemptStatus.REJECTED, detail=text)
    return _Outcome(AttemptStatus.FAILED, detail=text)


def _call(fn) -> _Outcome:
    try:
        return fn()
    except ExternalServiceError as exc:
        return _refusal(exc)
    except ImproperlyConfigured as exc:  # the hospital has no such system: nothing to retry
        return _Outcome(AttemptStatus.SKIPPED, detail=f"channel not configured: {exc}")
    except Exception as exc:  # noqa: BLE001 - a misconfigured adapter is a failed channel, not a lost message
        logger.exception("messaging channel call failed")
        return _Outcome(AttemptStatus.FAILED, detail=f"{type(exc).__name__}: {exc}")


def _thing(text) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= WECHAT_THING_MAX else text[: WECHAT_THING_MAX - 1] + "…"


def _openid(message):
    from accounts.models import PatientAccount

    if message.recipient_kind != RecipientKind.PATIENT:
        return None
    account = (PatientAccount.objects.filter(patient_id=message.patient_id, is_active=True,
                                             wechat_openid__isnull=False)
               .exclude(wechat_openid="").order_by("-last_login_at", "-id").first())
    return account.wechat_openid if account else None


def _phone(message):
    if message.recipient_kind == RecipientKind.PATIENT:
        return message.patient.phone if message.patient_id else ""
    return message.recipient_user.phone or ""


def _send_wechat(message, key) -> _Outcome:
    openid = _openid(message)
    if not openid:
        return _Outcome(AttemptStatus.SKIPPED, detail="no WeChat account")
    template = message.template
    template_id = (template.wechat_template_id if template else "") or conf("MESSAGING_WECHAT_TEMPLATE_ID")
    fields = {k[3:]: v for k, v in (message.data or {}).items() if k.startswith("wx.")}
    if fields:  # the template's own field map, rendered when the message was made
        data = {k: {"value": _thing(v) if k.startswith("thing") else v[:32]} for k, v in fields.items()}
    else:
        data = {"thing1": {"value": _thing(message.title)}, "thing2": {"value": _thing(message.body)},
                "time3": {"value": timezone.localtime(message.created_at).strftime("%Y-%m-%d %H:%M")}}
    page = message.link.lstrip("/")

    def send():
        result = get_port("wechat").send_subscribe_message(
            openid=openid, template_id=template_id, data=data, page=page, idempotency_key=key)
        return _Outcome(AttemptStatus.SENT, external_id=result.msgid)

    return _call(send)


def _send_sms(message, key) -> _Outcome:
    phone = _phone(message)
    if not phone:
        return _Outcome(AttemptStatus.SKIPPED, detail="no mobile number")
    template = (message.template.sms_template if message.template else "") or conf("MESSAGING_SMS_TEMPLATE")

    def send():
        result = get_port("sms").send(phone=phone, template=template,
                                              params={"title": message.title, "content": message.body},
                                              idempotency_key=key)
        if not result.accepted:
            return _Outcome(AttemptStatus.REJECTED, external_id=result.message_id, detail=result.error)
        return _Outcome(AttemptStatus.SENT, external_id=result.message_id)

    return _call(send)


def _send_voice(message, key) -> _Outcome:
    phone = _phone(message)
    if not phone:
        return _Outcome(AttemptStatus.SKIPPED, detail="no mobile number")
    scenario = (message.template.voice_scenario if message.template else "") or conf("MESSAGING_VOICE_SCENARIO")

    def send():
        call = get_port("voice").start_call(phone=phone, scenario=scenario,
                                                    params={"title": message.title, "content": message.body},
                                                    questions=[], idempotency_key=key)
        return _Outcome(AttemptStatus.SENT, external_id=call.call_id, detail=call.status)

    return _call(send)


def _send_internet_hospital(message, key) -> _Outcome:
    from integrations.ports.internet_hospital import InternetHospitalNotice

    if message.recipient_kind != RecipientKind.PATIENT or not message.patient_id:
        return _Outcome(AttemptStatus.SKIPPED, detail="not a patient")
    reg_no = message.patient.reg_no
    if not reg_no:
        return _Outcome(AttemptStatus.SKIPPED, detail="no HIS patient number")
    notice = InternetHospitalNotice(reg_no=reg_no, phone=message.patient.phone, title=message.title,
                                    body=message.body, link=message.link)

    def send():
        result = get_port("internet_hospital").push(notice, idempotency_key=key)
        return _Outcome(AttemptStatus.SENT, external_id=result.message_id)

    return _call(send)


def _session_alive(sid) -> bool:
    """Is the login session that registered a device still open? A device registered without one (older app)
    is pushed to as before; one whose session was logged out, expired or purged is not."""
    if not sid:
        return True
    from accounts.models import LoginSession

    row = LoginSession.objects.filter(sid=sid).values_list("ended_at").first()
    return row is not None and row[0] is None


def _send_fcm(message, key) -> _Outcome:
    """Every active device of the staff member; a device FCM refuses (unregistered token) is switched off."""
    from integrations.ports.push import PushMessage

    if message.recipient_kind != RecipientKind.STAFF:
        return _Outcome(AttemptStatus.SKIPPED, detail="not staff")
    if not message.recipient_user.is_active:  # disabled since the message was made
        return _Outcome(AttemptStatus.SKIPPED, detail="account disabled")
    devices = [d for d in StaffDevice.objects.filter(user_id=message.recipient_user_id, is_active=True).order_by("id")
               if _session_alive(d.sid)]
    if not devices:
        return _Outcome(AttemptStatus.SKIPPED, detail="no registered device with a live login")
    data = {**{str(k): str(v) for k, v in (message.data or {}).items()}, "message": str(message.uuid),
            "kind": message.kind}
    if message.link:
        data["link"] = message.link
    sent, failed, refused = [], [], []
    for device in devices:
        push = PushMessage(token=device.token, title=message.title, body=message.body[:500], data=data)

        def send(push=push, device=device):
            result = get_port("push").send(push, idempotency_key=f"{key}:{device.pk}")
            return _Outcome(AttemptStatus.SENT, external_id=result.message_id)

        outcome = _call(send)
        if outcome.status == AttemptStatus.SENT:
            sent.append(outcome.external_id)
        elif outcome.status == AttemptStatus.REJECTED:
            refused.append(outcome.detail)
            device.is_active, device.disabled_reason = False, outcome.detail[:100]
            device.save(update_fields=["is_active", "disabled_reason", "updated_at"])
        else:
            failed.append(outcome.detail)
    if sent:
        return _Outcome(AttemptStatus.SENT, external_id=sent[0], detail=f"{len(sent)}/{len(devices)} devices")
    if failed:
        return _Outcome(AttemptStatus.FAILED, detail=failed[0])
    return _Outcome(AttemptStatus.REJECTED, detail=refused[0])


SENDERS = {
    Channel.WECHAT: _send_wechat,
    Channel.SMS: _send_sms,
    Channel.VOICE: _send_voice,
    Channel.INTERNET_HOSPITAL: _send_internet_hospital,
    Channel.FCM: _send_fcm,
    Channel.INBOX: lambda message, key: _Outcome(AttemptStatus.SENT, detail="in-app inbox"),
}


def message_deliver(*, message_uuid, round_: int) -> Message | None:
    """Try the message's channels for this round (inside the caller's transaction). Returns the message."""
    from messaging.services import retry_delay_seconds

    message = (Message.objects.select_for_update(of=("self",))
               .select_related("patient", "recipient_user", "template", "case", "case__ward")
               .filter(uuid=message_uuid).first())
    if message is None or message.status != MessageStatus.PENDING or message.round != round_:
        return message  # already delivered, failed for good, or another round's job
    now = timezone.now()
    outcomes = []
    for channel in message.channels or [Channel.INBOX]:
        key = f"msg:{message.uuid}:{channel}:{message.round}"
        outcome = SENDERS[channel](message, key)
        DeliveryAttempt.objects.create(message=message, channel=channel, round=message.round, status=outcome.status,
                                       idempotency_key=key, external_id=outcome.external_id, detail=outcome.detail,
                                       attempted_at=timezone.now())
        outcomes.append(outcome.status)
        if outcome.status == AttemptStatus.SENT:
            message.status, message.channel, message.sent_at = MessageStatus.SENT, channel, now
            break
    else:
        if AttemptStatus.FAILED in outcomes and message.round < conf("MESSAGING_MAX_ROUNDS"):
            message.status = MessageStatus.RETRYING
            message.next_attempt_at = now + timedelta(seconds=retry_delay_seconds(message.round))
        else:
            message.status = MessageStatus.FAILED
    message.save(update_fields=["status", "channel", "sent_at", "next_attempt_at", "updated_at"])
    if message.status == MessageStatus.SENT and message.recipient_kind == RecipientKind.PATIENT and message.case_id:
        from cases.services import case_append_event, case_lock

        # P2 / timeline: the case shows that a message reached the patient (kind = the plan's code).
        case_append_event(case_lock(message.case), type="messaging.message.sent", actor=None, payload={
            "channel": message.channel, "kind": message.kind, "status": "sent", "message": str(message.uuid)})
    return message


def receipt_record(*, external_id: str, delivered: bool, detail: str = "", at=None) -> DeliveryAttempt | None:
    """An SMS gateway's delivery receipt for one of our attempts (by its message id); repeated receipts are
    harmless (the last one wins)."""
    attempt = DeliveryAttempt.objects.filter(external_id=external_id, channel=Channel.SMS).order_by("-id").first()
    if attempt is None:
        return None
    attempt.receipt_status = "delivered" if delivered else "undelivered"
    attempt.receipt_at = at or timezone.now()
    attempt.receipt_detail = detail[:200]
    attempt.save(update_fields=["receipt_status", "receipt_at", "receipt_detail"])
    return attempt
