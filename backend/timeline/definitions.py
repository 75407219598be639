"""Which node definitions apply to a hospital and management mode, and the expected time of a node.

Resolution per key, most specific first: (hospital, mode) → (hospital, every mode) → (default, mode) →
(default, every mode). Retired rows take no part; a chosen row with `is_active = False` hides the node.
"""

import fnmatch
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone

from core.event_rules import event_matches
from timeline.models import Anchor, NodeDefinition

END_OF_DAY = time(23, 59)


@dataclass(frozen=True)
class Resolved:
    definition: NodeDefinition
    source: str  # "hospital_mode" / "hospital" / "default_mode" / "default"


def _rank(definition, mode) -> int:
    own = definition.hospital_id is not None
    specific = bool(definition.management_mode) and definition.management_mode == mode
    return {(True, True): 0, (True, False): 1, (False, True): 2, (False, False): 3}[(own, specific)]


_SOURCES = {0: "hospital_mode", 1: "hospital", 2: "default_mode", 3: "default"}


def resolve(hospital_id, mode: str, *, include_hidden=False) -> list[Resolved]:
    """The definitions in force for (hospital, mode), in display order."""
    rows = NodeDefinition.objects.filter(
        Q(hospital_id=hospital_id) | Q(hospital__isnull=True) if hospital_id else Q(hospital__isnull=True),
        Q(management_mode="") | Q(management_mode=mode),
        retired_at__isnull=True,
    )
    best: dict[str, tuple[int, NodeDefinition]] = {}
    for row in rows:
        rank = _rank(row, mode)
        if row.key not in best or rank < best[row.key][0]:
            best[row.key] = (rank, row)
    chosen = [Resolved(row, _SOURCES[rank]) for rank, row in best.values()]
    if not include_hidden:
        chosen = [r for r in chosen if r.definition.is_active]
    return sorted(chosen, key=lambda r: (r.definition.order, r.definition.key))


def effective_definitions(hospital_id, mode: str) -> list[NodeDefinition]:
    return [r.definition for r in resolve(hospital_id, mode)]


def case_definitions(case) -> list[NodeDefinition]:
    return effective_definitions(case.ward.department.hospital_id, case.ward.management_mode)


# --- triggers -------------------------------------------------------------------------------------------------

TRIGGERS = ("reset_on", "start_on", "complete_on", "fail_on", "skip_on")  # the order they apply in


def as_matchers(trigger) -> list[dict]:
    """A stored trigger: a list of matchers (a single matcher object is accepted too)."""
    if not trigger:
        return []
    if isinstance(trigger, dict):
        return [trigger]
    return [m for m in trigger if m]


def trigger_fires(trigger, event_type: str, payload: dict) -> bool:
    return any(event_matches(m, event_type, payload) for m in as_matchers(trigger))


def type_matches(pattern: str, event_type: str) -> bool:
    return fnmatch.fnmatchcase(event_type, pattern)


# --- applicability (skip_when) --------------------------------------------------------------------------------

# Case fields an administrator may use in `skip_when`, with their allowed values (validated in services).
def skip_when_fields() -> dict[str, list[str]]:
    from cases.models import AnaesthesiaClinicStatus, AnaesthesiaMethod, Session, TheatreScheduleStatus

    return {
        "anaesthesia_clinic_status": list(AnaesthesiaClinicStatus.values),
        "anaesthesia_method": list(AnaesthesiaMethod.values),
        "planned_session": list(Session.values),
        "theatre_schedule_status": list(TheatreScheduleStatus.values),
    }


def not_applicable(definition, case) -> bool:
    conditions = definition.skip_when or {}
    return bool(conditions) and all(getattr(case, field, None) in values for field, values in conditions.items())


# --- expected time ---------------------------------------------------------------------------------------------


def _aware(day: date, at: time) -> datetime:
    return timezone.make_aware(datetime.combine(day, at), timezone.get_current_timezone())


def expected_at(definition, *, planned_date, node_times: dict, event_times: dict):
    """The expected time point of the node, or None (no anchor, or the anchor has not happened yet).

    - surgery_date: the planned date + offset days, at `expected_time` (end of that day when not set),
      plus offset hours;
    - node: when the anchor node was done (else started) + offsets; `expected_time` then sets the time of day;
    - event: the latest event of the anchor type + offsets; same rule for `expected_time`.
    """
    anchor = definition.expected_anchor
    days, hours = definition.expected_offset_days, definition.expected_offset_hours
    if anchor == Anchor.SURGERY_DATE:
        if planned_date is None:
            return None
        return _aware(planned_date + timedelta(days=days), definition.expected_time or END_OF_DAY) + timedelta(
            hours=hours)
    if anchor == Anchor.NODE:
        base = node_times.get(definition.expected_anchor_ref)
    elif anchor == Anchor.EVENT:
        base = event_times.get(definition.expected_anchor_ref)
    else:
        return None
    if base is None:
        return None
    moment = base + timedelta(days=days, hours=hours)
    if definition.expected_time is not None:
        moment = _aware(timezone.localdate(moment), definition.expected_time)
    return moment


def deadline_for(definition, expected):
    if expected is None or definition.overdue_after_minutes is None:
        return None
    return expected + timedelta(minutes=definition.overdue_after_minutes)
