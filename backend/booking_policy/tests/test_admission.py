"""B3 / U4: admission control at booking — built-in levels and the configurable rules, as the API shows them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from booking_policy.errors import AdmissionRefused
from booking_policy.models import AdmissionRule, RuleKind, RuleScope
from booking_policy.services import admission_check, admission_rule_create
from booking_policy.tests.helpers import draft_case, make_procedure, patient_aged, world
from cases.models import CaseState
from cases.services import case_transition
from org.models import ManagementMode
from tests.builders import admin_token, authenticate, make_department, make_staff, make_ward, staff_token

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    return world()


def _confirm(api_client, user, case, **body):
    authenticate(api_client, user)
    return api_client.post(f"/api/v1/cases/{case.uuid}/confirm/", body, format="json")


def _refusal(case, **kwargs):
    with pytest.raises(AdmissionRefused) as info:
        admission_check(case=case, **kwargs)
    return info.value


@pytest.mark.req("B3")
def test_a_booking_that_passes_every_level_is_confirmed(api_client, w):
    case = draft_case(ward=w["ward"], surgeon=w["surgeon"], procedure=w["procedure"])
    response = _confirm(api_client, w["surgeon"], case)
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == CaseState.BOOKED


@pytest.mark.req("B3")
def test_procedure_level_refusal_names_the_rule_and_reason_in_the_envelope(api_client, w):
    not_admitted = make_procedure(department=w["dept"], wards=[])  # no ward admits it
    case = draft_case(ward=w["ward"], surgeon=w["surgeon"], procedure=not_admitted)
    response = _confirm(api_client, w["surgeon"], case)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "admission_refused"
    assert error["rule"]["id"] == "procedure.ward" and error["rule"]["level"] == "procedure"
    assert error["reason_code"] == "procedure_not_admitted_by_ward"
    assert w["ward"].name in error["reason"] and not_admitted.name in error["reason"]
    assert error["rule"]["name"] in error["message"]
    case.refresh_from_db()
    assert case.state == CaseState.DRAFT

    disabled = make_procedure(department=w["dept"], wards=[w["ward"]], is_active=False)
    refusal = _refusal(draft_case(ward=w["ward"], surgeon=w["surgeon"], procedure=disabled))
    assert refusal.extra["rule"]["id"] == "procedure.active"


@pytest.mark.req("B3")
def test_department_level_refuses_a_procedure_of_another_department(w):
    """A centre ward hosts several departments: it admits an orthopaedic procedure, general surgery does not."""
    from cases.models import SurgicalCase

    centre = make_ward(department=make_department(name="日间手术中心", hospital=w["hospital"]))
    foreign = make_procedure(department=w["other"], wards=[centre])
    case = draft_case(ward=centre, surgeon=w["surgeon"], procedure=foreign)
    SurgicalCase.objects.filter(pk=case.pk).update(department=w["dept"])  # booked by general surgery
    case.refresh_from_db()
    refusal = _refusal(case)
    assert refusal.extra["rule"]["id"] == "department.procedure"
    assert refusal.extra["rule"]["level"] == "department"
    assert refusal.extra["reason_code"] == "procedure_not_admitted_by_department"
    assert w["other"].name in refusal.extra["reason"]

    SurgicalCase.objects.filter(pk=case.pk).update(department=w["other"])
    case.refresh_from_db()
    assert _refusal(case).extra["rule"]["level"] == "surgeon"  # the department passes; a 普外科 surgeon does not


@pytest.mark.req("B3")
def test_surgeon_level_admitted_doctors_and_admitting_department(w):
    listed = make_staff("doctor", ward=w["ward"])
    restricted = make_procedure(department=w["dept"], wards=[w["ward"]], admitted_doctors=[listed])
    refusal = _refusal(draft_case(ward=w["ward"], surgeon=w["surgeon"], procedure=restricted))
    assert refusal.extra["rule"]["level"] == "surgeon"
    assert refusal.extra["reason_code"] == "surgeon_not_admitted"
    admission_check(case=draft_case(ward=w["ward"], surgeon=listed, procedure=restricted))  # listed: passes

    outsider = make_staff("doctor", department=w["other"])  # empty list: any surgeon of an admitting department
    refusal = _refusal(draft_case(ward=w["ward"], surgeon=outsider, procedure=w["procedure"]))
    assert refusal.extra["reason_code"] == "surgeon_department_not_admitted"


def _rule(w, kind, **params):
    return admission_rule_create(actor=None, hospital=w["hospital"], name=f"{kind}规则", kind=kind,
                                 message=params.pop("message", ""), **params)


@pytest.mark.req("B3")
@pytest.mark.parametrize(
    ("kind", "params", "case_kwargs", "reason_code"),
    [
        (RuleKind.AGE, {"min_age": 18, "max_age": 65}, {"age": 70}, "age_above_maximum"),
        (RuleKind.AGE, {"min_age": 18}, {"age": 12}, "age_below_minimum"),
        (RuleKind.GRADE, {"grades": [1, 2]}, {"grade": 3}, "grade_not_allowed"),
        (RuleKind.BODY_SITE, {"body_sites": ["腹部", "体表"]}, {"site": "颅脑"}, "body_site_not_allowed"),
        (RuleKind.BODY_SITE, {"body_sites": ["颅脑"], "body_site_policy": "block"}, {"site": "颅脑"},
         "body_site_blocked"),
        (RuleKind.TRIAGE, {"triage_levels": [3, 4]}, {"triage": 1}, "triage_not_allowed"),
        (RuleKind.TRIAGE, {"triage_levels": [3, 4]}, {"triage": None}, "triage_unknown"),
        (RuleKind.ACTIVE_BOOKINGS, {"max_active_bookings": 1}, {"booked_elsewhere": True}, "too_many_active_bookings"),
    ],
)
def test_each_configurable_rule_kind_refuses_with_its_reason(w, kind, params, case_kwargs, reason_code):
    rule = _rule(w, kind, **params)
    procedure = make_procedure(department=w["dept"], wards=[w["ward"]], grade=case_kwargs.get("grade", 2),
                               body_site=case_kwargs.get("site", "腹部"))
    patient = patient_aged(case_kwargs.get("age", 40))
    if case_kwargs.get("booked_elsewhere"):
        draft = draft_case(ward=w["ward"], surgeon=w["surgeon"], patient=patient,
                           planned_date=timezone.localdate() + timedelta(days=10))
        case_transition(case=draft, transition="confirm", actor=None)
    case = draft_case(ward=w["ward"], surgeon=w["surgeon"], procedure=procedure, patient=patient,
                      triage_level=case_kwargs.get("triage", 3))
    refusal = _refusal(case)
    assert refusal.extra["rule"]["id"] == str(rule.uuid)
    assert refusal.extra["rule"]["level"] == kind and refusal.extra["rule"]["scope"] == RuleScope.HOSPITAL
    assert refusal.extra["reason_code"] == reason_code

    # The same booking passes once the rule is disabled.
    rule.is_enabled = False
    rule.save()
    admission_check(case=case)


@pytest.mark.req("B3")
def test_a_rule_message_is_what_the_doctor_reads(api_client, w):
    _rule(w, RuleKind.AGE, max_age=80, message="日间手术中心仅收治80岁及以下患者，请转住院手术。")
    case = draft_case(ward=w["ward"], surgeon=w["surgeon"], procedure=w["procedure"], patient=patient_aged(85))
    error = _confirm(api_client, w["surgeon"], case).json()["error"]
    assert "日间手术中心仅收治80岁及以下患者" in error["message"]
    assert error["reason_code"] == "age_above_maximum" and "85" in error["reason"]


@pytest.mark.req("B3")
def test_reschedule_rechecks_admission_at_the_new_date(w):
    _rule(w, RuleKind.AGE, max_age=60)
    patient = patient_aged(60, days_to_birthday=20)  # 60 now, 61 in 20 days
    case = draft_case(ward=w["ward"], surgeon=w["surgeon"], procedure=w["procedure"], patient=patient)
    case_transition(case=case, transition="confirm", actor=None)
    with pytest.raises(AdmissionRefused) as info:
        case_transition(case=case, transition="reschedule", actor=None,
                        planned_date=timezone.localdate() + timedelta(days=30), reason="患者要求改期")
    assert info.value.extra["reason_code"] == "age_above_maximum"
    case_transition(case=case, transition="reschedule", actor=None,
                    planned_date=timezone.localdate() + timedelta(days=10), reason="患者要求改期")


@pytest.mark.req("B3", "U4")
def test_rule_scopes_outpatient_wards_keep_their_own_rules(w):
    outpatient = make_ward(ManagementMode.OUTPATIENT, department=w["dept"], name="门诊手术室")
    sibling = make_ward(department=w["dept"], name="普外日间病房")
    for ward in (outpatient, sibling):
        w["procedure"].ward_links.create(ward=ward)
    _rule(w, RuleKind.GRADE, scope=RuleScope.MANAGEMENT_MODE, management_mode=ManagementMode.OUTPATIENT,
          grades=[1])
    _rule(w, RuleKind.AGE, scope=RuleScope.WARD, ward=sibling, min_age=14)
    child = patient_aged(10)

    outpatient_case = draft_case(ward=outpatient, surgeon=w["surgeon"], procedure=w["procedure"], patient=child)
    assert _refusal(outpatient_case).extra["reason_code"] == "grade_not_allowed"  # grade 2: outpatient takes 1
    assert _refusal(draft_case(ward=sibling, surgeon=w["surgeon"], procedure=w["procedure"],
                               patient=child)).extra["reason_code"] == "age_below_minimum"
    admission_check(case=draft_case(ward=w["ward"], surgeon=w["surgeon"], procedure=w["procedure"], patient=child))

    _rule(w, RuleKind.AGE, scope=RuleScope.DEPARTMENT, department=w["other"], min_age=18)  # another department
    admission_check(case=draft_case(ward=w["ward"], surgeon=w["surgeon"], procedure=w["procedure"], patient=child))


@pytest.mark.req("B3")
def test_administrators_edit_rules_through_the_api_audited_and_effective_immediately(api_client, w):
    admin = make_staff("hospital_admin")
    case = draft_case(ward=w["ward"], surgeon=w["surgeon"], procedure=w["procedure"], patient=patient_aged(85))
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(admin)}")
    created = api_client.post("/api/v1/admission-rules/", {
        "hospital": str(w["hospital"].uuid), "name": "中心年龄准入", "kind": "age", "scope": "ward",
        "ward": str(w["ward"].uuid), "min_age": 1, "max_age": 80, "message": "超出中心收治年龄",
    }, format="json")
    assert created.status_code == 201, created.json()
    rule_uuid = created.json()["uuid"]

    assert _confirm(api_client, w["surgeon"], case).json()["error"]["rule"]["id"] == rule_uuid

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(admin)}")
    patched = api_client.patch(f"/api/v1/admission-rules/{rule_uuid}/", {"max_age": 90}, format="json")
    assert patched.status_code == 200 and patched.json()["max_age"] == 90
    assert _confirm(api_client, w["surgeon"], case).status_code == 200

    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(admin)}")
    history = api_client.get(f"/api/v1/admission-rules/{rule_uuid}/history/").json()["results"]
    assert [h["detail"] for h in history] == ["update admission rule", "create admission rule"]
    assert history[0]["before"]["max_age"] == 80 and history[0]["after"]["max_age"] == 90
    assert history[0]["actor_name"] == admin.name
    assert api_client.delete(f"/api/v1/admission-rules/{rule_uuid}/").status_code == 204
    assert not AdmissionRule.objects.filter(uuid=rule_uuid).exists()
    assert AuditEntry.objects.filter(target_id=rule_uuid, detail="delete admission rule").exists()
    assert len(api_client.get("/api/v1/admission-rules/history/").json()["results"]) == 3


@pytest.mark.req("B3")
def test_rule_edits_need_the_manage_permission_and_the_second_factor(api_client, w):
    body = {"hospital": str(w["hospital"].uuid), "name": "年龄", "kind": "age", "max_age": 80}
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(make_staff('nurse', ward=w['ward']))}")
    assert api_client.post("/api/v1/admission-rules/", body, format="json").status_code == 403
    assert api_client.get("/api/v1/admission-rules/").status_code == 200  # reading is for all staff
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {staff_token(make_staff('hospital_admin'))}")
    response = api_client.post("/api/v1/admission-rules/", body, format="json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "second_factor_required"


@pytest.mark.req("B3")
def test_invalid_rules_are_refused_field_by_field(api_client, w):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(make_staff('hospital_admin'))}")
    base = {"hospital": str(w["hospital"].uuid), "name": "规则"}
    cases = [
        ({"kind": "age"}, "min_age"),
        ({"kind": "age", "min_age": 60, "max_age": 18}, "max_age"),
        ({"kind": "grade", "grades": []}, "grades"),
        ({"kind": "grade", "grades": [5]}, "grades"),
        ({"kind": "body_site", "body_sites": [" "]}, "body_sites"),
        ({"kind": "triage"}, "triage_levels"),
        ({"kind": "active_bookings"}, "max_active_bookings"),
        ({"kind": "age", "max_age": 80, "scope": "ward"}, "ward"),
        ({"kind": "age", "max_age": 80, "scope": "management_mode"}, "management_mode"),
    ]
    for extra, field in cases:
        response = api_client.post("/api/v1/admission-rules/", {**base, **extra}, format="json")
        assert response.status_code == 400, (extra, response.json())
        assert field in response.json()["error"]["fields"], (extra, response.json())
    assert not AdmissionRule.objects.exists()


@pytest.mark.req("B3")
def test_evaluate_shows_every_verdict_before_confirming(api_client, w):
    _rule(w, RuleKind.AGE, max_age=80)
    _rule(w, RuleKind.GRADE, grades=[1, 2, 3])
    case = draft_case(ward=w["ward"], surgeon=w["surgeon"], procedure=w["procedure"], patient=patient_aged(85))
    authenticate(api_client, w["surgeon"])
    body = api_client.post("/api/v1/admission-rules/evaluate/", {"case": str(case.uuid)}, format="json").json()
    assert body["admitted"] is False
    verdicts = {v["rule"]["level"]: v for v in body["verdicts"]}
    assert set(verdicts) == {"procedure", "department", "surgeon", "age", "grade"}
    assert verdicts["age"]["passed"] is False and verdicts["grade"]["passed"] is True
    assert body["booking_mode"] == {"mode": "own", "authorised": True, "message": ""}
    assert AuditEntry.objects.filter(target_id=str(case.uuid), action="read").exists()

    # A booking form before the case exists: patient, ward, surgeon, procedure, date.
    form = {"patient": str(patient_aged(30).uuid), "ward": str(w["ward"].uuid), "surgeon": str(w["surgeon"].uuid),
            "procedure": str(w["procedure"].uuid), "planned_date": str(timezone.localdate() + timedelta(days=2))}
    body = api_client.post("/api/v1/admission-rules/evaluate/", form, format="json").json()
    assert body["admitted"] is True and all(v["passed"] for v in body["verdicts"])

    missing = api_client.post("/api/v1/admission-rules/evaluate/", {"ward": str(w["ward"].uuid)}, format="json")
    assert missing.status_code == 400 and "patient" in missing.json()["error"]["fields"]
