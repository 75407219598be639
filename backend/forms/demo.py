"""Demo data of the questionnaires (Y7, F8, PA2): the default forms, then on the demo hospital's cases the centre
registration questionnaire (most booked patients answered it on the phone, some with answers the nurses should
see), the pre-op education check on scheduled cases, and a custom wound re-check form a follow-up nurse pushed to
a discharged patient. Idempotent: every assignment has a key, an answered one is left alone. Follow-up forms come
with the follow-up tasks (followup.demo)."""

import random

from django.db import transaction

from cases.models import CaseState, SurgicalCase
from forms import services
from forms.models import AssignmentSource, AssignmentStatus, FormAssignment, FormKind
from forms.selectors import form_for_case

REGISTRATION_ANSWERS = [
    {"height": 168, "weight": 62.5, "allergy": "no", "chronic": ["none"], "anticoagulant": "no",
     "previous_surgery": "no", "anaesthesia_problem": "no", "snoring": "no", "companion": "yes",
     "travel_time": "under_30"},
    {"height": 158, "weight": 71, "allergy": "yes", "allergy_detail": "青霉素过敏，皮疹", "chronic": ["hypertension"],
     "anticoagulant": "no", "previous_surgery": "yes", "anaesthesia_problem": "no", "snoring": "yes",
     "companion": "yes", "travel_time": "30_60"},
    {"height": 175, "weight": 80, "allergy": "no", "chronic": ["hypertension", "diabetes"], "anticoagulant": "yes",
     "previous_surgery": "yes", "anaesthesia_problem": "no", "snoring": "no", "companion": "no",
     "travel_time": "over_120"},
]
EDUCATION_ANSWERS = [
    {"fasting": "yes", "medication": "yes", "arrival": "yes", "companion": "yes"},
    {"fasting": "yes", "medication": "no", "arrival": "yes", "companion": "yes", "questions": "降压药当天还吃吗？"},
]
WOUND_RECHECK = {
    "questions": [
        {"key": "redness", "type": "single_choice", "label": "伤口周围红肿范围", "options": [
            {"value": "none", "label": "没有红肿"}, {"value": "small", "label": "小于1厘米"},
            {"value": "large", "label": "大于1厘米或在扩大"}]},
        {"key": "temperature", "type": "number", "label": "今天最高体温", "unit": "℃", "min": 35, "max": 43,
         "decimals": 1},
        {"key": "dressing_changed", "type": "yes_no", "label": "是否已按时换药？"},
    ],
    "rules": [
        {"code": "redness_spreading", "label": "红肿扩大", "when": "redness == large", "tags": ["wound"]},
        {"code": "fever", "label": "发热", "when": "temperature >= 37.3", "tags": ["fever"]},
    ],
}


def _assign(case, kind, source, key):
    version = form_for_case(case, kind)
    if version is None:
        return None
    return services.assignment_create(case=case, version=version, source=source, actor=None, notify=False, key=key)


@transaction.atomic
def _seed_case(case) -> int:
    # Per-case draws made up front: a second run skips answered forms and must not drift onto others.
    rng = random.Random(f"forms:{case.uuid}")
    answers_registration = rng.choice(REGISTRATION_ANSWERS) if rng.random() < 0.7 else None
    answers_education = rng.choice(EDUCATION_ANSWERS) if rng.random() < 0.5 else None
    added = 0
    registration = _assign(case, FormKind.REGISTRATION, AssignmentSource.REGISTRATION, f"registration:{case.uuid}")
    if registration is not None and registration.status == AssignmentStatus.PENDING and answers_registration:
        services.response_submit(assignment=registration, answers=answers_registration, channel="mobile", actor=None)
        added += 1
    if case.state in (CaseState.SCHEDULED, CaseState.APPLICATION_SENT):
        check = _assign(case, FormKind.PREOP_EDUCATION, AssignmentSource.EDUCATION, f"demo-preop-education:{case.uuid}")
        if check is not None and check.status == AssignmentStatus.PENDING and answers_education:
            services.response_submit(assignment=check, answers=answers_education, channel="mobile", actor=None)
            added += 1
    return added


def seed_forms(hospital, *, write=print) -> dict:
    """Default forms; registration / education questionnaires on booked cases; one custom form pushed."""
    changed = services.forms_sync_defaults()
    states = (CaseState.BOOKED, CaseState.APPLICATION_SENT, CaseState.SCHEDULED)
    cases = list(SurgicalCase.objects.filter(ward__department__hospital=hospital, state__in=states)
                 .select_related("ward__department", "patient").order_by("pk")[:40])
    answered = sum(_seed_case(case) for case in cases)
    pushed = 0
    discharged = (SurgicalCase.objects.filter(ward__department__hospital=hospital, state=CaseState.DISCHARGED)
                  .select_related("ward__department", "patient").order_by("pk").first())
    if discharged is not None and not FormAssignment.objects.filter(case=discharged, source="custom").exists():
        services.custom_form_push(case=discharged, title="伤口复查问卷", schema=WOUND_RECHECK, actor=None,
                                  note="随访电话中诉伤口发红，请患者每日自评", notify=True)
        pushed = 1
    summary = {"default_forms_changed": changed, "cases": len(cases), "answered": answered, "custom_pushed": pushed}
    write(f"forms: {summary}")
    return summary
