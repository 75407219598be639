"""Writes of the consultation context: wound consultations (F9) and the online consultation (PA8).

Every write authorises its actor again (a patient only on their own case; staff in the case's ward with the
function permission), locks the case row and appends the case event of the contract (`consultation.wound.submitted`,
`consultation.wound.answered`, `consultation.message.sent`) in the same transaction: the outbox then feeds messaging
(the patient's notice) and to-dos, and the case push tells the ward's screens and the patient's app. Message texts
and read receipts are pushed after commit to the conversation's own sockets only.

Photos are decoded and re-encoded before any lock (the slow part) and written to object storage before the rows
that reference them commit; if the transaction then fails, the objects just written are deleted again (best
effort: an unreferenced object may stay behind, never a row pointing at nothing).
"""

from __future__ import annotations

import logging
import uuid as uuid_lib
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.patient_scope import patient_for
from accounts.permissions import has_permission
from audit.models import AuditAction
from audit.services import audit_record
from cases.models import CaseState, SurgicalCase
from cases.services import actor_info, case_append_event, case_lock
from consultation import permissions as perms
from consultation.conf import conf
from consultation.errors import AlreadyAnswered, ConversationClosed, NotAfterSurgery, TooManyOpenConsultations
from consultation.models import (
    Conversation,
    Message,
    Sender,
    WoundAdvice,
    WoundConsultation,
    WoundPhoto,
    WoundStatus,
)
from consultation.photos import photo_process
from consultation.realtime import conversation_group
from core.errors import InvalidInput, NotAllowed, NotFound, RateLimited
from integrations.registry import get_port
from org.scoping import scope_queryset
from realtime.publisher import publish_on_commit

logger = logging.getLogger(__name__)

WOUND_SUBMITTED = "consultation.wound.submitted"
WOUND_ANSWERED = "consultation.wound.answered"
MESSAGE_SENT = "consultation.message.sent"
MESSAGE_READ = "consultation.message.read"  # realtime only (not a case event: too chatty for the timeline)

# A wound exists once the operation took place (an outpatient case may be followed up from `operated`).
WOUND_STATES = {CaseState.OPERATED, CaseState.DISCHARGED, CaseState.FOLLOW_UP, CaseState.CLOSED,
                CaseState.TRANSFERRED_TO_INPATIENT}
# No conversation before the case is a booking the patient knows about.
CHAT_CLOSED_STATES = {CaseState.DRAFT, CaseState.PENDING_POOL}


def _storage():
    return get_port("storage")


def _own_case_or_404(actor, case):
    patient = patient_for(actor)
    if patient is None or patient.pk != case.patient_id:
        raise NotFound()


def _staff_case_or_404(actor, case, slug):
    if getattr(actor, "is_patient", False) or not scope_queryset(
        SurgicalCase.objects.filter(pk=case.pk), actor).exists():
        raise NotFound()
    if not has_permission(actor, slug):
        raise NotAllowed()


def _clean_text(value, *, field, max_chars, required):
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(fields={field: [str(_("This field may not be blank."))]})
    if len(text) > max_chars:
        raise InvalidInput(fields={field: [str(_("At most %(n)s characters.") % {"n": max_chars})]})
    return text


# --- wound consultations (F9) -------------------------------------------------------------------------------------


def _photo_keys(case, consultation_uuid, photo_uuid):
    base = f"consultations/{case.uuid}/wound/{consultation_uuid}/{photo_uuid}"
    return f"{base}.jpg", f"{base}-thumb.jpg"


def wound_consultation_submit(*, actor, case, photos, description: str = "", client_id: str = "") -> WoundConsultation:
    """The patient sends a description and 1–9 photos of the wound of their own operated case. A retry with the
    same `client_id` returns the consultation already created (no second one)."""
    _own_case_or_404(actor, case)
    client_id = (client_id or "").strip()[:64]
    if client_id:
        existing = WoundConsultation.objects.filter(case=case, client_id=client_id).first()
        if existing is not None:
            return existing
    description = _clean_text(description, field="description",
                              max_chars=conf("CONSULTATION_DESCRIPTION_MAX_CHARS"), required=False)
    lim = conf("CONSULTATION_PHOTO_LIMITS")
    photos = list(photos or [])
    if not photos:
        raise InvalidInput(code="wound_photo_missing", fields={"photos": [str(_("Add at least one photo of the wound."))]})
    if len(photos) > lim["max_photos"]:
        raise InvalidInput(code="too_many_wound_photos",
                           fields={"photos": [str(_("At most %(n)s photos.") % {"n": lim["max_photos"]})]})
    if case.state not in WOUND_STATES:  # quick refusal before the slow part; checked again under the lock
        raise NotAfterSurgery()
    processed = [photo_process(upload, index=i) for i, upload in enumerate(photos)]

    consultation_uuid = uuid_lib.uuid4()
    storage = _storage()
    written, rows = [], []
    try:
        for position, photo in enumerate(processed):
            photo_uuid = uuid_lib.uuid4()
            key, thumb_key = _photo_keys(case, consultation_uuid, photo_uuid)
            storage.put(key, photo.image.content, content_type=photo.image.content_type)
            written.append(key)
            storage.put(thumb_key, photo.thumbnail.content, content_type=photo.thumbnail.content_type)
            written.append(thumb_key)
            rows.append((photo_uuid, position, key, thumb_key, photo))
        return _wound_consultation_create(actor=actor, case=case, consultation_uuid=consultation_uuid,
                                          description=description, client_id=client_id, rows=rows)
    except _DuplicateClientId as duplicate:
        _delete_quietly(storage, written)
        return duplicate.existing
    except BaseException:
        _delete_quietly(storage, written)
        raise


class _DuplicateClientId(Exception):
    def __init__(self, existing):
        self.existing = existing


def _delete_quietly(storage, keys):
    for key in keys:
        try:
            storage.delete(key)
        except Exception:  # noqa: BLE001 - cleanup must not hide the original error
            logger.warning("could not delete orphan object %s", key)


@transaction.atomic
def _wound_consultation_create(*, actor, case, consultation_uuid, description, client_id, rows):
    locked = case_lock(case)
    if locked.state not in WOUND_STATES:
        raise NotAfterSurgery()
    if client_id:
        existing = WoundConsultation.objects.filter(case=locked, client_id=client_id).first()
        if existing is not None:
            raise _DuplicateClientId(existing)
    open_count = WoundConsultation.objects.filter(case=locked, status=WoundStatus.SUBMITTED).count()
    if open_count >= conf("CONSULTATION_MAX_OPEN_WOUND"):
        raise TooManyOpenConsultations()
    try:
        with transaction.atomic():
            consultation = WoundConsultation.objects.create(
                uuid=consultation_uuid, case=locked, patient_id=locked.patient_id, submitted_by=actor,
                client_id=client_id, description=description,
            )
    except IntegrityError:  # unreachable under the case lock; kept for a retry that raced another path
        raise _DuplicateClientId(WoundConsultation.objects.get(case=locked, client_id=client_id)) from None
    WoundPhoto.objects.bulk_create([
        WoundPhoto(uuid=photo_uuid, consultation=consultation, position=position, storage_key=key,
                   thumbnail_key=thumb_key, content_type=photo.image.content_type, width=photo.image.width,
                   height=photo.image.height, size_bytes=len(photo.image.content), sha256=photo.sha256,
                   original_type=photo.original_type)
        for photo_uuid, position, key, thumb_key, photo in rows
    ])
    case_append_event(locked, type=WOUND_SUBMITTED, actor=actor, payload={
        "consultation": str(consultation.uuid), "photos": len(rows), "has_description": bool(description)})
    return consultation


@transaction.atomic
def wound_consultation_answer(*, actor, consultation, answer: str, advice: str) -> WoundConsultation:
    """The care team's answer (once) with advice; the patient is notified (the event feeds messaging)."""
    _staff_case_or_404(actor, consultation.case, perms.ANSWER_WOUND.slug)
    answer = _clean_text(answer, field="answer", max_chars=2000, required=True)
    if advice not in WoundAdvice.values:
        raise InvalidInput(fields={"advice": [str(_("Choose an advice."))]})
    locked_case = case_lock(consultation.case)
    locked = WoundConsultation.objects.select_for_update().get(pk=consultation.pk)
    if locked.status == WoundStatus.ANSWERED:
        raise AlreadyAnswered()
    locked.answer, locked.advice, locked.status = answer, advice, WoundStatus.ANSWERED
    locked.answered_by, locked.answered_at = actor, timezone.now()
    locked.save(update_fields=["answer", "advice", "status", "answered_by", "answered_at", "updated_at"])
    audit_record(actor=actor, action=AuditAction.UPDATE, target=locked, before={"status": WoundStatus.SUBMITTED},
                 after={"status": WoundStatus.ANSWERED, "advice": advice}, detail="wound consultation answered")
    case_append_event(locked_case, type=WOUND_ANSWERED, actor=actor,
                      payload={"consultation": str(locked.uuid), "advice": advice})
    return locked


# --- online consultation (PA8) ------------------------------------------------------------------------------------


def sender_of(actor) -> str:
    return Sender.PATIENT if getattr(actor, "is_patient", False) else Sender.STAFF


def authorise_chat(actor, case):
    """NotFound / NotAllowed unless `actor` may take part in the case's conversation."""
    if getattr(actor, "is_patient", False):
        _own_case_or_404(actor, case)
    else:
        _staff_case_or_404(actor, case, perms.CHAT.slug)


def message_payload(message: Message) -> dict:
    """A message as clients see it (REST and realtime)."""
    return {
        "uuid": str(message.uuid), "sequence": message.sequence, "sender": message.sender,
        "sender_name": message.sender_name, "body": message.body, "client_id": message.client_id,
        "created_at": timezone.localtime(message.created_at).isoformat(),
    }


def message_send(*, actor, case, body: str, client_id: str = "") -> tuple[Message, bool]:
    """Append a message of the patient or of a care-team member; returns (message, created). A retry with the
    same `client_id` (per sender side) returns the message already stored."""
    authorise_chat(actor, case)
    body = _clean_text(body, field="body", max_chars=conf("CONSULTATION_MESSAGE_MAX_CHARS"), required=True)
    client_id = (client_id or "").strip()[:64]
    return _message_append(actor=actor, case=case, body=body, client_id=client_id)


@transaction.atomic
def _message_append(*, actor, case, body, client_id):
    sender = sender_of(actor)
    locked = case_lock(case)  # serialises the conversation's sequence (and the case event's)
    if locked.state in CHAT_CLOSED_STATES:
        raise ConversationClosed()
    conversation, _created = Conversation.objects.get_or_create(case=locked,
                                                                defaults={"patient_id": locked.patient_id})
    if client_id:
        existing = Message.objects.filter(conversation=conversation, sender=sender, client_id=client_id).first()
        if existing is not None:
            return existing, False
    now = timezone.now()
    if sender == Sender.PATIENT:
        recent = Message.objects.filter(conversation=conversation, sender=sender,
                                        created_at__gt=now - timedelta(minutes=1)).count()
        if recent >= conf("CONSULTATION_PATIENT_MESSAGES_PER_MINUTE"):
            raise RateLimited(_("You are sending messages very quickly; please wait a moment."),
                              code="consultation_rate_limited")
    sequence = conversation.last_sequence + 1
    info = actor_info(actor)
    message = Message.objects.create(
        conversation=conversation, sequence=sequence, sender=sender, body=body, client_id=client_id,
        sender_user=actor if sender == Sender.STAFF else None,
        sender_account=actor if sender == Sender.PATIENT else None,
        sender_name=info["name"], created_at=now,
    )
    conversation.last_sequence, conversation.last_message_at, conversation.last_sender = sequence, now, sender
    # One's own message is read by one's own side.
    if sender == Sender.PATIENT:
        conversation.patient_read_sequence, conversation.patient_read_at = sequence, now
    else:
        conversation.staff_read_sequence, conversation.staff_read_at, conversation.staff_read_by = sequence, now, actor
    conversation.save()
    case_append_event(locked, type=MESSAGE_SENT, actor=actor, payload={
        "conversation": str(conversation.uuid), "message": str(message.uuid), "sender": sender,
        "sequence": sequence})
    # The text goes only to the sockets of this conversation; the case event's own push (cases.realtime_push:
    # case, ward and the patient's app, identifiers only) tells everybody else to re-read.
    publish_on_commit(conversation_group(locked.uuid), MESSAGE_SENT,
                      {"case": str(locked.uuid), "message": message_payload(message)})
    return message, True


@transaction.atomic
def conversation_mark_read(*, actor, case, sequence: int | None = None) -> Conversation | None:
    """Read receipt: the actor's side has read the conversation up to `sequence` (default: everything). Never
    moves backwards; the other side sees it in realtime and in the conversation's `read` fields."""
    authorise_chat(actor, case)
    conversation = Conversation.objects.select_for_update().filter(case=case).first()
    if conversation is None:
        return None
    upto = conversation.last_sequence if sequence is None else max(0, min(int(sequence), conversation.last_sequence))
    now = timezone.now()
    side = sender_of(actor)
    if side == Sender.PATIENT:
        if upto <= conversation.patient_read_sequence:
            return conversation
        conversation.patient_read_sequence, conversation.patient_read_at = upto, now
        conversation.save(update_fields=["patient_read_sequence", "patient_read_at", "updated_at"])
    else:
        if upto <= conversation.staff_read_sequence:
            return conversation
        conversation.staff_read_sequence, conversation.staff_read_at, conversation.staff_read_by = upto, now, actor
        conversation.save(update_fields=["staff_read_sequence", "staff_read_at", "staff_read_by", "updated_at"])
    publish_on_commit(conversation_group(case.uuid), MESSAGE_READ, {
        "case": str(case.uuid), "reader": side, "sequence": upto, "read_at": timezone.localtime(now).isoformat()})
    return conversation
