"""The transactional outbox: domain events leave the database only after the change that caused them commits.

Writing side (inside a service's transaction)::

    outbox_publish(topic="cases.case.booked", key=str(case.uuid), payload={...})

stores an `OutboxMessage` in the same transaction and registers `transaction.on_commit` to enqueue the
Celery task `core.deliver_outbox_message`. A rolled-back transaction leaves neither the row nor the task.

Reading side: handlers register for topic patterns (shell-style, ``"cases.case.*"``)::

    @outbox_handler("cases.case.*")
    def push_to_screens(message): ...

A handler that wants only some of the messages its pattern matches names a cheap ``applies(message)`` test
(``@outbox_handler("*", applies=is_case_event)``): messages it refuses are skipped without a transaction or a
delivery row (most messages on "*" are not case events: every such row was pure bookkeeping).

Apps keep their handlers in ``<app>/handlers.py`` (auto-discovered); settings.OUTBOX_EXTRA_HANDLER_MODULES
adds more modules (tests use it to plug probes into a real worker).

Delivery guarantees:
- each handler runs inside its own database transaction that first writes its `OutboxDelivery` row (unique per
  message and handler: a concurrent delivery of the same pair waits for it, then skips), so database effects
  of a handler happen exactly once per message even when two workers or a redelivery race; effects outside
  the database (a Channels publish, an HTTP call) are at-least-once and should use ``message.uuid`` as their
  idempotency key;
- a failing handler does not block the others; the message records when it is due again (exponential
  backoff on its attempt count, `retry_delay`) and the task retries itself at that time;
- a worker killed mid-delivery (or a lost broker message) is recovered by the periodic sweeper, which
  re-enqueues messages that are not fully delivered after OUTBOX_SWEEP_AFTER_SECONDS — after a failure only
  once the backoff has passed (plus that grace), so an outage does not use up OUTBOX_MAX_ATTEMPTS in minutes.
"""

import fnmatch
import importlib
import logging
import traceback
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from core.serialization import to_jsonable

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handler:
    name: str
    pattern: str
    func: object
    applies: object = None

    def matches(self, topic: str) -> bool:
        return fnmatch.fnmatchcase(topic, self.pattern)

    def wants(self, message) -> bool:
        return self.applies is None or bool(self.applies(message))


_HANDLERS: dict[str, Handler] = {}
_discovered = False


def outbox_handler(pattern: str, *, name: str | None = None, applies=None):
    """Register `func(message)` for topics matching `pattern` (and, if given, messages `applies(message)` accepts:
    a pure function of the message, evaluated outside any transaction). The name is stored per delivery: keep
    it stable."""

    def decorator(func):
        handler_name = name or f"{func.__module__}.{func.__qualname__}"
        existing = _HANDLERS.get(handler_name)
        if existing is not None and existing.func is not func and existing.pattern != pattern:
            raise ValueError(f"outbox handler {handler_name} registered twice")
        _HANDLERS[handler_name] = Handler(handler_name, pattern, func, applies)
        return func

    return decorator


def discover_handlers():
    global _discovered
    if not _discovered:
        autodiscover_modules("handlers")
        for module in getattr(settings, "OUTBOX_EXTRA_HANDLER_MODULES", []):
            importlib.import_module(module)
        _discovered = True
    return dict(_HANDLERS)


def handlers_for(topic: str) -> list[Handler]:
    """Matching handlers in a stable order (by name)."""
    return sorted((h for h in discover_handlers().values() if h.matches(topic)), key=lambda h: h.name)


def outbox_publish(*, topic: str, payload: dict, key: str = ""):
    """Store a message in the current transaction; enqueue its delivery once the transaction commits."""
    from core.models import OutboxMessage

    message = OutboxMessage.objects.create(topic=topic, key=str(key)[:64], payload=to_jsonable(payload))
    transaction.on_commit(lambda: enqueue_delivery(message.pk), robust=True)
    return message


def enqueue_delivery(message_id: int):
    """Hand a message to Celery. A broker outage is logged, not raised: the sweeper picks the message up later."""
    from core.tasks import deliver_outbox_message

    try:
        deliver_outbox_message.delay(message_id)
    except Exception:  # noqa: BLE001 - the message is durable; losing the enqueue only delays it
        logger.exception("could not enqueue outbox message %s; the sweeper will retry", message_id)


class DeliveryIncomplete(Exception):
    """At least one handler failed; the task retries (the delivered handlers are not run again)."""

    def __init__(self, text, *, attempts=1):
        super().__init__(text)
        self.attempts = attempts


def retry_delay(attempts: int) -> float:
    """Seconds to wait after a message's `attempts`-th failed delivery: 2, 4, 8… capped at the maximum."""
    exponent = min(max(attempts - 1, 0), 30)
    return min(settings.OUTBOX_RETRY_BACKOFF_SECONDS * (2**exponent), settings.OUTBOX_RETRY_BACKOFF_MAX)


def deliver_message(message_id: int) -> list[str]:
    """Run every pending handler for one message. Returns the names delivered by this call.

    Raises DeliveryIncomplete when a handler failed, after recording the error on the message.
    """
    from core.models import OutboxDelivery, OutboxMessage

    message = OutboxMessage.objects.filter(pk=message_id).first()
    if message is None or message.dispatched_at is not None:
        return []
    OutboxMessage.objects.filter(pk=message_id).update(attempts=F("attempts") + 1)
    delivered, errors = [], []

    def failed(handler, exc):
        logger.exception("outbox handler %s failed on message %s", handler.name, message.uuid)
        errors.append(f"{handler.name}: {exc!r}\n{traceback.format_exc(limit=5)}")

    for handler in handlers_for(message.topic):
        claimed = False
        try:
            if not handler.wants(message):
                continue
            with transaction.atomic():
                # The delivery row claims the handler's turn before it runs: a concurrent worker (a redelivered
                # task, the sweeper) inserting the same (message, handler) pair waits on the unique index until
                # this transaction ends, then fails and skips; if this one rolls back, that one proceeds.
                OutboxDelivery.objects.create(message_id=message_id, handler=handler.name)
                claimed = True
                handler.func(message)
            delivered.append(handler.name)
        except IntegrityError as exc:
            if claimed:  # the handler's own integrity error; unclaimed: another worker delivered it already
                failed(handler, exc)
        except Exception as exc:  # noqa: BLE001 - one failing consumer must not starve the others
            failed(handler, exc)
    if errors:
        attempts = message.attempts + 1
        # The task retries itself after retry_delay; the sweeper steps in only if that retry never comes.
        due = timezone.now() + timedelta(seconds=retry_delay(attempts) + settings.OUTBOX_SWEEP_AFTER_SECONDS)
        OutboxMessage.objects.filter(pk=message_id).update(last_error="\n".join(errors)[:4000], next_attempt_at=due)
        raise DeliveryIncomplete(f"{len(errors)} handler(s) failed for message {message.uuid}", attempts=attempts)
    OutboxMessage.objects.filter(pk=message_id, dispatched_at__isnull=True).update(
        dispatched_at=timezone.now(), last_error=""
    )
    return delivered


def pending_messages(*, older_than_seconds: float):
    from core.models import OutboxMessage

    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    return OutboxMessage.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        dispatched_at__isnull=True, created_at__lte=cutoff, attempts__lt=settings.OUTBOX_MAX_ATTEMPTS,
    ).order_by("id")


def sweep_outbox(*, older_than_seconds: float | None = None, limit: int = 500) -> int:
    """Re-enqueue messages not fully delivered after a while (crashed worker, lost broker message)."""
    if older_than_seconds is None:
        older_than_seconds = settings.OUTBOX_SWEEP_AFTER_SECONDS
    ids = list(pending_messages(older_than_seconds=older_than_seconds).values_list("id", flat=True)[:limit])
    for message_id in ids:
        enqueue_delivery(message_id)
    if ids:
        logger.info("outbox sweeper re-enqueued %d message(s)", len(ids))
    return len(ids)


def purge_delivered(*, older_than_days: int | None = None) -> int:
    """Delete fully delivered messages (and their delivery rows) after the retention period.

    Undelivered messages are never purged: they stay for the sweeper or, past OUTBOX_MAX_ATTEMPTS, for an operator.
    """
    from core.models import OutboxMessage

    if older_than_days is None:
        older_than_days = settings.OUTBOX_RETENTION_DAYS
    cutoff = timezone.now() - timedelta(days=older_than_days)
    deleted, _by_model = OutboxMessage.objects.filter(dispatched_at__isnull=False, dispatched_at__lt=cutoff).delete()
    return deleted
