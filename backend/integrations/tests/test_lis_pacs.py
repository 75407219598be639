"""LIS and PACS/ECG FHIR adapters ↔ simulator over HTTP."""

from decimal import Decimal

import pytest

from integrations.registry import get_port
from integrations.testing import sim_patients

pytestmark = pytest.mark.django_db


def test_lab_reports_carry_ranges_and_flags_consistent_with_values(hospital_sim):
    patient = sim_patients(hospital_sim)[0]
    reports = get_port("lis").list_reports(patient["reg_no"])
    assert {r.panel_code for r in reports} == {"CBC", "CHEM", "COAG", "INFECT"}
    [infectious] = [r for r in reports if r.panel_code == "INFECT"]  # 术前四项: qualitative text results
    assert len(infectious.results) == 5 and all(res.numeric_value is None and res.ref_text == "阴性"
                                                and res.flag in ("N", "H") for res in infectious.results)
    results = [res for r in reports if r.panel_code != "INFECT" for res in r.results]
    assert len(results) == 10
    for res in results:
        assert res.ref_low is not None and res.ref_high is not None and res.unit is not None
        if res.flag == "N":
            assert res.ref_low <= res.numeric_value <= res.ref_high
        elif res.flag in ("H", "HH"):
            assert res.numeric_value > res.ref_high
        else:
            assert res.flag in ("L", "LL") and res.numeric_value < res.ref_low
    hgb = next(res for res in results if res.code == "718-7")
    assert (hgb.ref_low, hgb.ref_high) == ((130, 175) if patient["sex"] == "M" else (115, 150))


def test_some_simulated_patients_have_abnormal_and_critical_labs(hospital_sim):
    lis = get_port("lis")
    flags = {res.flag for p in sim_patients(hospital_sim)[:40] for r in lis.list_reports(p["reg_no"])
             for res in r.results}
    assert flags >= {"N", "H", "L"} and flags & {"HH", "LL"}


def test_exam_and_ecg_reports(hospital_sim):
    patient = sim_patients(hospital_sim)[1]
    pacs = get_port("pacs")
    [ecg] = pacs.list_reports(patient["reg_no"], kind="ecg")
    [exam] = pacs.list_reports(patient["reg_no"], kind="exam")
    assert ecg.kind == "ecg" and ecg.name == "十二导联心电图" and "窦性心律" in ecg.findings and ecg.conclusion
    assert exam.kind == "exam" and exam.findings and exam.conclusion and exam.abnormal in (True, False)
    assert ecg.visit_no == patient["visit_nos"][-1]
    assert len(pacs.list_reports(patient["reg_no"])) == 2
    assert pacs.list_reports("NO-SUCH-PATIENT") == []


def test_text_results_and_items_without_interpretation(hospital_sim):
    """Urinalysis of patient 3: text results keep their text and have no number; an item the LIS sent without an
    interpretation gets its flag from the reference range."""
    patient = sim_patients(hospital_sim)[2]
    [urine] = [r for r in get_port("lis").list_reports(patient["reg_no"]) if r.panel_code == "URINE"]
    items = {res.name: res for res in urine.results}
    assert (items["尿蛋白"].value, items["尿蛋白"].numeric_value, items["尿蛋白"].flag) == ("阳性(+)", None, "H")
    assert items["尿蛋白"].ref_text == "阴性" and items["尿蛋白"].ref_low is None
    assert (items["尿葡萄糖"].value, items["尿葡萄糖"].flag) == ("阴性", "")
    assert (items["尿比重"].numeric_value, items["尿比重"].flag) == (Decimal("1.035"), "H")  # derived: > 1.030
    assert items["尿酸碱度"].flag == "N"
