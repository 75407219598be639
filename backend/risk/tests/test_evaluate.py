"""Predictions → plan (A1, A6, A7): every model in one call through the ONNX engine, each event's level the highest
of its models, the knowledge base's plan per event, the worst disposition, the union of recommendations; the
hospital's institutional cut-offs and screening rules change the result; everything recorded."""

from decimal import Decimal

import pytest

from core.errors import InvalidInput
from risk import knowledge_defaults as kd
from risk import services
from risk.models import KnowledgeBaseEntry, RiskEvaluation
from risk.tests.helpers import HEALTHY_BREAST, OSA_SMOKER, event_of, hospital_with_staff
from tests.builders import make_patient

pytestmark = pytest.mark.django_db


def _publish_draft(hospital, actor, *, entries=(), **version_fields):
    draft = services.knowledge_base_create_draft(actor=actor, hospital=hospital)
    for (event, level), fields in entries:
        entry = KnowledgeBaseEntry.objects.get(version=draft, event=event, level=level)
        services.knowledge_base_entry_update(actor=actor, entry=entry, **fields)
    if version_fields:
        services.knowledge_base_update(actor=actor, version=draft, **version_fields)
    return services.knowledge_base_publish(actor=actor, version=draft)


@pytest.mark.req("A1", "A7")
def test_osa_smoker_gets_the_osa_high_plan_and_the_summary_is_recorded():
    hospital, _ward, staff = hospital_with_staff()
    patient = make_patient()
    evaluation = services.risk_evaluate(inputs=OSA_SMOKER, actor=staff["anaesthetist"], hospital=hospital,
                                        patient=patient, subject="术前评估")
    summary = evaluation.summary
    assert summary["evaluation"] == str(evaluation.uuid)
    assert summary["knowledge_base_version"] == 1 and summary["engine_version"] == evaluation.engine_version
    osa = event_of(summary, "osa")
    assert osa["level"] == "high" and osa["level_label_zh"] == "高危" and osa["label_zh"] == "阻塞性睡眠呼吸暂停（OSA）"
    assert osa["primary"]["model"] == "stop_bang" and osa["primary"]["score"] == 7
    plan = kd.DEFAULT_PLANS["osa"]["high"]
    assert osa["plan"]["monitoring"] == plan["monitoring"] and osa["plan"]["seniority_label_zh"] == "主治医师及以上"
    recs = summary["recommendations"]
    assert {"持续脉搏血氧饱和度监测", "呼气末二氧化碳监测（镇静时经鼻导管采样）"} <= set(recs["monitoring"])
    assert "避免长效阿片类药物及苯二氮䓬类" in recs["drugs"] and "可视喉镜" in recs["equipment"]
    assert any(a.startswith("阻塞性睡眠呼吸暂停（OSA）：") for a in recs["advice"])
    assert len(recs["monitoring"]) == len(set(recs["monitoring"]))  # de-duplicated union
    # The high-risk plan's items come before the low-risk ones.
    assert recs["monitoring"].index("持续脉搏血氧饱和度监测") < recs["monitoring"].index(kd.STD)
    # Seniority is the highest any plan asks for; disposition the worst.
    ranks = {s: n for n, s in enumerate(kd.SENIORITIES)}
    assert ranks[recs["seniority"]] == max(ranks[e["plan"]["seniority"]] for e in summary["events"])
    order = {d: n for n, d in enumerate(kd.DISPOSITIONS)}
    assert order[summary["disposition"]] == max(order[e["plan"]["disposition"]] for e in summary["events"])
    assert summary["disposition_label_zh"] == kd.DISPOSITION_LABELS_ZH[summary["disposition"]]

    stored = RiskEvaluation.objects.get(pk=evaluation.pk)
    assert stored.inputs["age"] == 68 and stored.patient == patient and stored.actor == staff["anaesthetist"]
    assert stored.knowledge_base.number == 1 and stored.subject == "术前评估"
    assert {r["model"] for r in stored.results} >= {"gupta_mica", "rcri", "stop_bang", "caprini"}
    assert stored.summary == summary


@pytest.mark.req("A1")
def test_event_level_is_the_highest_of_its_models_and_the_primary_is_the_first_listed_that_answered():
    results = [
        {"model": "rcri", "event": "mi_cardiac_arrest", "status": "ok", "level": "intermediate"},
        {"model": "gupta_mica", "event": "mi_cardiac_arrest", "status": "ok", "level": "low"},
        {"model": "gupta_prf", "event": "respiratory_failure", "status": "insufficient_data", "level": None},
        {"model": "arozullah_prf", "event": "respiratory_failure", "status": "ok", "level": "low"},
        {"model": "geng_2018", "event": "sedation_hypoxaemia", "status": "not_applicable", "level": None},
        {"model": "stop_bang", "event": "osa", "status": "insufficient_data", "level": None},
    ]
    plans = {(e, lv): p for e, levels in kd.DEFAULT_PLANS.items() for lv, p in levels.items()}
    summary = services.build_summary(evaluation_uuid="u", engine_version="t", knowledge_base_number=0,
                                     results=results, plans=plans)
    mi = event_of(summary, "mi_cardiac_arrest")
    assert mi["level"] == "intermediate" and mi["primary"]["model"] == "gupta_mica"  # Gupta is listed first
    rf = event_of(summary, "respiratory_failure")
    assert rf["level"] == "low" and rf["primary"]["model"] == "arozullah_prf"
    osa = event_of(summary, "osa")
    assert osa["level"] == "unknown" and osa["primary"] is None and osa["plan"]["disposition"] == "refer"
    assert summary["disposition"] == "refer"  # insufficient OSA data asks for further assessment
    assert [e["event"] for e in summary["not_applicable"]] == ["sedation_hypoxaemia"]
    assert "sedation_hypoxaemia" not in {e["event"] for e in summary["events"]}


@pytest.mark.req("A1", "A7")
def test_disposition_is_the_worst_plan_and_follows_the_published_knowledge_base():
    hospital, _ward, staff = hospital_with_staff()
    before = services.risk_evaluate(inputs=OSA_SMOKER, actor=staff["anaesthetist"], hospital=hospital)
    assert event_of(before.summary, "osa")["plan"]["disposition"] == "can_book"
    _publish_draft(hospital, staff["admin"], entries=[
        (("osa", "high"), {"disposition": "not_suitable", "seniority": "chief", "advice": "本院：OSA高危不收日间"}),
    ])
    after = services.risk_evaluate(inputs=OSA_SMOKER, actor=staff["anaesthetist"], hospital=hospital)
    assert after.summary["knowledge_base_version"] == 2
    assert after.summary["disposition"] == "not_suitable" and after.summary["disposition_label_zh"] == "不适合日间手术"
    assert after.summary["recommendations"]["seniority"] == "chief"
    assert "阻塞性睡眠呼吸暂停（OSA）：本院：OSA高危不收日间" in after.summary["recommendations"]["advice"]
    before.refresh_from_db()
    assert before.summary["knowledge_base_version"] == 1  # a recorded evaluation never changes


@pytest.mark.req("A1")
def test_healthy_patient_may_be_booked_when_every_event_is_low():
    hospital, _ward, staff = hospital_with_staff()
    summary = services.risk_evaluate(inputs=HEALTHY_BREAST, actor=staff["doctor"], hospital=hospital).summary
    levels = {e["event"]: e["level"] for e in summary["events"]}
    assert levels["osa"] == "low" and levels["mi_cardiac_arrest"] == "low"
    if all(level in ("low", "intermediate") for level in levels.values()):
        assert summary["disposition"] == "can_book" and summary["disposition_label_zh"] == "可预约日间手术"


@pytest.mark.req("A1", "A7")
def test_institutional_cutoffs_relevel_results_whose_bands_are_institutional():
    hospital, _ward, staff = hospital_with_staff()
    engine_result = next(r for r in services.risk_evaluate(
        inputs=OSA_SMOKER, actor=None, hospital=hospital).results if r["model"] == "gupta_mica")
    p = engine_result["probability"]
    assert engine_result["level_source"] == "institutional" and engine_result["level"] == "low" and 0 < p < 0.01
    _publish_draft(hospital, staff["admin"], band_cutoffs={
        **services.knowledge_base_ensure_default(hospital).band_cutoffs,
        "gupta_mica": {"intermediate_from": p / 2, "high_from": p * 2},
    })
    evaluation = services.risk_evaluate(inputs=OSA_SMOKER, actor=None, hospital=hospital)
    mica = next(r for r in evaluation.results if r["model"] == "gupta_mica")
    assert mica["level"] == "intermediate" and mica["engine_level"] == "low"
    assert mica["probability"] == p and mica["institutional_cutoffs"]["high_from"] == p * 2
    assert event_of(evaluation.summary, "mi_cardiac_arrest")["level"] == "intermediate"
    # Published bands (STOP-Bang) are never re-levelled.
    assert all("institutional_cutoffs" not in r for r in evaluation.results if r["level_source"] == "published")


@pytest.mark.req("A6", "A7")
def test_editing_the_screening_rules_changes_the_sepsis_flag():
    hospital, _ward, staff = hospital_with_staff()
    sepsis = event_of(services.risk_evaluate(inputs=OSA_SMOKER, actor=None, hospital=hospital).summary, "sepsis")
    assert sepsis["level"] == "intermediate" and sepsis["primary"]["kind"] == "screening"
    assert sepsis["primary"]["probability"] is None  # a screening flag, never a percentage
    rules = services.knowledge_base_ensure_default(hospital).screening_rules
    # The hospital decides that one documented risk factor is enough for "high".
    rules["sepsis"]["levels"] = [{"min_count": 0, "level": "low", "label_zh": "低"},
                                 {"min_count": 1, "level": "high", "label_zh": "高（本院：任一危险因素）"}]
    _publish_draft(hospital, staff["admin"], screening_rules=rules)
    summary = services.risk_evaluate(inputs=OSA_SMOKER, actor=None, hospital=hospital).summary
    sepsis = event_of(summary, "sepsis")
    assert sepsis["level"] == "high" and sepsis["primary"]["band_label_zh"] == "高（本院：任一危险因素）"
    assert sepsis["plan"]["disposition"] == "not_suitable" and summary["disposition"] == "not_suitable"


def test_engine_refusals_are_field_errors_and_nothing_is_recorded():
    hospital, _ward, staff = hospital_with_staff()
    for bad in ({"age": "sixty"}, {"asa_class": 9}, {"sex": "X"}):
        with pytest.raises(InvalidInput) as exc:
            services.risk_evaluate(inputs=bad, actor=staff["doctor"], hospital=hospital)
        assert set(exc.value.fields) == set(bad), exc.value.fields
        assert all(isinstance(m, str) and m for msgs in exc.value.fields.values() for m in msgs)
    with pytest.raises(InvalidInput):
        services.risk_evaluate(inputs=["age", 60], actor=staff["doctor"], hospital=hospital)
    assert not RiskEvaluation.objects.exists()


def test_decimal_lab_values_are_numbers_and_no_hospital_uses_the_built_in_plans():
    evaluation = services.risk_evaluate(
        inputs={**OSA_SMOKER, "creatinine_umol_l": Decimal("88.4"), "haemoglobin_g_l": Decimal("142")},
        actor=None, hospital=None,
    )
    assert evaluation.inputs["creatinine_umol_l"] == 88.4 and evaluation.knowledge_base is None
    assert evaluation.summary["knowledge_base_version"] == 0 and evaluation.summary["ignored_inputs"] == []
    typo = services.risk_evaluate(inputs={"agee": 60, "age": 60}, actor=None, hospital=None)
    assert typo.summary["ignored_inputs"] == ["agee"]
    assert event_of(evaluation.summary, "osa")["plan"]["monitoring"] == kd.DEFAULT_PLANS["osa"]["high"]["monitoring"]


@pytest.mark.req("A1")
def test_advice_from_models_applied_outside_their_derivation_population_says_so():
    results = [
        {"model": "geng_2018", "event": "sedation_hypoxaemia", "status": "ok", "level": "high",
         "outside_derivation": True},
        {"model": "stop_bang", "event": "osa", "status": "ok", "level": "high", "outside_derivation": False},
    ]
    plans = {(e, lv): p for e, levels in kd.DEFAULT_PLANS.items() for lv, p in levels.items()}
    summary = services.build_summary(evaluation_uuid="u", engine_version="t", knowledge_base_number=0,
                                     results=results, plans=plans)
    assert event_of(summary, "sedation_hypoxaemia")["outside_derivation"] is True
    assert event_of(summary, "osa")["outside_derivation"] is False
    advice = summary["recommendations"]["advice"]
    assert any(a.startswith("镇静相关低氧血症（模型超出推导人群，仅供参考）：") for a in advice)
    assert any(a.startswith("阻塞性睡眠呼吸暂停（OSA）：") for a in advice)


def test_inputs_the_database_cannot_store_are_field_errors():
    for bad in ({"a": [{"b": {"c": [None, {"d": "\x00"}]}}]}, {"note\x00": 1}, {"a": [[[[[[[[1]]]]]]]]},
                {"a": "x" * 70000}):
        with pytest.raises(InvalidInput) as exc:
            services.risk_evaluate(inputs=bad, actor=None, hospital=None)
        assert "inputs" in exc.value.fields
    assert not RiskEvaluation.objects.exists()
