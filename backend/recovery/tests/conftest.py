"""Fixtures of the recovery tests: ward A (with its doctor, nurse, follow-up nurse) and ward B, a discharged case of
ward A whose patient uses the app, and API clients."""

import pytest

from tests.builders import (
    make_case,
    make_department,
    make_hospital,
    make_patient_account,
    make_staff,
    make_ward,
)


@pytest.fixture
def world(db):
    hospital, _campus = make_hospital()
    ward_a = make_ward(department=make_department(name="普外科", hospital=hospital), name="日间病区A")
    ward_b = make_ward(department=make_department(name="眼科", hospital=hospital), name="日间病区B")
    doctor = make_staff("doctor", ward=ward_a, name="李医生")
    case = make_case("discharged", ward=ward_a, surgeon=doctor)
    return {
        "ward_a": ward_a, "ward_b": ward_b, "doctor": doctor, "case": case,
        "nurse": make_staff("nurse", ward=ward_a, name="赵护士"),
        "followup": make_staff("followup_nurse", ward=ward_a, name="孙随访"),
        "nurse_b": make_staff("nurse", ward=ward_b, name="钱护士"),
        "patient": make_patient_account(patient=case.patient, phone=case.patient.phone),
        "other_patient": make_patient_account(patient=make_case("discharged", ward=ward_a).patient),
    }


WEEK = [
    {"category": "drug", "day_from": 1, "day_to": 3, "title": "止痛", "drug_name": "布洛芬缓释胶囊", "dose": "0.3 g",
     "route": "口服", "frequency": "每12小时一次", "instructions": "疼痛时服用，饭后"},
    {"category": "dressing", "day_from": 2, "day_to": 2, "title": "门诊换药", "instructions": "上午到日间手术中心换药"},
    {"category": "activity", "day_from": 1, "day_to": 7, "title": "一周内避免提重物"},
    {"category": "diet", "day_from": 1, "day_to": 1, "title": "清淡半流质"},
    {"category": "warning_sign", "day_from": 1, "day_to": 7, "title": "发热超过38.5℃或切口渗血请立即就诊"},
]
