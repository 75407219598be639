"""Property test: the ONNX graphs compute exactly the math of the spec (numpy reference, float64) on a few
thousand random valid patients — every model, every output; and batching changes nothing."""

import numpy as np
import pytest

from ml_models.features import complete_rows
from ml_models.inputs import canonicalise
from ml_models.reference import NumpyModel
from ml_models.spec import all_specs
from ml_models.synthetic import random_patients

SCORED = [pytest.param(spec, id=spec.id, marks=[pytest.mark.req(
    "A6" if spec.raw["event"] in ("respiratory_failure", "ards") else "A1")])
    for spec in all_specs() if spec.kind != "screening"]


@pytest.fixture(scope="module")
def canons():
    return [canonicalise(p)[0] for p in random_patients(3000, seed=7)]


@pytest.mark.parametrize("spec", SCORED)
def test_graph_equals_numpy_reference(engine, canons, spec):
    x = complete_rows(spec, canons)
    assert len(x) > 500, "the generator must exercise the model"
    got = engine.run_graph(spec.id, x)
    want = NumpyModel(spec).run(x)
    np.testing.assert_allclose(got["terms"], want["terms"], rtol=1e-6, atol=1e-5)
    if spec.kind == "logistic":
        np.testing.assert_allclose(got["logit"], want["logit"], atol=1e-4)
        np.testing.assert_allclose(got["probability"], want["probability"], atol=1e-6)
        banded, lowers = want["probability"], [b.lower for b in spec.bands[1:]]
    else:
        np.testing.assert_array_equal(got["score"], want["score"])  # half points are exact in float32
        banded, lowers = want["score"], [b.lower for b in spec.bands[1:]]
    # Band index: identical, except where float32 rounding could straddle a probability cut-off (scores are
    # exact, so integer scores sitting on a band bound must agree too).
    near = np.zeros(len(banded), dtype=bool)
    if spec.kind == "logistic":
        for lower in lowers:
            near |= np.abs(banded - lower) < 1e-6
    assert near.mean() < 0.01
    np.testing.assert_array_equal(got["band_index"][~near], want["band_index"][~near])
    np.testing.assert_allclose(got["band_risk"][~near], want["band_risk"][~near], equal_nan=True, rtol=1e-6)
    assert len(set(want["band_index"].tolist())) >= 2, "the generator must reach several bands"
    if "escalated" in want:
        np.testing.assert_array_equal(got["escalated"], want["escalated"])
        assert want["escalated"].any() and not want["escalated"].all()


def test_batch_equals_one_by_one(engine):
    patients = random_patients(60, seed=11)
    batch = engine.evaluate_batch(patients)
    for patient, out in zip(patients, batch, strict=True):
        assert engine.evaluate(patient) == out


def test_vector_conditions_agree_with_the_scalar_three_valued_semantics(canons):
    """The batch preprocessing (numpy, column-wise) and the per-patient condition evaluation (used by screening)
    are two implementations of the same condition language: they must agree on every condition of every spec."""
    from ml_models.features import BatchColumns
    from ml_models.spec import compile_condition, compile_vector

    sample = canons[:400] + [{}]
    columns = BatchColumns(sample)
    conditions = [f.cond for spec in all_specs() for f in spec.features if f.cond]
    conditions += [rule["when"] for spec in all_specs() for *_, rule in spec.applicability]
    for cond in conditions:
        truth, known = compile_vector(cond)(columns)
        scalar = [compile_condition(cond)(c) for c in sample]
        assert truth.tolist() == [r is True for r in scalar], cond
        assert known.tolist() == [r is not None for r in scalar], cond
