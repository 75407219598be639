"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): a message to the patient about
`case` (with one delivery attempt) and one to the case's surgeon — raw rows: the matrix needs them to exist."""

import uuid

from django.utils import timezone

from messaging.models import AttemptStatus, Audience, DeliveryAttempt, Message, MessageStatus, RecipientKind


def seed_rows(*, ward, patient, case) -> None:
    now = timezone.now()
    to_patient = Message.objects.create(
        kind="seed_notice", plan_key="seed_notice", case=case, ward=ward, patient=patient,
        recipient_kind=RecipientKind.PATIENT, audience=Audience.PATIENT, title="术前提醒",
        body=f"{patient.name}您好，请按时到院。", channels=["sms"], status=MessageStatus.SENT, channel="sms",
        idempotency_key=f"seed:{uuid.uuid4()}", sent_at=now)
    DeliveryAttempt.objects.create(message=to_patient, channel="sms", round=1, status=AttemptStatus.SENT,
                                   idempotency_key=f"seed:{uuid.uuid4()}", external_id="SMS-SEED",
                                   attempted_at=now)
    if case is not None and case.surgeon_id:
        Message.objects.create(
            kind="seed_notice", case=case, ward=ward, patient=patient, recipient_kind=RecipientKind.STAFF,
            recipient_user=case.surgeon, audience=Audience.SURGEON, title="患者取消手术",
            body=f"患者{patient.name}取消了手术。", channels=["fcm"], status=MessageStatus.FAILED,
            idempotency_key=f"seed:{uuid.uuid4()}")
