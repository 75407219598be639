"""The one publisher (ARCHITECTURE.md "Realtime"): services call it after commit; consumers forward to sockets.

    from realtime.publisher import publish_on_commit
    from realtime.groups import ward_group
    publish_on_commit(ward_group(case.ward_id), "cases.case.admitted", {"case": str(case.uuid)})

Delivery is best effort (the channel layer is not durable): clients load a REST snapshot first, apply events
and re-sync when they notice a gap, so a lost push never loses data. Durable work goes through the outbox.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from core.serialization import to_jsonable

logger = logging.getLogger(__name__)

MESSAGE_TYPE = "realtime.event"  # dispatched to EventsConsumer.realtime_event
SESSION_ENDED_TYPE = "realtime.session_ended"  # dispatched to EventsConsumer.realtime_session_ended


def _message(group, event_type, payload):
    return {
        "type": MESSAGE_TYPE,
        "group": group,
        "event": event_type,
        # Round-trip through JSON so UUIDs, dates and Decimals survive any channel layer (msgpack on Redis).
        "payload": to_jsonable(payload or {}),
    }


def publish(group: str, event_type: str, payload: dict | None = None, *, strict: bool = False) -> bool:
    """Send one event to every socket subscribed to `group`. Returns False (and logs) if the layer failed;
    `strict=True` re-raises instead, for outbox handlers that want the delivery retried."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        async_to_sync(layer.group_send)(group, _message(group, event_type, payload))
    except Exception:  # a push must never break the service that triggered it
        if strict:
            raise
        logger.exception("realtime publish to %s failed", group)
        return False
    return True


async def apublish(group: str, event_type: str, payload: dict | None = None) -> bool:
    """`publish` for async callers (consumers, async tasks)."""
    layer = get_channel_layer()
    if layer is None:
        return False
    try:
        await layer.group_send(group, _message(group, event_type, payload))
    except Exception:
        logger.exception("realtime publish to %s failed", group)
        return False
    return True


def publish_on_commit(group: str, event_type: str, payload: dict | None = None) -> None:
    """Publish once the current transaction commits (immediately when there is none); nothing on rollback."""
    transaction.on_commit(lambda: publish(group, event_type, payload))


def end_sessions_on_commit(group: str, *, sid: str | None = None) -> None:
    """After commit, close the sockets in `group` (a user's or patient's own group) that were opened for login
    session `sid`, or all of them when `sid` is None (account disabled). A control message, never forwarded to
    the client as an event; best effort like every push (the tokens are refused anyway, so a socket that missed
    it is still closed the next time it asks for anything that checks the principal)."""

    def send():
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(group, {"type": SESSION_ENDED_TYPE, "sid": sid})
        except Exception:
            logger.exception("realtime session end to %s failed", group)

    transaction.on_commit(send)
