"""Whatever a LIS or PACS answers, storing it never fails the fetch: repeated or over-long item codes, numbers the
column cannot hold (or that are not finite), NUL characters. The rest of the report is stored."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from clinical.models import ExamReport, LabResult
from clinical.services import _store
from integrations.ports.lis import LabReport as LisReport
from integrations.ports.lis import LabResult as LisResult
from integrations.ports.pacs import ExamReport as PacsReport
from tests.builders import make_patient, make_staff

pytestmark = pytest.mark.django_db

D = Decimal


def item(code, value="5", *, numeric=None, low=None, high=None, name="项目", flag=""):
    return LisResult(code=code, name=name, value=value, numeric_value=numeric, unit="g/L", ref_low=low,
                     ref_high=high, ref_text="", flag=flag)


def report(*results, report_no="L0001", visit_no="V1"):
    return LisReport(report_no=report_no, reg_no="R1", visit_no=visit_no, panel_code="P", name="生化",
                     issued_at=datetime(2026, 1, 1, tzinfo=UTC), results=tuple(results))


def store(patient, *reports):
    return _store(patient=patient, visit_no="V1", kind="labs", reports=list(reports), actor=make_staff("anaesthetist"))


def test_a_repeated_or_over_long_item_code_does_not_fail_the_fetch():
    patient = make_patient()
    long_code = "X" * 50
    lab = report(item("718-7", "98"), item("718-7", "99"), item(long_code, "1"), item("", "2"), item("", "3"))
    assert store(patient, lab)["stored"] == 1
    assert store(patient, lab)["stored"] == 1  # a re-fetch finds the clipped code again
    rows = {r.code: r.value for r in LabResult.objects.filter(report__report_no="L0001")}
    assert rows == {"718-7": "98", long_code[:40]: "1", "": "2"}


@pytest.mark.parametrize("numeric", [D("123456789012"), D("NaN"), D("Infinity"), D("-1e20")])
def test_a_number_the_column_cannot_hold_is_kept_as_text(numeric):
    patient = make_patient()
    lab = report(item("A", str(numeric), numeric=numeric, low=D("1"), high=D("1e15")), item("B", "4.2"))
    assert store(patient, lab)["stored"] == 1
    a = LabResult.objects.get(code="A")
    assert a.numeric_value is None and a.ref_high is None and a.arrow == ""
    assert a.value == str(numeric)
    assert LabResult.objects.get(code="B").numeric_value == D("4.2")


def test_nul_characters_from_the_hospital_systems_are_dropped():
    patient = make_patient()
    store(patient, report(item("A\x00", "阴\x00性", name="尿\x00蛋白")))
    a = LabResult.objects.get(report__report_no="L0001")
    assert (a.code, a.name, a.value) == ("A", "尿蛋白", "阴性")
    exam = PacsReport(report_no="E0001", reg_no="R1", visit_no="V1", kind="ecg", code="ECG", name="心电\x00图",
                      findings="窦性\x00心律", conclusion="正常\x00", abnormal=False,
                      issued_at=datetime(2026, 1, 1, tzinfo=UTC))
    _store(patient=patient, visit_no="V1", kind="exams", reports=[exam], actor=None)
    row = ExamReport.objects.get(report_no="E0001")
    assert (row.name, row.findings, row.conclusion) == ("心电图", "窦性心律", "正常")
