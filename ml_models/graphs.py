"""ONNX graphs from specs, written with the ``onnx.helper`` API (float32, opset 17).

Every graph takes one input ``x`` [N, F] (the feature rows of ``features.prepare``) and returns
    terms       [N, F]  β·x (logistic) or points·x (point scores) per column — the contributions
    logit, probability  [N]  (logistic)          |  score [N]  (point scores)
    band_index  [N] int64  number of band lower bounds the banded value reaches (ReduceSum of GreaterOrEqual)
    band_risk   [N]  published risk of that band (Gather on a constant; NaN where none is published)
    escalated   [N] bool  (only models with an [escalation] rule, e.g. STOP-Bang)
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .spec import ENGINE_VERSION, ModelSpec

OPSET = 17
IR_VERSION = 8


def _const(name: str, array: np.ndarray):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(array, name=name))


def build_graph(spec: ModelSpec) -> onnx.ModelProto:
    n_features = len(spec.features)
    weights = np.array([[f.weight] for f in spec.features], dtype=np.float32).reshape(n_features, 1)
    nodes = [
        _const("W", weights),
        _const("W_row", weights.reshape(1, n_features)),
        _const("axis1", np.array([1], dtype=np.int64)),
        helper.make_node("Mul", ["x", "W_row"], ["terms"], name="terms"),
        helper.make_node("MatMul", ["x", "W"], ["weighted_sum"], name="weighted_sum"),
    ]
    outputs = [helper.make_tensor_value_info("terms", TensorProto.FLOAT, ["N", n_features])]

    if spec.kind == "logistic":
        nodes += [
            _const("intercept", np.array([spec.intercept], dtype=np.float32)),
            helper.make_node("Add", ["weighted_sum", "intercept"], ["logit_col"]),
            helper.make_node("Squeeze", ["logit_col", "axis1"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["probability"]),
        ]
        banded = "probability"
        outputs += [helper.make_tensor_value_info("logit", TensorProto.FLOAT, ["N"]),
                    helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["N"])]
    else:
        nodes.append(helper.make_node("Squeeze", ["weighted_sum", "axis1"], ["score"]))
        banded = "score"
        outputs.append(helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N"]))
    if spec.band_on != banded:
        raise ValueError(f"{spec.id}: bands on {spec.band_on!r} but the model outputs {banded!r}")

    # Band lookup: index = Σ [value ≥ lower_k] over the band lower bounds (all but the first band).
    lowers = np.array([b.lower for b in spec.bands[1:]], dtype=np.float32)
    risks = np.array([math.nan if b.risk is None else b.risk for b in spec.bands], dtype=np.float32)
    nodes += [
        _const("band_lowers", lowers),
        _const("band_risks", risks),
        helper.make_node("Unsqueeze", [banded, "axis1"], ["banded_col"]),
        helper.make_node("GreaterOrEqual", ["banded_col", "band_lowers"], ["reached"]),
        helper.make_node("Cast", ["reached"], ["reached_i"], to=TensorProto.INT64),
        helper.make_node("ReduceSum", ["reached_i", "axis1"], ["plain_band_index"], keepdims=0),
    ]
    band_index = "plain_band_index"

    escalation = spec.raw.get("escalation")
    if escalation:
        nodes += _escalation_nodes(spec, escalation)
        band_index = "escalated_band_index"
        outputs.append(helper.make_tensor_value_info("escalated", TensorProto.BOOL, ["N"]))
    nodes += [
        helper.make_node("Identity", [band_index], ["band_index"]),
        helper.make_node("Gather", ["band_risks", "band_index"], ["band_risk"], axis=0),
    ]
    outputs += [helper.make_tensor_value_info("band_index", TensorProto.INT64, ["N"]),
                helper.make_tensor_value_info("band_risk", TensorProto.FLOAT, ["N"])]

    graph = helper.make_graph(
        nodes, spec.id,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", n_features])], outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="ml_models.build", producer_version=ENGINE_VERSION)
    model.ir_version = IR_VERSION
    model.doc_string = f"{spec.raw['name']} — {spec.raw['citation']}"
    helper.set_model_props(model, {
        "model_id": spec.id, "version": spec.version, "spec_hash": spec.spec_hash,
        "event": spec.raw["event"], "kind": spec.kind, "engine_version": ENGINE_VERSION,
        "features": ",".join(f.key for f in spec.features),
    })
    onnx.checker.check_model(model, full_check=True)
    return model


def _escalation_nodes(spec: ModelSpec, rule: dict) -> list:
    """high = (band by score) OR (Σ STOP items ≥ min_stop AND any of the 'plus' items) — as graph logic."""
    keys = [f.key for f in spec.features]
    stop_idx = np.array([keys.index(k) for k in rule["count_features"]], dtype=np.int64)
    plus_idx = np.array([keys.index(k) for k in rule["any_features"]], dtype=np.int64)
    target = [b.key for b in spec.bands].index(rule["to_band"])
    return [
        _const("stop_idx", stop_idx),
        _const("plus_idx", plus_idx),
        _const("min_stop", np.array(rule["min_count"], dtype=np.float32)),
        _const("zero", np.array(0, dtype=np.float32)),
        _const("target_band", np.array(target, dtype=np.int64)),
        helper.make_node("Gather", ["x", "stop_idx"], ["stop_items"], axis=1),
        helper.make_node("ReduceSum", ["stop_items", "axis1"], ["stop_count"], keepdims=0),
        helper.make_node("GreaterOrEqual", ["stop_count", "min_stop"], ["enough_stop"]),
        helper.make_node("Gather", ["x", "plus_idx"], ["plus_items"], axis=1),
        helper.make_node("ReduceMax", ["plus_items"], ["plus_any_f"], axes=[1], keepdims=0),  # axes: attr in opset 17
        helper.make_node("Greater", ["plus_any_f", "zero"], ["plus_any"]),
        helper.make_node("And", ["enough_stop", "plus_any"], ["escalated"]),
        helper.make_node("Max", ["plain_band_index", "target_band"], ["raised_band_index"]),
        helper.make_node("Where", ["escalated", "raised_band_index", "plain_band_index"],
                         ["escalated_band_index"]),
    ]
