"""ml_models tests: graphs are built into a temporary folder (never ml_models/dist) and onnxruntime's cache goes to
a temporary XDG_CACHE_HOME, so the suite works from a clean checkout and leaves nothing behind."""

import os

import pytest


@pytest.fixture(scope="session")
def graph_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("onnx-graphs")


@pytest.fixture(scope="session", autouse=True)
def _isolated_env(tmp_path_factory, graph_dir):
    saved = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "ML_MODELS_DIST")}
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("xdg-cache"))
    os.environ["ML_MODELS_DIST"] = str(graph_dir)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def engine(_isolated_env, graph_dir):
    from ml_models.build import build_all
    from ml_models.engine import RiskEngine

    build_all(graph_dir, force=True)
    return RiskEngine(dist=graph_dir)


@pytest.fixture(scope="session")
def result_of(engine):
    def run(patient, model, **kwargs):
        out = engine.evaluate(patient, **kwargs)
        return next(r for r in out["results"] if r["model"] == model)

    return run
