"""Outbox consumers of case events (registered with core.outbox, discovered in every worker).

The case timeline needs no handler: it is the CaseEvent table itself, written with the change.
"""

from core.outbox import outbox_handler
from realtime.groups import case_group, patient_group, ward_group
from realtime.publisher import publish


def realtime_groups(payload) -> list[str]:
    """The case's group, its ward's group, and the groups of the patient's own app accounts."""
    from accounts.models import PatientAccount

    groups = [case_group(payload["case"]), ward_group(payload["ward"])]
    accounts = PatientAccount.objects.filter(patient__uuid=payload["patient"], is_active=True)
    groups.extend(patient_group(u) for u in accounts.values_list("uuid", flat=True))
    return groups


def is_case_event(message) -> bool:
    """Case events of every context (cases.case.*, consent.document.completed, …) carry the case's sequence."""
    payload = message.payload
    return isinstance(payload, dict) and {"case", "ward", "sequence", "event"} <= payload.keys()


@outbox_handler("*", name="cases.realtime_push", applies=is_case_event)
def push_case_event(message):
    """Tell open screens of the case, its ward and the patient's app that the case changed (they re-read over REST).

    Every case event, whichever context appended it (the bed cards, timeline and schedule all derive from them).

    Carries identifiers and states only, no personal data. Publishes strictly, so a channel layer that is down
    makes the outbox retry (pushes are at-least-once; clients dedupe by `event` and re-sync on sequence gaps).
    """
    payload = message.payload
    body = {
        "event": payload["event"],
        "case": payload["case"],
        "sequence": payload["sequence"],
        "state": payload["state"],
        "from_state": payload.get("from_state", ""),
        "to_state": payload.get("to_state", ""),
        "version": payload["version"],
        "occurred_at": payload["occurred_at"],
    }
    for group in realtime_groups(payload):
        publish(group, message.topic, body, strict=True)
