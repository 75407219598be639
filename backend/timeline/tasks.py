"""Thin Celery wrappers of the timeline context (scheduled in timeline/settings_part.py)."""

from celery import shared_task

from timeline import services


@shared_task(name="timeline.mark_overdue")
def mark_overdue():
    """Open nodes past their deadline become overdue. Idempotent; safe to run any time."""
    return services.timeline_mark_overdue()


@shared_task(name="timeline.rebuild_cases")
def rebuild_cases(*, hospital_id=None, management_mode=""):
    """Re-derive the timelines of the active cases a configuration change concerns."""
    return services.timeline_rebuild_many(
        services.cases_to_rebuild(hospital_id=hospital_id, management_mode=management_mode))
