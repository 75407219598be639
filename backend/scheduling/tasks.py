"""Thin Celery wrappers of theatre scheduling (scheduled in scheduling/settings_part.py BEAT_SCHEDULE)."""

from celery import shared_task

from scheduling import services, signing


@shared_task(name="scheduling.poll_theatre_schedule")
def poll_theatre_schedule():
    """S1 (b): the theatre's schedule of the coming days → scheduled / cancelled cases. Idempotent."""
    return services.schedule_poll()


@shared_task(name="scheduling.retry_theatre_calls")
def retry_theatre_calls():
    return services.retry_due_calls()


@shared_task(name="scheduling.purge_callback_nonces")
def purge_callback_nonces():
    return signing.purge_nonces()
