"""Every worked example / test vector of RISK_MODELS.md (and the arithmetic checks next to them in the specs)
reproduced through the ONNX graphs: probability within 1e-4 (logit within 1e-3) for logistic models, exact
score, band and band risk for point scores."""

import math

import pytest

from ml_models.spec import all_specs

A6_EVENTS = {"respiratory_failure", "ards", "sepsis", "shock"}  # A6: besides the 8 events (A1)
EXAMPLES = [
    pytest.param(spec.id, i, ex, id=f"{spec.id}-{i}",
                 marks=[pytest.mark.req("A6")] if spec.raw["event"] in A6_EVENTS else [pytest.mark.req("A1")])
    for spec in all_specs() for i, ex in enumerate(spec.raw.get("examples", []))]


@pytest.mark.parametrize(("model", "index", "example"), EXAMPLES)
def test_worked_example(result_of, model, index, example):
    result = result_of(example["inputs"], model)
    expect = example["expect"]
    assert result["status"] == "ok", result["missing_inputs"]
    if "logit" in expect:
        assert result["logit"] == pytest.approx(expect["logit"], abs=1e-3)
    if "probability" in expect:
        assert abs(result["probability"] - expect["probability"]) <= 1e-4
        # The tables round the percentage (mostly to 4 decimals): the graph must agree with that rounding too.
        assert abs(result["probability"] - expect["probability"]) <= expect.get("probability_tolerance", 1.5e-6)
        assert result["probability"] == pytest.approx(1 / (1 + math.exp(-result["logit"])), abs=1e-6)
    if "score" in expect:
        assert result["score"] == expect["score"]
    if "band" in expect:
        assert result["band"] == expect["band"]
    if "band_risk" in expect:
        assert result["band_risk"] == pytest.approx(expect["band_risk"], abs=1e-7)
    if "escalated" in expect:
        assert result["escalated"] is expect["escalated"]
    if "level" in expect:
        assert result["level"] == expect["level"]
    if "variant" in expect:
        assert result["variant"] == expect["variant"]


def test_every_scored_model_has_worked_examples():
    for spec in all_specs():
        if spec.kind != "screening":
            assert len(spec.raw.get("examples", [])) >= 2, spec.id
