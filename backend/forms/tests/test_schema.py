"""The schema engine on its own (no database): normalisation on save, strict answer checks, voice parsing,
scoring and abnormal rules."""

import pytest

from core.errors import InvalidInput
from forms import schema as sm
from forms.defaults import DEFAULT_FORMS, POSTOP_FOLLOWUP
from forms.tests.conftest import SCHEMA


@pytest.mark.req("Y7")
def test_default_forms_are_valid_and_rules_normalised():
    for spec in DEFAULT_FORMS:
        sm.schema_clean(spec["schema"])
    clean = sm.schema_clean(POSTOP_FOLLOWUP["schema"])
    rules = {r["code"]: r["when"] for r in clean["rules"]}
    assert rules["pain_severe"] == {"question": "pain", "op": ">=", "value": 7}
    assert rules["fever"] == {"any": [{"question": "fever", "op": "==", "value": "yes"},
                                      {"question": "temperature", "op": ">=", "value": 37.3}]}
    assert rules["wound_abnormal"]["value"] == ["red", "oozing", "open"]
    assert sm.max_score(clean) == 5  # satisfaction only


@pytest.mark.req("Y7")
@pytest.mark.parametrize("broken, path", [
    ({"questions": []}, "schema.questions"),
    ({"questions": [{"key": "Pain", "type": "scale", "label": "x"}]}, "schema.questions.0.key"),
    ({"questions": [{"key": "a", "type": "slider", "label": "x"}]}, "schema.questions.0.type"),
    ({"questions": [{"key": "a", "type": "number", "label": "x", "min": 5, "max": 1}]}, "schema.questions.0.min"),
    ({"questions": [{"key": "a", "type": "single_choice", "label": "x", "options": [
        {"value": "o", "label": "1"}, {"value": "o", "label": "2"}]}]}, "schema.questions.0.options.1.value"),
    ({"questions": [{"key": "a", "type": "text", "label": "x"}],
      "rules": [{"code": "r", "label": "r", "when": "a == hello"}]}, "schema.rules.0.when"),
    ({"questions": [{"key": "a", "type": "yes_no", "label": "x"}],
      "rules": [{"code": "r", "label": "r", "when": "a == maybe"}]}, "schema.rules.0.when"),
    ({"questions": [{"key": "a", "type": "yes_no", "label": "x"}],
      "rules": [{"code": "r", "label": "r", "when": "a == yes", "tags": ["Bad Tag"]}]}, "schema.rules.0.tags"),
])
def test_schema_errors_name_the_field(broken, path):
    with pytest.raises(InvalidInput) as caught:
        sm.schema_clean(broken)
    assert path in caught.value.fields, caught.value.fields


@pytest.mark.req("Y7")
def test_voice_parsing_keypresses_and_speech():
    clean_schema = sm.schema_clean(POSTOP_FOLLOWUP["schema"])
    clean, missing = sm.answers_parse_schema(clean_schema, {
        "pain": "十", "fever": "1", "temperature": "三十八点五度", "bleeding": "没有出血", "wound": "2",
        "nausea": "有一点", "satisfaction": "不知道", "unknown": "x",
    })
    assert clean == {"pain": 10, "fever": "yes", "temperature": 38.5, "bleeding": "none", "wound": "red",
                     "nausea": "mild"}
    assert missing == ["satisfaction"]  # not understood: left for the next tier
    matched = [m["code"] for m in sm.abnormal(clean_schema, clean)]
    assert matched == ["pain", "pain_severe", "fever", "high_fever", "wound_abnormal"]


@pytest.mark.req("Y7")
def test_multi_choice_and_date_answers():
    schema = sm.schema_clean({"questions": [
        {"key": "symptoms", "type": "multi_choice", "label": "症状", "max_choices": 2, "options": [
            {"value": "cough", "label": "咳嗽", "score": 1}, {"value": "rash", "label": "皮疹", "score": 2},
            {"value": "itch", "label": "瘙痒", "score": 1}]},
        {"key": "seen_on", "type": "date", "label": "就诊日期", "required": False}],
        "rules": [{"code": "rash", "label": "皮疹", "when": "symptoms contains [rash]"}]})
    clean, missing = sm.answers_validate(schema, {"symptoms": ["rash", "cough"], "seen_on": "2026-03-01"})
    assert clean == {"symptoms": ["cough", "rash"], "seen_on": "2026-03-01"} and missing == []
    assert sm.score(schema, clean) == 3
    assert [m["code"] for m in sm.abnormal(schema, clean)] == ["rash"]
    with pytest.raises(InvalidInput) as caught:
        sm.answers_validate(schema, {"symptoms": ["rash", "cough", "itch"], "seen_on": "2026-02-30"})
    assert set(caught.value.fields) == {"answers.symptoms", "answers.seen_on"}
    assert sm.answers_parse_schema(schema, {"symptoms": "1、2"})[0] == {"symptoms": ["cough", "rash"]}


@pytest.mark.req("Y7")
def test_unanswered_questions_never_match_and_partial_is_allowed():
    schema = sm.schema_clean(SCHEMA)
    clean, missing = sm.answers_validate(schema, {"pain": 1}, allow_partial=True)
    assert missing == ["fever", "wound"]
    assert sm.abnormal(schema, clean) == []
    assert sm.score(schema, clean) == 0
