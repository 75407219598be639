"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): a finished and an unfinished reading
session of `case` (raw rows: the matrix needs them to exist)."""

from datetime import timedelta

from django.utils import timezone

from education.models import Material, ReadingSession


def seed_rows(*, ward, patient, case) -> None:
    if case is None:
        return
    from education.services import materials_sync_defaults

    material = Material.objects.filter(hospital__isnull=True, retired_at__isnull=True).select_related("current").first()
    if material is None:
        materials_sync_defaults()
        material = Material.objects.filter(hospital__isnull=True, retired_at__isnull=True).select_related(
            "current").first()
    now = timezone.now()
    common = {"case": case, "patient": patient, "ward": ward, "material": material, "version": material.current,
              "min_seconds": material.current.min_read_seconds}
    ReadingSession.objects.create(**common, started_at=now - timedelta(minutes=10), finished_at=now - timedelta(
        minutes=5), read_seconds=300, event_recorded=True)
    ReadingSession.objects.create(**common, started_at=now - timedelta(minutes=1))
