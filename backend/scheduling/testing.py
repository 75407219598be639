"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): one theatre application of `case`
(received by the theatre, as after a send), so every route over a case's applications is probed on a real row."""

import uuid

from django.utils import timezone

from scheduling.models import ApplicationStatus, TheatreApplication


def seed_rows(*, ward, patient, case) -> None:
    if case is None:
        return
    TheatreApplication.objects.create(
        case=case, application_no=f"DSSEED{uuid.uuid4().hex[:12].upper()}",
        planned_date=case.planned_date or timezone.localdate(), status=ApplicationStatus.SUBMITTED,
        submitted_at=timezone.now(), attempts=1, theatre_status="received",
    )
