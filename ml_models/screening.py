"""Rule-based screening for events without a validated pre-operative model (sepsis, shock).

No percentage is ever produced. A rule set is data (default: ``specs/screening_rules.toml``; the knowledge base may
pass its own to ``engine.evaluate(screening_rules=...)``) in this format (JSON or TOML, same shape):

    {"sepsis": {
        "version": "2026.1",                               # free text, echoed in the result
        "factors": [                                       # each factor fires when its condition is true
            {"key": "preexisting_sirs_or_sepsis", "label_zh": "术前已存在SIRS/脓毒症",
             "when": {"input": "sepsis_status", "in": ["sirs", "sepsis", "septic_shock"]},
             "source": "RISK_MODELS.md §11",              # optional
             "level_floor": "high"},                       # optional: this factor alone sets at least this level
            ...],
        "levels": [                                        # level from the number of fired factors
            {"min_count": 0, "level": "low", "label_zh": "低"},
            {"min_count": 1, "level": "intermediate", "label_zh": "中"},
            {"min_count": 2, "level": "high", "label_zh": "高"}]},
     "shock": {...}}

Conditions use the spec condition language (see ``spec.py``). A factor whose input is absent is *not evaluable*:
it does not fire and its inputs are listed in ``missing_inputs``; when no factor is evaluable the status is
``insufficient_data``.
"""

from __future__ import annotations

import copy
import tomllib
from functools import cache

from .inputs import InputError
from .spec import (
    LEVELS,
    SPEC_DIR,
    SpecError,
    check_condition,
    compile_condition,
    condition_inputs,
    input_schema,
)

RULE_SETS = ("sepsis", "shock")


@cache
def _default_rules() -> dict:
    with open(SPEC_DIR / "screening_rules.toml", "rb") as fh:
        rules = tomllib.load(fh)
    validate_rules(rules, full=True)
    return rules


def default_rules() -> dict:
    return copy.deepcopy(_default_rules())


def validate_rules(rules, *, full: bool = False) -> None:
    """Raise SpecError for a malformed rule set dict (``full``: both rule sets must be present)."""
    if not isinstance(rules, dict):
        raise SpecError("screening rules must be an object keyed by rule set (sepsis, shock)")
    unknown = set(rules) - set(RULE_SETS)
    if unknown:
        raise SpecError(f"unknown rule sets {sorted(unknown)}; known: {RULE_SETS}")
    if full and set(rules) != set(RULE_SETS):
        raise SpecError(f"rule sets {RULE_SETS} are all required")
    schema = input_schema()
    for name, rule_set in rules.items():
        if not isinstance(rule_set, dict):
            raise SpecError(f"{name}: must be an object")
        factors, levels = rule_set.get("factors"), rule_set.get("levels")
        if not isinstance(factors, list) or not factors:
            raise SpecError(f"{name}.factors: a non-empty list is required")
        keys = set()
        for i, factor in enumerate(factors):
            where = f"{name}.factors[{i}]"
            if not isinstance(factor, dict) or not isinstance(factor.get("key"), str) \
                    or not isinstance(factor.get("label_zh"), str):
                raise SpecError(f"{where}: key and label_zh (strings) are required")
            if factor["key"] in keys:
                raise SpecError(f"{where}: duplicate key {factor['key']!r}")
            keys.add(factor["key"])
            check_condition(factor.get("when"), schema, where)
            if "level_floor" in factor and factor["level_floor"] not in LEVELS:
                raise SpecError(f"{where}: level_floor must be one of {LEVELS}")
        if not isinstance(levels, list) or not levels:
            raise SpecError(f"{name}.levels: a non-empty list is required")
        counts = []
        for i, level in enumerate(levels):
            if not isinstance(level, dict) or level.get("level") not in LEVELS \
                    or not isinstance(level.get("min_count"), int) or isinstance(level.get("min_count"), bool) \
                    or not isinstance(level.get("label_zh"), str):
                raise SpecError(f"{name}.levels[{i}]: min_count (integer), level ({LEVELS}) and label_zh required")
            counts.append(level["min_count"])
        if counts[0] != 0 or counts != sorted(set(counts)):
            raise SpecError(f"{name}.levels: min_count must start at 0 and strictly increase")


def resolve_rules(overrides) -> dict:
    """The default rule sets with the caller's rule sets replacing them (InputError if malformed). Read-only:
    the engine never mutates rule sets, so the defaults are not copied on every evaluation."""
    if overrides is None:
        return _default_rules()
    try:
        validate_rules(overrides)
    except SpecError as exc:
        raise InputError({"screening_rules": [f"筛查规则格式错误：{exc}"]}) from exc
    return {**_default_rules(), **overrides}


def compile_rule_set(rule_set: dict) -> list[tuple[dict, object, set[str]]]:
    """(factor, compiled condition, its inputs) for each factor — compiled once per evaluation batch."""
    return [(f, compile_condition(f["when"]), condition_inputs(f["when"])) for f in rule_set["factors"]]


def screen(rule_set: dict, canon: dict, compiled=None) -> dict:
    """Evaluate one rule set: fired factors, count, level, missing inputs."""
    fired, missing, evaluable = [], set(), 0
    floor = 0
    for factor, test, inputs in compiled or compile_rule_set(rule_set):
        outcome = test(canon)
        if outcome is None:
            missing |= {n for n in inputs if n not in canon}
            continue
        evaluable += 1
        if outcome:
            fired.append(factor)
            if "level_floor" in factor:
                floor = max(floor, LEVELS.index(factor["level_floor"]))
    count = len(fired)
    chosen = [lv for lv in rule_set["levels"] if lv["min_count"] <= count][-1]
    if LEVELS.index(chosen["level"]) < floor:
        chosen = next((lv for lv in rule_set["levels"] if LEVELS.index(lv["level"]) >= floor),
                      {"level": LEVELS[floor], "label_zh": LEVELS[floor], "min_count": count})
    return {"fired": fired, "count": count, "level": chosen, "missing": sorted(missing),
            "evaluable": evaluable, "total": len(rule_set["factors"])}
