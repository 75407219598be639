"""Boundary values through the ONNX graphs (reviewer r1): where a continuous input lands at and around the paper's
inclusive/exclusive boundaries (RISK_MODELS.md §4, §1, §7, §8, §6, §5b, §9, §15), and derivation-population flags.

Age is in completed years, as in every one of these papers (and as the backend computes it): a decimal age such as
80.5 is 80 years old, so it belongs to ARISCAT "51–80", not ">80"; 60.5 is Caprini "41–60"; 50.5 is not STOP-Bang
"age >50". Integer bands therefore use [N, N+1) bounds on the continuous value.
"""

import pytest

ARISCAT_ZERO = {"age": 40, "spo2_pct": 98, "respiratory_infection_last_month": False, "haemoglobin_g_l": 130,
                "surgical_incision": "peripheral", "expected_duration_minutes": 60, "emergency": False}
CAPRINI_ZERO = {"age": 30, "bmi": 22, "caprini_surgery": "none", "caprini_factors": []}
STOP_BANG_ZERO = {"snoring": False, "tired_daytime": False, "observed_apnoea": False, "hypertension": False,
                  "bmi": 24, "age": 40, "neck_circumference_cm": 36, "sex": "F"}


def score(result_of, model, patient):
    r = result_of(patient, model)
    assert r["status"] == "ok", r["missing_inputs"]
    return r["score"]


@pytest.mark.parametrize(("age", "points"), [
    (50, 0), (50.0, 0), (50.5, 0), (50.99, 0), (51, 3), (51.2, 3), (80, 3), (80.5, 3), (80.99, 3), (81, 16),
    (81.5, 16)])
def test_ariscat_age_in_completed_years(result_of, age, points):
    # §4: ≤50 0 / 51–80 3 / >80 16
    assert score(result_of, "ariscat", dict(ARISCAT_ZERO, age=age)) == points


@pytest.mark.parametrize(("spo2", "points"), [
    (100, 0), (96, 0), (95.9, 8), (95.5, 8), (95, 8), (91, 8), (90.5, 8), (90, 24), (85, 24)])
def test_ariscat_spo2(result_of, spo2, points):
    # §4: ≥96 0 / 91–95 8 / ≤90 24; values between the integer classes fall in the milder-than-≤90, worse-than-≥96
    # middle class (the paper's classes are integers; 95.5 is not ≥96, 90.5 is not ≤90).
    assert score(result_of, "ariscat", dict(ARISCAT_ZERO, spo2_pct=spo2)) == points


@pytest.mark.parametrize(("minutes", "points"), [
    (60, 0), (119.9, 0), (120, 0), (120.5, 16), (121, 16), (180, 16), (180.5, 23), (181, 23), (600, 23)])
def test_ariscat_duration(result_of, minutes, points):
    # §4: ≤2 h 0 / >2–3 h 16 / >3 h 23 (the paper's boundaries, not MDCalc's "<2 h")
    assert score(result_of, "ariscat", dict(ARISCAT_ZERO, expected_duration_minutes=minutes)) == points


@pytest.mark.parametrize(("hb", "points"), [(100, 11), (100.4, 0), (99.9, 11), (120, 0)])
def test_ariscat_anaemia_hb_le_10_g_dl(result_of, hb, points):
    assert score(result_of, "ariscat", dict(ARISCAT_ZERO, haemoglobin_g_l=hb)) == points


@pytest.mark.parametrize(("age", "points"), [
    (40, 0), (40.5, 0), (41, 1), (60, 1), (60.5, 1), (61, 2), (74, 2), (74.5, 2), (75, 3), (75.5, 3)])
def test_caprini_age_in_completed_years(result_of, age, points):
    # §8: ≤40 0; 41–60 1; 61–74 2; ≥75 3
    assert score(result_of, "caprini", dict(CAPRINI_ZERO, age=age)) == points


@pytest.mark.parametrize(("age", "points"), [(50, 0), (50.5, 0), (51, 1), (51.5, 1)])
def test_stop_bang_age_gt_50_in_completed_years(result_of, age, points):
    assert score(result_of, "stop_bang", dict(STOP_BANG_ZERO, age=age)) == points


@pytest.mark.parametrize(("age", "points"), [(49, 1), (49.5, 1), (50, 0), (50.5, 0)])
def test_pdnv_age_lt_50(result_of, age, points):
    patient = {"sex": "M", "age": age, "history_ponv": False, "pacu_opioid": False, "pacu_nausea": False}
    assert score(result_of, "apfel_pdnv", patient) == points


@pytest.mark.parametrize(("age", "logit"), [
    (64, -7.366), (64.5, -7.366), (65, -7.366 + 0.777), (79.5, -7.366 + 0.777), (80, -7.366 + 1.591)])
def test_sort_age_bands(result_of, age, logit):
    patient = {"asa_class": 2, "urgency": "elective", "sort_specialty": "other", "sort_severity": "minor",
               "cancer": False, "age": age}
    assert result_of(patient, "sort")["logit"] == pytest.approx(logit, abs=2e-5)


@pytest.mark.parametrize(("creatinine", "logit"), [
    (132.6, -6.44), (133, -6.44), (133.1, -6.44 + 0.61), (150, -6.44 + 0.61)])
def test_gupta_mica_creatinine_gt_133(result_of, creatinine, logit):
    # §1: normal ≤1.5 mg/dL, ≤133 µmol/L; elevated >1.5 mg/dL (>133 µmol/L)
    patient = {"age": 65, "functional_status": "independent", "asa_class": 2, "creatinine_umol_l": creatinine,
               "procedure_category": "orthopaedic"}
    assert result_of(patient, "gupta_mica")["logit"] == pytest.approx(logit, abs=2e-5)


@pytest.mark.parametrize(("creatinine", "points"), [(176.8, 0), (176.81, 1), (177, 1)])
def test_rcri_creatinine_gt_2_mg_dl(result_of, creatinine, points):
    patient = {"rcri_elevated_risk_surgery": False, "ischaemic_heart_disease": False, "heart_failure": False,
               "cerebrovascular_disease": False, "insulin_treatment": False, "creatinine_umol_l": creatinine}
    assert score(result_of, "rcri", patient) == points


def test_decimal_and_integer_ages_agree_for_every_banded_model(engine):
    """A patient aged N years and some months scores like the same patient aged N (completed years) in every
    point score and every age-banded logistic model (continuous age terms excepted)."""
    from .test_engine import FULL

    for age in (40, 50, 60, 64, 69, 74, 79, 80):
        whole = {r["model"]: r for r in engine.evaluate(dict(FULL, age=age))["results"]}
        months = {r["model"]: r for r in engine.evaluate(dict(FULL, age=age + 0.5))["results"]}
        for model, r in whole.items():
            if r["kind"] == "points":
                assert months[model]["score"] == r["score"], (model, age)
            if model in ("sort", "sort_morbidity"):
                assert months[model]["logit"] == pytest.approx(r["logit"], abs=1e-6), (model, age)


def test_sort_morbidity_flags_emergency_surgery(result_of):
    """SORT-morbidity was derived in adult *elective* surgery (its card says so): an emergency is outside it."""
    base = {"asa_class": 2, "sort_specialty": "other", "sort_severity": "minor", "cancer": False, "age": 50}
    assert result_of(dict(base, emergency=False), "sort_morbidity")["outside_derivation"] is False
    r = result_of(dict(base, emergency=True, urgency="urgent"), "sort_morbidity")
    assert r["status"] == "ok" and r["outside_derivation"] is True
    assert r["applicability_note"].startswith("超出推导人群") and "择期" in r["applicability_note"]
    r = result_of(dict(base, urgency="expedited"), "sort_morbidity")
    assert r["outside_derivation"] is True


@pytest.mark.parametrize(("changes", "score", "band", "escalated"), [
    # §6: high also when ≥2 of the 4 STOP items plus male sex, or plus BMI >35, or plus a large neck (43/41 cm)
    ({"snoring": True, "tired_daytime": True}, 2, "low", False),                               # no plus item
    ({"snoring": True, "tired_daytime": True, "sex": "M"}, 3, "high", True),                   # + male
    ({"snoring": True, "observed_apnoea": True, "bmi": 35.1}, 3, "high", True),                # + BMI >35
    ({"snoring": True, "observed_apnoea": True, "bmi": 35}, 2, "low", False),                  # BMI 35 is not >35
    ({"tired_daytime": True, "hypertension": True, "neck_circumference_cm": 41}, 3, "high", True),    # F ≥41 cm
    ({"tired_daytime": True, "hypertension": True, "neck_circumference_cm": 40.9}, 3, "intermediate", False),
    ({"snoring": True, "sex": "M", "bmi": 40, "neck_circumference_cm": 45}, 4, "intermediate", False),  # 1 STOP
    ({"snoring": True, "tired_daytime": True, "observed_apnoea": True, "hypertension": True}, 4,
     "intermediate", False),                                                                   # 4 STOP, no plus
])
def test_stop_bang_escalation_rule(result_of, changes, score, band, escalated):
    r = result_of(dict(STOP_BANG_ZERO, **changes), "stop_bang")
    assert (r["score"], r["band"], r["escalated"]) == (score, band, escalated)
    assert r["level"] == {"low": "low", "intermediate": "intermediate", "high": "high"}[band]


@pytest.mark.parametrize("model", ["rcri", "arozullah_pneumonia", "arozullah_prf"])
def test_noncardiac_indices_flag_cardiac_surgery(engine, model):
    """RCRI (Lee 1999, Duceppe 2017) and both Arozullah indices are for *noncardiac* surgery (RISK_MODELS.md §7, §9)."""
    from .test_engine import FULL

    def result(patient):
        return next(r for r in engine.evaluate(patient)["results"] if r["model"] == model)

    cardiac = result(dict(FULL, procedure_category="cardiac"))
    assert cardiac["status"] == "ok" and cardiac["outside_derivation"] is True
    assert "非心脏" in cardiac["applicability_note"]
    assert result(FULL)["outside_derivation"] is False
    # An endoscopy has no Gupta procedure category: no "cannot decide" noise about it.
    endoscopy = {k: v for k, v in FULL.items() if k != "procedure_category"}
    assert "手术类别" not in result(dict(endoscopy, procedure_type="colonoscopy"))["applicability_note"]
