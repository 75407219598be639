"""Evaluating icon rules against case events (one mechanism for every icon; no per-card queries).

Matching is core.event_rules.event_matches (a `where` path whose value is a list matches when any item is accepted:
"data.categories" of clinical.findings.flagged).

`effective_rules(hospital_ids)` resolves, per hospital, the platform defaults overridden by the hospital's own
rows with the same key (an inactive override switches a default off). One query for any number of hospitals.
"""

from dataclasses import dataclass

from core.event_rules import event_matches
from preop.models import IconRule


@dataclass(frozen=True)
class Decision:
    key: str
    icon_class: str
    set: bool  # True: set (or count one more); False: clear


def decide(rules, event_type: str, payload: dict) -> list[Decision]:
    """What one event does to the icons under `rules` (set wins over clear within a rule)."""
    decisions = []
    for rule in rules:
        if event_matches(rule.set_on, event_type, payload):
            decisions.append(Decision(rule.key, rule.icon_class, True))
        elif event_matches(rule.clear_on, event_type, payload):
            decisions.append(Decision(rule.key, rule.icon_class, False))
    return decisions


def effective_rules(hospital_ids, *, include_inactive=False) -> dict:
    """{hospital id: [IconRule...]} in display order; every id in `hospital_ids` gets an entry."""
    hospital_ids = {h for h in hospital_ids if h is not None}
    rows = list(IconRule.objects.filter(hospital__isnull=True) | IconRule.objects.filter(hospital_id__in=hospital_ids))
    defaults = {r.key: r for r in rows if r.hospital_id is None}
    result = {}
    for hospital_id in hospital_ids:
        merged = dict(defaults)
        merged.update({r.key: r for r in rows if r.hospital_id == hospital_id})
        chosen = [r for r in merged.values() if include_inactive or r.is_active]
        result[hospital_id] = sorted(chosen, key=lambda r: (r.position, r.key))
    return result


def rules_for_hospital(hospital_id, *, include_inactive=False) -> list:
    return effective_rules({hospital_id}, include_inactive=include_inactive).get(hospital_id, [])
