"""Outbox consumer: every case event moves the case's timeline (T1). The case-event table is the source: the
handler applies every event after the projection's last sequence, so duplicates and out-of-order deliveries are
harmless."""

from cases.handlers import is_case_event
from core.outbox import outbox_handler


@outbox_handler("*", name="timeline.apply_case_events", applies=is_case_event)
def apply_case_events(message):
    from cases.models import SurgicalCase
    from timeline.models import CaseTimeline
    from timeline.services import timeline_sync

    case = SurgicalCase.objects.filter(uuid=message.payload["case"]).first()
    if case is None:
        return
    applied = CaseTimeline.objects.filter(case=case).values_list("last_sequence", flat=True).first() or 0
    if applied >= message.payload["sequence"]:
        return  # already applied (a redelivery, or caught up by a later message)
    timeline_sync(case)
