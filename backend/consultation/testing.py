"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): one wound consultation with a
photo row and one conversation with a message of each side for `case` (raw rows: they need to exist)."""

from django.utils import timezone

from consultation.models import Conversation, Message, Sender, WoundConsultation, WoundPhoto


def seed_rows(*, ward, patient, case) -> None:
    if case is None:
        return
    from accounts.models import PatientAccount

    account = PatientAccount.objects.filter(patient=patient).first()
    consultation = WoundConsultation.objects.create(case=case, patient=patient, submitted_by=account,
                                                    description="切口渗液，请帮忙看看")
    WoundPhoto.objects.create(consultation=consultation, position=0,
                              storage_key=f"consultations/{case.uuid}/wound/{consultation.uuid}/seed.jpg",
                              thumbnail_key=f"consultations/{case.uuid}/wound/{consultation.uuid}/seed-thumb.jpg",
                              width=480, height=640, size_bytes=1000, sha256="0" * 64, original_type="image/jpeg")
    now = timezone.now()
    conversation, _ = Conversation.objects.get_or_create(case=case, defaults={
        "patient": patient, "last_sequence": 2, "last_message_at": now, "last_sender": Sender.STAFF})
    Message.objects.get_or_create(conversation=conversation, sequence=1, defaults={
        "sender": Sender.PATIENT, "sender_account": account, "sender_name": patient.name, "body": "术后可以洗澡吗？"})
    Message.objects.get_or_create(conversation=conversation, sequence=2, defaults={
        "sender": Sender.STAFF, "sender_name": "护士", "body": "可以淋浴，保持切口干燥。"})
