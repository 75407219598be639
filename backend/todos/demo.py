"""Demo to-dos: the demo hospital's case events replayed through the to-do rules (`todos_apply_event`), so the
to-dos the pathway opened (virtual bookings, high-risk findings, consultations, manual follow-up calls, abnormal
answers) exist even when the demo was seeded without an outbox worker. Idempotent: a to-do is opened once per
(rule, case, opening event), and replaying in event order closes what later events closed."""

import fnmatch

from cases.models import CaseEvent
from todos.rules import effective_rules
from todos.services import todos_apply_event


def _patterns(rules) -> list[str]:
    return sorted({p for rule in rules for m in [*rule.open_on, *rule.close_on] for p in m.get("types", ())})


def seed_todos(hospital, *, write=print) -> dict:
    patterns = _patterns(effective_rules(hospital.pk))
    events = (CaseEvent.objects.filter(case__ward__department__hospital=hospital)
              .select_related("case__ward", "case__patient").order_by("case_id", "sequence"))
    opened = closed = 0
    for event in events.iterator():
        if not any(fnmatch.fnmatchcase(event.type, p) for p in patterns):
            continue
        result = todos_apply_event({
            "event": str(event.uuid), "type": event.type, "case": str(event.case.uuid), "ward": event.case.ward_id,
            "patient": str(event.case.patient.uuid), "sequence": event.sequence, "data": event.payload or {},
            "from_state": event.from_state, "to_state": event.to_state,
        })
        opened += len(result["opened"])
        closed += len(result["closed"])
    write(f"  to-dos: {opened} opened, {closed} closed from the case events")
    return {"opened": opened, "closed": closed}
