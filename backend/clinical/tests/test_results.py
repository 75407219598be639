"""Lab and exam results of a visit (A3–A5, D2): fetched from the simulator's LIS and PACS over HTTP, stored,
searched, arrows from the LIS flag or the reference range, and the case-scoped API."""

from decimal import Decimal

import pytest
from django.test import override_settings

from audit.models import AuditAction, AuditEntry
from cases.models import SurgicalCase
from clinical.arrows import arrow_for, effective_flag, parse_numeric
from clinical.models import ExamReport, LabReport, LabResult
from clinical.selectors import exam_reports_search, lab_results_search
from clinical.services import clinical_results_fetch
from core.errors import ExternalServiceError, InvalidInput
from integrations.registry import get_port
from integrations.testing import sim_patients, sim_post
from tests.builders import authenticate, make_case, make_patient, make_staff, make_ward

pytestmark = pytest.mark.django_db

D = Decimal


def sim_patient(hospital_sim, index):
    """Simulator patient number `index` (1-based): 3 → urinalysis with 尿比重 1.035 (no flag sent) and 尿蛋白 阳性(+)."""
    return sim_patients(hospital_sim)[index - 1]


def local_patient(sim):
    return make_patient(name=sim["name"], reg_no=sim["reg_no"])


def case_for(sim, *, ward=None, visit_no=None):
    case = make_case("booked", ward=ward, patient=local_patient(sim))
    SurgicalCase.objects.filter(pk=case.pk).update(visit_no=visit_no or sim["visit_nos"][-1])
    case.refresh_from_db()
    return case


# --- the arrow rule (A4, D2) --------------------------------------------------------------------------------------
@pytest.mark.req("A4", "D2")
@pytest.mark.parametrize(("lis_flag", "value", "low", "high", "flag", "arrow"), [
    ("H", "6.1", "3.5", "5.3", "H", "up"),
    ("L", "2.9", "3.5", "5.3", "L", "down"),
    ("HH", "7.0", "3.5", "5.3", "HH", "critical_up"),
    ("LL", "2.1", "3.5", "5.3", "LL", "critical_down"),
    ("N", "4.0", "3.5", "5.3", "N", ""),
    ("H", "4.0", "3.5", "5.3", "H", "up"),  # the LIS knows better (age-specific range, delta check): its flag wins
    ("", "5.31", "3.5", "5.3", "H", "up"),  # no flag: computed from the range
    ("", "3.49", "3.5", "5.3", "L", "down"),
    ("", "5.3", "3.5", "5.3", "N", ""),  # the limits are inside the range
    ("", "12", None, "10", "H", "up"),  # only an upper limit ("<10")
    ("", "0.5", "1", None, "L", "down"),
    ("", "4.0", None, None, "", ""),  # no range, no flag: nothing to say
    ("A", "6.1", "3.5", "5.3", "H", "up"),  # an unknown flag is not trusted: the range decides
    ("", "阴性", None, None, "", ""),  # text results never get an arrow
    ("H", "阳性(+)", None, None, "H", ""),  # ... even when the LIS flags them (the flag still marks it abnormal)
    ("", "<0.10", "0", "0.5", "", ""),  # a censored value is text
])
def test_arrow_rule(lis_flag, value, low, high, flag, arrow):
    numeric = parse_numeric(value)
    low, high = (None if v is None else D(v) for v in (low, high))
    assert effective_flag(lis_flag, numeric, low, high) == flag
    assert arrow_for(flag, numeric) == arrow


# --- fetching -----------------------------------------------------------------------------------------------------
@pytest.mark.req("A3", "A4", "A5", "D2")
def test_fetch_stores_this_visits_labs_and_exams_with_arrows(hospital_sim):
    sim = sim_patient(hospital_sim, 3)
    patient = local_patient(sim)
    visit_no = sim["visit_nos"][-1]
    actor = make_staff("anaesthetist")
    counts = clinical_results_fetch(patient=patient, visit_no=visit_no, actor=actor)
    assert counts == {"labs": 5, "exams": 2, "conflicts": 0}  # CBC, CHEM, COAG, URINE, 术前四项

    # what the LIS said, item by item
    lis = {(r.report_no, res.code): res for r in get_port("lis").list_reports(sim["reg_no"], visit_no=visit_no)
           for res in r.results}
    stored = {(r.report.report_no, r.code): r for r in LabResult.objects.select_related("report")}
    assert stored.keys() == lis.keys() and len(stored) == 19
    for key, res in lis.items():
        row = stored[key]
        assert (row.value, row.numeric_value, row.unit, row.ref_low, row.ref_high) == (
            res.value, res.numeric_value, res.unit, res.ref_low, res.ref_high)
        assert row.report.visit_no == visit_no and row.report.patient == patient
        expected = {"H": "↑", "L": "↓", "HH": "↑↑", "LL": "↓↓"}.get(res.flag, "") if res.numeric_value is not None else ""
        assert row.arrow_symbol == expected, key

    urine = {r.name: r for r in LabResult.objects.filter(report__panel_code="URINE")}
    assert (urine["尿比重"].flag, urine["尿比重"].arrow, urine["尿比重"].arrow_symbol) == ("H", "up", "↑")  # no flag sent
    assert (urine["尿蛋白"].value, urine["尿蛋白"].flag, urine["尿蛋白"].arrow) == ("阳性(+)", "H", "")  # text
    assert (urine["尿葡萄糖"].value, urine["尿葡萄糖"].flag, urine["尿葡萄糖"].arrow) == ("阴性", "", "")
    assert urine["尿蛋白"].reference_range == "阴性" and urine["尿比重"].reference_range == "1.003-1.03"

    exams = {e.kind: e for e in ExamReport.objects.filter(patient=patient)}
    assert set(exams) == {"exam", "ecg"} and exams["ecg"].name == "十二导联心电图" and exams["ecg"].conclusion
    assert all(e.visit_no == visit_no and e.findings and e.fetched_at for e in exams.values())
    assert AuditEntry.objects.filter(action=AuditAction.UPDATE, target_id=str(patient.uuid)).count() == 2

    # another visit of the same patient has no reports: nothing is taken from the wrong visit
    assert clinical_results_fetch(patient=patient, visit_no=sim["visit_nos"][0], actor=actor) == {
        "labs": 0, "exams": 0, "conflicts": 0}


@pytest.mark.req("A4", "D2")
def test_critical_values_get_double_arrows(hospital_sim):
    lis = get_port("lis")
    sim, critical = next(
        (p, res) for p in sim_patients(hospital_sim)[:60] for r in lis.list_reports(p["reg_no"])
        for res in r.results if res.flag in ("HH", "LL"))
    patient = local_patient(sim)
    clinical_results_fetch(patient=patient, visit_no=sim["visit_nos"][-1], actor=None)
    row = LabResult.objects.get(code=critical.code, report__patient=patient)
    assert row.critical and row.arrow == {"HH": "critical_up", "LL": "critical_down"}[critical.flag]
    assert row.arrow_symbol in ("↑↑", "↓↓")


@pytest.mark.req("A3", "A5")
def test_fetch_is_an_idempotent_upsert(hospital_sim):
    sim = sim_patient(hospital_sim, 6)
    patient = local_patient(sim)
    first = clinical_results_fetch(patient=patient, visit_no=sim["visit_nos"][-1], actor=None)
    before = dict(LabResult.objects.values_list("uuid", "value"))
    fetched = LabReport.objects.get(panel_code="CBC").fetched_at
    second = clinical_results_fetch(patient=patient, visit_no=sim["visit_nos"][-1], actor=None)
    assert first == second
    assert dict(LabResult.objects.values_list("uuid", "value")) == before  # same rows, same values
    assert LabReport.objects.count() == 5 and ExamReport.objects.count() == 2
    assert LabReport.objects.get(panel_code="CBC").fetched_at > fetched


@pytest.mark.req("A3", "A5")
def test_a_down_lis_keeps_what_was_fetched_and_stores_what_the_pacs_answered(hospital_sim):
    sim = sim_patient(hospital_sim, 9)
    patient = local_patient(sim)
    visit_no = sim["visit_nos"][-1]
    clinical_results_fetch(patient=patient, visit_no=visit_no, actor=None)
    ExamReport.objects.all().delete()
    # LIS and PACS share the FHIR DiagnosticReport search; the LIS asks first and gets every injected failure
    sim_post(hospital_sim, "faults", {"path": "/fhir/DiagnosticReport", "status": 503, "count": 1})
    with override_settings(INTEGRATION_HTTP={"timeout": 5, "attempts": 1, "backoff": 0}):
        with pytest.raises(ExternalServiceError) as failure:
            clinical_results_fetch(patient=patient, visit_no=visit_no, actor=None)
    assert failure.value.extra["port"] == "lis" and failure.value.extra["stored"]["exams"] == 2
    assert LabResult.objects.filter(report__patient=patient).count() == 19  # earlier fetch still readable
    assert ExamReport.objects.filter(patient=patient).count() == 2  # the PACS answered: stored


def test_a_report_number_reused_for_another_patient_is_refused(hospital_sim):
    sim = sim_patient(hospital_sim, 12)
    other = make_patient()
    LabReport.objects.create(patient=other, visit_no="V-OTHER", report_no="L00001201", name="血常规",
                             fetched_at="2026-01-01T00:00:00Z")
    counts = clinical_results_fetch(patient=local_patient(sim), visit_no=sim["visit_nos"][-1], actor=None)
    assert counts["conflicts"] == 1 and counts["labs"] == 4  # CHEM, COAG, URINE and 术前四项 stored; CBC refused
    assert LabReport.objects.get(report_no="L00001201").patient == other


def test_fetch_needs_a_visit_and_a_registration_number(hospital_sim):
    with pytest.raises(InvalidInput) as no_visit:
        clinical_results_fetch(patient=make_patient(), visit_no=" ", actor=None)
    assert "visit_no" in no_visit.value.fields


# --- searching ----------------------------------------------------------------------------------------------------
@pytest.fixture
def fetched(hospital_sim):
    sim = sim_patient(hospital_sim, 3)
    patient = local_patient(sim)
    clinical_results_fetch(patient=patient, visit_no=sim["visit_nos"][-1], actor=None)
    return patient, sim


@pytest.mark.req("A3", "A5")
def test_search_by_item_name_code_report_and_abnormal_only(fetched):
    patient, sim = fetched
    assert [r.name for r in lab_results_search(patient=patient, q="血红蛋白")] == ["血红蛋白"]
    assert [r.name for r in lab_results_search(patient=patient, q="718-7")] == ["血红蛋白"]
    assert {r.name for r in lab_results_search(patient=patient, q="血常规")} == {"白细胞计数", "血红蛋白", "血小板计数"}
    assert [r.name for r in lab_results_search(patient=patient, q="CBC")] == ["白细胞计数", "血红蛋白", "血小板计数"]
    abnormal = list(lab_results_search(patient=patient, abnormal_only=True))
    assert abnormal and all(r.flag in ("H", "L", "HH", "LL") for r in abnormal)
    assert {"尿比重", "尿蛋白"} <= {r.name for r in abnormal} and "尿葡萄糖" not in {r.name for r in abnormal}
    assert len(lab_results_search(patient=patient)) == 19
    assert not lab_results_search(patient=patient, visit_no=sim["visit_nos"][0]).exists()
    assert not lab_results_search(patient=make_patient()).exists()  # another patient's results never show

    [ecg] = exam_reports_search(patient=patient, kind="ecg")
    assert ecg.name == "十二导联心电图"
    assert list(exam_reports_search(patient=patient, q="心电图")) == [ecg]
    assert list(exam_reports_search(patient=patient, q="ECG12")) == [ecg]
    assert len(exam_reports_search(patient=patient)) == 2
    assert not exam_reports_search(patient=patient, kind="xray").exists()


# --- the case-scoped API ------------------------------------------------------------------------------------------
@pytest.mark.req("A3", "A4", "D2")
def test_case_lab_results_api_with_arrows_search_and_audit(hospital_sim, api_client):
    ward = make_ward()
    sim = sim_patient(hospital_sim, 3)
    case = case_for(sim, ward=ward)
    anaesthetist = authenticate(api_client, make_staff("anaesthetist", ward=ward))
    refreshed = anaesthetist.post(f"/api/v1/cases/{case.uuid}/clinical-results/refresh/", {}, format="json")
    assert refreshed.status_code == 200, refreshed.content
    assert refreshed.json() == {"labs": 5, "exams": 2, "conflicts": 0}

    res = anaesthetist.get(f"/api/v1/cases/{case.uuid}/lab-results/", {"page_size": 100})
    assert res.status_code == 200 and res.json()["count"] == 19
    by_name = {r["name"]: r for r in res.json()["results"]}
    assert (by_name["尿比重"]["arrow"], by_name["尿比重"]["arrow_symbol"], by_name["尿比重"]["abnormal"]) == ("up", "↑", True)
    assert by_name["尿蛋白"]["arrow_symbol"] == "" and by_name["尿蛋白"]["abnormal"] is True
    assert by_name["血红蛋白"]["report"]["report_no"].startswith("L") and by_name["血红蛋白"]["reference_range"]

    abnormal = anaesthetist.get(f"/api/v1/cases/{case.uuid}/lab-results/", {"abnormal": "true", "q": "尿"})
    assert {r["name"] for r in abnormal.json()["results"]} == {"尿比重", "尿蛋白"}
    assert AuditEntry.objects.filter(action=AuditAction.READ, target_id=str(case.uuid),
                                     detail="lab results").count() == 2

    bad = anaesthetist.get(f"/api/v1/cases/{case.uuid}/lab-results/", {"abnormal": "perhaps"})
    assert bad.status_code == 400 and "abnormal" in bad.json()["error"]["fields"]


@pytest.mark.req("A5")
def test_case_exam_reports_api(hospital_sim, api_client):
    ward = make_ward()
    sim = sim_patient(hospital_sim, 3)
    case = case_for(sim, ward=ward)
    clinical_results_fetch(patient=case.patient, visit_no=case.visit_no, actor=None)
    client = authenticate(api_client, make_staff("doctor", ward=ward))
    res = client.get(f"/api/v1/cases/{case.uuid}/exam-reports/", {"kind": "ecg"})
    assert res.status_code == 200
    [ecg] = res.json()["results"]
    assert ecg["kind"] == "ecg" and ecg["conclusion"] and ecg["findings"] and ecg["abnormal"] in (True, False)
    assert client.get(f"/api/v1/cases/{case.uuid}/exam-reports/").json()["count"] == 2
    assert client.get(f"/api/v1/cases/{case.uuid}/exam-reports/", {"kind": "xray"}).status_code == 400
    assert AuditEntry.objects.filter(action=AuditAction.READ, target_id=str(case.uuid), detail="exam reports").exists()


def test_results_never_cross_wards_and_need_the_permission(hospital_sim, api_client):
    ward, other_ward = make_ward(), make_ward()
    sim = sim_patient(hospital_sim, 3)
    case = case_for(sim, ward=ward)
    clinical_results_fetch(patient=case.patient, visit_no=case.visit_no, actor=None)
    outsider = authenticate(api_client, make_staff("anaesthetist", ward=other_ward))
    for path in ("lab-results/", "exam-reports/"):
        assert outsider.get(f"/api/v1/cases/{case.uuid}/{path}").status_code == 404
    assert outsider.post(f"/api/v1/cases/{case.uuid}/clinical-results/refresh/", {}, format="json").status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.READ, target_id=str(case.uuid)).exists()

    api_client.credentials()
    assert api_client.get(f"/api/v1/cases/{case.uuid}/lab-results/").status_code == 401
    admin = authenticate(api_client, make_staff("followup_nurse", ward=ward))  # no clinical.view_results
    assert admin.get(f"/api/v1/cases/{case.uuid}/lab-results/").status_code == 403


def test_refresh_without_a_visit_number_is_a_field_error(hospital_sim, api_client):
    ward = make_ward()
    case = make_case("booked", ward=ward, patient=local_patient(sim_patient(hospital_sim, 3)))
    client = authenticate(api_client, make_staff("nurse", ward=ward))
    res = client.post(f"/api/v1/cases/{case.uuid}/clinical-results/refresh/", {}, format="json")
    assert res.status_code == 400 and "visit_no" in res.json()["error"]["fields"]
    ok = client.post(f"/api/v1/cases/{case.uuid}/clinical-results/refresh/",
                     {"visit_no": sim_patient(hospital_sim, 3)["visit_nos"][-1]}, format="json")
    assert ok.status_code == 200 and ok.json()["labs"] == 5
