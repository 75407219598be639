"""Thin Celery wrappers of the forms context (scheduled in forms/settings_part.py)."""

from celery import shared_task

from forms.services import assignments_notify_available


@shared_task(name="forms.notify_available")
def notify_available():
    """Tell patients about forms that have just become fillable. Idempotent."""
    return assignments_notify_available()
