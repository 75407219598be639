"""Periodic jobs of the booking flow (scheduled in config/settings/base.py: CELERY_BEAT_SCHEDULE)."""

from celery import shared_task


@shared_task(name="booking.pool_stale_drafts")
def pool_stale_drafts():
    """Unconfirmed drafts past BOOKING_DRAFT_TIMEOUT_MINUTES enter the pending pool; old HIS nonces go."""
    from booking.services import pool_timeout_sweep
    from booking.signing import purge_nonces

    purge_nonces()
    return pool_timeout_sweep()
