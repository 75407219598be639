"""Independent transcription check (reviewer r1): every coefficient, point, band boundary and band risk of
/work/shared/design/RISK_MODELS.md, typed again here from that document (NOT read from the specs), evaluated
through the ONNX graphs one category at a time. A wrong number or sign in a spec makes one of these fail, even when
no worked example happens to use that category (the worked examples and the numpy-reference property test read
the spec itself, so they cannot catch a coefficient no example exercises).

Logistic models: logit within 2e-5 (float32 graph; every published coefficient has ≤4 decimals, so a one-digit
error in the last decimal — 1e-4 — is caught). Point scores: exact.
"""

import math

import numpy as np
import pytest

GUPTA_PROCEDURES = [
    "anorectal", "aortic", "bariatric", "brain", "breast", "cardiac", "ent", "foregut_hpb",
    "gallbladder_appendix_adrenals_spleen", "hernia", "intestinal", "neck_thyroid_parathyroid",
    "obstetric_gynaecologic", "orthopaedic", "other_abdominal", "peripheral_vascular", "skin", "spine",
    "thoracic_non_oesophageal", "vein", "urology"]

# §1 Gupta MICA (x = −5.25 + 0.02·age + functional + ASA + creatinine + procedure).
MICA = {
    "intercept": -5.25, "age": 0.02,
    "functional_status": {"independent": 0, "partially_dependent": 0.65, "totally_dependent": 1.03},
    "asa_class": {1: -5.17, 2: -3.29, 3: -1.92, 4: -0.95, 5: 0},
    "creatinine": {"normal": 0, "elevated": 0.61, "unknown": -0.10},
    "procedure_category": dict(zip(GUPTA_PROCEDURES, [
        -0.16, 1.60, -0.25, 1.40, -1.61, 1.01, 0.71, 1.39, 0.59, 0, 1.14, 0.18, 0.76, 0.80, 1.13, 0.86, 0.54, 0.21,
        0.40, -1.09, -0.26], strict=True)),
}
# §2 Gupta PRF (no age term).
PRF = {
    "intercept": -1.7397,
    "functional_status": {"independent": 0, "partially_dependent": 0.7678, "totally_dependent": 1.4046},
    "asa_class": {1: -3.5265, 2: -2.0008, 3: -0.6201, 4: 0.2441, 5: 0},
    "sepsis_status": {"none": -0.7840, "sirs": 0, "sepsis": 0.2752, "septic_shock": 0.9035},
    "emergency": {False: -0.5739, True: 0},
    "procedure_category": dict(zip(GUPTA_PROCEDURES, [
        -1.3530, 1.0781, -1.0112, 0.7336, -2.6462, 0.2744, 0.1060, 0.9694, -0.5668, 0, 0.5737, -0.5271, -1.2431,
        -0.8577, 0.2416, -0.2389, -0.3206, -0.5220, 0.6715, -2.0080, 0.3093], strict=True)),
}
# §3 Gupta pneumonia.
PNEUMONIA = {
    "intercept": -2.8977, "age": 0.0144,
    "copd": {False: -0.4553, True: 0},
    "functional_status": {"independent": 0, "partially_dependent": 0.7653, "totally_dependent": 0.9400},
    "asa_class": {1: -3.0225, 2: -1.6057, 3: -0.4915, 4: 0.0123, 5: 0},
    "sepsis_status": {"none": -0.7641, "sirs": 0, "sepsis": -0.0842, "septic_shock": 0.1048},
    "smoker_current": {False: -0.4306, True: 0},
    "procedure_category": dict(zip(GUPTA_PROCEDURES, [
        -0.847, 0.7178, -0.6282, 0.6841, -2.3318, 0.1382, -0.3665, 1.066, -0.3951, 0, 0.6169, -0.0872, -0.4101,
        -0.5415, 0.4021, -0.4519, -0.5075, -0.5672, 0.8901, -1.476, 0.1076], strict=True)),
}
# §15 SORT (ASA 1–2 reference; elective reference; age <65 reference).
SORT = {
    "intercept": -7.366,
    "asa_class": {1: 0, 2: 0, 3: 1.411, 4: 2.388, 5: 4.081},
    "urgency": {"elective": 0, "expedited": 1.236, "urgent": 1.657, "immediate": 2.452},
    "sort_specialty": {"colorectal": 0.712, "upper_gi": 0.712, "hpb": 0.712, "bariatric": 0.712,
                       "thoracic": 0.712, "vascular": 0.712, "orthopaedic": 0, "other": 0},
    "sort_severity": {"minor": 0, "intermediate": 0, "major": 0, "xmajor": 0.381, "complex": 0.381},
    "cancer": {False: 0, True: 0.667},
    "age": {40: 0, 64: 0, 65: 0.777, 79: 0.777, 80: 1.591, 95: 1.591},
}
# §15 SORT-morbidity (ASA 1 and orthopaedic reference; hpb/thoracic/other = "other non-orthopaedic").
SORT_MORBIDITY = {
    "intercept": -3.228,
    "asa_class": {1: 0, 2: 0.332, 3: 1.140, 4: 1.223, 5: 1.223},
    "sort_specialty": {"colorectal": 1.658, "upper_gi": -0.929, "vascular": 0.296, "bariatric": -1.065,
                       "other": 0.181, "hpb": 0.181, "thoracic": 0.181, "orthopaedic": 0},
    "sort_severity": {"minor": 0, "intermediate": 0, "major": 0, "xmajor": 1.238, "complex": 1.238},
    "cancer": {False: 0, True: 0.897},
    "age": {40: 0, 64: 0, 65: 0.118, 79: 0.118, 80: 0.550, 95: 0.550},
}
# §12a Geng 2018.
GENG = {"intercept": -7.73, "age": 0.04, "bmi": 0.11, "snoring": {False: 0, True: 1.31}}


def _logit_of(result_of, model, patient):
    r = result_of(patient, model)
    assert r["status"] == "ok", (model, r["missing_inputs"])
    assert r["probability"] == pytest.approx(1 / (1 + math.exp(-r["logit"])), abs=1e-6)
    return r["logit"]


def _logistic_cases(table, base, continuous):
    """(patient, expected logit) varying one input at a time from ``base``."""
    def expected(p):
        x = table["intercept"]
        for name, coef in table.items():
            if name == "intercept":
                continue
            if name in continuous:
                x += coef * p[name]
            elif name == "creatinine":
                c = p.get("creatinine_umol_l")
                x += coef["unknown" if c is None else "elevated" if c > 133 else "normal"]
            else:
                x += coef[p[name]]
        return x

    cases = [(dict(base), expected(base))]
    for name, coef in table.items():
        if name == "intercept" or name in continuous:
            continue
        values = {"creatinine": [None, 60, 133, 134]}.get(name, coef)
        for value in values:
            key = "creatinine_umol_l" if name == "creatinine" else name
            p = dict(base)
            if value is None:
                p.pop(key, None)
            else:
                p[key] = value
            cases.append((p, expected(p)))
    for name in continuous:
        for value in (18, 37.5, 90):
            p = dict(base, **{name: value})
            cases.append((p, expected(p)))
    return cases


LOGISTIC = {
    "gupta_mica": (MICA, {"age": 60, "functional_status": "independent", "asa_class": 5, "creatinine_umol_l": 80,
                          "procedure_category": "hernia"}, ("age",)),
    "gupta_prf": (PRF, {"functional_status": "independent", "asa_class": 5, "sepsis_status": "sirs",
                        "emergency": True, "procedure_category": "hernia"}, ()),
    "gupta_pneumonia": (PNEUMONIA, {"age": 60, "copd": True, "functional_status": "independent", "asa_class": 5,
                                    "sepsis_status": "sirs", "smoker_current": True, "procedure_category": "hernia"},
                        ("age",)),
    "geng_2018": (GENG, {"age": 50, "bmi": 24, "snoring": False}, ("age", "bmi")),
}
LOGISTIC_CASES = [pytest.param(model, p, x, id=f"{model}-{i}")
                  for model, (table, base, cont) in LOGISTIC.items()
                  for i, (p, x) in enumerate(_logistic_cases(table, base, cont))]


@pytest.mark.parametrize(("model", "patient", "logit"), LOGISTIC_CASES)
def test_logistic_coefficients_as_published(result_of, model, patient, logit):
    assert _logit_of(result_of, model, patient) == pytest.approx(logit, abs=2e-5)


def _sort_cases(table, base):
    out = []
    for name, coef in table.items():
        if name == "intercept":
            continue
        for value in coef:
            p = dict(base, **{name: value})
            if name == "urgency":
                p["emergency"] = value != "elective"
            x = table["intercept"] + sum(table[k][p[k]] for k in table if k != "intercept")
            out.append((p, x))
    return out


SORT_CASES = [pytest.param(model, p, x, id=f"{model}-{i}")
              for model, table, base in (
                  ("sort", SORT, {"asa_class": 1, "urgency": "elective", "emergency": False, "sort_specialty": "other",
                                  "sort_severity": "minor", "cancer": False, "age": 40}),
                  ("sort_morbidity", SORT_MORBIDITY, {"asa_class": 1, "sort_specialty": "orthopaedic",
                                                      "sort_severity": "minor", "cancer": False, "age": 40}))
              for i, (p, x) in enumerate(_sort_cases(table, base))]


@pytest.mark.parametrize(("model", "patient", "logit"), SORT_CASES)
def test_sort_coefficients_as_published(result_of, model, patient, logit):
    assert _logit_of(result_of, model, patient) == pytest.approx(logit, abs=2e-5)


# --- point scores: each item alone on a zero-point patient --------------------------------------------------

ARISCAT_ZERO = {"age": 40, "spo2_pct": 98, "respiratory_infection_last_month": False, "haemoglobin_g_l": 130,
                "surgical_incision": "peripheral", "expected_duration_minutes": 60, "emergency": False}
RCRI_ZERO = {"rcri_elevated_risk_surgery": False, "ischaemic_heart_disease": False, "heart_failure": False,
             "cerebrovascular_disease": False, "insulin_treatment": False, "creatinine_umol_l": 80}
STOP_BANG_ZERO = {"snoring": False, "tired_daytime": False, "observed_apnoea": False, "hypertension": False,
                  "bmi": 24, "age": 40, "neck_circumference_cm": 36, "sex": "F"}
CAPRINI_ZERO = {"age": 30, "bmi": 22, "caprini_surgery": "none", "caprini_factors": []}
AROZULLAH_PNA_ZERO = {"arozullah_surgery": "other", "age": 45, "functional_status": "independent",
                      "weight_loss_gt10pct": False, "copd": False, "general_anaesthesia": False,
                      "impaired_sensorium": False, "cerebrovascular_disease": False, "urea_mmol_l": 5.0,
                      "transfusion_gt4_units": False, "emergency": False, "chronic_steroids": False,
                      "smoker_current": False, "alcohol_gt2_drinks_day": False}
AROZULLAH_PRF_ZERO = {"arozullah_surgery": "other", "emergency": False, "albumin_g_l": 40, "urea_mmol_l": 5.0,
                      "functional_status": "independent", "copd": False, "age": 45}
LIPS_ZERO = {"sepsis_status": "none", "lips_high_risk_surgery": "none", "emergency": False, "bmi": 24,
             "spo2_pct": 98, "alcohol_abuse": False, "diabetes": False}
EGRI_ZERO = {"mouth_opening_cm": 5, "thyromental_distance_cm": 7, "mallampati": 1, "neck_movement_deg": 100,
             "can_prognath": True, "weight_kg": 70, "difficult_intubation_history": "none"}
APFEL_ZERO = {"sex": "M", "smoker_current": True, "history_ponv": False, "motion_sickness": False,
              "postop_opioids": False}
PDNV_ZERO = {"sex": "M", "age": 60, "history_ponv": False, "pacu_opioid": False, "pacu_nausea": False}

POINT_ITEMS = {
    # §4 ARISCAT
    "ariscat": (ARISCAT_ZERO, [
        ({"age": 51}, 3), ({"age": 80}, 3), ({"age": 81}, 16), ({"age": 50}, 0),
        ({"spo2_pct": 96}, 0), ({"spo2_pct": 95}, 8), ({"spo2_pct": 91}, 8), ({"spo2_pct": 90}, 24),
        ({"respiratory_infection_last_month": True}, 17),
        ({"haemoglobin_g_l": 100}, 11), ({"haemoglobin_g_l": 101}, 0),
        ({"surgical_incision": "upper_abdominal"}, 15), ({"surgical_incision": "intrathoracic"}, 24),
        ({"expected_duration_minutes": 120}, 0), ({"expected_duration_minutes": 121}, 16),
        ({"expected_duration_minutes": 180}, 16), ({"expected_duration_minutes": 181}, 23),
        ({"emergency": True}, 8)]),
    # §7 RCRI
    "rcri": (RCRI_ZERO, [
        ({"rcri_elevated_risk_surgery": True}, 1), ({"ischaemic_heart_disease": True}, 1),
        ({"heart_failure": True}, 1), ({"cerebrovascular_disease": True}, 1), ({"insulin_treatment": True}, 1),
        ({"creatinine_umol_l": 176.8}, 0), ({"creatinine_umol_l": 177}, 1)]),
    # §6 STOP-Bang
    "stop_bang": (STOP_BANG_ZERO, [
        ({"snoring": True}, 1), ({"tired_daytime": True}, 1), ({"observed_apnoea": True}, 1),
        ({"hypertension": True}, 1), ({"bmi": 35}, 0), ({"bmi": 35.1}, 1), ({"age": 50}, 0), ({"age": 51}, 1),
        ({"neck_circumference_cm": 40}, 0), ({"neck_circumference_cm": 40.5}, 1), ({"sex": "M"}, 1)]),
    # §8 Caprini
    "caprini": (CAPRINI_ZERO, [
        ({"age": 40}, 0), ({"age": 41}, 1), ({"age": 60}, 1), ({"age": 61}, 2), ({"age": 74}, 2), ({"age": 75}, 3),
        ({"caprini_surgery": "minor"}, 1), ({"caprini_surgery": "major"}, 2), ({"caprini_surgery": "arthroplasty"}, 5),
        ({"bmi": 25}, 0), ({"bmi": 25.1}, 1), ({"heart_failure": True}, 1), ({"sepsis_status": "sepsis"}, 1),
        ({"sepsis_status": "septic_shock"}, 1), ({"sepsis_status": "sirs"}, 0), ({"pneumonia": True}, 1),
        ({"copd": True}, 1), ({"cancer": True}, 2),
        *[({"caprini_factors": [key]}, points) for key, points in {
            "recent_major_surgery": 1, "chf": 1, "sepsis": 1, "pneumonia": 1, "pregnancy_postpartum": 1,
            "varicose_veins": 1, "swollen_legs": 1, "ibd": 1, "acute_mi": 1, "copd": 1, "other_risk_factors": 1,
            "oral_contraceptives_hrt": 1, "obstetric_history": 1, "bed_rest_medical": 1,
            "plaster_cast": 2, "central_venous_access": 2, "malignancy": 2, "confined_to_bed_gt72h": 2,
            "history_vte": 3, "family_history_thrombosis": 3, "factor_v_leiden": 3, "prothrombin_20210a": 3,
            "elevated_homocysteine": 3, "lupus_anticoagulant": 3, "anticardiolipin_antibody": 3,
            "heparin_induced_thrombocytopenia": 3, "other_thrombophilia": 3,
            "hip_pelvis_leg_fracture": 5, "stroke_lt_1_month": 5, "multiple_trauma": 5,
            "spinal_cord_injury_paralysis": 5}.items()]]),
    # §9a Arozullah pneumonia (BUN bands as urea: <2.86 / 7.85–<10.7 / ≥10.7 mmol/L as printed in §9a)
    "arozullah_pneumonia": (AROZULLAH_PNA_ZERO, [
        ({"arozullah_surgery": "aaa"}, 15), ({"arozullah_surgery": "thoracic"}, 14),
        ({"arozullah_surgery": "upper_abdominal"}, 10), ({"arozullah_surgery": "neck"}, 8),
        ({"arozullah_surgery": "neurosurgery"}, 8), ({"arozullah_surgery": "vascular"}, 3),
        ({"age": 80}, 17), ({"age": 79}, 13), ({"age": 70}, 13), ({"age": 69}, 9), ({"age": 60}, 9),
        ({"age": 59}, 4), ({"age": 50}, 4), ({"age": 49}, 0),
        ({"functional_status": "totally_dependent"}, 10), ({"functional_status": "partially_dependent"}, 6),
        ({"weight_loss_gt10pct": True}, 7), ({"copd": True}, 5), ({"general_anaesthesia": True}, 4),
        ({"impaired_sensorium": True}, 4), ({"cerebrovascular_disease": True}, 4),
        ({"urea_mmol_l": 2.85}, 4), ({"urea_mmol_l": 2.86}, 0), ({"urea_mmol_l": 7.84}, 0),
        ({"urea_mmol_l": 7.85}, 2), ({"urea_mmol_l": 10.69}, 2), ({"urea_mmol_l": 10.7}, 3),
        ({"transfusion_gt4_units": True}, 3), ({"emergency": True}, 3), ({"chronic_steroids": True}, 3),
        ({"smoker_current": True}, 3), ({"alcohol_gt2_drinks_day": True}, 2)]),
    # §9b Arozullah respiratory failure
    "arozullah_prf": (AROZULLAH_PRF_ZERO, [
        ({"arozullah_surgery": "aaa"}, 27), ({"arozullah_surgery": "thoracic"}, 21),
        ({"arozullah_surgery": "neurosurgery"}, 14), ({"arozullah_surgery": "upper_abdominal"}, 14),
        ({"arozullah_surgery": "peripheral_vascular"}, 14), ({"arozullah_surgery": "neck"}, 11),
        ({"emergency": True}, 11), ({"albumin_g_l": 29.9}, 9), ({"albumin_g_l": 30}, 0),
        ({"urea_mmol_l": 10.8}, 8), ({"functional_status": "partially_dependent"}, 7),
        ({"functional_status": "totally_dependent"}, 7), ({"copd": True}, 6),
        ({"age": 70}, 6), ({"age": 69}, 4), ({"age": 60}, 4), ({"age": 59}, 0)]),
    # §10 LIPS (half points; diabetes −1 only with sepsis; +1.5 emergency only with high-risk surgery)
    "lips": (LIPS_ZERO, [
        ({"shock": True}, 2), ({"aspiration": True}, 2), ({"sepsis_status": "sepsis"}, 1),
        ({"pneumonia": True}, 1.5), ({"lips_high_risk_surgery": "spine"}, 1),
        ({"lips_high_risk_surgery": "acute_abdomen"}, 2), ({"lips_high_risk_surgery": "cardiac"}, 2.5),
        ({"lips_high_risk_surgery": "aortic_vascular"}, 3.5),
        ({"lips_high_risk_surgery": "spine", "emergency": True}, 2.5), ({"emergency": True}, 0),
        ({"lips_trauma": ["tbi"]}, 2), ({"lips_trauma": ["smoke_inhalation"]}, 2),
        ({"lips_trauma": ["near_drowning"]}, 2), ({"lips_trauma": ["lung_contusion"]}, 1.5),
        ({"lips_trauma": ["multiple_fractures"]}, 1.5), ({"alcohol_abuse": True}, 1), ({"bmi": 30}, 0),
        ({"bmi": 30.1}, 1), ({"albumin_g_l": 34.9}, 1), ({"albumin_g_l": 35}, 0), ({"chemotherapy": True}, 1),
        ({"fio2_gt_035": True}, 2), ({"respiratory_rate": 30}, 0), ({"respiratory_rate": 31}, 1.5),
        ({"spo2_pct": 95}, 0), ({"spo2_pct": 94}, 1), ({"ph": 7.35}, 0), ({"ph": 7.34}, 1.5),
        ({"diabetes": True}, 0), ({"diabetes": True, "sepsis_status": "sepsis"}, 0)]),
    # §13 El-Ganzouri
    "el_ganzouri": (EGRI_ZERO, [
        ({"mouth_opening_cm": 4}, 0), ({"mouth_opening_cm": 3.9}, 1),
        ({"thyromental_distance_cm": 6.6}, 0), ({"thyromental_distance_cm": 6.5}, 1),
        ({"thyromental_distance_cm": 6.0}, 1), ({"thyromental_distance_cm": 5.9}, 2),
        ({"mallampati": 2}, 0), ({"mallampati": 3}, 1), ({"mallampati": 4}, 2),
        ({"neck_movement_deg": 91}, 0), ({"neck_movement_deg": 90}, 1), ({"neck_movement_deg": 80}, 1),
        ({"neck_movement_deg": 79}, 2), ({"can_prognath": False}, 1),
        ({"weight_kg": 89.9}, 0), ({"weight_kg": 90}, 1), ({"weight_kg": 110}, 1), ({"weight_kg": 110.1}, 2),
        ({"difficult_intubation_history": "questionable"}, 1), ({"difficult_intubation_history": "definite"}, 2)]),
    # §5a Apfel PONV
    "apfel_ponv": (APFEL_ZERO, [
        ({"sex": "F"}, 1), ({"smoker_current": False}, 1), ({"history_ponv": True}, 1),
        ({"motion_sickness": True}, 1), ({"postop_opioids": True}, 1)]),
    # §5b Apfel PDNV
    "apfel_pdnv": (PDNV_ZERO, [
        ({"sex": "F"}, 1), ({"age": 49}, 1), ({"age": 50}, 0), ({"history_ponv": True}, 1),
        ({"pacu_opioid": True}, 1), ({"pacu_nausea": True}, 1)]),
}
POINT_CASES = [pytest.param(model, dict(zero, **change), points, id=f"{model}-{i}")
               for model, (zero, items) in POINT_ITEMS.items()
               for i, (change, points) in enumerate([({}, 0), *items])]


@pytest.mark.parametrize(("model", "patient", "score"), POINT_CASES)
def test_points_as_published(result_of, model, patient, score):
    r = result_of(patient, model)
    assert r["status"] == "ok", r["missing_inputs"]
    # LIPS: a diabetic with sepsis gets sepsis 1 − diabetes 1 = 0.
    assert r["score"] == score


# --- bands: boundary scores and the published risk of each band ----------------------------------------------

BANDS = {
    # §4: <26 low 1.6 %, 26–44 intermediate 13.3 %, ≥45 high 42.1 %
    "ariscat": (ARISCAT_ZERO, [
        ({"spo2_pct": 92, "respiratory_infection_last_month": True}, 25, "low", 0.016),
        ({"age": 60, "spo2_pct": 92, "surgical_incision": "upper_abdominal"}, 26, "intermediate", 0.133),
        ({"age": 60, "respiratory_infection_last_month": True, "surgical_incision": "intrathoracic"}, 44,
         "intermediate", 0.133),
        ({"age": 60, "spo2_pct": 92, "haemoglobin_g_l": 95, "expected_duration_minutes": 200}, 45, "high", 0.421)]),
    # §7 Duceppe 2017: 0 → 3.9 %, 1 → 6.0 %, 2 → 10.1 %, ≥3 → 15 %; Lee 1999: 0.4 / 0.9 / 6.6 / 11 %
    "rcri": (RCRI_ZERO, [
        ({}, 0, "score_0", 0.039, 0.004),
        ({"heart_failure": True}, 1, "score_1", 0.060, 0.009),
        ({"heart_failure": True, "insulin_treatment": True}, 2, "score_2", 0.101, 0.066),
        ({"heart_failure": True, "insulin_treatment": True, "ischaemic_heart_disease": True}, 3, "score_3_plus",
         0.15, 0.11),
        ({"heart_failure": True, "insulin_treatment": True, "ischaemic_heart_disease": True,
          "cerebrovascular_disease": True}, 4, "score_3_plus", 0.15, 0.11)]),
    # §8: 0 lowest; 1–2 low; 3–4 moderate 0.7 %; 5–6 high 1.8 %; 7–8 high 4.0 %; ≥9 highest 10.7 %
    "caprini": (CAPRINI_ZERO, [
        ({"caprini_factors": ONE[:n]}, n, band, risk)
        for ONE in [["recent_major_surgery", "pregnancy_postpartum", "varicose_veins", "swollen_legs", "ibd",
                     "acute_mi", "other_risk_factors", "oral_contraceptives_hrt", "obstetric_history",
                     "bed_rest_medical"]]
        for n, band, risk in [(0, "lowest", None), (1, "low", None), (2, "low", None), (3, "moderate", 0.007),
                              (4, "moderate", 0.007), (5, "high_5_6", 0.018), (6, "high_5_6", 0.018),
                              (7, "high_7_8", 0.040), (8, "high_7_8", 0.040), (9, "highest", 0.107),
                              (10, "highest", 0.107)]]),
    # §9a classes: 0–15 0.24 %, 16–25 1.19 %, 26–40 4.0 %, 41–55 9.4 %, >55 15.8 %
    "arozullah_pneumonia": (AROZULLAH_PNA_ZERO, [
        ({"arozullah_surgery": "aaa"}, 15, "class_1", 0.0024),
        ({"arozullah_surgery": "neck", "general_anaesthesia": True, "cerebrovascular_disease": True}, 16,
         "class_2", 0.0119),
        ({"arozullah_surgery": "neck", "age": 80}, 25, "class_2", 0.0119),
        ({"arozullah_surgery": "thoracic", "general_anaesthesia": True, "impaired_sensorium": True,
          "cerebrovascular_disease": True}, 26, "class_3", 0.040),
        ({"arozullah_surgery": "aaa", "age": 80, "general_anaesthesia": True, "cerebrovascular_disease": True},
         40, "class_3", 0.040),
        ({"arozullah_surgery": "aaa", "age": 80, "general_anaesthesia": True, "copd": True}, 41, "class_4", 0.094),
        ({"arozullah_surgery": "aaa", "age": 80, "functional_status": "totally_dependent",
          "weight_loss_gt10pct": True, "general_anaesthesia": True, "alcohol_gt2_drinks_day": True}, 55,
         "class_4", 0.094),
        ({"arozullah_surgery": "aaa", "age": 80, "functional_status": "totally_dependent",
          "weight_loss_gt10pct": True, "general_anaesthesia": True, "smoker_current": True}, 56, "class_5", 0.158)]),
    # §9b classes: ≤10 0.5 %, 11–19 2.2 %, 20–27 5.0 %, 28–40 11.6 %, >40 30.5 %
    "arozullah_prf": (AROZULLAH_PRF_ZERO, [
        ({"copd": True, "age": 65}, 10, "class_1", 0.005),
        ({"arozullah_surgery": "neck"}, 11, "class_2", 0.022),
        ({"arozullah_surgery": "neck", "urea_mmol_l": 11}, 19, "class_2", 0.022),
        ({"arozullah_surgery": "neck", "albumin_g_l": 25}, 20, "class_3", 0.050),
        ({"arozullah_surgery": "aaa"}, 27, "class_3", 0.050),
        ({"arozullah_surgery": "thoracic", "functional_status": "partially_dependent"}, 28, "class_4", 0.116),
        ({"arozullah_surgery": "aaa", "copd": True, "functional_status": "totally_dependent"}, 40, "class_4",
         0.116),
        ({"arozullah_surgery": "aaa", "copd": True, "urea_mmol_l": 11}, 41, "class_5", 0.305)]),
    # §6: 0–2 low, 3–4 intermediate, 5–8 high (no %). Woman, neck 40.5 (N item, not a large neck), no escalation.
    "stop_bang": (dict(STOP_BANG_ZERO, neck_circumference_cm=40.5, age=55), [
        ({"hypertension": False, "age": 40, "neck_circumference_cm": 36}, 0, "low", None),
        ({"snoring": True}, 3, "intermediate", None),
        ({"snoring": True, "hypertension": True}, 4, "intermediate", None),
        ({"snoring": True, "hypertension": True, "tired_daytime": True}, 5, "high", None),
        ({"snoring": True, "hypertension": True, "tired_daytime": True, "observed_apnoea": True, "bmi": 36,
          "sex": "M", "neck_circumference_cm": 44}, 8, "high", None)]),
    # §13: ≥4 predicted difficult
    "el_ganzouri": (EGRI_ZERO, [
        ({"mallampati": 4, "can_prognath": False}, 3, "not_predicted", None),
        ({"mallampati": 4, "neck_movement_deg": 70}, 4, "predicted_difficult", None)]),
    # §10: LIPS >4
    "lips": (LIPS_ZERO, [
        ({"lips_high_risk_surgery": "cardiac", "chemotherapy": True, "bmi": 31}, 4.5, "high", None),
        ({"lips_high_risk_surgery": "aortic_vascular"}, 3.5, "not_high", None),
        ({"lips_high_risk_surgery": "aortic_vascular", "alcohol_abuse": True}, 4.5, "high", None),
        ({"lips_high_risk_surgery": "cardiac", "pneumonia": True}, 4, "not_high", None)]),
}
BAND_CASES = [pytest.param(model, dict(zero, **change), rest, id=f"{model}-{i}")
              for model, (zero, rows) in BANDS.items()
              for i, (change, *rest) in enumerate(rows)]


@pytest.mark.parametrize(("model", "patient", "expected"), BAND_CASES)
def test_band_boundaries_and_published_band_risks(result_of, model, patient, expected):
    score, band, risk, *secondary = expected
    r = result_of(patient, model)
    assert (r["score"], r["band"]) == (score, band)
    if risk is None:
        assert r["band_risk"] is None
    else:
        assert r["band_risk"] == pytest.approx(risk, abs=1e-7)
    if secondary:
        assert r["band_risk_secondary"] == pytest.approx(secondary[0], abs=1e-7)
    if model == "stop_bang":
        assert r["escalated"] is (score == 8)


# Published per-count risks: Apfel 0–4 → 10/21/39/61/79 %; PDNV 0–5 → 7/20/28/53/60/89 %.
COUNT_RISKS = {
    "apfel_ponv": (APFEL_ZERO, ["sex", "smoker_current", "history_ponv", "postop_opioids"],
                   {"sex": "F", "smoker_current": False, "history_ponv": True, "postop_opioids": True},
                   [0.10, 0.21, 0.39, 0.61, 0.79]),
    "apfel_pdnv": (PDNV_ZERO, ["sex", "age", "history_ponv", "pacu_opioid", "pacu_nausea"],
                   {"sex": "F", "age": 30, "history_ponv": True, "pacu_opioid": True, "pacu_nausea": True},
                   [0.07, 0.20, 0.28, 0.53, 0.60, 0.89]),
}


@pytest.mark.parametrize("model", list(COUNT_RISKS))
def test_risk_per_count_as_published(result_of, model):
    zero, order, positive, risks = COUNT_RISKS[model]
    for n, risk in enumerate(risks):
        patient = dict(zero, **{k: positive[k] for k in order[:n]})
        r = result_of(patient, model)
        assert r["score"] == n and r["band_risk"] == pytest.approx(risk, abs=1e-7), (n, r["band_risk"])


# Institutional cut-offs on the probability (README "Institutional band choices"): labelled institutional.
INSTITUTIONAL = {"gupta_mica": [0.01], "gupta_prf": [0.01, 0.05], "gupta_pneumonia": [0.01, 0.05],
                 "sort": [0.01, 0.05], "sort_morbidity": [0.10, 0.30], "geng_2018": [0.10, 0.30]}


@pytest.mark.parametrize("model", list(INSTITUTIONAL))
def test_institutional_probability_bands(engine, model):
    card = next(c for c in engine.catalogue() if c["id"] == model)
    assert card["level_source"] == "institutional"
    assert [b["lower"] for b in card["bands"][1:]] == INSTITUTIONAL[model]
    assert all(b["risk"] is None for b in card["bands"])  # never a made-up band risk
    # Through the graph: a logit just under / just over each cut-off lands on either side of it (the feature
    # row carries the logit through one indicator column, scaled).
    spec = next(s for s in engine.specs if s.id == model)
    j = next(i for i, f in enumerate(spec.features) if f.value_input is None and f.weight != 0)
    for k, lower in enumerate(INSTITUTIONAL[model], start=1):
        cut = math.log(lower / (1 - lower))
        for logit, want in ((cut - 1e-3, k - 1), (cut + 1e-3, k)):
            x = np.zeros((1, len(spec.features)), dtype=np.float32)
            x[0, j] = (logit - spec.intercept) / spec.features[j].weight
            assert int(engine.run_graph(model, x)["band_index"][0]) == want, (model, lower, logit)


LEVEL_SOURCES = {"ariscat": "published", "stop_bang": "published", "caprini": "published",
                 "el_ganzouri": "published", "lips": "published", "rcri": "institutional",
                 "apfel_ponv": "institutional", "apfel_pdnv": "institutional",
                 "arozullah_pneumonia": "institutional", "arozullah_prf": "institutional"}


def test_level_sources(engine):
    cards = {c["id"]: c for c in engine.catalogue()}
    for model, source in LEVEL_SOURCES.items():
        assert cards[model]["level_source"] == source, model


# --- citations: as in RISK_MODELS.md, with its [R]/[S] markers on the details it could not verify -----------

CITATION_MARKERS = {
    "apfel_pdnv": ["Apfel CC, Philip BK, Cakmakkaya OS, et al. [R: author list]", "Anesthesiology. 2012;117(3):475-486"],
    "caprini": ["Dis Mon. 2005;51(2-3):70-78 [R: citation details]", "[R: exact attribution of each %]"],
    "el_ganzouri": ["El-Ganzouri AR et al. Anesth Analg. 1996;82:1197-1204 [R: citation details]"],
    "stop_bang": ["Anesthesiology. 2008;108(5):812-821", "Chest. 2016;149(3):631-638 [R: exact pages]"],
    "sort_morbidity": ["Wong DJN et al. Br J Anaesth. 2017. doi:10.1093/bja/aex117 [volume/pages R]"],
    "arozullah_pneumonia": ["Arozullah AM, Khuri SF, Henderson WG, et al.", "Ann Intern Med. 2001;135(10):847-857"],
    "arozullah_prf": ["Arozullah AM, Daley J, Henderson WG, Khuri SF.", "Ann Surg. 2000;232(2):242-253"],
    "gupta_mica": ["Circulation. 2011;124(4):381-387", "doi:10.1161/CIRCULATIONAHA.110.015701"],
    "gupta_prf": ["Chest. 2011;140(5):1207-1215", "doi:10.1378/chest.11-0466"],
    "gupta_pneumonia": ["Mayo Clin Proc. 2013;88(11):1241-1249", "doi:10.1016/j.mayocp.2013.06.027"],
    "ariscat": ["Anesthesiology. 2010;113(6):1338-1350", "doi:10.1097/ALN.0b013e3181fc6e0a"],
    "apfel_ponv": ["Anesthesiology. 1999;91(3):693-700", "PMID 10485781"],
    "rcri": ["Circulation. 1999;100(10):1043-1049", "Can J Cardiol. 2017;33(1):17-32"],
    "lips": ["Gajic O, Dabbagh O, Park PK, et al.; USCIITG-LIPS.", "Am J Respir Crit Care Med. 2011;183(4):462-470"],
    "geng_2018": ["Clinics (Sao Paulo). 2018;73:e513", "doi:10.6061/clinics/2018/e513"],
    "sort": ["Br J Surg. 2014;101(13):1774-1783", "doi:10.1002/bjs.9638"],
}
# Details that RISK_MODELS.md does not give and that were once added from memory without a marker.
UNSOURCED = {"el_ganzouri": ["McCarthy", "Tuman"], "sort_morbidity": ["Oliver CM"],
             "arozullah_pneumonia": ["Daley J"]}


@pytest.mark.parametrize("model", list(CITATION_MARKERS))
def test_citation_as_in_risk_models(engine, model):
    citation = next(s for s in engine.specs if s.id == model).raw["citation"]
    for fragment in CITATION_MARKERS[model]:
        assert fragment in citation, (model, fragment)
    for fragment in UNSOURCED.get(model, []):
        assert fragment not in citation, (model, fragment)


# --- confidence tags (RISK_MODELS.md §0 tags on each figure) -------------------------------------------------

# model: (intercept tag, tag of every scored item unless listed, {item: tag} exceptions, band-risk tag)
TAGS = {
    "gupta_mica": ("V", "V", {}, None),
    "gupta_prf": ("V", "C", {}, None),
    "gupta_pneumonia": ("V", "S", {"age": "C", "copd_no": "C", "functional_partial": "C", "functional_total": "C",
                                   "asa_1": "C", "asa_2": "C", "asa_3": "C", "asa_4": "C", "sepsis_none": "C",
                                   "sepsis_sepsis": "C", "sepsis_septic_shock": "C", "non_smoker": "C",
                                   "proc_aortic": "C", "proc_breast": "C"}, None),
    "ariscat": (None, "V", {}, "V"),
    "apfel_ponv": (None, "V", {}, "C"),
    "apfel_pdnv": (None, "V", {}, "V"),
    "stop_bang": (None, "V", {}, None),
    "rcri": (None, "V", {}, "V"),
    "caprini": (None, "V", {}, "V"),
    "arozullah_pneumonia": (None, "V", {}, "V"),
    "arozullah_prf": (None, "S", {}, "V"),
    "lips": (None, "V", {"sepsis": "S", "hypoalbuminaemia": "S", "emergency_surgery": "R"}, None),
    "el_ganzouri": (None, "S", {}, None),
    "geng_2018": ("V", "V", {}, None),
    "sort": ("V", "V", {}, None),
    "sort_morbidity": ("V", "V", {}, None),
}


@pytest.mark.parametrize("model", list(TAGS))
def test_confidence_tags_as_in_risk_models(engine, model):
    spec = next(s for s in engine.specs if s.id == model)
    intercept, default, exceptions, band_tag = TAGS[model]
    assert spec.intercept_confidence == intercept
    assert set(exceptions) <= {f.key for f in spec.scoring}
    for f in spec.scoring:
        assert f.confidence == exceptions.get(f.key, default), (model, f.key)
    assert {b.risk_confidence for b in spec.bands if b.risk is not None} == ({band_tag} if band_tag else set())
    if model == "stop_bang":
        assert spec.raw["escalation"]["confidence"] == "V"
