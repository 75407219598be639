"""The graphs are what the specs say they are: float32, MatMul + Add + Sigmoid for logistic models, MatMul and an
in-graph band lookup for point scores, STOP-Bang's escalation as graph logic, metadata naming the spec."""

import tomllib

import onnx
import pytest

from ml_models import spec as spec_module
from ml_models.graphs import build_graph
from ml_models.spec import SpecError, all_specs, load_spec

SCORED = [s for s in all_specs() if s.kind != "screening"]


@pytest.mark.parametrize("spec", SCORED, ids=[s.id for s in SCORED])
def test_graph_structure_and_metadata(spec, graph_dir, engine):
    model = onnx.load(str(graph_dir / f"{spec.id}.onnx"))
    onnx.checker.check_model(model, full_check=True)
    ops = [n.op_type for n in model.graph.node]
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert {"MatMul", "GreaterOrEqual", "ReduceSum", "Gather"} <= set(ops)
    outputs = {o.name for o in model.graph.output}
    if spec.kind == "logistic":
        assert {"Add", "Sigmoid"} <= set(ops) and {"logit", "probability"} <= outputs
    else:
        assert "score" in outputs and "Sigmoid" not in ops
    assert {"terms", "band_index", "band_risk"} <= outputs
    meta = {p.key: p.value for p in model.metadata_props}
    assert meta["model_id"] == spec.id and meta["version"] == spec.version and meta["spec_hash"] == spec.spec_hash
    weights = next(n for n in model.graph.node if n.output == ["W"]).attribute[0].t
    assert list(onnx.numpy_helper.to_array(weights).ravel()) == pytest.approx([f.weight for f in spec.features])


def test_stop_bang_escalation_is_graph_logic():
    ops = [n.op_type for n in build_graph(load_spec("stop_bang")).graph.node]
    assert {"And", "Greater", "Where", "Max"} <= set(ops)


@pytest.mark.parametrize(("edit", "message"), [
    (lambda raw: raw["features"][1].update(when={"input": "agee", "gt": 1}), "unknown input"),
    (lambda raw: raw["features"][0].pop("confidence"), "confidence"),
    (lambda raw: raw["features"][1].update(when={"input": "asa_class", "eq": "III"}), "numeric|allowed|bool"),
    (lambda raw: raw["bands"]["band"].append(dict(raw["bands"]["band"][1], key="x", lower=0.005)), "increasing"),
    (lambda raw: raw["bands"]["band"][0].update(level="severe"), "level"),
    (lambda raw: raw["outside_derivation"][0].pop("note_zh"), "note_zh"),
    (lambda raw: raw.pop("citation"), "citation"),
])
def test_malformed_specs_are_refused(tmp_path, monkeypatch, edit, message):
    source = spec_module.SPEC_DIR / "gupta_mica.toml"
    raw = tomllib.loads(source.read_text(encoding="utf-8"))
    edit(raw)
    (tmp_path / "gupta_mica.toml").write_text(_dump(raw), encoding="utf-8")
    for name in ("inputs.toml", "caprini.toml", "index.toml"):
        (tmp_path / name).write_bytes((spec_module.SPEC_DIR / name).read_bytes())
    monkeypatch.setattr(spec_module, "SPEC_DIR", tmp_path)
    spec_module.load_spec.cache_clear()
    try:
        with pytest.raises(SpecError, match=message):
            load_spec("gupta_mica")
    finally:
        spec_module.load_spec.cache_clear()


def _dump(value, prefix=""):
    """A minimal TOML writer for the spec shapes (tables, arrays of tables, inline values)."""
    import json

    def inline(v):
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {inline(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list):
            return "[" + ", ".join(inline(x) for x in v) + "]"
        if isinstance(v, bool):
            return "true" if v else "false"
        return json.dumps(v, ensure_ascii=False) if isinstance(v, str) else repr(v)

    lines, tables = [], []
    for key, v in value.items():
        if isinstance(v, dict):
            tables.append((key, v, False))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            tables.append((key, v, True))
        else:
            lines.append(f"{key} = {inline(v)}")
    out = "\n".join(lines) + "\n"
    for key, v, is_array in tables:
        name = f"{prefix}{key}"
        for item in (v if is_array else [v]):
            out += f"\n[{'[' if is_array else ''}{name}{']' if is_array else ''}]\n" + _dump(item, name + ".")
    return out
