"""Helpers of the timeline tests: append another context's case event as it would, snapshot a projection."""

from django.db import transaction

from cases.services import case_append_event, case_lock


@transaction.atomic
def append(case, event_type, data=None, *, actor=None, occurred_at=None):
    """Record `event_type` on the case as its context does (under the case lock, in one transaction)."""
    locked = case_lock(case)
    return case_append_event(locked, type=event_type, actor=actor, payload=data or {}, occurred_at=occurred_at)


def projection(case) -> dict:
    """Everything the timeline derived for the case, comparable between an incremental run and a rebuild."""
    from timeline.models import CaseNode, NodeTransition

    nodes = {
        n.key: (n.state, n.started_at, n.completed_at, n.failed_at, n.skipped_at, n.overdue_at, n.was_overdue,
                n.expected_at, n.deadline_at)
        for n in CaseNode.objects.filter(case=case)
    }
    transitions = sorted(
        (t.node.key, t.from_state, t.to_state, t.trigger, t.cause, t.event_sequence, t.occurred_at, t.actor_name)
        for t in NodeTransition.objects.filter(case=case).select_related("node")
    )
    return {"nodes": nodes, "transitions": transitions}
