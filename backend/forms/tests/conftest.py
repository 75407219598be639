"""Fixtures of the forms tests: a day-surgery ward with its staff, a discharged case, its patient's account, and a
small follow-up form (pain NRS, fever, wound, temperature, note) with abnormal-answer rules."""

import pytest

from tests.builders import make_case, make_patient_account, make_staff

SCHEMA = {
    "questions": [
        {"key": "pain", "type": "scale", "label": "疼痛评分（0-10）", "min": 0, "max": 10},
        {"key": "fever", "type": "yes_no", "label": "是否发热", "scores": {"yes": 0, "no": 1}},
        {"key": "wound", "type": "single_choice", "label": "切口情况", "options": [
            {"value": "dry", "label": "干燥", "score": 2, "aliases": ["好", "正常"]},
            {"value": "red", "label": "红肿", "score": 1},
            {"value": "oozing", "label": "渗液", "score": 0}]},
        {"key": "temperature", "type": "number", "label": "体温", "unit": "°C", "min": 34, "max": 43,
         "decimals": 1, "required": False},
        {"key": "note", "type": "text", "label": "其他不适", "required": False, "max_length": 200},
    ],
    "rules": [
        {"code": "pain_severe", "label": "疼痛≥7分", "when": "pain >= 7", "tags": ["pain"]},
        {"code": "fever", "label": "发热", "when": {"question": "fever", "op": "==", "value": "yes"},
         "tags": ["fever"]},
        {"code": "wound_problem", "label": "切口异常", "when": "wound in [red, oozing]", "tags": ["wound"]},
    ],
}
GOOD = {"pain": 2, "fever": "no", "wound": "dry"}


@pytest.fixture
def nurse(ward):
    return make_staff("followup_nurse", ward=ward)


@pytest.fixture
def admin(ward):
    return make_staff("hospital_admin", ward=ward)


@pytest.fixture
def case(ward, doctor):
    return make_case("discharged", ward=ward, surgeon=doctor)


@pytest.fixture
def patient_account(case):
    return make_patient_account(patient=case.patient)


@pytest.fixture
def form(hospital):
    from forms.services import form_create

    return form_create(hospital=hospital, kind="followup", code="fu-test", title="术后随访", schema=SCHEMA,
                       actor=None)
