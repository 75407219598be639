"""Outbox consumers of the booking (B8, B9, B7). Each runs after the booking commits, and is retried by the outbox
until it succeeds; the idempotency keys (per outbox message and channel) make a retry harmless on both sides.
A receiving system that refuses the content (a 4xx: unknown patient, invalid number) is recorded as `rejected`
on the booking for staff to act on, not retried: the same request would be refused again.

- `booking.his_certificate`: the admission certificate (入院证) to the HIS — planned time, procedure, notice text;
- `booking.patient_notice`: the patient's notice with the entry to the patient app — WeChat subscribe message
  when the patient uses the mini-program, SMS otherwise or when WeChat refuses;
- `booking.pool_entry`: a pending-pool entry for a pool move made through the generic case endpoint.
"""

from django.utils import timezone

from booking.models import BookingDelivery, DeliveryChannel, DeliveryStatus
from booking.notices import admission_certificate, notice_sms, notice_wechat
from booking.services import pool_entry_record_event
from cases.models import CaseState
from core.errors import ExternalServiceError
from core.outbox import outbox_handler

HIS_CERTIFICATE = "booking.his_certificate"
PATIENT_NOTICE = "booking.patient_notice"


def _booked_case(message):
    from cases.models import SurgicalCase

    return (
        SurgicalCase.objects.select_related("patient", "ward", "department", "surgeon", "procedure")
        .filter(uuid=message.payload["case"]).first()
    )


# A booking cancelled (or otherwise ended) before its outbox message was delivered must not reach the HIS as a
# certificate, nor the patient as a "booked" notice.
_ENDED_STATES = frozenset({CaseState.CANCELLED, CaseState.NO_SHOW, CaseState.TERMINATED, CaseState.PENDING_POOL})


def _skipped(case, message, channel, key):
    if case.state not in _ENDED_STATES:
        return False
    _record(case, message, channel, key, status=DeliveryStatus.SKIPPED, detail=f"booking {case.state}")
    return True


def _record(case, message, channel, key, *, status=DeliveryStatus.SENT, external_id="", inpatient_no="", detail=""):
    delivery = BookingDelivery.objects.create(
        case=case, message_uuid=message.uuid, channel=channel, idempotency_key=key, status=status,
        external_id=str(external_id)[:100], inpatient_no=inpatient_no[:40], detail=detail[:500],
        delivered_at=timezone.now(),
    )
    if status == DeliveryStatus.SENT and channel in (DeliveryChannel.SMS, DeliveryChannel.WECHAT):
        # P2: the bed card's look-up icon (messages already sent to the patient) follows this case event.
        from cases.services import case_append_event, case_lock

        case_append_event(case_lock(case), type="messaging.message.sent", actor=None,
                          payload={"channel": channel, "kind": "booking_notice", "status": status})
    return delivery


@outbox_handler("cases.case.booked", name=HIS_CERTIFICATE)
def push_admission_certificate(message):
    from integrations.registry import get_port

    key = f"booking-cert:{message.uuid}"
    case = _booked_case(message)
    if case is None or BookingDelivery.objects.filter(idempotency_key=key).exists():
        return
    if _skipped(case, message, DeliveryChannel.HIS_CERTIFICATE, key):
        return
    certificate = admission_certificate(case, sequence=message.payload["sequence"])
    try:
        receipt = get_port("his").push_admission_certificate(certificate, idempotency_key=key)
    except ExternalServiceError as exc:
        if exc.code != "external_rejected":
            raise  # the HIS is unavailable: the outbox retries
        _record(case, message, DeliveryChannel.HIS_CERTIFICATE, key, status=DeliveryStatus.REJECTED,
                detail=_refusal_text(exc))
        return
    _record(case, message, DeliveryChannel.HIS_CERTIFICATE, key, external_id=receipt.his_id,
            inpatient_no=receipt.inpatient_no, detail=certificate.certificate_no)


def _refusal_text(exc):
    extra = exc.extra or {}
    return f"HTTP {extra.get('http_status', '')} [{extra.get('remote_code', '')}] {exc.message}"


def _wechat_openid(patient):
    from accounts.models import PatientAccount

    account = (
        PatientAccount.objects.filter(patient=patient, is_active=True, wechat_openid__isnull=False)
        .exclude(wechat_openid="").order_by("-last_login_at", "-id").first()
    )
    return account.wechat_openid if account else None


@outbox_handler("cases.case.booked", name=PATIENT_NOTICE)
def notify_patient(message):
    from integrations.registry import get_port

    base = f"booking-notice:{message.uuid}"
    case = _booked_case(message)
    if case is None or BookingDelivery.objects.filter(idempotency_key__startswith=base).exists():
        return
    if _skipped(case, message, DeliveryChannel.SMS, f"{base}:sms"):
        return
    fallback = ""
    openid = _wechat_openid(case.patient)
    if openid:
        template_id, data, page = notice_wechat(case)
        try:
            result = get_port("wechat").send_subscribe_message(
                openid=openid, template_id=template_id, data=data, page=page, idempotency_key=f"{base}:wechat")
        except ExternalServiceError as exc:
            if exc.code != "external_rejected":
                raise  # WeChat is down: the outbox retries the whole notice later
            fallback = f"WeChat refused ({exc.extra.get('remote_code', '')}); sent by SMS"
        else:
            _record(case, message, DeliveryChannel.WECHAT, f"{base}:wechat", external_id=result.msgid)
            return
    phone = case.patient.phone
    if not phone:
        _record(case, message, DeliveryChannel.SMS, f"{base}:sms", status=DeliveryStatus.UNDELIVERABLE,
                detail=fallback or "no WeChat account and no mobile number")
        return
    template, params = notice_sms(case)
    try:
        result = get_port("sms").send(phone=phone, template=template, params=params, idempotency_key=f"{base}:sms")
    except ExternalServiceError as exc:
        if exc.code != "external_rejected":
            raise
        _record(case, message, DeliveryChannel.SMS, f"{base}:sms", status=DeliveryStatus.REJECTED,
                detail=_refusal_text(exc))
        return
    if not result.accepted:
        _record(case, message, DeliveryChannel.SMS, f"{base}:sms", status=DeliveryStatus.REJECTED,
                detail=f"SMS not accepted: {result.error}")
        return
    _record(case, message, DeliveryChannel.SMS, f"{base}:sms", external_id=result.message_id, detail=fallback)


@outbox_handler("cases.case.moved_to_pending_pool", name="booking.pool_entry")
def record_pool_entry(message):
    payload = message.payload
    pool_entry_record_event(event_uuid=payload["event"], case_uuid=payload["case"],
                            reason_text=payload.get("data", {}).get("reason", ""))
