"""Reads of the booking flow. Staff reads go through org.scoping (ward scope), like every patient-bearing read."""

from django.db.models import Count, Prefetch, Q
from django.db.models.functions import TruncDate

from booking.handlers import HIS_CERTIFICATE, PATIENT_NOTICE
from booking.models import BookingDelivery, PendingPoolEntry, PoolReason
from cases.models import CaseState, PatientIdentifier, SurgicalCase
from org.scoping import get_scoped_or_404, scope_queryset

BOOKING_STATES = (CaseState.DRAFT, CaseState.PENDING_POOL, CaseState.BOOKED)


def _base():
    return SurgicalCase.objects.select_related(
        "patient", "ward", "department", "surgeon", "booked_by", "procedure", "preferred_suite", "preferred_room",
    ).prefetch_related(
        Prefetch("patient__identifiers", queryset=PatientIdentifier.objects.order_by("system")), "assistants",
    )


def booking_list(principal, *, state=None):
    """Bookings in the caller's wards: drafts, pool entries and booked cases (default: drafts)."""
    qs = scope_queryset(_base(), principal).filter(state__in=state or [CaseState.DRAFT])
    return qs.order_by("-updated_at", "-id")


def booking_get(principal, uuid) -> SurgicalCase:
    return get_scoped_or_404(_base(), principal, uuid=uuid)


def pool_list(principal):
    """Cases waiting in the pending pool, newest entry first, with their entries."""
    qs = scope_queryset(_base(), principal).filter(state=CaseState.PENDING_POOL)
    entries = PendingPoolEntry.objects.select_related("requested_by").order_by("-entered_at", "-id")
    return qs.prefetch_related(Prefetch("pool_entries", queryset=entries)).order_by("-state_changed_at", "-id")


POOL_GROUPS = {
    "date": ("day", None),
    "department": ("department__uuid", "department__name"),
    "doctor": ("requested_by__uuid", "requested_by__name"),
}


def pool_stats(principal, *, date_from, date_to, group_by="date") -> dict:
    """Entries into the pending pool in [date_from, date_to] (local dates), grouped by day, department or
    requesting doctor: how many, how many were resumed, and by reason."""
    key, label = POOL_GROUPS[group_by]
    qs = scope_queryset(PendingPoolEntry.objects.all(), principal).annotate(day=TruncDate("entered_at"))
    qs = qs.filter(day__gte=date_from, day__lte=date_to)
    reasons = {f"reason_{code}": Count("id", filter=Q(reason_code=code)) for code in PoolReason.values}
    fields = [key] + ([label] if label else [])
    rows = qs.values(*fields).annotate(
        count=Count("id"), resumed=Count("id", filter=Q(resumed_at__isnull=False)), **reasons
    ).order_by(key)
    result = []
    for row in rows:
        value = row[key]
        result.append({
            "key": str(value) if value is not None else "",
            "label": row[label] if label else str(value),
            "count": row["count"],
            "resumed": row["resumed"],
            "by_reason": {code: row[f"reason_{code}"] for code in PoolReason.values},
        })
    return {
        "from": date_from, "to": date_to, "group_by": group_by,
        "total": sum(r["count"] for r in result), "resumed": sum(r["resumed"] for r in result), "rows": result,
    }


def booking_deliveries(case) -> list[dict]:
    """The booking's deliveries: those done, and those the outbox is still retrying (attempts, last error)."""
    from core.models import OutboxDelivery, OutboxMessage

    done = list(BookingDelivery.objects.filter(case=case).order_by("id"))
    rows = [
        {"channel": d.channel, "status": d.status, "attempts": None, "external_id": d.external_id,
         "inpatient_no": d.inpatient_no, "detail": d.detail, "delivered_at": d.delivered_at, "last_error": ""}
        for d in done
    ]
    answered = {(str(d.message_uuid), _handler_of(d.channel)) for d in done}
    messages = OutboxMessage.objects.filter(topic="cases.case.booked", key=str(case.uuid)).order_by("id")
    for message in messages:
        delivered = set(OutboxDelivery.objects.filter(message=message).values_list("handler", flat=True))
        for handler, channel in ((HIS_CERTIFICATE, "his_certificate"), (PATIENT_NOTICE, "patient_notice")):
            if handler in delivered or (str(message.uuid), handler) in answered:
                continue
            rows.append({"channel": channel, "status": "pending", "attempts": message.attempts, "external_id": "",
                         "inpatient_no": "", "detail": "", "delivered_at": None,
                         "last_error": _error_of(message.last_error, handler)})
    return rows


def _handler_of(channel):
    return HIS_CERTIFICATE if channel == "his_certificate" else PATIENT_NOTICE


def _error_of(last_error, handler):
    """The first line of this handler's part of the message's last error (the outbox keeps them together)."""
    for line in (last_error or "").splitlines():
        if line.startswith(f"{handler}:"):
            return line[len(handler) + 1:].strip()[:300]
    return ""
