"""High-risk findings (D5, Y9, P2): rules evaluated over the results within the window, per procedure, after every
fetch and every rule change, published as `clinical.findings.flagged` when the set of flags changes."""

from datetime import timedelta
from decimal import Decimal

import pytest

from cases.models import CaseEvent, SurgicalCase
from catalog.models import Procedure
from clinical.services import clinical_results_fetch
from core.models import OutboxMessage
from doctor_assessment import rules as engine
from doctor_assessment.models import CaseFinding, CaseRiskState, HighRiskRule
from doctor_assessment.services import (
    FLAGGED_EVENT,
    assessment_settings_update,
    findings_evaluate,
    findings_rebuild,
    rule_create,
    rule_update,
)
from doctor_assessment.tests.conftest import case_of, lab_day, negative_everywhere, positives, sim_hospital
from tests.builders import make_staff, make_ward

pytestmark = pytest.mark.django_db


def flagged_events(case):
    return list(CaseEvent.objects.filter(case=case, type=FLAGGED_EVENT).order_by("sequence"))


def fetch(case):
    return clinical_results_fetch(patient=case.patient, visit_no=case.visit_no, actor=None)


# --- the engine (pure) --------------------------------------------------------------------------------------------
@pytest.mark.req("D5", "Y9")
@pytest.mark.parametrize(("value", "flag", "positive"), [
    ("阳性(+)", "H", True), ("阴性(-)", "N", False), ("有反应性(待确证)", "H", True), ("无反应性", "", False),
    ("阳性(1:8)", "H", True), ("1:16", "", True), ("未检出", "", False), ("弱阳性", "", True), ("-", "", False),
    ("NEG", "", False), ("Reactive", "", True), ("Non-reactive", "", False), ("0.35", "N", False),
    ("15.2", "H", True),  # a bare S/CO value flagged by the LIS
    ("", "", False),
])
def test_qualitative_positive(value, flag, positive):
    assert engine.is_positive(value, flag) is positive


@pytest.mark.req("D5", "Y9")
@pytest.mark.parametrize(("text", "hits"), [
    ("窦性心律，心房颤动。", ["心房颤动"]),
    ("双肺未见明显占位，心影正常。", []),  # named as absent
    ("未见胸腔积液；右肺下叶占位。", ["占位"]),  # negation does not cross the clause
    ("无明显异常", []),
    ("左肺上叶结节，考虑占位性病变", ["占位"]),
])
def test_keywords_ignore_negated_findings(text, hits):
    assert engine.keyword_hits(text, ["心房颤动", "占位", "胸腔积液", "异常"]) == hits


@pytest.mark.req("D5", "Y9")
@pytest.mark.parametrize(("text", "hits"), [
    ("右肺上叶结节，不能排除肺结核。", ["肺结核"]),
    ("无法排除占位性病变", ["占位"]),
    ("考虑炎症，待排除肺结核", ["肺结核"]),
    ("不排除少量胸腔积液", ["胸腔积液"]),
    ("未能排除占位", ["占位"]),
    ("排除肺结核", []),  # ruled out: still a negation
])
def test_a_finding_that_cannot_be_ruled_out_is_not_a_negation(text, hits):
    # 不能排除/无法排除/待排除 say the finding may be present: a report saying so must still flag the case.
    assert engine.keyword_hits(text, ["肺结核", "占位", "胸腔积液"]) == hits


@pytest.mark.req("D5")
def test_thresholds():
    assert engine.compare(Decimal("2.9"), "lt", Decimal("3.0")) and not engine.compare(Decimal("3.0"), "lt", Decimal("3"))
    assert engine.compare(Decimal("3.0"), "le", Decimal("3")) and engine.compare(Decimal("5.6"), "gt", Decimal("5.5"))
    assert not engine.compare(None, "gt", Decimal("1"))


@pytest.mark.req("D5", "Y9")
@pytest.mark.parametrize(("value", "comparator", "threshold", "hit"), [
    ("<10", "lt", "80", True),  # platelets below the analyser's range: certainly under 80
    ("＜5", "lt", "80", True),
    (">10.0", "gt", "1.5", True),  # INR above the measuring range
    (">33.3", "gt", "11.1", True),  # glucose 'HI'
    ("≥8.0", "ge", "5.5", True),
    ("<0.10", "gt", "1.5", False),  # below the range says nothing about 'over'
    (">2.0", "lt", "3.0", False),  # over 2.0 may or may not be under 3.0: not claimed
    ("<100", "lt", "80", False),  # under 100 is not certainly under 80
    ("阴性", "gt", "1", False),
])
def test_a_censored_value_beyond_the_threshold_still_flags(value, comparator, threshold, hit):
    # LIS report values outside the analyser's range as '<x' / '>x' (no numeric value): those are the most
    # abnormal results there are, and must not be missed by a threshold rule.
    from types import SimpleNamespace

    rule = SimpleNamespace(kind="lab_numeric", codes=["X"], comparator=comparator, threshold=Decimal(threshold),
                           category="lab_threshold", label="t", uuid=None)
    result = SimpleNamespace(code="X", name="t", value=value, unit="", flag="", numeric_value=None,
                             report=SimpleNamespace(issued_at=None))
    assert bool(engine.evaluate([rule], {"x": result}, [])) is hit


# --- default infectious rules over the simulator's 术前四项 -----------------------------------------------------------
@pytest.mark.req("D5", "Y9", "P2")
def test_positive_hbsag_flags_the_case_infectious_with_the_contract_payload(hospital_sim, on_commit):
    case = case_of(positives("5196-1")[0])
    with on_commit():
        fetch(case)  # the handler on clinical.results.fetched evaluates the patient's cases
    [event] = flagged_events(case)
    assert event.payload["high_risk"] is True and "infectious" in event.payload["categories"]
    hbsag = [f for f in event.payload["flags"] if f["code"] == "5196-1"]
    rule = HighRiskRule.objects.get(hospital__isnull=True, key="hbsag_positive")
    assert hbsag == [{"category": "infectious", "code": "5196-1", "label": "乙肝表面抗原阳性", "rule": str(rule.uuid)}]
    assert set(event.payload) == {"high_risk", "categories", "flags"}
    assert case.patient.name not in str(event.payload)  # labels name a test, never the patient
    # the outbox message carries the case-event envelope (ward, case) that the realtime push and icons read
    message = OutboxMessage.objects.filter(topic=FLAGGED_EVENT, key=str(case.uuid)).latest("id")
    assert message.payload["ward"] == case.ward_id and message.payload["data"] == event.payload

    finding = CaseFinding.objects.get(case=case, rule_key="hbsag_positive")
    assert finding.category == "infectious" and finding.lab_result.code == "5196-1" and "阳性" in finding.value
    state = CaseRiskState.objects.get(case=case)
    assert state.high_risk and state.summary["labs"] >= 15 and state.summary["lab_reports"] >= 4

    # evaluating again (a redelivered message, a second fetch) changes nothing: no second event
    with on_commit():
        fetch(case)
    assert findings_evaluate(case) is False
    assert len(flagged_events(case)) == 1


@pytest.mark.req("D5", "Y9")
def test_every_infectious_default_fires_on_its_item(hospital_sim):
    seen = {}
    for code, key in (("16128-1", "anti_hcv_positive"), ("56888-1", "anti_hiv_positive"),
                      ("24110-9", "syphilis_tp_positive"), ("20507-0", "syphilis_rpr_positive")):
        case = case_of(positives(code)[0])
        fetch(case)
        findings_evaluate(case)
        seen[key] = set(CaseFinding.objects.filter(case=case).values_list("rule_key", flat=True))
        assert key in seen[key], (code, seen[key])


@pytest.mark.req("D5")
def test_a_negative_patient_is_not_high_risk_and_gets_no_event(hospital_sim):
    # a patient with nothing the defaults flag: negative screening and labs within the default thresholds
    hospital = sim_hospital()
    for reg_no in negative_everywhere():
        labs = [i for r in hospital.labs if r.reg_no == reg_no for i in r.items]
        values = {i["code"]: i["value"] for i in labs}
        ecg = next(e for e in hospital.exams if e.reg_no == reg_no and e.kind == "ECG")
        if (3.0 <= values["2823-3"] <= 5.5 and values["718-7"] >= 90 and values["777-3"] >= 80
                and values["6301-6"] <= 1.5 and values["2345-7"] <= 11.1 and "颤" not in ecg.conclusion):
            break
    case = case_of(reg_no)
    fetch(case)
    assert findings_evaluate(case) is False
    assert not flagged_events(case) and not CaseRiskState.objects.get(case=case).high_risk


# --- per procedure (Y9) -----------------------------------------------------------------------------------------
@pytest.mark.req("Y9", "D5")
def test_a_threshold_rule_applies_only_to_its_procedure(hospital_sim):
    ward = make_ward()
    hospital = ward.department.hospital
    chole = Procedure.objects.create(code="51.23", name="腹腔镜胆囊切除术", grade=3, incision_class="Ⅱ类")
    hernia = Procedure.objects.create(code="53.04", name="单侧腹股沟斜疝无张力修补术", grade=3, incision_class="Ⅰ类")
    reg_no = negative_everywhere()[0]
    first, second = case_of(reg_no, ward=ward), case_of(negative_everywhere()[1], ward=ward)
    SurgicalCase.objects.filter(pk=first.pk).update(procedure=chole, procedure_code="51.23")
    SurgicalCase.objects.filter(pk=second.pk).update(procedure=hernia, procedure_code="53.04")
    for case in (first, second):
        fetch(case)
    # every patient's white cell count is above 0.1: a rule that always fires, but only for cholecystectomy
    rule = rule_create(actor=None, hospital=hospital, key="wbc_check_chole", label="白细胞复核(胆囊)",
                       kind="lab_numeric", codes=["6690-2"], comparator="gt", threshold=Decimal("0.1"),
                       procedure=chole, severity="attention")
    findings_rebuild(hospital=hospital)
    first_keys = set(CaseFinding.objects.filter(case=first).values_list("rule_key", flat=True))
    second_keys = set(CaseFinding.objects.filter(case=second).values_list("rule_key", flat=True))
    assert "wbc_check_chole" in first_keys and "wbc_check_chole" not in second_keys
    [event] = [e for e in flagged_events(first) if any(f["rule"] == str(rule.uuid) for f in e.payload["flags"])]
    assert {"category": "lab_threshold", "code": "6690-2", "label": "白细胞复核(胆囊)",
            "rule": str(rule.uuid)} in event.payload["flags"]

    # the administrator disables it: the flag goes away and the change is published (also to empty)
    rule_update(actor=None, rule=rule, is_enabled=False)
    findings_rebuild(hospital=hospital)
    last = flagged_events(first)[-1]
    assert all(f["rule"] != str(rule.uuid) for f in last.payload["flags"])
    assert last.payload["high_risk"] is (len(last.payload["flags"]) > 0)


@pytest.mark.req("Y9", "D5")
def test_a_hospital_rule_replaces_the_default_of_the_same_key_only_there(hospital_sim, on_commit):
    ward_a, ward_b = make_ward(), make_ward(department=None)
    from tests.builders import make_department, make_hospital

    other_hospital = make_hospital(code="H900")[0]
    ward_b = make_ward(department=make_department(hospital=other_hospital))
    reg_no = positives("5196-1")[0]
    case_a = case_of(reg_no, ward=ward_a)
    fetch(case_a)
    findings_evaluate(case_a)
    assert CaseRiskState.objects.get(case=case_a).high_risk
    default = HighRiskRule.objects.get(hospital__isnull=True, key="hbsag_positive")
    admin = make_staff("hospital_admin", ward=ward_a)
    with on_commit():
        override = rule_update(actor=admin, rule=default, is_enabled=False)  # a disabled copy for hospital A
    assert override.pk != default.pk and override.hospital == ward_a.department.hospital and not override.is_enabled
    default.refresh_from_db()
    assert default.is_enabled  # the platform default is unchanged for the other hospitals
    keys = set(CaseFinding.objects.filter(case=case_a).values_list("rule_key", flat=True))
    assert "hbsag_positive" not in keys  # re-evaluated by the rules-changed handler
    assert any("5196-1" not in [f["code"] for f in e.payload["flags"]] for e in flagged_events(case_a)[1:])
    del ward_b


@pytest.mark.req("Y9", "D5")
def test_a_default_cannot_be_narrowed_to_one_procedure_by_its_key():
    # A hospital rule with a default's key replaces the default for the whole hospital: narrowed to one procedure,
    # the potassium check silently stopped for every other operation there. A procedure rule takes a key of its own.
    from core.errors import InvalidInput

    ward = make_ward()
    hospital = ward.department.hospital
    admin = make_staff("hospital_admin", ward=ward)
    chole = Procedure.objects.create(code="51.23", name="腹腔镜胆囊切除术", grade=3, incision_class="Ⅱ类")
    default = HighRiskRule.objects.get(hospital__isnull=True, key="potassium_low")
    with pytest.raises(InvalidInput) as narrowed:
        rule_update(actor=admin, rule=default, procedure=chole, threshold=Decimal("3.5"))
    assert "procedure" in narrowed.value.fields
    with pytest.raises(InvalidInput):
        rule_create(actor=admin, hospital=hospital, key="potassium_low", label="血钾 < 3.5", kind="lab_numeric",
                    codes=["2823-3"], comparator="lt", threshold=Decimal("3.5"), procedure=chole)
    assert not HighRiskRule.objects.filter(hospital=hospital).exists()
    # the same scope (a stricter threshold for the hospital) and a procedure rule under its own key are fine
    assert rule_update(actor=admin, rule=default, threshold=Decimal("3.2")).hospital == hospital
    assert rule_create(actor=admin, hospital=hospital, key="potassium_low_chole", label="血钾 < 3.5(胆囊)",
                       kind="lab_numeric", codes=["2823-3"], comparator="lt", threshold=Decimal("3.5"),
                       procedure=chole).procedure == chole


# --- the results window (D1) --------------------------------------------------------------------------------------
@pytest.mark.req("D1", "D5")
def test_results_outside_the_window_do_not_count(hospital_sim, on_commit):
    ward = make_ward()
    case = case_of(positives("5196-1")[0], ward=ward, days_after_labs=40)  # labs 40 days before surgery
    fetch(case)
    findings_evaluate(case)
    state = CaseRiskState.objects.get(case=case)
    assert not state.high_risk and state.summary["labs"] == 0  # the default window is 30 days
    assert state.window_to.date() == case.planned_date
    assert (case.planned_date - timezone_date(state.window_from)).days == 30
    with on_commit():
        assessment_settings_update(actor=None, hospital=ward.department.hospital, results_window_days=45)
    state.refresh_from_db()
    assert state.high_risk and state.summary["labs"] >= 15 and len(flagged_events(case)) == 1


def timezone_date(value):
    from django.utils import timezone

    return timezone.localtime(value).date()


@pytest.mark.req("D1")
def test_a_newer_value_replaces_an_older_one(hospital_sim):
    """Potassium corrected before surgery: only the newest result of an item counts."""
    from clinical.models import LabReport, LabResult

    case = case_of(negative_everywhere()[0])
    fetch(case)
    findings_evaluate(case)
    old = LabResult.objects.get(report__patient=case.patient, code="2823-3")
    LabResult.objects.filter(pk=old.pk).update(numeric_value=Decimal("2.5"), value="2.5", flag="L")
    findings_evaluate(case)
    assert CaseFinding.objects.filter(case=case, rule_key="potassium_low").exists()
    newer = LabReport.objects.create(patient=case.patient, visit_no=case.visit_no, report_no="LNEWER-K",
                                     panel_code="CHEM", name="电解质", issued_at=old.report.issued_at + timedelta(days=1),
                                     fetched_at=old.report.fetched_at)
    LabResult.objects.create(report=newer, code="2823-3", name="钾", value="4.0", numeric_value=Decimal("4.0"),
                             unit="mmol/L", flag="N")
    findings_evaluate(case)
    assert not CaseFinding.objects.filter(case=case, rule_key="potassium_low").exists()


@pytest.mark.req("D5")
def test_a_report_without_an_issue_time_is_not_taken_for_the_newest():
    # Ordered by issue time, a report the LIS sent without one sorted first (NULLS FIRST) and its old value hid the
    # newer result: an old normal potassium masked yesterday's 2.5 mmol/L.
    from django.utils import timezone as tz

    from clinical.models import LabReport, LabResult
    from tests.builders import make_case

    case = make_case("booked", planned_date=tz.localdate() + timedelta(days=2))
    now = tz.now()
    old = LabReport.objects.create(patient=case.patient, visit_no="V1", report_no="L-OLD", name="电解质",
                                   issued_at=None, fetched_at=now - timedelta(days=10))
    LabResult.objects.create(report=old, code="2823-3", name="钾", value="4.0", numeric_value=Decimal("4.0"),
                             unit="mmol/L")
    new = LabReport.objects.create(patient=case.patient, visit_no="V1", report_no="L-NEW", name="电解质",
                                   issued_at=now - timedelta(days=1), fetched_at=now)
    LabResult.objects.create(report=new, code="2823-3", name="钾", value="2.5", numeric_value=Decimal("2.5"),
                             unit="mmol/L")
    findings_evaluate(case)
    assert CaseFinding.objects.filter(case=case, rule_key="potassium_low").exists()


@pytest.mark.req("D1", "D5")
def test_a_rescheduled_case_is_evaluated_again_over_its_new_window(hospital_sim, on_commit):
    # The results window is relative to the surgery date: moving the operation moves the window. A positive
    # HBsAg 40 days before the old date did not count; 3 days before the new date it does, at once.
    from django.utils import timezone as tz

    from cases.services import case_transition

    today = tz.localdate()
    reg_no = next(r for r in positives("5196-1") if (today - lab_day(r)).days <= 20)
    case = case_of(reg_no, days_after_labs=40)
    fetch(case)
    findings_evaluate(case)
    assert not CaseRiskState.objects.get(case=case).high_risk
    new_day = max(lab_day(reg_no) + timedelta(days=3), today + timedelta(days=1))
    with on_commit():
        case_transition(case=case, transition="reschedule", actor=None, planned_date=new_day,
                        reason_code="patient_request", reason="患者要求提前")
    assert CaseRiskState.objects.get(case=case).high_risk and len(flagged_events(case)) == 1
