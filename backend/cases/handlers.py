"""Outbox consumers of case events (registered with core.outbox, discovered in every worker).

The case timeline needs no handler: it is the CaseEvent table itself, written with the change.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from core.outbox import outbox_handler

REALTIME_MESSAGE_TYPE = "realtime.event"  # realtime.consumers.EventsConsumer.realtime_event


def realtime_groups(payload) -> list[str]:
    """The case's group, its ward's group, and the groups of the patient's own app accounts."""
    from accounts.models import PatientAccount

    groups = [f"case.{payload['case']}", f"ward.{payload['ward']}"]
    accounts = PatientAccount.objects.filter(patient__uuid=payload["patient"], is_active=True)
    groups.extend(f"patient.{u}" for u in accounts.values_list("uuid", flat=True))
    return groups


@outbox_handler("cases.case.*", name="cases.realtime_push")
def push_case_event(message):
    """Tell open screens of the case, its ward and the patient's app that the case changed (they re-read over REST).

    Carries identifiers and states only, no personal data. Raises when the channel layer is down so the
    outbox retries (pushes are at-least-once; clients dedupe by `event` and re-sync on sequence gaps).
    """
    layer = get_channel_layer()
    if layer is None:
        return
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
        async_to_sync(layer.group_send)(
            group, {"type": REALTIME_MESSAGE_TYPE, "group": group, "event": message.topic, "payload": body}
        )
