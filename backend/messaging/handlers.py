"""Outbox consumers of messaging.

- `messaging.plans`: every case event (any topic whose payload is a case event) fires the message plans whose
  matcher accepts it; messaging's own topics are ignored, so a message never triggers a message.
- `messaging.deliver`: one message's delivery round (messaging.delivery), idempotent per message and round.
- `messaging.staff_notice`: `messaging.staff_notice.requested` from any context → inbox message + FCM push per user.
"""

from core.outbox import outbox_handler


@outbox_handler("*", name="messaging.plans")
def fire_plans(message):
    from messaging.services import plans_on_case_event

    payload = message.payload if isinstance(message.payload, dict) else {}
    if message.topic.startswith("messaging.") or "sequence" not in payload:
        return
    plans_on_case_event(message.topic, payload)


@outbox_handler("messaging.message.dispatch", name="messaging.deliver")
def deliver(message):
    from messaging.delivery import message_deliver

    message_deliver(message_uuid=message.payload["message"], round_=int(message.payload.get("round", 1)))


@outbox_handler("messaging.staff_notice.requested", name="messaging.staff_notice")
def staff_notice(message):
    from messaging.services import staff_notice_create

    staff_notice_create(payload=message.payload, message_uuid=message.uuid)
