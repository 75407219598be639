"""Thin Celery wrappers of the case context (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from cases.services import run_los_clock


@shared_task(name="cases.los_clock")
def los_clock():
    """G3: flag admitted cases approaching / over 24 h and 48 h. Idempotent; safe to run any time."""
    return run_los_clock()
