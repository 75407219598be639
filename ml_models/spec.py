"""Model specifications as data: loading, validation and the small condition language they use.

Each model is one TOML file in ``specs/`` (read with stdlib ``tomllib``); ``specs/index.toml`` fixes the order
of the models in every result list; ``specs/inputs.toml`` describes the canonical patient inputs. The spec is the
single source of the model's figures: the ONNX builder, the numpy reference, the engine and the model cards all
read it, so a figure is written down exactly once (next to its confidence tag and source).

Condition language (used by features, applicability rules and screening rules), a TOML inline table:
    {input = "asa_class", eq = 3}                       equal            (also ne)
    {input = "sort_specialty", in = ["colorectal", ...]} member of a set  (also not_in)
    {input = "age", gt = 50, le = 80}                    range, any of gt/ge/lt/le combined with AND
    {input = "caprini_factors", contains = "copd"}       a list input holds the key
    {input = "creatinine_umol_l", missing = true}        the input is absent (false: present)
    {any = [cond, ...]}  {all = [cond, ...]}  {not = cond}
Evaluation is three-valued: a condition on an absent input is *unknown* (None) except ``missing``; ``any`` is
true when one branch is true, ``all`` false when one branch is false, otherwise unknown propagates. A feature
whose condition is unknown contributes nothing (its input is then reported as missing or assumed).
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SPEC_DIR = Path(__file__).resolve().parent / "specs"
# Bump when the graph layout or the preprocessing changes: it is part of every spec hash, so built graphs
# from an older builder are rebuilt automatically.
BUILDER_VERSION = "3"
ENGINE_VERSION = "2026.11.1"

CONFIDENCE_ORDER = {"V": 0, "C": 1, "S": 2, "R": 3}  # larger = weaker
LEVELS = ("low", "intermediate", "high")
KINDS = ("logistic", "points", "screening")
_RANGE_OPS = ("gt", "ge", "lt", "le")
_INPUT_OPS = ("eq", "ne", "in", "not_in", "contains", "missing", *_RANGE_OPS)


class SpecError(ValueError):
    """A specification file is malformed (raised at load time, never for patient input)."""


Condition = Callable[[dict], "bool | None"]


def weakest(tags) -> str:
    tags = [t for t in tags if t]
    return max(tags, key=CONFIDENCE_ORDER.__getitem__) if tags else "V"


# --- conditions -------------------------------------------------------------------------------------------


def condition_inputs(cond: dict) -> set[str]:
    if "any" in cond or "all" in cond:
        return set().union(*(condition_inputs(c) for c in cond.get("any", cond.get("all"))))
    if "not" in cond:
        return condition_inputs(cond["not"])
    return {cond["input"]}


def check_condition(cond: Any, inputs: dict, where: str) -> None:
    """Validate a condition against the input schema (names, enum values, operator names)."""
    if not isinstance(cond, dict) or not cond:
        raise SpecError(f"{where}: a condition must be a non-empty table")
    for combinator in ("any", "all"):
        if combinator in cond:
            if set(cond) != {combinator} or not isinstance(cond[combinator], list) or not cond[combinator]:
                raise SpecError(f"{where}: '{combinator}' takes a non-empty list and nothing else")
            for i, sub in enumerate(cond[combinator]):
                check_condition(sub, inputs, f"{where}.{combinator}[{i}]")
            return
    if "not" in cond:
        if set(cond) != {"not"}:
            raise SpecError(f"{where}: 'not' takes one condition and nothing else")
        check_condition(cond["not"], inputs, f"{where}.not")
        return
    name = cond.get("input")
    if name not in inputs:
        raise SpecError(f"{where}: unknown input {name!r}")
    ops = set(cond) - {"input"}
    if not ops or not ops <= set(_INPUT_OPS):
        raise SpecError(f"{where}: operators must be among {_INPUT_OPS}, got {sorted(ops)}")
    if len(ops - set(_RANGE_OPS)) > 1 or (ops - set(_RANGE_OPS) and ops & set(_RANGE_OPS)):
        raise SpecError(f"{where}: combine only range operators (gt/ge/lt/le) in one condition")
    schema = inputs[name]
    allowed = schema.get("allowed")
    for op in ops:
        value = cond[op]
        if op in _RANGE_OPS and (schema["type"] not in ("number", "integer") or isinstance(value, bool)
                                 or not isinstance(value, int | float)):
            raise SpecError(f"{where}: {op} needs a numeric input and a number")
        if op == "missing" and not isinstance(value, bool):
            raise SpecError(f"{where}: missing takes true/false")
        if op == "contains" and schema["type"] != "list":
            raise SpecError(f"{where}: contains needs a list input")
        values = value if op in ("in", "not_in") else [value] if op in ("eq", "ne", "contains") else []
        if op in ("in", "not_in") and not isinstance(value, list):
            raise SpecError(f"{where}: {op} takes a list")
        for v in values:
            if allowed is not None and v not in allowed:
                raise SpecError(f"{where}: {v!r} is not an allowed value of {name}")
            if schema["type"] == "bool" and not isinstance(v, bool):
                raise SpecError(f"{where}: {name} is a bool input")
            if schema["type"] in ("number", "integer") and (isinstance(v, bool) or not isinstance(v, int | float)):
                raise SpecError(f"{where}: {name} is a numeric input")


def compile_condition(cond: dict) -> Condition:
    """Turn a (validated) condition into a function patient -> True | False | None (unknown)."""
    if "any" in cond:
        parts = [compile_condition(c) for c in cond["any"]]

        def any_(p):
            seen_unknown = False
            for part in parts:
                r = part(p)
                if r:
                    return True
                seen_unknown |= r is None
            return None if seen_unknown else False

        return any_
    if "all" in cond:
        parts = [compile_condition(c) for c in cond["all"]]

        def all_(p):
            seen_unknown = False
            for part in parts:
                r = part(p)
                if r is False:
                    return False
                seen_unknown |= r is None
            return None if seen_unknown else True

        return all_
    if "not" in cond:
        inner = compile_condition(cond["not"])

        def not_(p):
            r = inner(p)
            return None if r is None else not r

        return not_

    name = cond["input"]
    if "missing" in cond:
        want = cond["missing"]
        return lambda p: (p.get(name) is None) is want
    if "eq" in cond:
        v = cond["eq"]
        test = lambda x: x == v  # noqa: E731
    elif "ne" in cond:
        v = cond["ne"]
        test = lambda x: x != v  # noqa: E731
    elif "in" in cond:
        s = frozenset(cond["in"])
        test = lambda x: x in s  # noqa: E731
    elif "not_in" in cond:
        s = frozenset(cond["not_in"])
        test = lambda x: x not in s  # noqa: E731
    elif "contains" in cond:
        v = cond["contains"]
        test = lambda x: v in x  # noqa: E731
    else:
        # Range: one comparison chain with the bounds bound once (hot path of the batch preprocessing).
        lo, hi = cond.get("gt", cond.get("ge")), cond.get("lt", cond.get("le"))
        lo_strict, hi_strict = "gt" in cond, "lt" in cond
        if hi is None:
            test = (lambda x: x > lo) if lo_strict else (lambda x: x >= lo)  # noqa: E731
        elif lo is None:
            test = (lambda x: x < hi) if hi_strict else (lambda x: x <= hi)  # noqa: E731
        else:
            def test(x):
                return (x > lo if lo_strict else x >= lo) and (x < hi if hi_strict else x <= hi)

    def leaf(p):
        x = p.get(name)
        return None if x is None else bool(test(x))

    return leaf


def compile_vector(cond: dict):
    """The same condition over a batch: a function columns -> (truth, known), two bool arrays (truth implies
    known). ``columns(name)`` returns (values, present) for one input over the batch (see features.BatchColumns)."""
    import numpy as np

    if "any" in cond or "all" in cond:
        is_any = "any" in cond
        parts = [compile_vector(c) for c in cond["any" if is_any else "all"]]

        def combine(columns):
            results = [part(columns) for part in parts]
            all_known = np.logical_and.reduce([k for _, k in results])
            if is_any:
                truth = np.logical_or.reduce([t for t, _ in results])
                return truth, truth | all_known
            some_false = np.logical_or.reduce([k & ~t for t, k in results])
            return np.logical_and.reduce([t for t, _ in results]), some_false | all_known

        return combine
    if "not" in cond:
        inner = compile_vector(cond["not"])

        def negate(columns):
            truth, known = inner(columns)
            return known & ~truth, known

        return negate

    name = cond["input"]
    if "missing" in cond:
        want = cond["missing"]

        def missing(columns):
            _, present = columns(name)
            return (~present if want else present.copy()), np.ones_like(present)

        return missing

    def elementwise(fn):
        return np.frompyfunc(fn, 1, 1)

    if "eq" in cond:
        v = cond["eq"]
        v = float(v) if isinstance(v, bool | int | float) else v
        test = lambda x: x == v  # noqa: E731
    elif "ne" in cond:
        v = cond["ne"]
        v = float(v) if isinstance(v, bool | int | float) else v
        test = lambda x: x != v  # noqa: E731
    elif "in" in cond or "not_in" in cond:
        members = frozenset(cond.get("in", cond.get("not_in")))
        member = elementwise(members.__contains__)
        test = (lambda x: member(x).astype(bool)) if "in" in cond else (lambda x: ~member(x).astype(bool))  # noqa
    elif "contains" in cond:
        key = cond["contains"]
        holds = elementwise(lambda x: x is not None and key in x)
        test = lambda x: holds(x).astype(bool)  # noqa: E731
    else:
        lo, hi = cond.get("gt", cond.get("ge")), cond.get("lt", cond.get("le"))
        lo_strict, hi_strict = "gt" in cond, "lt" in cond

        def test(x):
            ok = np.ones(x.shape, dtype=bool)
            with np.errstate(invalid="ignore"):
                if lo is not None:
                    ok &= (x > lo) if lo_strict else (x >= lo)
                if hi is not None:
                    ok &= (x < hi) if hi_strict else (x <= hi)
            return ok

    def leaf(columns):
        values, present = columns(name)
        return np.asarray(test(values), dtype=bool) & present, present

    return leaf


def describe_condition(cond: dict, inputs: dict) -> str:
    """Human-readable form for model cards, e.g. ``51 < age ≤ 80``."""
    if "any" in cond:
        return " or ".join(f"({describe_condition(c, inputs)})" for c in cond["any"])
    if "all" in cond:
        return " and ".join(f"({describe_condition(c, inputs)})" for c in cond["all"])
    if "not" in cond:
        return f"not ({describe_condition(cond['not'], inputs)})"
    name = cond["input"]
    unit = inputs[name].get("unit", "")
    u = f" {unit}" if unit else ""

    def fmt(v):
        return "true" if v is True else "false" if v is False else f"{v}"

    if "missing" in cond:
        return f"{name} {'missing' if cond['missing'] else 'present'}"
    if "eq" in cond:
        return f"{name} = {fmt(cond['eq'])}"
    if "ne" in cond:
        return f"{name} ≠ {fmt(cond['ne'])}"
    if "in" in cond:
        return f"{name} ∈ {{{', '.join(map(fmt, cond['in']))}}}"
    if "not_in" in cond:
        return f"{name} ∉ {{{', '.join(map(fmt, cond['not_in']))}}}"
    if "contains" in cond:
        return f"\"{cond['contains']}\" ∈ {name}"
    lower = (f"{cond['gt']} < " if "gt" in cond else f"{cond['ge']} ≤ " if "ge" in cond else "")
    upper = (f" < {cond['lt']}{u}" if "lt" in cond else f" ≤ {cond['le']}{u}" if "le" in cond else "")
    if lower and not upper:
        return f"{name} {'>' if 'gt' in cond else '≥'} {cond.get('gt', cond.get('ge'))}{u}"
    return f"{lower}{name}{upper}"


# --- specs ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feature:
    key: str
    label: str
    label_zh: str
    weight: float            # β (logistic) or points; 0 for auxiliary columns
    confidence: str
    source: str
    cond: dict | None        # indicator column: 1 when the condition is true
    value_input: str | None  # continuous column: the input's value
    aux: bool = False        # not part of the score (STOP-Bang escalation inputs)
    test: Condition | None = field(default=None, compare=False, repr=False)
    vector: Callable | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Band:
    key: str
    lower: float | None      # inclusive lower bound on score/probability; None for the first band
    label: str
    label_zh: str
    level: str
    risk: float | None       # published risk (fraction) or None
    risk_confidence: str | None
    risk_secondary: float | None = None
    note: str = ""


@dataclass(frozen=True)
class ModelSpec:
    id: str
    raw: dict
    path: Path
    kind: str
    features: tuple[Feature, ...]
    intercept: float
    intercept_confidence: str | None
    bands: tuple[Band, ...]
    band_on: str
    level_source: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    applicability: tuple[tuple[Condition, Callable, dict], ...]   # (scalar, vector, rule)
    spec_hash: str

    @property
    def version(self) -> str:
        return self.raw["version"]

    @property
    def scoring(self) -> tuple[Feature, ...]:
        return tuple(f for f in self.features if not f.aux)

    def inputs_used(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.required, *self.optional]))


@cache
def input_schema() -> dict[str, dict]:
    with open(SPEC_DIR / "inputs.toml", "rb") as fh:
        schema = tomllib.load(fh)
    # The Caprini item keys are declared once: the Caprini spec's `contains` conditions on caprini_factors.
    caprini = _read(SPEC_DIR / "caprini.toml")
    schema["caprini_factors"]["allowed"] = [
        c["contains"] for f in caprini["features"] for c in _leaves(f["when"])
        if c.get("input") == "caprini_factors" and "contains" in c]
    return schema


def _leaves(cond: dict):
    for combinator in ("any", "all"):
        if combinator in cond:
            for sub in cond[combinator]:
                yield from _leaves(sub)
            return
    if "not" in cond:
        yield from _leaves(cond["not"])
        return
    yield cond


def _read(path: Path) -> dict:
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def model_ids() -> list[str]:
    return list(_read(SPEC_DIR / "index.toml")["models"])


def spec_hash(path: Path) -> str:
    digest = hashlib.sha256()
    digest.update(BUILDER_VERSION.encode())
    digest.update(path.read_bytes())
    digest.update((SPEC_DIR / "inputs.toml").read_bytes())
    return digest.hexdigest()[:16]


_REQUIRED_META = ("id", "name", "name_zh", "version", "event", "kind", "citation", "derivation_population",
                  "outcome", "applicability_note", "applicability_note_zh", "evidence_note_zh")


@cache
def load_spec(model_id: str) -> ModelSpec:
    path = SPEC_DIR / f"{model_id}.toml"
    raw = _read(path)
    where = path.name
    for key in _REQUIRED_META:
        if key not in raw:
            raise SpecError(f"{where}: missing '{key}'")
    if raw["id"] != model_id:
        raise SpecError(f"{where}: id {raw['id']!r} does not match the file name")
    kind = raw["kind"]
    if kind not in KINDS:
        raise SpecError(f"{where}: kind must be one of {KINDS}")
    schema = input_schema()
    required = tuple(raw.get("inputs", {}).get("required", []))
    optional = tuple(raw.get("inputs", {}).get("optional", []))
    for name in (*required, *optional):
        if name not in schema:
            raise SpecError(f"{where}: unknown input {name!r} in [inputs]")

    features = []
    if kind != "screening":
        weight_key = "coef" if kind == "logistic" else "points"
        for i, f in enumerate([*raw.get("features", []), *({**a, "aux": True} for a in raw.get("aux", []))]):
            fw = f"{where}: features[{i}] ({f.get('key')})"
            aux = f.get("aux", False)
            if ("when" in f) == ("value" in f):
                raise SpecError(f"{fw}: exactly one of 'when' (indicator) or 'value' (continuous input)")
            if not aux and (weight_key not in f or f.get("confidence") not in CONFIDENCE_ORDER):
                raise SpecError(f"{fw}: needs '{weight_key}' and a confidence tag V/C/S/R")
            used: set[str]
            if "when" in f:
                check_condition(f["when"], schema, fw)
                used = condition_inputs(f["when"])
            else:
                if f["value"] not in schema:
                    raise SpecError(f"{fw}: unknown input {f['value']!r}")
                used = {f["value"]}
            if not used <= set(required) | set(optional):
                raise SpecError(f"{fw}: inputs {sorted(used - set(required) - set(optional))} not declared")
            features.append(Feature(
                key=f["key"], label=f.get("label", f["key"]), label_zh=f["label_zh"],
                weight=float(f.get(weight_key, 0.0)), confidence=f.get("confidence", "V"),
                source=f.get("source", ""), cond=f.get("when"), value_input=f.get("value"), aux=aux,
                test=compile_condition(f["when"]) if "when" in f else None,
                vector=compile_vector(f["when"]) if "when" in f else None))
        keys = [f.key for f in features]
        if len(set(keys)) != len(keys):
            raise SpecError(f"{where}: duplicate feature keys")

    bands: list[Band] = []
    band_cfg = raw.get("bands", {})
    if kind != "screening":
        if band_cfg.get("on") not in ("score", "probability"):
            raise SpecError(f"{where}: [bands] on = 'score' | 'probability'")
        if band_cfg.get("level_source") not in ("published", "institutional"):
            raise SpecError(f"{where}: [bands] level_source = 'published' | 'institutional'")
        for i, b in enumerate(band_cfg.get("band", [])):
            if b.get("level") not in LEVELS:
                raise SpecError(f"{where}: band {i} level must be one of {LEVELS}")
            if (i == 0) != ("lower" not in b):
                raise SpecError(f"{where}: every band but the first needs an inclusive 'lower' bound")
            if "risk" in b and b.get("risk_confidence") not in CONFIDENCE_ORDER:
                raise SpecError(f"{where}: band {i} risk needs risk_confidence")
            bands.append(Band(key=b["key"], lower=b.get("lower"), label=b["label"], label_zh=b["label_zh"],
                              level=b["level"], risk=b.get("risk"), risk_confidence=b.get("risk_confidence"),
                              risk_secondary=b.get("risk_secondary"), note=b.get("note", "")))
        lowers = [b.lower for b in bands[1:]]
        if not bands or lowers != sorted(lowers) or len(set(lowers)) != len(lowers):
            raise SpecError(f"{where}: bands must be non-empty with strictly increasing lower bounds")

    applicability = []
    for i, rule in enumerate(raw.get("outside_derivation", [])):
        check_condition(rule.get("when"), schema, f"{where}: outside_derivation[{i}]")
        if not rule.get("note_zh") or not rule.get("note"):
            raise SpecError(f"{where}: outside_derivation[{i}] needs note and note_zh")
        applicability.append((compile_condition(rule["when"]), compile_vector(rule["when"]), rule))

    return ModelSpec(
        id=model_id, raw=raw, path=path, kind=kind, features=tuple(features),
        intercept=float(raw.get("intercept", 0.0)), intercept_confidence=raw.get("intercept_confidence"),
        bands=tuple(bands), band_on=band_cfg.get("on", ""), level_source=band_cfg.get("level_source", "screening"),
        required=required, optional=optional, applicability=tuple(applicability), spec_hash=spec_hash(path))


def all_specs() -> list[ModelSpec]:
    return [load_spec(m) for m in model_ids()]
