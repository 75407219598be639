"""Thin Celery wrappers of the follow-up context (scheduled in followup/settings_part.py)."""

from celery import shared_task

from followup import services
from followup.signing import purge_nonces


@shared_task(name="followup.generate_tasks")
def generate_tasks():
    """F2/F4: create the follow-up tasks whose date has come. Idempotent."""
    return services.tasks_generate(contact_hours=True)


@shared_task(name="followup.advance_overdue")
def advance_overdue():
    """F1: move on the steps past their deadline."""
    return services.advance_overdue(contact_hours=True)


@shared_task(name="followup.purge_callback_nonces")
def purge_callback_nonces():
    return purge_nonces()
