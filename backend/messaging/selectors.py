"""Reads of the messaging context. Configuration through org.hospital_config; case messages through the case's
ward scope; inboxes are the principal's own rows only."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from accounts.patient_scope import patient_for
from core.errors import NotFound
from messaging import filters as message_filters
from messaging.models import (
    PATIENT_CHANNELS,
    STAFF_CHANNELS,
    Anchor,
    Audience,
    DeliveryAttempt,
    Message,
    MessagePlan,
    MessageTemplate,
    RecipientKind,
    StaffDevice,
)
from messaging.templating import VARIABLES
from org.hospital_config import config_queryset


def _plans(actor):
    return config_queryset(MessagePlan.objects.filter(retired_at__isnull=True), actor).select_related(
        "hospital", "procedure")


def plans_visible(actor) -> list[MessagePlan]:
    return list(_plans(actor).order_by("key", "hospital_id"))


def plan_get(actor, uuid) -> MessagePlan:
    plan = _plans(actor).filter(uuid=uuid).first()
    if plan is None:
        raise NotFound()
    return plan


def template_versions(plan):
    return MessageTemplate.objects.filter(plan=plan).select_related("procedure", "created_by").order_by(
        "procedure_id", "-version")


def plan_options() -> dict:
    def options(choices):
        return [{"value": c.value, "label": str(c.label)} for c in choices]

    return {
        "filters": message_filters.filter_catalogue(),
        "variables": [{"value": k, "label": str(v)} for k, v in VARIABLES.items()]
        + [{"value": "data.<key>", "label": _("a value of the triggering event's data")}],
        "patient_channels": options(PATIENT_CHANNELS),
        "staff_channels": options(STAFF_CHANNELS),
        "audiences": options((Audience.PATIENT, Audience.SURGEON, Audience.WARD_MANAGERS)),
        "anchors": options(Anchor),
    }


def case_messages(case):
    return (Message.objects.filter(case=case).select_related("recipient_user", "patient")
            .prefetch_related(Prefetch("attempts", queryset=DeliveryAttempt.objects.order_by("id")))
            .order_by("-created_at", "-id"))


def staff_inbox(user):
    return Message.objects.filter(recipient_kind=RecipientKind.STAFF, recipient_user=user).select_related(
        "case").order_by("-created_at", "-id")


def patient_inbox(principal):
    patient = patient_for(principal)
    if patient is None:
        return Message.objects.none()
    return Message.objects.filter(recipient_kind=RecipientKind.PATIENT, patient=patient).select_related(
        "case").order_by("-created_at", "-id")


def devices_of(user):
    return StaffDevice.objects.filter(user=user).order_by("-last_seen_at", "id")
