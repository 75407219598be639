"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): one row of every patient-bearing
follow-up model for `case` in `ward` — a task, a voice call, a manual call and a tag (raw rows: the matrix needs
them to exist, not to be consistent)."""

from django.utils import timezone

from followup.models import CaseTag, FollowupTask, ManualCall, TagDefinition, TaskStatus, VoiceCall


def seed_rows(*, ward, patient, case) -> None:
    if case is None:
        return
    now = timezone.now()
    task, _created = FollowupTask.objects.get_or_create(case=case, point_key="seed", defaults={
        "ward": ward, "patient": patient, "point_label": "出院后24小时", "anchor": "discharge", "anchor_at": now,
        "offset_hours": 24, "due_at": now, "tiers": ["voice", "selfreport", "manual"], "status": TaskStatus.MANUAL,
        "windows": {"voice_hours": 4, "selfreport_hours": 24, "manual_hours": 24}, "step_deadline_at": now})
    common = {"task": task, "case": case, "ward": ward, "patient": patient}
    VoiceCall.objects.get_or_create(call_id=f"SEED{case.pk:08d}", defaults={**common, "started_at": now,
                                                                             "status": "no_answer"})
    staff = case.surgeon or case.booked_by
    if staff is not None:
        ManualCall.objects.create(**common, called_by=staff, called_at=now, reached=False, note="无人接听")
    definition = TagDefinition.objects.filter(hospital__isnull=True, code="revisit").first()
    if definition is not None:
        CaseTag.objects.get_or_create(case=case, code="revisit", removed_at=None, defaults={
            "ward": ward, "patient": patient, "definition": definition, "label": definition.label,
            "added_at": now})
