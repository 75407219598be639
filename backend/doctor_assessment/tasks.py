"""Periodic work of the doctor assessment (settings_part.BEAT_SCHEDULE)."""

from celery import shared_task


@shared_task(name="doctor_assessment.pull_results")
def pull_results_task():
    """D1: pull the LIS/PACS results of cases planned in the next days and evaluate their findings."""
    from doctor_assessment.services import results_pull_due

    return results_pull_due()
