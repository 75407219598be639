"""What the consent text says about the assessment: its plan and its assessed risks."""

from types import SimpleNamespace

import pytest

from consent.services import _risks_text, assessment_plan

pytestmark = pytest.mark.req("A8")


def test_risks_name_the_intermediate_and_high_events_of_the_last_evaluation():
    summary = {"events": [
        {"event": "ponv", "label_zh": "术后恶心呕吐", "level": "high", "level_label_zh": "高危"},
        {"event": "osa", "label_zh": "阻塞性睡眠呼吸暂停", "level": "intermediate", "level_label_zh": "中危"},
        {"event": "vte", "label_zh": "静脉血栓栓塞", "level": "low", "level_label_zh": "低危"},
        {"event": "sepsis", "label_zh": "脓毒症", "level": "unknown", "level_label_zh": "未知"},
    ]}
    assert _risks_text(SimpleNamespace(risk_summary=summary)) == "术后恶心呕吐（高危）、阻塞性睡眠呼吸暂停（中危）"
    low_only = {"events": [summary["events"][2]]}
    assert _risks_text(SimpleNamespace(risk_summary=low_only)) == "本次评估未提示中、高危不良事件"
    assert _risks_text(SimpleNamespace(risk_summary={})) == "详见麻醉术前评估"
    assert _risks_text(SimpleNamespace()) == "详见麻醉术前评估"


def test_plan_comes_from_the_assessment_then_the_case_then_the_procedure():
    chosen = SimpleNamespace(sections={"plan": {"anaesthesia_plan": "neuraxial"}}, case_id=None,
                             procedure_kind="day_surgery")
    assert assessment_plan(chosen) == ("neuraxial", "椎管内麻醉")
    from_case = SimpleNamespace(sections={}, case_id=1, case=SimpleNamespace(anaesthesia_method="nerve_block"),
                                procedure_kind="day_surgery")
    assert assessment_plan(from_case) == ("nerve_block", "神经阻滞麻醉")
    endoscopy = SimpleNamespace(sections=None, case_id=None, procedure_kind="gastroscopy")
    assert assessment_plan(endoscopy) == ("mac_sedation", "监护麻醉/静脉镇静")


def test_a_case_without_a_plan_reads_its_booking_method_as_the_clinic_does():
    """The clinic starts a general-anaesthesia case with the plan anaesthesia.services._default_plan gives it; the
    consent of an assessment whose plan was cleared must read the booking method the same way (it read 'general'
    as ETT while the clinic reads it as LMA, so a hospital's LMA form was passed over)."""
    from anaesthesia.services import _default_plan

    for method in ("general", "spinal", "nerve_block", "sedation", "local"):
        case = SimpleNamespace(anaesthesia_method=method)
        assessment = SimpleNamespace(sections={}, case_id=1, case=case, procedure_kind="day_surgery")
        assert assessment_plan(assessment)[0] == _default_plan(case, None), method
