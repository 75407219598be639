"""Build step: one ONNX graph per model spec.

    python -m ml_models.build [--out DIR] [--force]

Writes ``<model>.onnx`` into DIR (default: ``ml_models/dist``, or $ML_MODELS_DIST). A graph is rewritten only
when missing or when its ``spec_hash`` metadata differs from the spec's current hash (``--force``: always).
Files are written to a temporary name and renamed, so a concurrent reader never sees half a graph."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import onnx

from .graphs import build_graph
from .spec import ModelSpec, all_specs

PACKAGE_DIR = Path(__file__).resolve().parent


def dist_dir() -> Path:
    return Path(os.environ.get("ML_MODELS_DIST") or PACKAGE_DIR / "dist")


def graph_hash(path: Path) -> str | None:
    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception:  # noqa: BLE001 — an unreadable graph is a stale graph
        return None
    return {p.key: p.value for p in model.metadata_props}.get("spec_hash")


def write_graph(spec: ModelSpec, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{spec.id}.onnx"
    data = build_graph(spec).SerializeToString()
    fd, tmp = tempfile.mkstemp(prefix=f".{spec.id}.", suffix=".tmp", dir=out)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, target)
    return target


def ensure_graph(spec: ModelSpec, out: Path | None = None, *, force: bool = False) -> tuple[Path, bool]:
    """Return (path, rebuilt) for a graph that matches the spec's current hash."""
    out = out or dist_dir()
    target = out / f"{spec.id}.onnx"
    if not force and target.exists() and graph_hash(target) == spec.spec_hash:
        return target, False
    return write_graph(spec, out), True


def build_all(out: Path | None = None, *, force: bool = False) -> list[tuple[str, Path, bool]]:
    return [(spec.id, *ensure_graph(spec, out, force=force)) for spec in all_specs() if spec.kind != "screening"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ml_models.build", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default ml_models/dist)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the spec hash matches")
    args = parser.parse_args(argv)
    for model_id, path, rebuilt in build_all(args.out, force=args.force):
        print(f"{'built ' if rebuilt else 'up to date'} {model_id:22s} {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
