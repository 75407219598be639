"""The timeline projection: folds a case's events, in sequence order, into node states (T1).

One code path for everything: the outbox handler applies the events after `last_sequence` (so redelivered or
out-of-order messages are harmless: the case-event table is the source, not the message), the beat task applies
the clock, and a rebuild replays every event of the case from an empty projection.

Per event, for each node, the matching triggers apply in this order (the last one that changes the state wins):
reset (→ pending, times cleared) · start (pending/failed/overdue-for-start → in_progress) · complete (→ done) ·
fail (→ failed) · skip (an open node → skipped). Before an event, the clock runs up to the event's hospital time:
an open node past its deadline becomes overdue (a node due to *start* only while pending). A node whose deadline
moves later (rescheduled surgery) stops being overdue.
"""

from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_date

from cases.models import CaseEvent
from timeline.definitions import (
    case_definitions,
    deadline_for,
    expected_at,
    not_applicable,
    trigger_fires,
    type_matches,
)
from timeline.models import (
    OPEN_STATES,
    Anchor,
    CaseNode,
    CaseTimeline,
    DueFor,
    NodeState,
    NodeTransition,
    TransitionCause,
)

S = NodeState


def event_payload(event: CaseEvent) -> dict:
    """The shape matchers read: the same keys as the outbox message of a case event (data = the event payload)."""
    return {
        "type": event.type,
        "sequence": event.sequence,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "state": event.to_state,
        "actor": {"type": event.actor_type, "id": event.actor_id, "name": event.actor_name},
        "data": event.payload or {},
    }


@dataclass
class Change:
    """A node whose state changed in this run (for the realtime push)."""

    key: str
    from_state: str
    to_state: str
    event: CaseEvent | None
    started: bool = False


@dataclass
class Projection:
    case: object
    timeline: CaseTimeline
    definitions: list
    nodes: dict = field(default_factory=dict)  # key -> CaseNode
    transitions: list = field(default_factory=list)  # new NodeTransition rows
    changes: dict = field(default_factory=dict)  # key -> Change (first from, last to)
    dirty: set = field(default_factory=set)

    # --- context ------------------------------------------------------------------------------------------------

    @property
    def context(self) -> dict:
        return self.timeline.context

    def planned_date(self) -> date | None:
        value = self.context.get("planned_date")
        if value:
            return parse_date(value)
        return self.case.planned_date

    def _event_times(self) -> dict:
        from django.utils.dateparse import parse_datetime

        return {k: parse_datetime(v) for k, v in (self.context.get("anchors") or {}).items()}

    def _node_times(self) -> dict:
        return {key: node.completed_at or node.started_at for key, node in self.nodes.items()}

    def deadlines(self) -> dict:
        """key -> (expected, deadline) for every definition, from the context as it stands."""
        planned, nodes, events = self.planned_date(), self._node_times(), self._event_times()
        result = {}
        for definition in self.definitions:
            expected = expected_at(definition, planned_date=planned, node_times=nodes, event_times=events)
            result[definition.key] = (expected, deadline_for(definition, expected))
        return result

    def _remember(self, event: CaseEvent):
        data = event.payload or {}
        if isinstance(data, dict) and data.get("planned_date"):
            self.context["planned_date"] = str(data["planned_date"])
        anchors = self.context.setdefault("anchors", {})
        for definition in self.definitions:
            ref = definition.expected_anchor_ref
            if definition.expected_anchor == Anchor.EVENT and ref and type_matches(ref, event.type):
                anchors[ref] = event.occurred_at.isoformat()

    # --- nodes --------------------------------------------------------------------------------------------------

    def node(self, definition) -> CaseNode:
        node = self.nodes.get(definition.key)
        if node is None:
            node = CaseNode(case=self.case, key=definition.key, state=S.PENDING)
            self.nodes[definition.key] = node
        if node.definition_id != definition.pk or node.definition_version != definition.version:
            node.definition = definition
            node.definition_version = definition.version
            self.dirty.add(definition.key)
        return node

    def _move(self, definition, node, to_state, *, trigger, cause, at, event=None, actor=None):
        from_state = node.state
        if to_state == from_state:
            return
        node.state = to_state
        node.state_changed_at = at
        actor = actor or {}
        self.transitions.append(NodeTransition(
            node=node, case=self.case, from_state=from_state, to_state=to_state, trigger=trigger, cause=cause,
            event=event, event_type=event.type if event else "", event_sequence=event.sequence if event else None,
            occurred_at=at, recorded_at=timezone.now(), actor_type=actor.get("type", "system"),
            actor_id=actor.get("id", ""), actor_name=actor.get("name", "system"),
            definition_version=definition.version,
        ))
        change = self.changes.get(definition.key)
        if change is None:
            change = self.changes[definition.key] = Change(definition.key, from_state, to_state, event)
        change.to_state, change.event, change.started = to_state, event, node.started_at is not None
        if event is not None:
            node.last_event = event
        self.dirty.add(definition.key)

    # --- the fold -----------------------------------------------------------------------------------------------

    def apply_clock(self, now):
        """Mark open nodes past their deadline as overdue (at the deadline); un-mark those whose deadline moved."""
        deadlines = self.deadlines()
        for definition in self.definitions:
            node = self.node(definition)
            expected, deadline = deadlines[definition.key]
            if node.expected_at != expected or node.deadline_at != deadline:
                node.expected_at, node.deadline_at = expected, deadline
                self.dirty.add(definition.key)
            if node.state == S.OVERDUE and (deadline is None or deadline > now):
                back = S.IN_PROGRESS if node.started_at else S.PENDING
                node.overdue_at = None
                self._move(definition, node, back, trigger="due_moved", cause=TransitionCause.CLOCK, at=now)
                continue
            if deadline is None or deadline > now:
                continue
            eligible = node.state == S.PENDING or (
                node.state == S.IN_PROGRESS and definition.due_for == DueFor.COMPLETION)
            if eligible:
                node.overdue_at = deadline
                node.was_overdue = True
                self._move(definition, node, S.OVERDUE, trigger="overdue", cause=TransitionCause.CLOCK, at=deadline)

    def apply_event(self, event: CaseEvent):
        self.apply_clock(event.occurred_at)
        self._remember(event)
        payload = event_payload(event)
        actor = payload["actor"]
        at = event.occurred_at
        deadlines = None
        for definition in self.definitions:
            fired = [name for name in ("reset_on", "start_on", "complete_on", "fail_on", "skip_on")
                     if trigger_fires(getattr(definition, name), event.type, payload)]
            if not fired:
                continue
            node = self.node(definition)
            state, trigger = node.state, None
            for name in fired:
                if name == "reset_on" and state != S.PENDING:
                    state, trigger = S.PENDING, "reset"
                    node.started_at = node.completed_at = node.failed_at = node.skipped_at = None
                    node.overdue_at, node.was_overdue = None, False
                elif name == "start_on":
                    if node.started_at is None or state in (S.PENDING, S.FAILED):
                        node.started_at = at
                    if state in (S.PENDING, S.FAILED) or (state == S.OVERDUE and definition.due_for == DueFor.START):
                        state, trigger = S.IN_PROGRESS, "start"
                elif name == "complete_on" and state != S.DONE:
                    state, trigger = S.DONE, "complete"
                    node.completed_at = at
                    if deadlines is None:
                        deadlines = self.deadlines()
                    deadline = deadlines[definition.key][1]
                    late_for = at if definition.due_for == DueFor.COMPLETION else (node.started_at or at)
                    node.was_overdue = bool(deadline is not None and late_for > deadline)
                elif name == "fail_on" and state != S.FAILED:
                    state, trigger = S.FAILED, "fail"
                    node.failed_at = at
                elif name == "skip_on" and state in OPEN_STATES:
                    state, trigger = S.SKIPPED, "skip"
                    node.skipped_at = at
            if trigger is not None:
                self._move(definition, node, state, trigger=trigger, cause=TransitionCause.EVENT, at=at, event=event,
                           actor=actor)
            else:
                self.dirty.add(definition.key)  # a time may have changed (started while overdue)
        self.timeline.last_sequence = event.sequence
        self.timeline.last_applied_at = event.occurred_at

    def apply_applicability(self, at):
        """Nodes that do not apply to the case as it is now (skip_when) are skipped while open."""
        for definition in self.definitions:
            node = self.node(definition)
            if node.state in OPEN_STATES and not_applicable(definition, self.case):
                node.skipped_at = at
                self._move(definition, node, S.SKIPPED, trigger="skip", cause=TransitionCause.APPLICABILITY, at=at)

    # --- persistence --------------------------------------------------------------------------------------------

    def save(self):
        self.timeline.save()
        for key in sorted(self.dirty | set(self.changes)):
            node = self.nodes[key]
            node.save()
        for transition in self.transitions:
            transition.node_id = transition.node.pk
        NodeTransition.objects.bulk_create(self.transitions)
        return list(self.changes.values())


def _timeline_locked(case) -> CaseTimeline:
    """The case's projection header, created if missing, locked for this transaction."""
    if not CaseTimeline.objects.filter(case=case).exists():
        try:
            with transaction.atomic():
                CaseTimeline.objects.create(case=case, context={})
        except IntegrityError:
            pass  # created by a concurrent worker
    return CaseTimeline.objects.select_for_update().get(case=case)


def load(case, timeline, *, fresh=False) -> Projection:
    projection = Projection(case=case, timeline=timeline, definitions=case_definitions(case))
    if not fresh:
        for node in CaseNode.objects.filter(case=case):
            projection.nodes[node.key] = node
    return projection


def _events_after(case, sequence):
    return list(CaseEvent.objects.filter(case=case, sequence__gt=sequence).order_by("sequence"))


def sync(case, *, now=None) -> list[Change]:
    """Apply the case's events not applied yet, then the clock and applicability. The caller is in a transaction."""
    timeline = _timeline_locked(case)
    events = _events_after(case, timeline.last_sequence)
    projection = load(case, timeline)
    for event in events:
        projection.apply_event(event)
    now = now or timezone.now()
    projection.apply_clock(now)
    projection.apply_applicability(now)
    return projection.save()


def rebuild(case, *, now=None) -> list[Change]:
    """Replay every event of the case into an empty projection (after a configuration change or a repair)."""
    timeline = _timeline_locked(case)
    CaseNode.objects.filter(case=case).delete()  # their transitions go with them
    timeline.last_sequence, timeline.last_applied_at, timeline.context = 0, None, {}
    projection = load(case, timeline, fresh=True)
    for event in _events_after(case, 0):
        projection.apply_event(event)
    now = now or timezone.now()
    projection.apply_clock(now)
    projection.apply_applicability(now)
    timeline.rebuilt_at = now
    return projection.save()
