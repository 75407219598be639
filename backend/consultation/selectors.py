"""Reads of the consultation context. Staff reads are scoped by the case's ward (org.scoping); patient reads by
their own bound patient (accounts.patient_scope)."""

from __future__ import annotations

from django.db.models import F, Prefetch

from accounts.patient_scope import patient_queryset
from cases.models import PatientIdentifier, SurgicalCase
from consultation.conf import conf
from consultation.models import Conversation, Message, WoundConsultation, WoundPhoto
from core.errors import NotFound
from integrations.registry import get_port
from org.scoping import get_scoped_or_404, scope_queryset

WARD = "case__ward"


def _wound_base():
    return WoundConsultation.objects.select_related(
        "case", "case__ward", "case__surgeon", "patient", "answered_by"
    ).prefetch_related(
        Prefetch("photos", queryset=WoundPhoto.objects.order_by("position")),
        Prefetch("patient__identifiers", queryset=PatientIdentifier.objects.order_by("system")),
    )


def wound_consultation_list(principal, *, status=None, ward=None, case=None, date_from=None, date_to=None):
    """Follow-up management: the wound consultations of the principal's wards, oldest unanswered first."""
    qs = scope_queryset(_wound_base(), principal, ward_field=WARD)
    if status:
        qs = qs.filter(status=status)
    if ward is not None:
        qs = qs.filter(case__ward=ward)
    if case is not None:
        qs = qs.filter(case=case)
    if date_from:
        qs = qs.filter(created_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(created_at__date__lte=date_to)
    return qs.order_by("-status", "created_at", "id")  # "submitted" > "answered": unanswered ones come first


def wound_consultation_get(principal, uuid) -> WoundConsultation:
    return get_scoped_or_404(_wound_base(), principal, ward_field=WARD, uuid=uuid)


def my_case_get(principal, uuid) -> SurgicalCase:
    """A patient's own case, else NotFound (another patient's case looks like a missing one)."""
    case = patient_queryset(SurgicalCase.objects.select_related("ward", "patient"), principal).filter(
        uuid=uuid).first()
    if case is None:
        raise NotFound()
    return case


def my_wound_consultation_list(principal, case):
    return patient_queryset(_wound_base(), principal).filter(case=case).order_by("-created_at", "-id")


def my_wound_consultation_get(principal, uuid) -> WoundConsultation:
    consultation = patient_queryset(_wound_base(), principal).filter(uuid=uuid).first()
    if consultation is None:
        raise NotFound()
    return consultation


def photo_urls(photo: WoundPhoto) -> dict:
    """Short-lived presigned URLs of a stored photo and its thumbnail (computed locally, no network call)."""
    storage, seconds = get_port("storage"), conf("CONSULTATION_PHOTO_URL_SECONDS")
    return {"url": storage.presigned_url(photo.storage_key, expires_seconds=seconds),
            "thumbnail_url": storage.presigned_url(photo.thumbnail_key, expires_seconds=seconds),
            "expires_in": seconds}


# --- conversations ------------------------------------------------------------------------------------------------


def _conversation_base():
    return Conversation.objects.select_related(
        "case", "case__ward", "case__surgeon", "patient", "staff_read_by"
    ).prefetch_related(
        Prefetch("patient__identifiers", queryset=PatientIdentifier.objects.order_by("system")),
    ).annotate(
        unread_for_staff=F("last_sequence") - F("staff_read_sequence"),
        unread_for_patient=F("last_sequence") - F("patient_read_sequence"),
    )


def conversation_list(principal, *, ward=None, unread=None):
    """The care team's conversations in the principal's wards, most recent first; `unread=True` keeps those with
    patient messages nobody of the team has read."""
    qs = scope_queryset(_conversation_base(), principal, ward_field=WARD).filter(last_sequence__gt=0)
    if ward is not None:
        qs = qs.filter(case__ward=ward)
    if unread is True:
        qs = qs.filter(unread_for_staff__gt=0)
    elif unread is False:
        qs = qs.filter(unread_for_staff=0)
    return qs.order_by("-last_message_at", "-id")


def conversation_of(case) -> Conversation | None:
    return _conversation_base().filter(case=case).first()


def message_page(case, *, before=None, after=None, limit=None) -> tuple[list[Message], bool]:
    """One page of a case's messages in ascending sequence, and whether more exist in the paging direction:
    `before=n` pages backwards from n (history; default: the newest), `after=n` forwards from n (catching up
    after a gap in the realtime stream)."""
    limit = limit or conf("CONSULTATION_HISTORY_PAGE")
    qs = Message.objects.filter(conversation__case=case)
    if after is not None:
        rows = list(qs.filter(sequence__gt=after).order_by("sequence")[: limit + 1])
        return rows[:limit], len(rows) > limit
    if before is not None:
        qs = qs.filter(sequence__lt=before)
    rows = list(qs.order_by("-sequence")[: limit + 1])
    more = len(rows) > limit
    return list(reversed(rows[:limit])), more
