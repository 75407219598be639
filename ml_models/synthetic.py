"""Random but valid patients (every canonical input drawn within its plausible range, some left out) for the
property tests and the benchmark. Seeded: the same seed gives the same patients."""

from __future__ import annotations

import random

from .spec import input_schema

# Plausible clinical ranges (narrower than the validation limits, so derived values stay valid).
_RANGES = {
    "age": (16, 95), "height_cm": (145, 195), "weight_kg": (40, 140), "bmi": (16, 50),
    "expected_duration_minutes": (10, 400), "creatinine_umol_l": (40, 400), "urea_mmol_l": (1.5, 20),
    "albumin_g_l": (20, 50), "haemoglobin_g_l": (70, 170), "wbc_10e9_l": (2, 25), "platelets_10e9_l": (40, 500),
    "potassium_mmol_l": (2.8, 6.0), "glucose_mmol_l": (3, 20), "inr": (0.8, 3.0), "spo2_pct": (85, 100),
    "systolic_bp": (80, 200), "diastolic_bp": (40, 75), "heart_rate": (45, 140), "respiratory_rate": (10, 36),
    "temperature_c": (35.5, 39.5), "neck_circumference_cm": (30, 50), "mouth_opening_cm": (2.5, 6),
    "thyromental_distance_cm": (5, 9), "neck_movement_deg": (60, 110), "ph": (7.2, 7.5),
}
_DERIVED = {"bmi", "mean_arterial_pressure", "shock_index", "urgency"}


def random_patient(rng: random.Random, *, drop: float = 0.05) -> dict:
    patient: dict = {}
    for name, spec in input_schema().items():
        if name in _DERIVED and name != "urgency":
            continue
        if rng.random() < drop:
            continue
        kind = spec["type"]
        if kind == "number":
            lo, hi = _RANGES.get(name, (spec["min"], spec["max"]))
            # Some values exactly on a published boundary (integers), most continuous.
            on_integer = hi - lo >= 5 and rng.random() < 0.3
            patient[name] = float(rng.randint(int(lo) + 1, int(hi))) if on_integer else round(rng.uniform(lo, hi), 2)
        elif kind == "integer":
            patient[name] = rng.randint(spec["min"], spec["max"])
        elif kind == "bool":
            patient[name] = rng.random() < 0.3
        elif kind == "enum":
            patient[name] = rng.choice(spec["allowed"])
        elif kind == "list":
            patient[name] = rng.sample(spec["allowed"], k=rng.choice([0, 0, 1, 2, 3]))
    if "urgency" in patient and "emergency" in patient:
        patient["emergency"] = patient["urgency"] != "elective"
    return patient


def random_patients(n: int, seed: int = 2026, *, drop: float = 0.05) -> list[dict]:
    rng = random.Random(seed)
    return [random_patient(rng, drop=drop) for _ in range(n)]
