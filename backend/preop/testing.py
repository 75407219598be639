"""Seed rows for the cross-cutting tests (authorisation matrix, schema fuzzer): the bed-card icons of `case` (an
alert with its flag labels, a look-up and a state marker), so every preop route reads real patient-bearing rows."""

import uuid

from django.utils import timezone

from preop.models import CaseIcon


def seed_rows(*, ward, patient, case) -> None:
    if case is None:
        return
    now = timezone.now()
    rows = [
        ("lab_abnormal", "alert", {"high_risk": True, "categories": ["lab_threshold"],
                                   "flags": [{"category": "lab_threshold", "code": "K", "label": "血钾 6.1 mmol/L",
                                              "rule": ""}]}),
        ("messages_sent", "lookup", {"channel": "sms", "kind": "booking_notice", "status": "sent"}),
        ("app_logged_in", "state", {}),
    ]
    for n, (key, icon_class, detail) in enumerate(rows, 1):
        CaseIcon.objects.update_or_create(case=case, key=key, defaults={
            "icon_class": icon_class, "active": True, "sequence": 10_000 + n, "event_uuid": uuid.uuid4(),
            "event_type": "seed", "changed_at": now, "count": 1, "detail": detail,
        })
