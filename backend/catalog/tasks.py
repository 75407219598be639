"""Thin Celery wrapper: the scheduled pull of the HIS procedure catalogue (Y3), run as the system."""

from celery import shared_task

from catalog.services import procedure_sync_from_his
from core.errors import ExternalServiceError


@shared_task(bind=True, name="catalog.sync_procedures_from_his", max_retries=3)
def sync_procedures_from_his(self):
    try:
        return procedure_sync_from_his(actor=None).as_dict()
    except ExternalServiceError as exc:  # the HIS is down: try again later, the catalogue stays as it was
        if self.request.is_eager:
            raise
        raise self.retry(exc=exc, countdown=600) from exc
