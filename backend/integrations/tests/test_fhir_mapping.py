"""FHIR → DTO mapping on recorded payloads shaped like another hospital's server (no network)."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

from core.identity import is_valid_id_number
from integrations.adapters import fhir
from integrations.ports.his import Identifier

FIXTURES = Path(__file__).parent / "fixtures"


def load(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def split(bundle):
    matches = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "match"]
    included = {e["resource"]["id"]: e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"}
    return matches, included


def test_patient_identifiers_name_phone_and_id_card():
    [resource], _ = split(load("patient_search.json"))
    patient = fhir.map_patient(resource)
    assert patient.reg_no == "0009001234"  # from the 登记号 identifier, not the resource id
    assert patient.id_number == "11010519491231002X" and is_valid_id_number(patient.id_number)
    assert patient.name == "欧阳娜娜"  # family + given when there is no text
    assert patient.phone == "13800138000"  # the phone, not the e-mail
    assert (patient.sex, patient.birth_date) == ("F", date(1949, 12, 31))
    assert patient.identifiers == (Identifier("reg_no", "0009001234"), Identifier("inpatient_no", "ZY2024000981"),
                                   Identifier("id_card", "11010519491231002x"))  # unknown systems are dropped


def test_encounter_orders_diagnoses_by_rank_and_prefers_icd10():
    [encounter], conditions = split(load("encounter_search.json"))
    visit = fhir.map_encounter(encounter, conditions)
    assert (visit.visit_no, visit.reg_no, visit.kind, visit.department_code) == (
        "ZY-V-0001", "0009001234", "inpatient", "OPH")
    assert visit.doctor_employee_no == "E0107"
    assert [(d.code, d.name) for d in visit.diagnoses] == [("H25.9", "老年性白内障"), ("I10", "高血压")]
    assert visit.started_at.utcoffset().total_seconds() == 8 * 3600


def test_observation_flags_from_interpretation_or_reference_range():
    [report], observations = split(load("lab_report_search.json"))
    lab = fhir.map_lab_report(report, observations)
    assert (lab.report_no, lab.panel_code, lab.name, lab.visit_no) == (
        "JY20260301-0042", "CHEM", "生化全项", "ZY-V-0001")
    by_code = {r.code: r for r in lab.results}
    assert len(lab.results) == 4  # the dangling Observation reference is skipped
    potassium = by_code["2823-3"]
    assert potassium.flag == "HH" and potassium.critical  # HU (significantly high) is a critical value
    assert (potassium.numeric_value, potassium.ref_low, potassium.ref_high, potassium.ref_text) == (
        Decimal("6.8"), Decimal("3.5"), Decimal("5.3"), "3.5-5.3")
    glucose = by_code["2345-7"]
    assert glucose.flag == "L" and glucose.abnormal and not glucose.critical  # derived from the range
    assert by_code["1742-6"].flag == "N" and not by_code["1742-6"].abnormal
    hbsag = by_code["HBSAG"]
    assert (hbsag.value, hbsag.numeric_value, hbsag.flag, hbsag.ref_text) == ("阴性", None, "", "阴性")


def test_derive_flag_bounds():
    assert fhir.derive_flag(Decimal("5.3"), Decimal("3.5"), Decimal("5.3")) == "N"
    assert fhir.derive_flag(Decimal("5.31"), Decimal("3.5"), Decimal("5.3")) == "H"
    assert fhir.derive_flag(Decimal("1"), None, None) == ""


def test_ecg_report_text_conclusion_and_abnormal():
    report = fhir.map_exam_report(load("ecg_report.json"))
    assert (report.kind, report.report_no, report.code, report.name) == ("ecg", "XD-2026-0309", "ECG12",
                                                                       "十二导联心电图")
    assert report.findings == "窦性心律，心率 56 次/分。"  # the text/plain form, not the PDF link
    assert report.conclusion == "窦性心动过缓" and report.abnormal is True


def test_procedure_catalogue_skips_ungraded_and_prefers_icd9cm_property():
    procedures = fhir.map_procedures(load("procedures_codesystem.json"))
    assert [(p.code, p.grade, p.incision_class, p.department_code) for p in procedures] == [
        ("13.41", 3, "I", "OPH"), ("28.2", 2, "II", "")]


def test_charge_item_amount():
    fee = fhir.map_charge_item(load("charge_item.json"))
    assert (fee.fee_no, fee.visit_no, fee.category) == ("FY-889", "ZY-V-0001", "检验")
    assert (fee.quantity, fee.unit_price, fee.amount) == (Decimal("2"), Decimal("17.50"), Decimal("35.00"))


def test_hospital_specific_identifier_systems_come_from_settings(settings):
    settings.INTEGRATION_FHIR_SYSTEMS = {"reg_no": "https://other.example/medical-insurance"}
    [resource], _ = split(load("patient_search.json"))
    assert fhir.map_patient(resource).reg_no == "YB-88812"


def _observation(value, interpretation):
    return {"resourceType": "Observation", "code": {"coding": [{"code": "2823-3", "display": "钾"}]},
            "valueQuantity": {"value": value, "unit": "mmol/L"},
            "referenceRange": [{"low": {"value": 3.5}, "high": {"value": 5.3}}],
            "interpretation": [{"coding": [{"system": fhir.DEFAULT_SYSTEMS["interpretation"], "code": interpretation}]}]}


def test_directionless_interpretation_codes_take_the_direction_from_the_range():
    """A LIS sending "A" (abnormal) or "AA" (critical abnormal) for an out-of-range value: the result is flagged,
    and a critical one stays critical."""
    assert fhir.map_observation(_observation(6.1, "A")).flag == "H"
    assert fhir.map_observation(_observation(2.4, "AA")).flag == "LL"
    assert fhir.map_observation(_observation(6.9, "AA")).critical
    assert fhir.map_observation(_observation(4.0, "IND")).flag == "N"
