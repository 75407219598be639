"""Procedure risk profiles: configured values win; without a profile only honest derivations (endoscopy type from
the name, Caprini type from the typical duration, anaesthesia from the usual method) — a Gupta category or an
incision is never guessed, so the models report the input as missing."""

import pytest

from audit.models import AuditEntry
from core.errors import InvalidInput
from risk import selectors, services
from risk.tests.helpers import hospital_with_staff, make_procedure

pytestmark = pytest.mark.django_db


def test_profile_values_become_engine_inputs():
    procedure = make_procedure("腹腔镜胆囊切除术", duration=60)
    services.procedure_risk_profile_create(
        actor=None, procedure=procedure, procedure_category="gallbladder_appendix_adrenals_spleen",
        surgical_incision="upper_abdominal", rcri_elevated_risk_surgery=True, arozullah_surgery="upper_abdominal",
        lips_high_risk_surgery="none", sort_severity="major", sort_specialty="hpb", general_anaesthesia=True,
    )
    procedure.refresh_from_db()
    assert selectors.procedure_risk_inputs(procedure) == {
        "procedure_type": "surgery", "procedure_category": "gallbladder_appendix_adrenals_spleen",
        "surgical_incision": "upper_abdominal", "rcri_elevated_risk_surgery": True,
        "arozullah_surgery": "upper_abdominal", "lips_high_risk_surgery": "none", "sort_severity": "major",
        "sort_specialty": "hpb", "general_anaesthesia": True, "expected_duration_minutes": 60,
        "caprini_surgery": "major",  # blank in the profile: derived from 60 minutes
    }
    assert selectors.procedure_type_for(procedure) == "surgery"


def test_without_a_profile_nothing_is_guessed():
    procedure = make_procedure("腹股沟疝修补术", duration=30, methods=("spinal", "general"))
    inputs = selectors.procedure_risk_inputs(procedure)
    assert inputs == {"procedure_type": "surgery", "expected_duration_minutes": 30, "caprini_surgery": "minor",
                      "general_anaesthesia": False}
    explained = selectors.procedure_risk_inputs_explained(procedure)
    assert explained["caprini_surgery"]["source"] == "derived" and "30" in explained["caprini_surgery"]["reason"]
    assert selectors.procedure_risk_inputs(make_procedure("全髋关节置换术", duration=120))["caprini_surgery"] == \
        "arthroplasty"
    assert selectors.procedure_risk_inputs(None) == {}


@pytest.mark.req("A1")
def test_endoscopies_are_recognised_by_name_and_get_their_definitional_categories():
    for name, kind in (("无痛胃镜检查", "gastroscopy"), ("电子结肠镜检查", "colonoscopy"),
                       ("结肠镜下结肠息肉切除术", "colonoscopy"), ("支气管镜检查", "bronchoscopy")):
        procedure = make_procedure(name, duration=20, methods=("sedation",), incision="0类")
        inputs = selectors.procedure_risk_inputs(procedure)
        assert selectors.procedure_type_for(procedure) == kind and inputs["procedure_type"] == kind
        assert inputs["rcri_elevated_risk_surgery"] is False and inputs["lips_high_risk_surgery"] == "none"
        assert inputs["general_anaesthesia"] is False and inputs["caprini_surgery"] == "minor"
        assert "procedure_category" not in inputs and "surgical_incision" not in inputs
    for name in ("腹腔镜胆囊切除术", "宫腔镜检查", "膀胱镜检查", "关节镜下膝关节半月板部分切除术", "支撑喉镜下声带息肉切除术"):
        assert selectors.procedure_type_for(make_procedure(name)) == "surgery"


@pytest.mark.req("A1")
def test_missing_procedure_inputs_make_the_models_report_insufficient_data():
    hospital, _ward, staff = hospital_with_staff()
    procedure = make_procedure("皮下肿物切除术", duration=30, methods=("local",))
    patient = {"age": 50, "sex": "F", "asa_class": 2, "functional_status": "independent",
               "creatinine_umol_l": 70, **selectors.procedure_risk_inputs(procedure)}
    results = {r["model"]: r for r in services.risk_evaluate(inputs=patient, actor=None, hospital=hospital).results}
    assert results["gupta_mica"]["status"] == "insufficient_data"
    assert "procedure_category" in results["gupta_mica"]["missing_inputs"]


def test_profile_writes_are_validated_and_audited():
    _hospital, _ward, staff = hospital_with_staff()
    admin = staff["admin"]
    procedure = make_procedure("乳腺病损局部切除术", duration=40)
    with pytest.raises(InvalidInput) as exc:
        services.procedure_risk_profile_create(actor=admin, procedure=procedure, procedure_category="eye")
    assert "procedure_category" in exc.value.fields
    profile = services.procedure_risk_profile_create(actor=admin, procedure=procedure, procedure_category="breast")
    with pytest.raises(InvalidInput):
        services.procedure_risk_profile_create(actor=admin, procedure=procedure, procedure_category="breast")
    profile = services.procedure_risk_profile_update(actor=admin, profile=profile, surgical_incision="peripheral",
                                                     general_anaesthesia=None)
    entries = list(AuditEntry.objects.filter(target_id=str(profile.uuid)).order_by("id"))
    assert [e.detail for e in entries] == ["procedure risk profile created", "procedure risk profile changed"]
    assert entries[1].before["surgical_incision"] == "" and entries[1].after["surgical_incision"] == "peripheral"
    services.procedure_risk_profile_delete(actor=admin, profile=profile)
    assert AuditEntry.objects.filter(target_id=str(profile.uuid)).count() == 3
    assert selectors.procedure_risk_inputs(procedure)["procedure_type"] == "surgery"


@pytest.mark.req("A1")
def test_a_sedated_endoscopy_without_a_catalogue_procedure_gets_its_definitional_inputs():
    inputs = selectors.endoscopy_risk_inputs("gastroscopy")
    assert inputs["procedure_type"] == "gastroscopy" and inputs["sort_severity"] == "minor"
    assert inputs["general_anaesthesia"] is False and inputs["caprini_surgery"] == "minor"
    assert selectors.endoscopy_risk_inputs("surgery") == {} and selectors.endoscopy_risk_inputs("") == {}
    patient = {"age": 62, "sex": "M", "asa_class": 2, "cancer": False, "urgency": "elective", "bmi": 24,
               "snoring": False, **inputs}
    hospital, _ward, _staff = hospital_with_staff()
    summary = services.risk_evaluate(inputs=patient, actor=None, hospital=hospital).summary
    levels = {e["event"]: e["level"] for e in summary["events"]}
    assert levels["mortality_30d"] != "unknown" and levels["sedation_hypoxaemia"] != "unknown"
