"""Scheduled imports owned by the clinical-integration side (settings.CELERY_BEAT_SCHEDULE).

The sedated endoscopy import writes anaesthesia rows but lives here with the rest of the medical-tech integration
(anaesthesia/sedation.py holds the service); the task name is the anaesthesia one the beat schedule uses.
"""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from core.errors import ExternalServiceError

logger = logging.getLogger(__name__)


@shared_task(name="anaesthesia.sedation_appointments_import", bind=True, max_retries=6, default_retry_delay=600)
def sedation_appointments_import_task(self):
    """A11: import tomorrow's and the day after's sedated endoscopy lists (idempotent; retried when the
    appointment system is down)."""
    from anaesthesia.sedation import sedation_appointments_import

    today = timezone.localdate()
    results = []
    try:
        for days in getattr(settings, "ANAESTHESIA_SEDATION_IMPORT_DAYS", [1, 2]):
            results.append(sedation_appointments_import(on=today + timedelta(days=days)))
    except ExternalServiceError as exc:
        logger.warning("sedation appointment import failed (%s); retrying", exc.code)
        raise self.retry(exc=exc) from exc
    return results
