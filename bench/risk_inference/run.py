"""Risk inference benchmark: per-patient latency and 10k-patient batch throughput, ONNX vs numpy.

    .venv/bin/python bench/risk_inference/run.py [--patients 10000] [--latency-samples 300] [--seed 2026]

Uses the product engine (ml_models.engine.RiskEngine: one onnxruntime session per model, one intra-op thread)
on seeded random valid patients (ml_models.synthetic). Prints
1. per-patient latency of engine.evaluate(patient) — every model, validation and result assembly included —
   median and p95;
2. batch throughput for N patients: the shared preprocessing (canonical inputs -> one feature matrix per model)
   once, then the model math for all models through ONNX (one session run per model) and through a pure numpy
   evaluation of the same math (ml_models.reference, float32), best of several repeats, with the ratio; the
   two are checked to agree;
3. end-to-end engine.evaluate_batch throughput on the first --end-to-end patients (what the risk app pays for a
   batch: validation, preprocessing, graphs and ~18 result dicts per patient).
No database, no network. Graphs are built on first use if missing (ML_MODELS_DIST, default ml_models/dist).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("XDG_CACHE_HOME", str(Path(tempfile.gettempdir()) / "bench-risk-inference-cache"))

import numpy as np  # noqa: E402

from ml_models.engine import RiskEngine  # noqa: E402
from ml_models.features import BatchColumns, feature_matrix  # noqa: E402
from ml_models.inputs import canonicalise  # noqa: E402
from ml_models.reference import NumpyModel  # noqa: E402
from ml_models.synthetic import random_patients  # noqa: E402


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--latency-samples", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=15, help="repeats of the batch math (best is kept)")
    parser.add_argument("--end-to-end", type=int, default=2_000,
                        help="patients for the end-to-end evaluate_batch measurement (result dicts dominate)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    started = time.perf_counter()
    engine = RiskEngine()
    scored = [spec for spec in engine.specs if spec.kind != "screening"]
    print(f"engine loaded in {time.perf_counter() - started:.2f} s: {len(scored)} ONNX graphs + "
          f"{len(engine.specs) - len(scored)} screening rule sets"
          + (f" (built {len(engine.rebuilt)} graphs)" if engine.rebuilt else ""))

    # 1. per-patient latency -----------------------------------------------------------------------------------
    sample = random_patients(args.latency_samples, seed=args.seed + 1)
    for patient in sample[:20]:
        engine.evaluate(patient)  # warm-up
    latencies, cpu = [], []
    for patient in sample:
        start, start_cpu = time.perf_counter(), time.process_time()
        engine.evaluate(patient)
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    print(f"\nper-patient latency, engine.evaluate (all {len(engine.specs)} models, {len(sample)} patients)")
    print(f"  median       {statistics.median(latencies):.2f} ms   (CPU {statistics.median(cpu):.2f} ms)")
    print(f"  p95          {percentile(latencies, 0.95):.2f} ms   (CPU {percentile(cpu, 0.95):.2f} ms)")

    # 2. batch math: ONNX vs numpy on the same feature matrices ---------------------------------------------------
    patients = random_patients(args.patients, seed=args.seed)
    start = time.perf_counter()
    canons = [canonicalise(p)[0] for p in patients]
    columns = BatchColumns(canons)
    matrices = {}
    for spec in scored:
        batch = feature_matrix(spec, columns)
        matrices[spec.id] = np.ascontiguousarray(batch.x[batch.complete])
    preprocessing = time.perf_counter() - start
    rows_total = sum(len(x) for x in matrices.values())
    numpy_models = {spec.id: NumpyModel(spec, dtype=np.float32) for spec in scored}

    def run_onnx():
        return {mid: engine.run_graph(mid, x) for mid, x in matrices.items()}

    def run_numpy():
        return {mid: numpy_models[mid].run(x) for mid, x in matrices.items()}

    onnx_out, numpy_out = run_onnx(), run_numpy()
    worst = 0.0
    for mid in matrices:
        key = "probability" if "probability" in onnx_out[mid] else "score"
        worst = max(worst, float(np.max(np.abs(onnx_out[mid][key] - numpy_out[mid][key]), initial=0.0)))
        mismatched = int(np.sum(onnx_out[mid]["band_index"] != numpy_out[mid]["band_index"]))
        if mismatched > len(matrices[mid]) // 1000:
            sys.exit(f"{mid}: ONNX and numpy disagree on {mismatched} band indexes")
    onnx_time = best_of(run_onnx, args.repeats)
    numpy_time = best_of(run_numpy, args.repeats)
    print(f"\nbatch of {args.patients} patients, {len(scored)} scored models ({rows_total} model rows with "
          f"complete inputs)")
    print(f"  preprocessing (shared)   {preprocessing:.2f} s   ({args.patients / preprocessing:,.0f} patients/s)")
    print(f"  ONNX (onnxruntime)       {onnx_time * 1000:.1f} ms   ({args.patients / onnx_time:,.0f} patients/s, "
          f"one session run per model)")
    print(f"  numpy (same math, f32)   {numpy_time * 1000:.1f} ms   ({args.patients / numpy_time:,.0f} patients/s)")
    print(f"  max |ONNX − numpy|       {worst:.2e} (probability or score)")
    print(f"\nthroughput ratio ONNX / numpy: {numpy_time / onnx_time:.2f}")

    # 3. end to end ----------------------------------------------------------------------------------------------
    subset = patients[:args.end_to_end]
    start, start_cpu = time.perf_counter(), time.process_time()
    engine.evaluate_batch(subset)
    end_to_end, end_to_end_cpu = time.perf_counter() - start, time.process_time() - start_cpu
    print(f"\nend to end, engine.evaluate_batch({len(subset)} patients): {end_to_end:.2f} s, CPU "
          f"{end_to_end_cpu:.2f} s ({len(subset) / end_to_end:,.0f} patients/s; validation, preprocessing, "
          f"graphs, result dicts)")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall-clock figures include waiting "
          f"for a CPU; CPU figures do not)")


if __name__ == "__main__":
    main()
