"""Canonical patient inputs: validation (Chinese field messages) and derived values.

The schema is data (``specs/inputs.toml``). ``canonicalise`` returns a new dict holding only known, valid,
non-null inputs plus the derived ones (BMI, mean arterial pressure, shock index, default urgency); unknown keys
are returned separately so callers can report them (they are never an error: the caller may send more fields
than the engine uses).
"""

from __future__ import annotations

import math

from .spec import input_schema


class InputError(ValueError):
    """The patient dict has wrong types or impossible values. ``fields``: name -> list of Chinese messages."""

    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields
        shown = list(fields.items())[:10]
        more = f"; … {len(fields) - 10} more" if len(fields) > 10 else ""
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in shown) + more)


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


_UNIT_ZH = {"years": "岁", "min": "分钟"}


def _fmt(x: float) -> str:
    return f"{x:g}"


def canonicalise(patient) -> tuple[dict, list[str]]:
    """Validate ``patient`` and return (canonical inputs, ignored keys). Raises InputError."""
    if not isinstance(patient, dict):
        raise InputError({"patient": ["患者数据应为JSON对象（键值对）。"]})
    schema = input_schema()
    errors: dict[str, list[str]] = {}
    out: dict = {}
    ignored = sorted(str(k) for k in patient if k not in schema)

    for name, spec in schema.items():
        if name not in patient or patient[name] is None:
            continue
        value = patient[name]
        label = spec["label_zh"]
        kind = spec["type"]
        if kind in ("number", "integer"):
            number = _number(value)
            if number is None:
                errors[name] = [f"{label}应为数字。"]
                continue
            if kind == "integer":
                if not number.is_integer():
                    errors[name] = [f"{label}应为整数。"]
                    continue
                number = int(number)
            lo, hi = spec["min"], spec["max"]
            if not lo <= number <= hi:
                unit = _UNIT_ZH.get(spec.get("unit", ""), spec.get("unit", ""))
                errors[name] = [f"{label}超出合理范围（{_fmt(lo)}–{_fmt(hi)}{unit}），请核对。"]
                continue
            out[name] = value if kind == "number" and isinstance(value, int) else number  # echo 65, not 65.0
        elif kind == "bool":
            if not isinstance(value, bool):
                errors[name] = [f"{label}应为是/否（true/false）。"]
                continue
            out[name] = value
        elif kind == "enum":
            if not isinstance(value, str) or value not in spec["allowed"]:
                errors[name] = [f"{label}取值无效，可选值：{'、'.join(map(str, spec['allowed']))}。"]
                continue
            out[name] = value
        elif kind == "list":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[name] = [f"{label}应为字符串列表。"]
                continue
            unknown = [v for v in value if v not in spec["allowed"]]
            if unknown:
                errors[name] = [f"{label}包含无效项：{'、'.join(unknown)}。"]
                continue
            out[name] = sorted(set(value))

    if "systolic_bp" in out and "diastolic_bp" in out and out["diastolic_bp"] >= out["systolic_bp"]:
        errors.setdefault("diastolic_bp", []).append("舒张压应低于收缩压，请核对。")
    if "urgency" in out and "emergency" in out and (out["urgency"] == "elective") == out["emergency"]:
        errors.setdefault("urgency", []).append("手术紧急程度与“急诊手术”不一致，请核对。")
    if errors:
        raise InputError(errors)

    _derive(out, schema, errors)
    if errors:
        raise InputError(errors)
    return out, ignored


def _derive(out: dict, schema: dict, errors: dict) -> None:
    if "bmi" not in out and "height_cm" in out and "weight_kg" in out:
        bmi = out["weight_kg"] / (out["height_cm"] / 100) ** 2
        lo, hi = schema["bmi"]["min"], schema["bmi"]["max"]
        if not lo <= bmi <= hi:
            msg = f"由身高和体重算得的BMI为{bmi:.1f}，超出合理范围（{lo}–{hi}），请核对身高和体重。"
            errors.setdefault("weight_kg", []).append(msg)
        else:
            out["bmi"] = round(bmi, 2)
    if "mean_arterial_pressure" not in out and "systolic_bp" in out and "diastolic_bp" in out:
        out["mean_arterial_pressure"] = round((out["systolic_bp"] + 2 * out["diastolic_bp"]) / 3, 1)
    if "shock_index" not in out and "heart_rate" in out and "systolic_bp" in out:
        out["shock_index"] = round(out["heart_rate"] / out["systolic_bp"], 3)
    if "urgency" not in out and out.get("emergency") is False:
        out["urgency"] = "elective"  # an emergency case's NCEPOD urgency cannot be guessed: left missing


def derived_inputs() -> dict[str, str]:
    return {name: s["derivation"] for name, s in input_schema().items() if s.get("derived")}
