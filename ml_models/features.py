"""Preprocessing shared by the engine and the numpy reference: canonical inputs -> one model's feature matrix.

Column order is the spec's feature order (scoring features, then auxiliary ones). Indicator columns are 1.0
when their condition holds; reference categories have no column at all (an all-zero one-hot), so the
coefficient table reads exactly like the paper's. Continuous columns carry the input value (age in years,
BMI in kg/m²). The work is column-wise over the whole batch (numpy), so a batch of 10,000 patients costs a few
array operations per feature rather than a Python loop per patient and feature.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .spec import ModelSpec, input_schema

_NUMERIC = ("number", "integer", "bool")
# Below this batch size the per-patient condition functions are faster than numpy's per-call overhead; both
# implement the same condition language and a test keeps them in agreement.
SMALL_BATCH = 32


class BatchColumns:
    """Column view of a batch of canonical patients: ``columns(name) -> (values, present)``.

    Numeric and bool inputs are float64 arrays (NaN where absent; bools as 0/1); enums and lists are object
    arrays (None where absent). Built lazily, once per input, shared by every model of the batch."""

    def __init__(self, canons: list[dict]):
        self.canons = canons
        self.n = len(canons)
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._schema = input_schema()

    def __call__(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        column = self._cache.get(name)
        if column is None:
            raw = [c.get(name) for c in self.canons]
            present = np.fromiter((v is not None for v in raw), dtype=bool, count=self.n)
            if self._schema[name]["type"] in _NUMERIC:
                values = np.fromiter((np.nan if v is None else float(v) for v in raw), dtype=np.float64,
                                     count=self.n)
            else:
                values = np.empty(self.n, dtype=object)
                values[:] = raw
            column = self._cache[name] = (values, present)
        return column

    def present(self, name: str) -> np.ndarray:
        return self(name)[1]

    def truth(self, scalar, vector) -> list[bool | None]:
        """A condition's three-valued truth over the batch (None = unknown), by whichever implementation is
        cheaper for the batch size."""
        if self.n <= SMALL_BATCH:
            return [scalar(c) for c in self.canons]
        truth, known = vector(self)
        return [t if k else None for t, k in zip(truth.tolist(), known.tolist(), strict=True)]


@dataclass
class FeatureBatch:
    x: np.ndarray             # [N, F] float32, every patient (rows of incomplete patients are meaningless)
    complete: np.ndarray      # [N] bool: every required input present


def feature_matrix(spec: ModelSpec, columns: BatchColumns) -> FeatureBatch:
    n = columns.n
    if n <= SMALL_BATCH:  # per patient: plain Python rows (numpy's per-call overhead dominates tiny batches)
        canons = columns.canons
        complete = np.fromiter((all(name in c for name in spec.required) for c in canons), dtype=bool, count=n)
        rows = [[float(c.get(f.value_input, 0.0)) if f.value_input is not None else (1.0 if f.test(c) else 0.0)
                 for f in spec.features] for c in canons]
        x = np.array(rows, dtype=np.float32).reshape(n, len(spec.features))
        return FeatureBatch(x=x, complete=complete)
    complete = np.ones(n, dtype=bool)
    for name in spec.required:
        complete &= columns.present(name)
    x = np.zeros((n, len(spec.features)), dtype=np.float32)
    for j, f in enumerate(spec.features):
        if f.value_input is not None:
            values, present = columns(f.value_input)
            x[:, j] = np.where(present, values, 0.0)
        else:
            x[:, j] = f.vector(columns)[0]
    return FeatureBatch(x=x, complete=complete)


def complete_rows(spec: ModelSpec, canons: list[dict]) -> np.ndarray:
    """The feature rows of the patients with every required input (tests and the benchmark)."""
    batch = feature_matrix(spec, BatchColumns(canons))
    return np.ascontiguousarray(batch.x[batch.complete])
