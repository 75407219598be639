"""Event matchers: the configuration data behind bed-card icons and timeline nodes."""

import pytest

from core.errors import InvalidInput
from core.event_rules import event_matcher_clean, event_matches

ASSESSED = {"types": ["cases.case.preop_assessment_recorded"], "where": {"data.to": ["passed", "needs_attention"]}}


def test_type_patterns_and_payload_conditions():
    assert event_matches(ASSESSED, "cases.case.preop_assessment_recorded", {"data": {"to": "passed"}})
    assert not event_matches(ASSESSED, "cases.case.preop_assessment_recorded", {"data": {"to": "not_suitable"}})
    assert not event_matches(ASSESSED, "cases.case.booked", {"data": {"to": "passed"}})
    assert event_matches({"types": ["cases.case.*"]}, "cases.case.booked", {})
    assert not event_matches({"types": ["cases.case.*"]}, "consent.document.completed", {})


def test_a_list_in_the_payload_matches_when_any_item_is_accepted():
    flagged = {"types": ["clinical.findings.flagged"], "where": {"data.categories": ["infectious"]}}
    assert event_matches(flagged, "clinical.findings.flagged", {"data": {"categories": ["lab_threshold", "infectious"]}})
    assert not event_matches(flagged, "clinical.findings.flagged", {"data": {"categories": ["lab_threshold"]}})
    assert not event_matches(flagged, "clinical.findings.flagged", {"data": {"categories": []}})
    assert not event_matches(flagged, "clinical.findings.flagged", {"data": {"categories": [["infectious"]]}})


def test_a_missing_path_matches_nothing():
    assert not event_matches(ASSESSED, "cases.case.preop_assessment_recorded", {"data": {}})
    assert not event_matches(ASSESSED, "cases.case.preop_assessment_recorded", None)
    assert not event_matches({}, "cases.case.booked", {})


@pytest.mark.parametrize("bad", [
    None, [], {"types": []}, {"types": "cases.*"}, {"types": [""]}, {"types": ["a"], "extra": 1},
    {"types": ["a"], "where": {"data..to": ["x"]}}, {"types": ["a"], "where": {"data.to": []}},
    {"types": ["a"], "where": {"data.to": [{"nested": 1}]}}, {"types": ["a"], "where": ["data.to"]},
])
def test_admin_input_is_validated_with_a_field_message(bad):
    with pytest.raises(InvalidInput) as caught:
        event_matcher_clean(bad, "trigger")
    assert "trigger" in caught.value.fields


def test_clean_normalises():
    assert event_matcher_clean({"types": [" cases.case.booked "]}) == {"types": ["cases.case.booked"], "where": {}}
