"""Thin Celery wrappers of the stay context (scheduled in stay/settings_part.py)."""

from celery import shared_task

from stay.services import discharge_his_resend


@shared_task(name="stay.his_discharge_resend")
def his_discharge_resend():
    """Send again the discharges (A03) the HIS has not acknowledged. Idempotent."""
    return discharge_his_resend()
