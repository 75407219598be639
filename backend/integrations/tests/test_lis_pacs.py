"""LIS and PACS/ECG FHIR adapters ↔ simulator over HTTP."""

import pytest

from integrations.registry import get_port
from integrations.testing import sim_patients

pytestmark = pytest.mark.django_db


def test_lab_reports_carry_ranges_and_flags_consistent_with_values(hospital_sim):
    patient = sim_patients(hospital_sim)[0]
    reports = get_port("lis").list_reports(patient["reg_no"])
    assert {r.panel_code for r in reports} == {"CBC", "CHEM", "COAG"}
    results = [res for r in reports for res in r.results]
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
