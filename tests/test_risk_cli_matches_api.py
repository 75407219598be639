"""Acceptance of issue 4: `python -m ml_models.predict` outside the server gives the numbers the API gives."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import authenticate, make_staff, make_ward

pytestmark = [pytest.mark.django_db, pytest.mark.req("A1", "A6")]

REPO = Path(__file__).resolve().parents[1]

# A 68-year-old ASA III smoker with OSA signs before a laparoscopic cholecystectomy: every model has its inputs.
PATIENT = {
    "age": 68, "sex": "M", "height_cm": 170, "weight_kg": 92, "asa_class": 3, "emergency": False,
    "functional_status": "independent", "sepsis_status": "none", "smoker_current": True, "cancer": False,
    "alcohol_gt2_drinks_day": False, "alcohol_abuse": False,
    "procedure_type": "surgery", "procedure_category": "gallbladder_appendix_adrenals_spleen",
    "surgical_incision": "upper_abdominal", "expected_duration_minutes": 90, "rcri_elevated_risk_surgery": True,
    "arozullah_surgery": "upper_abdominal", "lips_high_risk_surgery": "none", "caprini_surgery": "major",
    "sort_severity": "major", "sort_specialty": "hpb", "general_anaesthesia": True,
    "creatinine_umol_l": 98, "urea_mmol_l": 6.1, "albumin_g_l": 41, "haemoglobin_g_l": 138, "spo2_pct": 94,
    "systolic_bp": 150, "diastolic_bp": 90, "heart_rate": 78, "respiratory_rate": 16, "temperature_c": 36.6,
    "copd": True, "ischaemic_heart_disease": False, "heart_failure": False, "cerebrovascular_disease": False,
    "insulin_treatment": False, "diabetes": False, "hypertension": True, "respiratory_infection_last_month": False,
    "weight_loss_gt10pct": False, "impaired_sensorium": False, "chronic_steroids": False,
    "transfusion_gt4_units": False, "history_ponv": False, "motion_sickness": False, "postop_opioids": True,
    "snoring": True, "tired_daytime": True, "observed_apnoea": False, "neck_circumference_cm": 43,
    "mouth_opening_cm": 4.5, "thyromental_distance_cm": 6.2, "mallampati": 3, "neck_movement_deg": 95,
    "can_prognath": True, "difficult_intubation_history": "none", "caprini_factors": [],
    "shock": False, "aspiration": False, "pneumonia": False, "chemotherapy": False, "fio2_gt_035": False,
}
COMPARED = ("status", "probability", "logit", "score", "band", "band_risk", "level", "outside_derivation")


def test_the_command_line_gives_the_numbers_of_the_api(api_client):
    authenticate(api_client, make_staff("anaesthetist", ward=make_ward()))
    res = api_client.post("/api/v1/risk-evaluations/", {"inputs": PATIENT, "subject": "CLI check"}, format="json")
    assert res.status_code == 201, res.content
    by_api = {r["model"]: r for r in res.json()["results"]}

    done = subprocess.run([sys.executable, "-m", "ml_models.predict"], input=json.dumps(PATIENT), cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=True)
    by_cli = {r["model"]: r for r in json.loads(done.stdout)["results"]}

    assert set(by_cli) == set(by_api) and len(by_cli) >= 16
    assert sum(r["status"] == "ok" for r in by_cli.values()) >= 15  # the comparison covers real numbers
    for model, cli in by_cli.items():
        assert {k: cli[k] for k in COMPARED} == {k: by_api[model][k] for k in COMPARED}, model
