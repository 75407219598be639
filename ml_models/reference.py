"""The same math as the ONNX graphs, in plain numpy (float64): the property tests compare the graphs against it
and the benchmark measures onnxruntime against it. It reads the same spec and the same feature rows."""

from __future__ import annotations

import numpy as np

from .spec import ModelSpec


class NumpyModel:
    def __init__(self, spec: ModelSpec, dtype=np.float64):
        self.spec = spec
        self.dtype = dtype
        self.weights = np.array([f.weight for f in spec.features], dtype=dtype)
        self.lowers = np.array([b.lower for b in spec.bands[1:]], dtype=dtype)
        self.risks = np.array([np.nan if b.risk is None else b.risk for b in spec.bands], dtype=dtype)
        rule = spec.raw.get("escalation")
        if rule:
            keys = [f.key for f in spec.features]
            self.stop_idx = [keys.index(k) for k in rule["count_features"]]
            self.plus_idx = [keys.index(k) for k in rule["any_features"]]
            self.min_count = rule["min_count"]
            self.target = [b.key for b in spec.bands].index(rule["to_band"])
        self.escalation = bool(rule)

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        x = np.asarray(x, dtype=self.dtype)
        out = {"terms": x * self.weights}
        weighted = x @ self.weights
        if self.spec.kind == "logistic":
            logit = weighted + self.spec.intercept
            out["logit"] = logit
            out["probability"] = banded = 1.0 / (1.0 + np.exp(-logit))
        else:
            out["score"] = banded = weighted
        index = (banded[:, None] >= self.lowers[None, :]).sum(axis=1).astype(np.int64)
        if self.escalation:
            escalated = (x[:, self.stop_idx].sum(axis=1) >= self.min_count) & (x[:, self.plus_idx].max(axis=1) > 0)
            index = np.where(escalated, np.maximum(index, self.target), index)
            out["escalated"] = escalated
        out["band_index"] = index
        out["band_risk"] = self.risks[index]
        return out
