"""Preprocessing shared by the engine and the numpy reference: canonical inputs -> one model's feature row.

Column order is the spec's feature order (scoring features, then auxiliary ones). Indicator columns are 1.0
when their condition holds; reference categories have no column at all (an all-zero one-hot), so the
coefficient table reads exactly like the paper's. Continuous columns carry the input value (age in years,
BMI in kg/m²)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .spec import ModelSpec


@dataclass
class Prepared:
    row: list[float] | None      # None when a required input is missing
    missing: list[str]           # required inputs absent
    assumed: list[str]           # optional inputs absent (their items counted as not present)


def prepare(spec: ModelSpec, canon: dict) -> Prepared:
    missing = [name for name in spec.required if name not in canon]
    assumed = [name for name in spec.optional if name not in canon]
    if missing:
        return Prepared(None, missing, assumed)
    row = []
    for f in spec.features:
        if f.value_input is not None:
            row.append(float(canon[f.value_input]))
        else:
            row.append(1.0 if f.test(canon) else 0.0)
    return Prepared(row, missing, assumed)


def matrix(spec: ModelSpec, rows: list[list[float]]) -> np.ndarray:
    if not rows:
        return np.zeros((0, len(spec.features)), dtype=np.float32)
    return np.asarray(rows, dtype=np.float32)
