"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): one theatre application of `case`
(received by the theatre, as after a send), so every route over a case's applications is probed on a real row,
and one schedule exclusion (of a department of its own, so no seeded case is excluded by it)."""

import uuid

from django.utils import timezone

from org.models import Department
from scheduling.models import ApplicationStatus, ExclusionKind, ScheduleExclusion, TheatreApplication


def seed_rows(*, ward, patient, case) -> None:
    hospital = ward.department.hospital
    department = Department.objects.create(hospital=hospital, code=f"SX{uuid.uuid4().hex[:8]}", name="内镜中心")
    ScheduleExclusion.objects.create(hospital=hospital, kind=ExclusionKind.DEPARTMENT, department=department,
                                     reason="内镜诊疗不经手术室排程")
    if case is None:
        return
    TheatreApplication.objects.create(
        case=case, application_no=f"DSSEED{uuid.uuid4().hex[:12].upper()}",
        planned_date=case.planned_date or timezone.localdate(), status=ApplicationStatus.SUBMITTED,
        submitted_at=timezone.now(), attempts=1, theatre_status="received",
    )
