"""Test helpers of the risk app: a hospital with staff, procedures, and realistic patients' engine inputs."""

import itertools

from tests.builders import make_hospital, make_staff, make_ward

_seq = itertools.count(1)


def hospital_with_staff():
    """(hospital, ward, {"admin", "anaesthetist", "doctor", "nurse"}) — all in the hospital's day-surgery ward."""
    hospital, _ = make_hospital()
    ward = make_ward()
    staff = {role: make_staff(role, ward=ward) for role in ("hospital_admin", "anaesthetist", "doctor", "nurse")}
    staff["admin"] = staff.pop("hospital_admin")
    return hospital, ward, staff


def make_procedure(name="腹腔镜胆囊切除术", *, grade=3, duration=60, methods=("general",), incision="Ⅱ类"):
    from catalog.services import procedure_create

    return procedure_create(
        actor=None, code=f"RK.{next(_seq):04d}", name=name, grade=grade, incision_class=incision,
        default_duration_minutes=duration, anaesthesia_methods=list(methods),
    )


# A 68-year-old ASA III male smoker with OSA signs (loud snoring, observed apnoea, daytime tiredness, treated
# hypertension, BMI 31, neck 42 cm) for an elective laparoscopic inguinal hernia repair under general anaesthesia.
OSA_SMOKER = {
    "age": 68, "sex": "M", "height_cm": 170, "weight_kg": 90, "asa_class": 3, "emergency": False,
    "functional_status": "independent", "sepsis_status": "none", "smoker_current": True, "cancer": False,
    "copd": False, "ischaemic_heart_disease": False, "heart_failure": False, "cerebrovascular_disease": False,
    "insulin_treatment": False, "diabetes": False, "hypertension": True,
    "snoring": True, "tired_daytime": True, "observed_apnoea": True, "neck_circumference_cm": 42,
    "procedure_type": "surgery", "procedure_category": "hernia", "surgical_incision": "peripheral",
    "expected_duration_minutes": 60, "rcri_elevated_risk_surgery": False, "caprini_surgery": "major",
    "sort_severity": "intermediate", "sort_specialty": "other", "general_anaesthesia": True,
    "creatinine_umol_l": 88, "haemoglobin_g_l": 142, "spo2_pct": 95, "respiratory_infection_last_month": False,
    "history_ponv": False, "motion_sickness": False, "postop_opioids": True,
    "mouth_opening_cm": 4.5, "thyromental_distance_cm": 7, "mallampati": 2, "neck_movement_deg": 95,
    "can_prognath": True, "difficult_intubation_history": "none",
    "systolic_bp": 138, "diastolic_bp": 84, "heart_rate": 76, "respiratory_rate": 16, "temperature_c": 36.6,
    "wbc_10e9_l": 6.8, "caprini_factors": [],
}

# A healthy 35-year-old woman, ASA I, for a breast lump excision: nothing should stand in the way.
HEALTHY_BREAST = {
    "age": 35, "sex": "F", "height_cm": 162, "weight_kg": 55, "asa_class": 1, "emergency": False,
    "functional_status": "independent", "sepsis_status": "none", "smoker_current": False, "cancer": False,
    "copd": False, "ischaemic_heart_disease": False, "heart_failure": False, "cerebrovascular_disease": False,
    "insulin_treatment": False, "diabetes": False, "hypertension": False,
    "snoring": False, "tired_daytime": False, "observed_apnoea": False, "neck_circumference_cm": 32,
    "procedure_type": "surgery", "procedure_category": "breast", "surgical_incision": "peripheral",
    "expected_duration_minutes": 40, "rcri_elevated_risk_surgery": False, "caprini_surgery": "minor",
    "sort_severity": "minor", "sort_specialty": "other", "general_anaesthesia": False,
    "creatinine_umol_l": 60, "haemoglobin_g_l": 130, "spo2_pct": 99, "respiratory_infection_last_month": False,
    "history_ponv": False, "motion_sickness": False, "postop_opioids": False,
    "mouth_opening_cm": 5, "thyromental_distance_cm": 7, "mallampati": 1, "neck_movement_deg": 100,
    "can_prognath": True, "difficult_intubation_history": "none",
    "systolic_bp": 118, "diastolic_bp": 72, "heart_rate": 70, "respiratory_rate": 14, "temperature_c": 36.5,
    "wbc_10e9_l": 5.5, "caprini_factors": [],
}


def event_of(summary, key):
    return next(e for e in summary["events"] if e["event"] == key)
