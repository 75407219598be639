"""Reads of the timeline: a case's nodes for staff (with history) and for the patient, and the configuration.

The case is fetched by the caller through its scope (staff: cases.selectors.case_get; patient: their own cases).
A constant number of queries per timeline: definitions, the projection header, nodes, their transitions.
Overdue is evaluated on read too (the beat task persists it every few minutes).
"""

from dataclasses import dataclass

from django.db.models import Prefetch, Q
from django.utils import timezone

from timeline.definitions import resolve
from timeline.engine import Projection
from timeline.models import (
    OPEN_STATES,
    PATIENT_AUDIENCES,
    STAFF_AUDIENCES,
    CaseNode,
    CaseTimeline,
    DueFor,
    NodeDefinition,
    NodeDefinitionVersion,
    NodeState,
    NodeTransition,
)


@dataclass
class NodeView:
    definition: NodeDefinition
    node: CaseNode | None
    state: str  # as shown: stored state, or "overdue" when the deadline passed and the beat has not run yet
    overdue: bool
    expected_at: object
    deadline_at: object

    @property
    def key(self):
        return self.definition.key

    @property
    def history(self):
        return list(self.node.transitions.all()) if self.node is not None else []


def _views(case, *, audiences, now=None) -> list[NodeView]:
    now = now or timezone.now()
    definitions = [r.definition for r in resolve(case.ward.department.hospital_id, case.ward.management_mode)
                   if r.definition.audience in audiences]
    nodes = {n.key: n for n in CaseNode.objects.filter(case=case).select_related("last_event").prefetch_related(
        Prefetch("transitions", queryset=NodeTransition.objects.select_related("event").order_by("occurred_at",
                                                                                                  "id")))}
    timeline = CaseTimeline.objects.filter(case=case).first() or CaseTimeline(case=case, context={})
    projection = Projection(case=case, timeline=timeline, definitions=definitions, nodes=dict(nodes))
    deadlines = projection.deadlines()  # with today's configuration
    views = []
    for definition in definitions:
        node = nodes.get(definition.key)
        state = node.state if node is not None else NodeState.PENDING
        expected, deadline = deadlines[definition.key]
        late = deadline is not None and deadline <= now and (
            state == NodeState.PENDING or (state == NodeState.IN_PROGRESS and definition.due_for == DueFor.COMPLETION))
        overdue = state == NodeState.OVERDUE or late
        views.append(NodeView(definition, node, NodeState.OVERDUE if overdue else state, overdue, expected, deadline))
    return views


def staff_timeline(case, *, now=None) -> dict:
    views = _views(case, audiences=STAFF_AUDIENCES, now=now)
    return {"case": case, "current": _current(views), "nodes": views}


def patient_timeline(case, *, now=None) -> dict:
    views = _views(case, audiences=PATIENT_AUDIENCES, now=now)
    return {"case": case, "current": _current(views), "nodes": views}


def staff_node(case, key, *, now=None) -> NodeView | None:
    return next((v for v in _views(case, audiences=STAFF_AUDIENCES, now=now) if v.key == key), None)


def _current(views) -> str | None:
    """G1: where the patient stands — the first node (in order) still open."""
    return next((v.key for v in views if v.state in OPEN_STATES), None)


# --- configuration ----------------------------------------------------------------------------------------------


def definition_list(actor):
    """Platform defaults and the actor's hospital's rows (superusers and platform administrators — staff without a
    department — every row)."""
    from timeline.services import actor_hospital

    qs = NodeDefinition.objects.select_related("hospital", "created_by", "updated_by")
    hospital = actor_hospital(actor)
    if getattr(actor, "is_superuser", False) or hospital is None:
        return qs
    return qs.filter(Q(hospital__isnull=True) | Q(hospital=hospital))


def definition_versions(definition):
    return NodeDefinitionVersion.objects.filter(definition=definition).select_related("changed_by").order_by(
        "-version")
