"""Outbox consumers of messaging.

- `messaging.plans`: every case event (any topic whose payload is a case event) fires the message plans whose
  matcher accepts it; messaging's own topics are ignored, so a message never triggers a message.
- `messaging.deliver`: one message's delivery round (messaging.delivery), idempotent per message and round.
- `messaging.staff_notice`: `messaging.staff_notice.requested` from any context → inbox message + FCM push per user.
"""

from cases.handlers import is_case_event
from core.outbox import outbox_handler


def _case_event_outside_messaging(message) -> bool:
    return is_case_event(message) and not message.topic.startswith("messaging.")


@outbox_handler("*", name="messaging.plans", applies=_case_event_outside_messaging)
def fire_plans(message):
    from messaging.services import plans_on_case_event

    plans_on_case_event(message.topic, message.payload)


@outbox_handler("messaging.message.dispatch", name="messaging.deliver")
def deliver(message):
    from messaging.delivery import message_deliver

    message_deliver(message_uuid=message.payload["message"], round_=int(message.payload.get("round", 1)))


@outbox_handler("messaging.staff_notice.requested", name="messaging.staff_notice")
def staff_notice(message):
    from messaging.services import staff_notice_create

    staff_notice_create(payload=message.payload, message_uuid=message.uuid)
