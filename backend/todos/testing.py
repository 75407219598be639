"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): one open to-do of `case` in `ward`,
addressed to every holder of todos.view there (so ward-A staff of any role see it and nobody else may)."""

import uuid

from django.utils import timezone

from todos.models import Todo, TodoRule


def seed_rows(*, ward, patient, case) -> None:
    if case is None:
        return
    from todos.services import todo_rules_sync_defaults

    todo_rules_sync_defaults()
    rule = TodoRule.objects.filter(hospital__isnull=True).order_by("position").first()
    Todo.objects.create(
        rule=rule, rule_version=rule.version, kind=rule.key, label=rule.label, case=case, ward=ward, patient=patient,
        subject="seed", title=f"为{patient.name}指定手术医生", audience_permission="todos.view",
        assignee=case.surgeon if case.surgeon_id and not case.surgeon.is_virtual else None,
        opened_event=uuid.uuid4(), opened_event_type="cases.case.booked", opened_sequence=1, opened_at=timezone.now(),
        detail={"booking_mode": "virtual"},
    )
