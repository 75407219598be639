"""Thin Celery wrappers of the accounts context (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from accounts.services import purge_expired


@shared_task(name="accounts.purge_expired")
def purge_expired_task():
    """Delete old one-time-code rows and expired JWT bookkeeping. Idempotent."""
    return purge_expired()
