"""Thin Celery wrapper: the daily rolling release of capacity slots from the weekly templates (放号)."""

from celery import shared_task
from django.conf import settings

from capacity.services import slots_release_horizon


@shared_task(name="capacity.release_horizon")
def release_horizon():
    return slots_release_horizon(days=settings.CAPACITY_RELEASE_DAYS).as_dict()
