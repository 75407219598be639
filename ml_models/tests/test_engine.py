"""The engine's contract (interface 1 of the shared brief): results per model with levels, Chinese input errors,
outside-derivation flags, contributions, confidence, screening rules, the singleton and automatic rebuilds."""

import threading

import onnx
import pytest

from ml_models import engine as engine_module
from ml_models.build import ensure_graph
from ml_models.engine import InputError, RiskEngine
from ml_models.spec import load_spec

EVENTS = {
    "mi_cardiac_arrest": {"gupta_mica", "rcri"}, "pneumonia": {"gupta_pneumonia", "arozullah_pneumonia"},
    "pulmonary_complications": {"ariscat"}, "ponv": {"apfel_ponv"}, "pdnv": {"apfel_pdnv"}, "osa": {"stop_bang"},
    "difficult_airway": {"el_ganzouri"}, "vte": {"caprini"}, "sedation_hypoxaemia": {"geng_2018"},
    "mortality_30d": {"sort"}, "postoperative_morbidity": {"sort_morbidity"},
    "respiratory_failure": {"gupta_prf", "arozullah_prf"}, "ards": {"lips"}, "sepsis": {"sepsis_screen"},
    "shock": {"shock_screen"},
}

# A 58-year-old man for day-case laparoscopic cholecystectomy with every input the models use.
FULL = {
    "age": 58, "sex": "M", "height_cm": 172, "weight_kg": 84, "asa_class": 2, "emergency": False,
    "functional_status": "independent", "sepsis_status": "none", "smoker_current": True,
    "alcohol_gt2_drinks_day": False, "alcohol_abuse": False, "cancer": False, "procedure_type": "surgery",
    "procedure_category": "gallbladder_appendix_adrenals_spleen", "surgical_incision": "upper_abdominal",
    "expected_duration_minutes": 90, "rcri_elevated_risk_surgery": True, "arozullah_surgery": "upper_abdominal",
    "lips_high_risk_surgery": "none", "caprini_surgery": "major", "sort_severity": "intermediate",
    "sort_specialty": "hpb", "general_anaesthesia": True, "creatinine_umol_l": 88, "urea_mmol_l": 5.6,
    "albumin_g_l": 42, "haemoglobin_g_l": 138, "spo2_pct": 97, "systolic_bp": 138, "diastolic_bp": 84,
    "heart_rate": 72, "respiratory_rate": 16, "copd": False, "ischaemic_heart_disease": False,
    "heart_failure": False, "cerebrovascular_disease": False, "insulin_treatment": False, "diabetes": False,
    "hypertension": True, "respiratory_infection_last_month": False, "weight_loss_gt10pct": False,
    "impaired_sensorium": False, "chronic_steroids": False, "transfusion_gt4_units": False,
    "history_ponv": False, "motion_sickness": False, "postop_opioids": True, "snoring": True,
    "tired_daytime": False, "observed_apnoea": False, "neck_circumference_cm": 41, "mouth_opening_cm": 4.5,
    "thyromental_distance_cm": 7, "mallampati": 2, "neck_movement_deg": 100, "can_prognath": True,
    "difficult_intubation_history": "none", "caprini_factors": [],
}


def by_model(out):
    return {r["model"]: r for r in out["results"]}


@pytest.mark.req("A1", "A6")
def test_every_event_has_a_result_with_a_level(engine):
    out = engine.evaluate(FULL)
    assert out["engine_version"] == engine_module.ENGINE_VERSION
    results = out["results"]
    assert [r["model"] for r in results] == [s.id for s in engine.specs]  # stable order
    for event, models in EVENTS.items():
        assert {r["model"] for r in results if r["event"] == event} == models
    for r in results:
        assert r["status"] == "ok", (r["model"], r["missing_inputs"])
        assert r["level"] in ("low", "intermediate", "high"), r["model"]
        assert r["band_label_zh"] and r["citation"] and r["version"] == load_spec(r["model"]).version
        assert r["confidence"] in ("V", "C", "S", "R")
        # Geng is for GI endoscopy and LIPS for patients with an ARDS-predisposing condition: both flagged here.
        assert r["outside_derivation"] is (r["model"] in ("geng_2018", "lips")), r["model"]
    assert len({r["event"] for r in results if r["level"]}) == 15  # A1: ≥8 events; A6: the four extra ones


@pytest.mark.req("A1")
def test_result_shape_of_logistic_points_and_screening(engine):
    results = by_model(engine.evaluate(FULL))
    mica = results["gupta_mica"]
    assert mica["kind"] == "logistic" and mica["score"] is None
    # x = −5.25 + 0.02·58 − 3.29 (ASA 2) + 0.59 (gallbladder) = −6.79
    assert mica["logit"] == pytest.approx(-6.79, abs=1e-4)
    assert mica["probability"] == pytest.approx(1 / (1 + 2.718281828459045 ** 6.79), abs=1e-6)
    assert mica["level_source"] == "institutional" and mica["band"] == "low" and mica["band_risk"] is None
    rcri = results["rcri"]
    assert rcri["score"] == 1 and rcri["band_risk"] == pytest.approx(0.060) and rcri["band_risk_secondary"] == 0.009
    ariscat = results["ariscat"]  # 51–80 y (3) + upper abdominal (15)
    assert ariscat["score"] == 18 and ariscat["level_source"] == "published" and ariscat["band_risk"] == 0.016
    for screen in ("sepsis_screen", "shock_screen"):
        r = results[screen]
        assert r["kind"] == "screening" and r["probability"] is None and r["band_risk"] is None
        assert r["level_source"] == "screening"


@pytest.mark.req("A1")
def test_contributions_are_beta_x_terms_or_points_with_chinese_labels(engine):
    results = by_model(engine.evaluate(FULL))
    mica = {c["factor"]: c for c in results["gupta_mica"]["contributions"]}
    assert mica["asa_2"] == {"factor": "asa_2", "label_zh": "ASA II级", "value": -3.29}
    assert mica["age"]["value"] == pytest.approx(1.16) and mica["age"]["label_zh"] == "年龄 58岁"
    assert mica["proc_gallbladder"]["value"] == 0.59
    values = [abs(c["value"]) for c in results["gupta_mica"]["contributions"]]
    assert values == sorted(values, reverse=True) and len(values) <= 5
    ariscat = results["ariscat"]["contributions"]
    assert ariscat == [{"factor": "incision_upper_abdominal", "label_zh": "上腹部切口", "value": 15.0},
                       {"factor": "age_51_80", "label_zh": "年龄51–80岁", "value": 3.0}]
    many = dict(FULL, age=85, functional_status="totally_dependent", asa_class=4, creatinine_umol_l=200)
    assert len(by_model(engine.evaluate(many))["gupta_mica"]["contributions"]) == 5


def test_missing_inputs_give_insufficient_data(engine):
    results = by_model(engine.evaluate({"age": 40, "sex": "F"}))
    mica = results["gupta_mica"]
    assert mica["status"] == "insufficient_data" and mica["probability"] is None and mica["level"] is None
    assert mica["missing_inputs"] == ["functional_status", "asa_class", "procedure_category"]
    assert results["shock_screen"]["status"] == "insufficient_data"
    # Gupta MICA uses the paper's "creatinine unknown" category (β −0.10) when creatinine is absent.
    no_creat = {k: v for k, v in FULL.items() if k != "creatinine_umol_l"}
    r = by_model(engine.evaluate(no_creat))["gupta_mica"]
    assert r["status"] == "ok" and r["assumed_inputs"] == ["creatinine_umol_l"]
    assert r["logit"] == pytest.approx(-6.79 - 0.10, abs=1e-4)
    assert by_model(engine.evaluate(no_creat))["rcri"]["missing_inputs"] == ["creatinine_umol_l"]


def test_empty_patient_is_valid_and_everything_is_insufficient(engine):
    out = engine.evaluate({})
    assert {r["status"] for r in out["results"]} == {"insufficient_data"}


@pytest.mark.parametrize(("patient", "field", "fragment"), [
    ({"age": 300}, "age", "超出合理范围"),
    ({"age": -1}, "age", "超出合理范围"),
    ({"asa_class": 7}, "asa_class", "ASA分级超出合理范围"),
    ({"asa_class": 2.5}, "asa_class", "应为整数"),
    ({"asa_class": "II"}, "asa_class", "应为数字"),
    ({"age": "65"}, "age", "应为数字"),
    ({"age": True}, "age", "应为数字"),
    ({"age": float("nan")}, "age", "应为数字"),
    ({"copd": "yes"}, "copd", "应为是/否"),
    ({"copd": 1}, "copd", "应为是/否"),
    ({"sex": "male"}, "sex", "可选值：M、F"),
    ({"procedure_type": "endoscopy"}, "procedure_type", "取值无效"),
    ({"caprini_factors": ["copd", "broken_leg"]}, "caprini_factors", "broken_leg"),
    ({"caprini_factors": "copd"}, "caprini_factors", "应为字符串列表"),
    ({"systolic_bp": 80, "diastolic_bp": 90}, "diastolic_bp", "舒张压应低于收缩压"),
    ({"height_cm": 100, "weight_kg": 300}, "weight_kg", "BMI"),
    ({"emergency": True, "urgency": "elective"}, "urgency", "不一致"),
    ({"spo2_pct": 101}, "spo2_pct", "血氧饱和度"),
])
def test_bad_inputs_raise_input_error_with_chinese_field_messages(engine, patient, field, fragment):
    with pytest.raises(InputError) as info:
        engine.evaluate(patient)
    assert field in info.value.fields
    assert any(fragment in message for message in info.value.fields[field])


def test_non_object_patient_and_batch_errors_name_the_patient(engine):
    with pytest.raises(InputError) as info:
        engine.evaluate(["age", 65])
    assert "patient" in info.value.fields
    with pytest.raises(InputError) as info:
        engine.evaluate_batch([{"age": 50}, {"age": 500}])
    assert list(info.value.fields) == ["[1].age"]


def test_unknown_fields_are_reported_not_fatal(engine):
    out = engine.evaluate({"age": 50, "ASA": 2})
    assert out["ignored_inputs"] == ["ASA"]


@pytest.mark.req("A1")
@pytest.mark.parametrize("kind", ["gastroscopy", "colonoscopy", "bronchoscopy"])
def test_surgical_models_flag_endoscopy_as_outside_derivation(engine, kind):
    results = by_model(engine.evaluate(dict(FULL, procedure_type=kind)))
    for model in ("gupta_mica", "gupta_pneumonia", "gupta_prf", "rcri", "ariscat", "arozullah_pneumonia",
                  "arozullah_prf", "lips", "caprini", "sort", "sort_morbidity", "apfel_ponv", "apfel_pdnv"):
        assert results[model]["outside_derivation"] is True, model
        assert results[model]["applicability_note"].startswith("超出推导人群"), model
        assert results[model]["status"] == "ok"  # still computed, only flagged
    assert "内镜" in results["gupta_mica"]["applicability_note"]
    assert results["stop_bang"]["outside_derivation"] is False
    assert results["geng_2018"]["outside_derivation"] is (kind == "bronchoscopy")


def test_other_derivation_limits(engine):
    woman = by_model(engine.evaluate(dict(FULL, sex="F")))
    assert woman["arozullah_pneumonia"]["outside_derivation"] and "男性" in woman["arozullah_pneumonia"][
        "applicability_note"]
    assert woman["arozullah_prf"]["outside_derivation"] and not woman["gupta_mica"]["outside_derivation"]
    surgical = by_model(engine.evaluate(FULL))
    assert surgical["geng_2018"]["outside_derivation"] and "消化内镜" in surgical["geng_2018"]["applicability_note"]
    child = by_model(engine.evaluate(dict(FULL, age=12)))
    assert all(child[m]["outside_derivation"] for m in ("gupta_mica", "stop_bang", "el_ganzouri", "sort"))
    sedation = by_model(engine.evaluate(dict(FULL, general_anaesthesia=False)))
    assert sedation["apfel_ponv"]["outside_derivation"] and sedation["apfel_pdnv"]["outside_derivation"]


def test_confidence_is_the_weakest_tag_of_the_figures_used(engine):
    results = by_model(engine.evaluate(FULL))
    assert results["gupta_mica"]["confidence"] == "V"
    assert results["gupta_prf"]["confidence"] == "C"
    # Gupta pneumonia: the gallbladder procedure coefficient is single-source [S] ...
    assert results["gupta_pneumonia"]["confidence"] == "S"
    assert "胆囊" in results["gupta_pneumonia"]["evidence_note"]
    # ... the aortic one is corroborated [C].
    aortic = by_model(engine.evaluate(dict(FULL, procedure_category="aortic")))["gupta_pneumonia"]
    assert aortic["confidence"] == "C"
    assert results["apfel_ponv"]["confidence"] == "C"  # risk per count [C]
    assert results["el_ganzouri"]["confidence"] == "V"  # nothing fired, no band risk: no figure used
    emergency = dict(FULL, emergency=True, urgency="urgent", lips_high_risk_surgery="acute_abdomen")
    assert by_model(engine.evaluate(emergency))["lips"]["confidence"] == "R"  # the +1.5 emergency item


def test_pdnv_says_which_score_it_gives(engine):
    pre = by_model(engine.evaluate(dict(FULL, pacu_opioid=None)))["apfel_pdnv"]
    assert pre["variant"] == "preoperative_provisional" and "术前临时评分" in pre["applicability_note"]
    post = by_model(engine.evaluate(dict(FULL, pacu_opioid=True, pacu_nausea=True)))["apfel_pdnv"]
    assert post["variant"] == "discharge" and post["score"] == pre["score"] + 2


def test_stop_bang_escalation_is_reported(engine):
    # Snoring + hypertension (2 STOP items) + male → high even though the score is 5 here anyway ...
    assert by_model(engine.evaluate(FULL))["stop_bang"]["escalated"] is True
    # ... and a woman with 2 STOP items, BMI 28, neck 38: score 2, no escalation.
    woman = dict(FULL, sex="F", neck_circumference_cm=38, age=45)
    r = by_model(engine.evaluate(woman))["stop_bang"]
    assert (r["score"], r["band"], r["escalated"]) == (2, "low", False)


# --- screening ---------------------------------------------------------------------------------------------


@pytest.mark.req("A6")
def test_sepsis_screening_fires_documented_factors(engine):
    calm = by_model(engine.evaluate(FULL))["sepsis_screen"]
    assert (calm["level"], calm["score"], calm["fired_factors"]) == ("low", 0.0, [])
    one = by_model(engine.evaluate(dict(FULL, asa_class=3)))["sepsis_screen"]
    assert one["level"] == "intermediate" and [f["factor"] for f in one["fired_factors"]] == ["asa_ge_3"]
    three = dict(FULL, asa_class=3, emergency=True, urgency="urgent", functional_status="partially_dependent")
    r = by_model(engine.evaluate(three))["sepsis_screen"]
    assert r["level"] == "high" and r["score"] == 3.0
    assert {c["label_zh"] for c in r["contributions"]} == {"ASA≥III级", "急诊手术", "功能状态部分或完全依赖"}
    septic = by_model(engine.evaluate(dict(FULL, sepsis_status="sepsis")))["sepsis_screen"]
    assert septic["level"] == "high" and septic["score"] == 1.0  # level floor of pre-existing sepsis


@pytest.mark.req("A6")
def test_shock_screening_uses_derived_haemodynamics(engine):
    r = by_model(engine.evaluate(dict(FULL, systolic_bp=88, diastolic_bp=50, heart_rate=110)))["shock_screen"]
    # shock index 1.25 > 1.0, SBP 88 < 90, MAP (88 + 100)/3 = 62.7 < 65
    assert {f["factor"] for f in r["fired_factors"]} == {"shock_index_gt_1", "sbp_lt_90", "map_lt_65"}
    assert r["level"] == "high" and r["inputs"]["shock_index"] == pytest.approx(1.25)
    one = by_model(engine.evaluate(dict(FULL, heart_rate=140)))["shock_screen"]  # SI 140/138 > 1.0 only
    assert [f["factor"] for f in one["fired_factors"]] == ["shock_index_gt_1"] and one["level"] == "intermediate"
    shocked = by_model(engine.evaluate(dict(FULL, shock=True)))["shock_screen"]
    assert shocked["level"] == "high"  # clinical shock sets the floor


@pytest.mark.req("A6")
def test_custom_screening_rules_replace_the_defaults(engine):
    rules = {"sepsis": {"version": "kb-7", "factors": [
        {"key": "old", "label_zh": "高龄", "when": {"input": "age", "ge": 55}}],
        "levels": [{"min_count": 0, "level": "low", "label_zh": "低"}, {"min_count": 1, "level": "high", "label_zh": "高"}]}}
    r = by_model(engine.evaluate(FULL, screening_rules=rules))["sepsis_screen"]
    assert (r["level"], r["rule_set_version"], r["fired_factors"]) == ("high", "kb-7", [{"factor": "old", "label_zh": "高龄"}])
    assert by_model(engine.evaluate(FULL, screening_rules=rules))["shock_screen"]["rule_set_version"] == "2026.11.1"
    assert engine.default_screening_rules()["sepsis"]["factors"][0]["key"] == "preexisting_sepsis"


@pytest.mark.parametrize("rules", [
    {"sepsis": {"factors": [], "levels": [{"min_count": 0, "level": "low", "label_zh": "低"}]}},
    {"sepsis": {"factors": [{"key": "x", "label_zh": "x", "when": {"input": "nope", "eq": 1}}],
                "levels": [{"min_count": 0, "level": "low", "label_zh": "低"}]}},
    {"sepsis": {"factors": [{"key": "x", "label_zh": "x", "when": {"input": "age", "gt": 50}}],
                "levels": [{"min_count": 1, "level": "low", "label_zh": "低"}]}},
    {"sepsis": {"factors": [{"key": "x", "label_zh": "x", "when": {"input": "age", "gt": 50}}],
                "levels": [{"min_count": 0, "level": "severe", "label_zh": "低"}]}},
    {"delirium": {}},
    "sepsis",
])
def test_malformed_screening_rules_are_an_input_error(engine, rules):
    with pytest.raises(InputError) as info:
        engine.evaluate(FULL, screening_rules=rules)
    assert "screening_rules" in info.value.fields
    with pytest.raises(InputError):
        engine.validate_screening_rules(rules)


# --- catalogue, singleton, rebuilds -------------------------------------------------------------------------


def test_catalogue_is_the_model_card_as_data(engine):
    cards = {c["id"]: c for c in engine.catalogue()}
    assert list(cards) == [s.id for s in engine.specs]
    mica = cards["gupta_mica"]
    assert mica["level_source"] == "institutional" and mica["confidence"] == "V"
    assert [b["lower"] for b in mica["bands"]] == [None, 0.01]
    assert "NSQIP" in mica["derivation_population"] and mica["inputs_required"][0] == "age"
    assert cards["ariscat"]["bands"][2] == {
        "key": "high", "lower": 45, "label": "High risk (≥45)", "label_zh": "高危（≥45分）", "level": "high",
        "level_label_zh": "高危", "risk": 0.421, "risk_confidence": "V", "risk_secondary": None, "note": ""}
    assert cards["geng_2018"]["name"].endswith("exploratory")
    assert cards["sepsis_screen"]["level_source"] == "screening" and cards["sepsis_screen"]["bands"] == []


def test_default_engine_is_one_instance_loaded_once(monkeypatch, graph_dir):
    monkeypatch.setattr(engine_module, "_default", None)
    created = []
    real_init = RiskEngine.__init__

    def counting_init(self, *args, **kwargs):
        created.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(RiskEngine, "__init__", counting_init)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(engine_module.default_engine())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(created) == 1 and all(e is seen[0] for e in seen)
    sessions = seen[0].sessions["gupta_mica"]
    seen[0].evaluate(FULL)
    assert seen[0].sessions["gupta_mica"] is sessions  # sessions are created once, never per call


def test_missing_or_stale_graphs_are_rebuilt(tmp_path):
    spec = load_spec("rcri")
    path, rebuilt = ensure_graph(spec, tmp_path)
    assert rebuilt
    assert ensure_graph(spec, tmp_path) == (path, False)
    model = onnx.load(str(path))
    for prop in model.metadata_props:
        if prop.key == "spec_hash":
            prop.value = "stale"
    onnx.save(model, str(path))
    (tmp_path / "gupta_mica.onnx").write_bytes(b"not a graph")
    fresh = RiskEngine(dist=tmp_path)
    assert {"rcri", "gupta_mica", "lips"} <= set(fresh.rebuilt)
    meta = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert meta["spec_hash"] == spec.spec_hash and meta["model_id"] == "rcri" and meta["version"] == spec.version
    assert by_model(fresh.evaluate(FULL))["rcri"]["score"] == 1


def test_unwritable_graph_folder_builds_in_memory(tmp_path):
    blocker = tmp_path / "dist"
    blocker.write_text("a file where the graph folder should be")
    fresh = RiskEngine(dist=blocker)
    assert len(fresh.rebuilt) == 16
    assert by_model(fresh.evaluate(FULL))["ariscat"]["score"] == 18


def test_lips_flags_patients_without_a_predisposing_condition(engine):
    assert by_model(engine.evaluate(FULL))["lips"]["outside_derivation"] is True
    for extra in ({"pneumonia": True}, {"lips_high_risk_surgery": "spine"}, {"sepsis_status": "sepsis"},
                  {"lips_trauma": ["lung_contusion"]}, {"aspiration": True}):
        assert by_model(engine.evaluate(dict(FULL, **extra)))["lips"]["outside_derivation"] is False, extra
    assert by_model(engine.evaluate(dict(FULL, lips_trauma=[])))["lips"]["outside_derivation"] is True


def test_undecidable_derivation_check_is_said(engine):
    no_type = {k: v for k, v in FULL.items() if k != "procedure_type"}
    results = by_model(engine.evaluate(no_type))
    assert "未提供操作类型，无法判断是否超出推导人群" in results["gupta_mica"]["applicability_note"]
    assert results["gupta_mica"]["outside_derivation"] is False
    assert "未提供" not in by_model(engine.evaluate(FULL))["gupta_mica"]["applicability_note"]
    batch = engine.evaluate_batch([no_type] * 40)  # the column-wise path says the same
    assert by_model(batch[0])["gupta_mica"] == results["gupta_mica"]
