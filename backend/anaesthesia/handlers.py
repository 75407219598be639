"""Outbox consumers of a concluded assessment (A12, A11). Each runs after the conclusion commits and is retried by
the outbox until it succeeds; idempotency keys (per outbox message and recipient) make a retry harmless.

- `anaesthesia.fail_sms_doctor` / `anaesthesia.fail_sms_patient`: a failed assessment is told by SMS to the
  surgeon (for a sedation appointment: the ordering doctor) and to the patient; each delivery is recorded on
  the assessment and, for a case, appended to the case timeline.
- `anaesthesia.medtech_report`: a sedation appointment's result goes back to the medical-technology system.
A receiving system that refuses the content (4xx) is recorded as rejected, not retried.
"""

from django.utils import timezone

from anaesthesia.conf import conf
from anaesthesia.models import (
    AnaesthesiaAssessment,
    AssessmentNotification,
    AssessmentStatus,
    NotificationChannel,
    NotificationStatus,
)
from core.errors import ExternalServiceError
from core.identity import mask_phone
from core.outbox import outbox_handler

TOPIC = "anaesthesia.assessment.concluded"
SMS_EVENT = "anaesthesia.clinic.sms_sent"


def _assessment(message):
    return (
        AnaesthesiaAssessment.objects.select_related(
            "patient", "ward", "case", "case__surgeon", "sedation_appointment",
            "sedation_appointment__ordering_doctor",
        ).filter(uuid=message.payload["assessment"]).first()
    )


def _record(assessment, *, channel, recipient, key, status, external_id="", detail=""):
    return AssessmentNotification.objects.create(
        assessment=assessment, channel=channel, recipient=recipient, idempotency_key=key, status=status,
        external_id=str(external_id)[:100], detail=str(detail)[:500], delivered_at=timezone.now(),
    )


def _timeline(assessment, notification, phone):
    """Put the delivery on the case's timeline (the case row is locked, as case events require)."""
    if not assessment.case_id:
        return
    from cases.services import case_append_event, case_lock

    case = case_lock(assessment.case)
    case_append_event(case, type=SMS_EVENT, actor=None, payload={
        "assessment": str(assessment.uuid), "recipient": notification.recipient, "status": notification.status,
        "message_id": notification.external_id, "phone": mask_phone(phone), "detail": notification.detail,
    })
    if notification.recipient == "patient" and notification.status == NotificationStatus.SENT:
        # P2: the bed card's look-up icon (messages already sent to the patient) follows this case event.
        case_append_event(case, type="messaging.message.sent", actor=None,
                          payload={"channel": "sms", "kind": "anaesthesia_result", "status": "sent"})


def _fail_params(assessment, message):
    g = assessment.general or {}
    return {
        "name": assessment.patient.name, "procedure": g.get("procedure", ""),
        "date": g.get("planned_date") or "", "reason": message.payload.get("reason", ""),
        "ward": assessment.ward.name,
    }


def _send_fail_sms(message, *, recipient):
    from integrations.registry import get_port

    if message.payload.get("result") != AssessmentStatus.FAILED:
        return
    key = f"anaesthesia-fail:{message.uuid}:{recipient}"
    if AssessmentNotification.objects.filter(idempotency_key=key).exists():
        return
    assessment = _assessment(message)
    if assessment is None:
        return
    if recipient == "patient":
        phone, template = assessment.patient.phone, conf("ANAESTHESIA_FAIL_SMS_TEMPLATE_PATIENT")
    else:
        doctor = assessment.case.surgeon if assessment.case_id else assessment.sedation_appointment.ordering_doctor
        phone, template = (doctor.phone if doctor else ""), conf("ANAESTHESIA_FAIL_SMS_TEMPLATE_DOCTOR")
    channel = NotificationChannel.SMS
    if recipient == "doctor":
        recipient = "surgeon" if assessment.case_id else "ordering_doctor"
    if not phone:
        note = _record(assessment, channel=channel, recipient=recipient, key=key,
                       status=NotificationStatus.UNDELIVERABLE, detail="no mobile number")
        _timeline(assessment, note, phone)
        return
    params = _fail_params(assessment, message)
    try:
        result = get_port("sms").send(phone=phone, template=template, params=params, idempotency_key=key)
    except ExternalServiceError as exc:
        if exc.code != "external_rejected":
            raise  # the gateway is down: the outbox retries
        note = _record(assessment, channel=channel, recipient=recipient, key=key,
                       status=NotificationStatus.REJECTED, detail=str(exc.message))
    else:
        if result.accepted:
            note = _record(assessment, channel=channel, recipient=recipient, key=key,
                           status=NotificationStatus.SENT, external_id=result.message_id)
        else:
            note = _record(assessment, channel=channel, recipient=recipient, key=key,
                           status=NotificationStatus.REJECTED, detail=f"SMS not accepted: {result.error}")
    _timeline(assessment, note, phone)


@outbox_handler(TOPIC, name="anaesthesia.fail_sms_doctor")
def fail_sms_doctor(message):
    _send_fail_sms(message, recipient="doctor")


@outbox_handler(TOPIC, name="anaesthesia.fail_sms_patient")
def fail_sms_patient(message):
    _send_fail_sms(message, recipient="patient")


@outbox_handler(TOPIC, name="anaesthesia.medtech_report")
def report_to_medtech(message):
    from integrations.registry import get_port

    if not message.payload.get("sedation_appointment"):
        return
    key = f"anaesthesia-medtech:{message.uuid}"
    if AssessmentNotification.objects.filter(idempotency_key=key).exists():
        return
    assessment = _assessment(message)
    if assessment is None:
        return
    note = (message.payload.get("reason") or message.payload.get("opinion") or "")[:500]
    try:
        get_port("medtech").report_sedation_assessment(
            appointment_no=assessment.sedation_appointment.appointment_no, result=message.payload["result"],
            note=note, idempotency_key=key,
        )
    except ExternalServiceError as exc:
        if exc.code != "external_rejected":
            raise
        _record(assessment, channel=NotificationChannel.MEDTECH, recipient="medtech", key=key,
                status=NotificationStatus.REJECTED, detail=str(exc.message))
        return
    _record(assessment, channel=NotificationChannel.MEDTECH, recipient="medtech", key=key,
            status=NotificationStatus.SENT)
