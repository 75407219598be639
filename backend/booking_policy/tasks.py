"""Thin Celery wrappers of the booking policy (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from booking_policy.services import surgeon_assignment_tasks_refresh


@shared_task(name="booking_policy.surgeon_assignment_todos")
def surgeon_assignment_todos():
    """B5: tomorrow's bookings still under a virtual surgeon become the ward's to-dos. Idempotent."""
    return surgeon_assignment_tasks_refresh()
