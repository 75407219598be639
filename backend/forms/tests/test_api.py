"""The forms API: patients fill in their own forms (M6: not before the form's date; PA2: registration and education
questionnaires too), staff push a custom form after an abnormal answer (F8), templates are versioned with field-level
schema errors (Y7), and everything stays inside the patient's own data and the staff member's wards."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import CaseEvent
from forms.models import AssignmentStatus, Form, FormAssignment
from forms.selectors import form_for_procedure
from forms.services import assignment_create, form_create, form_update, response_submit
from forms.tests.conftest import GOOD, SCHEMA
from tests.builders import make_case, make_patient_account, make_staff, make_ward

API = "/api/v1"


def _submit(client, assignment, answers):
    return client.post(f"{API}/my/form-responses/", {"assignment": str(assignment.uuid), "answers": answers},
                       format="json")


def _assign(case, form, **kwargs):
    return assignment_create(case=case, version=form.current_version, source="followup", actor=None,
                             notify=kwargs.pop("notify", False), **{"available_from": None, **kwargs})


@pytest.mark.req("M6", "PA2")
def test_patient_lists_fetches_and_submits_own_form(case, form, patient_account, client_for):
    assignment = _assign(case, form)
    client = client_for(patient_account)
    listing = client.get(f"{API}/my/forms/")
    assert listing.status_code == 200
    assert [row["uuid"] for row in listing.json()] == [str(assignment.uuid)]
    assert listing.json()[0]["available"] is True
    detail = client.get(f"{API}/my/forms/{assignment.uuid}/").json()
    assert [q["key"] for q in detail["questions"]] == ["pain", "fever", "wound", "temperature", "note"]
    assert "score" not in detail["questions"][2]["options"][0]  # scores and rules stay with the staff
    assert "rules" not in detail
    submitted = _submit(client, assignment, GOOD)
    assert submitted.status_code == 201, submitted.json()
    assert submitted.json()["status"] == "completed"
    again = _submit(client, assignment, GOOD)
    assert again.status_code == 409 and again.json()["error"]["code"] == "form_already_completed"


@pytest.mark.req("M6")
def test_patient_cannot_fill_in_a_future_form(case, form, patient_account, client_for):
    later = timezone.now() + timedelta(days=6)
    assignment = _assign(case, form, available_from=later)
    client = client_for(patient_account)
    assert client.get(f"{API}/my/forms/").json()[0]["available"] is False
    refused = _submit(client, assignment, GOOD)
    assert refused.status_code == 409
    body = refused.json()["error"]
    assert body["code"] == "form_not_yet_available"
    assert timezone.localtime(later).strftime("%Y-%m-%d") in body["message"]
    assignment.refresh_from_db()
    assert assignment.status == AssignmentStatus.PENDING and not assignment.responses.exists()


@pytest.mark.req("M6")
def test_patient_reaches_only_own_forms(case, form, ward, doctor, client_for):
    assignment = _assign(case, form)
    stranger = make_patient_account(patient=make_case("discharged", ward=ward, surgeon=doctor).patient)
    client = client_for(stranger)
    assert client.get(f"{API}/my/forms/").json() == []
    assert client.get(f"{API}/my/forms/{assignment.uuid}/").status_code == 404
    assert _submit(client, assignment, GOOD).status_code == 404


@pytest.mark.req("M6")
def test_bad_answers_get_field_errors(case, form, patient_account, client_for):
    assignment = _assign(case, form)
    response = client_for(patient_account).post(
        f"{API}/my/form-responses/",
        {"assignment": str(assignment.uuid), "answers": {"pain": "a lot", "fever": "no", "wound": "purple", "bogus": 1}}, format="json")
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"answers.pain", "answers.wound", "answers.bogus"}


@pytest.mark.req("F8")
def test_staff_push_a_custom_form_after_an_abnormal_answer(case, form, patient_account, nurse, client_for):
    assignment = _assign(case, form)
    abnormal = response_submit(assignment=assignment, answers={**GOOD, "pain": 9}, channel="mobile",
                               actor=patient_account)
    staff = client_for(nurse)
    flagged = staff.get(f"{API}/form-responses/", {"abnormal": "true"}).json()["results"]
    assert [row["uuid"] for row in flagged] == [str(abnormal.uuid)]
    assert flagged[0]["abnormal"] == ["pain_severe"]

    pushed = staff.post(f"{API}/cases/{case.uuid}/custom-forms/", {
        "title": "疼痛复评", "origin_response": str(abnormal.uuid), "note": "疼痛9分，复评",
        "schema": {"questions": [
            {"key": "pain_now", "type": "scale", "label": "现在疼痛几分？"},
            {"key": "took_painkiller", "type": "yes_no", "label": "是否已按医嘱服用止痛药？"}],
            "rules": [{"code": "pain_persisting", "label": "疼痛仍≥7分", "when": "pain_now >= 7", "tags": ["pain"]}]},
    }, format="json")
    assert pushed.status_code == 201, pushed.json()
    custom = pushed.json()
    assert custom["source"] == "custom" and custom["origin_response"] == str(abnormal.uuid)
    event = CaseEvent.objects.filter(case=case, type="forms.form.assigned").order_by("-sequence").first()
    assert event.payload["assignment"] == custom["uuid"] and event.payload["notify"] is True
    assert event.payload["source"] == "custom"

    patient = client_for(patient_account)
    assert custom["uuid"] in [row["uuid"] for row in patient.get(f"{API}/my/forms/").json()]
    done = patient.post(f"{API}/my/form-responses/",
                        {"assignment": custom["uuid"], "answers": {"pain_now": 8, "took_painkiller": "yes"}}, format="json")
    assert done.status_code == 201
    last = CaseEvent.objects.filter(case=case, type="forms.response.submitted").order_by("-sequence").first()
    assert last.payload["abnormal"] == ["pain_persisting"] and last.payload["source"] == "custom"
    # A custom form is the patient's own: it is not a hospital template other staff see in the form list.
    assert custom["form"]["uuid"] not in [f["uuid"] for f in staff.get(f"{API}/forms/").json()]


@pytest.mark.req("F8")
def test_custom_form_refused_for_another_wards_case(case, client_for):
    outsider = make_staff("followup_nurse", ward=make_ward())
    response = client_for(outsider).post(f"{API}/cases/{case.uuid}/custom-forms/", {
        "title": "x", "schema": SCHEMA}, format="json")
    assert response.status_code == 404
    assert not FormAssignment.objects.filter(case=case).exists()


@pytest.mark.req("Y7")
def test_schema_errors_are_reported_per_question_and_rule(admin, client_for):
    response = client_for(admin).post(f"{API}/forms/", {
        "kind": "followup", "code": "broken", "title": "坏表单",
        "schema": {"questions": [
            {"key": "pain", "type": "scale", "label": "疼痛", "max": 12},
            {"key": "wound", "type": "single_choice", "label": "切口", "options": [{"value": "ok", "label": "好"}]},
            {"key": "pain", "type": "text", "label": "重复"}],
            "rules": [{"code": "x", "label": "x", "when": "temperature > 38"}]},
    }, format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert "schema.questions.0.max" in fields and "schema.questions.1.options" in fields
    assert not Form.objects.filter(code="broken").exists()

    rules = client_for(admin).post(f"{API}/forms/", {
        "kind": "followup", "code": "broken", "title": "坏表单",
        "schema": {"questions": [{"key": "pain", "type": "scale", "label": "疼痛"},
                                 {"key": "note", "type": "text", "label": "备注"}],
                   "rules": [{"code": "x", "label": "x", "when": "temperature > 38"},
                             {"code": "y", "label": "y", "when": "note == bad"},
                             {"code": "z", "label": "z", "when": "pain >= lots"}]},
    }, format="json")
    assert rules.status_code == 400
    assert set(rules.json()["error"]["fields"]) == {"schema.rules.0.when", "schema.rules.1.when",
                                                    "schema.rules.2.when"}


@pytest.mark.req("Y7")
def test_a_new_version_leaves_given_forms_on_theirs(admin, hospital, case, client_for):
    client = client_for(admin)
    created = client.post(f"{API}/forms/", {"kind": "followup", "code": "knee", "title": "膝关节随访",
                                            "schema": SCHEMA}, format="json")
    assert created.status_code == 201, created.json()
    form = Form.objects.get(uuid=created.json()["uuid"])
    given = _assign(case, form)
    changed = {**SCHEMA, "questions": [*SCHEMA["questions"],
                                       {"key": "walk", "type": "yes_no", "label": "能否独立行走？"}]}
    published = client.post(f"{API}/forms/{form.uuid}/versions/", {"schema": changed, "note": "加行走"},
                            format="json")
    assert published.status_code == 201 and published.json()["version"] == 2
    versions = client.get(f"{API}/forms/{form.uuid}/versions/").json()
    assert [v["version"] for v in versions] == [2, 1]
    given.refresh_from_db()
    assert given.version.version == 1
    response = response_submit(assignment=given, answers=GOOD, channel="voice", actor=None)
    assert response.complete  # v1 has no "walk" question


@pytest.mark.req("Y7")
def test_form_for_procedure_prefers_the_procedure_and_the_hospital(hospital, ward, admin):
    from catalog.models import Procedure

    default = form_for_procedure(hospital, None, "followup")
    assert default.form.code == "postop-followup-general" and default.form.hospital_id is None
    procedure = Procedure.objects.create(code="53.0000", name="腹股沟疝修补术", grade=2, incision_class="Ⅰ类")
    general = form_create(hospital=hospital, kind="followup", code="hospital-general", title="本院随访",
                          schema=SCHEMA, actor=admin)
    specific = form_create(hospital=hospital, kind="followup", code="hernia", title="疝修补术后随访",
                           schema=SCHEMA, actor=admin, procedure=procedure)
    assert form_for_procedure(hospital, procedure, "followup").form == specific
    assert form_for_procedure(hospital, None, "followup").form == general
    # The hospital switches the platform's registration questionnaire off by taking over its code.
    assert form_for_procedure(hospital, procedure, "registration").form.code == "centre-registration"
    takeover = form_create(hospital=hospital, kind="registration", code="centre-registration", title="停用",
                           schema=SCHEMA, actor=admin)
    form_update(form=takeover, actor=admin, is_active=False)
    assert form_for_procedure(hospital, procedure, "registration") is None


@pytest.mark.req("Y7")
def test_staff_of_another_hospital_cannot_edit_a_form(form, client_for):
    from tests.builders import make_department, make_hospital

    other_hospital, _campus = make_hospital(code="H999")
    outsider = make_staff("hospital_admin", ward=make_ward(department=make_department(hospital=other_hospital)))
    client = client_for(outsider)
    assert client.get(f"{API}/forms/{form.uuid}/").status_code == 404
    assert client.patch(f"{API}/forms/{form.uuid}/", {"title": "x"}, format="json").status_code == 404


@pytest.mark.req("F8", "Y7")
def test_staff_record_answers_reopen_and_isolation(case, form, nurse, client_for):
    assignment = _assign(case, form)
    staff = client_for(nurse)
    recorded = staff.post(f"{API}/form-assignments/{assignment.uuid}/responses/",
                          {"answers": {"pain": 3}, "partial": True}, format="json")
    assert recorded.status_code == 201, recorded.json()
    assert recorded.json()["complete"] is False and recorded.json()["missing"] == ["fever", "wound"]
    completed = staff.post(f"{API}/form-assignments/{assignment.uuid}/responses/", {"answers": GOOD},
                           format="json")
    assert completed.status_code == 201 and completed.json()["channel"] == "staff"
    reopened = staff.post(f"{API}/form-assignments/{assignment.uuid}/reopen/", {"reason": "患者更正"}, format="json")
    assert reopened.status_code == 200 and reopened.json()["status"] == "pending"
    detail = staff.get(f"{API}/form-assignments/{assignment.uuid}/").json()
    assert len(detail["responses"]) == 2 and detail["schema"]["rules"]
    listing = staff.get(f"{API}/cases/{case.uuid}/form-assignments/").json()
    assert [row["uuid"] for row in listing] == [str(assignment.uuid)]

    outsider = client_for(make_staff("followup_nurse", ward=make_ward()))
    assert outsider.get(f"{API}/form-assignments/{assignment.uuid}/").status_code == 404
    assert outsider.post(f"{API}/form-assignments/{assignment.uuid}/responses/", {"answers": GOOD},
                         format="json").status_code == 404
    assert outsider.get(f"{API}/form-responses/").json()["results"] == []


@pytest.mark.req("PA2")
def test_booking_gives_the_registration_questionnaire_once(ward, doctor, patient_account):
    from preop.tests.conftest import deliver

    booked = make_case("booked", ward=ward, surgeon=doctor)
    deliver("forms.")
    deliver("forms.")
    assignments = FormAssignment.objects.filter(case=booked)
    assert [(a.source, a.form.code) for a in assignments] == [("registration", "centre-registration")]


@pytest.mark.req("PA2")
def test_education_and_registration_defaults_are_fillable(case, hospital, patient_account, client_for):
    client = client_for(patient_account)
    for kind, answers in (
        ("preop_education", {"fasting": "yes", "medication": "no", "arrival": "yes", "companion": "yes"}),
        ("postop_education", {"wound_care": "yes", "medication": "yes", "warning_signs": "yes", "review": "yes"}),
        ("registration", {"height": 170, "weight": 65.5, "allergy": "no", "chronic": ["hypertension"],
                          "anticoagulant": "yes", "previous_surgery": "no", "anaesthesia_problem": "no",
                          "snoring": "no", "companion": "yes", "travel_time": "under_30"}),
    ):
        version = form_for_procedure(hospital, None, kind)
        assignment = assignment_create(case=case, version=version, source="education", actor=None, notify=False)
        done = client.post(f"{API}/my/form-responses/", {"assignment": str(assignment.uuid), "answers": answers},
                           format="json")
        assert done.status_code == 201, (kind, done.json())
    flagged = CaseEvent.objects.filter(case=case, type="forms.response.submitted").order_by("sequence")
    assert [e.payload["abnormal"] for e in flagged] == [["medication_unclear"], [], ["anticoagulant"]]
