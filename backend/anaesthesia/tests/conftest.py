"""Fixtures of the anaesthesia clinic tests: a day-surgery ward with an anaesthetist and a surgeon, a booked case
of a patient the simulated HIS/LIS/PACS knows (so this visit's results exist), and a complete assessment."""

import itertools

import pytest

from anaesthesia import form
from cases.models import SurgicalCase
from integrations.testing import sim_patients
from tests.builders import authenticate, make_case, make_department, make_patient, make_staff, make_ward

_phones = itertools.count(1)


def phone():
    return f"137{next(_phones) + 55500000:08d}"


def complete_sections(**overrides) -> dict:
    """Every section an anaesthetist fills for a healthy adult (ASA II) having a laparoscopic cholecystectomy."""
    sections = {
        "body": {"height_cm": 170, "weight_kg": 72},
        "vitals": {"systolic_bp": 132, "diastolic_bp": 82, "heart_rate": 74, "respiratory_rate": 16,
                   "temperature_c": 36.6, "spo2_pct": 98},
        "status": {"asa_class": 2, "emergency": False, "functional_status": "independent", "smoker_current": False,
                   "alcohol_gt2_drinks_day": False, "alcohol_abuse": False, "sepsis_status": "none"},
        "history": {**{k: False for k in ("hypertension", "ischaemic_heart_disease", "heart_failure",
                                          "cerebrovascular_disease", "diabetes", "insulin_treatment", "copd",
                                          "respiratory_infection_last_month", "cancer", "weight_loss_gt10pct",
                                          "impaired_sensorium", "chronic_steroids", "transfusion_gt4_units")},
                    "caprini_factors": []},
        "osa": {"snoring": False, "tired_daytime": False, "observed_apnoea": False, "neck_circumference_cm": 38},
        "ponv": {"history_ponv": False, "motion_sickness": False, "postop_opioids": True},
        "airway": {"mallampati": 2, "mouth_opening_cm": 4.5, "thyromental_distance_cm": 7, "neck_movement_deg": 100,
                   "can_prognath": True, "difficult_intubation_history": "none"},
        "labs": {"creatinine_umol_l": 80, "haemoglobin_g_l": 140},
        "systems": {key: {"status": "normal"} for key, _label, _note in form.SYSTEMS},
        "plan": {"anaesthesia_plan": "general_lma", "plan_note": "喉罩通气，术后多模式镇痛"},
    }
    for section, values in overrides.items():
        sections[section] = {**sections.get(section, {}), **values}
    return sections


def cholecystectomy(ward):
    """The catalogue procedure with its risk profile (what the models need to know about the operation)."""
    from catalog.services import procedure_create
    from risk.services import procedure_risk_profile_create

    procedure = procedure_create(
        actor=None, code=f"51.23{ward.pk:04d}", name="腹腔镜胆囊切除术", grade=3, incision_class="II",
        department=ward.department, wards=[ward], default_duration_minutes=60, body_site="腹部",
        anaesthesia_methods=["general"], notice_text="术前8小时禁食。",
    )
    procedure_risk_profile_create(
        actor=None, procedure=procedure, procedure_type="surgery",
        procedure_category="gallbladder_appendix_adrenals_spleen", surgical_incision="upper_abdominal",
        rcri_elevated_risk_surgery=True, arozullah_surgery="upper_abdominal", lips_high_risk_surgery="none",
        caprini_surgery="major", sort_severity="major", sort_specialty="hpb", general_anaesthesia=True,
    )
    return procedure


def with_procedure(case, procedure):
    SurgicalCase.objects.filter(pk=case.pk).update(procedure=procedure, expected_duration_minutes=60)
    case.refresh_from_db()
    return case


@pytest.fixture
def clinic(db):
    ward = make_ward(department=make_department(name="普外科"), name="日间手术中心一病区")
    return {
        "ward": ward,
        "procedure": cholecystectomy(ward),
        "anaesthetist": make_staff("anaesthetist", ward=ward, name="麻醉医生甲", phone=phone()),
        "surgeon": make_staff("doctor", ward=ward, name="外科医生乙", phone=phone()),
        "nurse": make_staff("nurse", ward=ward, name="护士丙", phone=phone()),
    }


def his_case(hospital_sim, clinic, index, *, state="booked", patient_phone=None):
    """A case of simulator patient `index` on this visit (its LIS/PACS reports belong to the visit)."""
    sim = sim_patients(hospital_sim)[index]
    patient = make_patient(name=sim["name"], reg_no=sim["reg_no"], phone=patient_phone or phone())
    case = make_case(state, ward=clinic["ward"], patient=patient, surgeon=clinic["surgeon"])
    SurgicalCase.objects.filter(pk=case.pk).update(visit_no=sim["visit_nos"][-1], diagnosis_name="胆囊结石")
    return with_procedure(case, clinic["procedure"])


def plain_case(clinic, *, state="booked", ward=None):
    ward = ward or clinic["ward"]
    surgeon = clinic["surgeon"] if ward == clinic["ward"] else make_staff("doctor", ward=ward)
    case = make_case(state, ward=ward, surgeon=surgeon, patient=make_patient(phone=phone()))
    return with_procedure(case, clinic["procedure"])


def start(client, clinic, case):
    authenticate(client, clinic["anaesthetist"])
    response = client.post("/api/v1/anaesthesia-assessments/", {"case": str(case.uuid)}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def save(client, assessment, sections, *, expect=200):
    response = client.patch(f"/api/v1/anaesthesia-assessments/{assessment['uuid']}/",
                            {"version": assessment["version"], "sections": sections}, format="json")
    assert response.status_code == expect, response.content
    return response.json()
