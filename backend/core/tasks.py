"""Thin Celery wrappers around the outbox (see core.outbox)."""

from celery import shared_task
from django.conf import settings

from core.outbox import DeliveryIncomplete, deliver_message, purge_delivered, retry_delay, sweep_outbox


@shared_task(bind=True, name="core.deliver_outbox_message", acks_late=True, max_retries=None)
def deliver_outbox_message(self, message_id):
    try:
        return deliver_message(message_id)
    except DeliveryIncomplete as exc:
        if self.request.is_eager:
            return []  # in-process mode: the sweeper retries later instead of recursing now
        retries = self.request.retries
        if retries >= settings.OUTBOX_TASK_MAX_RETRIES:
            return []  # give up on this task; the sweeper re-enqueues until OUTBOX_MAX_ATTEMPTS
        countdown = retry_delay(exc.attempts)  # the backoff the message recorded (see core.outbox)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="core.sweep_outbox")
def sweep_outbox_task(older_than_seconds=None):
    """Re-enqueue messages a crashed worker or a lost broker message left behind; drop old delivered ones."""
    purge_delivered()
    return sweep_outbox(older_than_seconds=older_than_seconds)
