"""Fixtures of the follow-up tests: a day-surgery ward with a follow-up nurse and a surgeon, the hospital's own
follow-up form (pain NRS, fever, wound; abnormal rules tagging pain / fever / wound), and discharged cases whose
operation and discharge lie in the past (a follow-up date must have come)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import SurgicalCase
from tests.builders import make_case, make_patient, make_staff

SCHEMA = {
    "questions": [
        {"key": "pain", "type": "scale", "label": "疼痛评分（0-10）", "min": 0, "max": 10},
        {"key": "fever", "type": "yes_no", "label": "是否发热"},
        {"key": "wound", "type": "single_choice", "label": "切口情况", "options": [
            {"value": "dry", "label": "干燥", "score": 2}, {"value": "red", "label": "红肿", "score": 1},
            {"value": "oozing", "label": "渗液", "score": 0}]},
    ],
    "rules": [
        {"code": "pain_severe", "label": "疼痛≥7分", "when": "pain >= 7", "tags": ["pain"]},
        {"code": "fever", "label": "发热", "when": {"question": "fever", "op": "==", "value": "yes"}},
        {"code": "wound_problem", "label": "切口异常", "when": "wound in [red, oozing]", "tags": ["wound"]},
    ],
}
GOOD = {"pain": 2, "fever": "no", "wound": "dry"}


@pytest.fixture
def nurse(ward):
    return make_staff("followup_nurse", ward=ward)


@pytest.fixture
def form(hospital):
    from forms.services import form_create

    return form_create(hospital=hospital, kind="followup", code="postop-test", title="术后随访（测试）",
                       schema=SCHEMA, actor=None)


def back_date(case, *, operated_hours_ago, discharged_hours_ago=None):
    """Move the case's operation (and discharge) into the past, as if time had passed since."""
    now = timezone.now()
    values = {"operated_at": now - timedelta(hours=operated_hours_ago)}
    if discharged_hours_ago is not None:
        values["discharged_at"] = now - timedelta(hours=discharged_hours_ago)
    SurgicalCase.objects.filter(pk=case.pk).update(**values)
    case.refresh_from_db()
    return case


@pytest.fixture
def discharged(ward, doctor, form):
    """A factory: a case discharged `hours_ago` hours ago (operated two hours before that) of a patient with
    `phone`."""

    def make(*, hours_ago=25, phone=None):
        patient = make_patient(phone=phone) if phone else make_patient()
        case = make_case("discharged", ward=ward, surgeon=doctor, patient=patient)
        return back_date(case, operated_hours_ago=hours_ago + 2, discharged_hours_ago=hours_ago)

    return make


def event_types(case, prefix="followup."):
    return list(case.events.filter(type__startswith=prefix).order_by("sequence").values_list("type", flat=True))
