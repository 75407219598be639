"""P2: bed-card icons come from ONE rules mechanism fed by case events (IconRule matchers → CaseIcon rows kept by
the outbox handler), rebuildable from the event history, configurable per hospital with validation and audit."""

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from audit.models import AuditEntry
from cases.models import CaseEvent
from cases.services import case_append_event, case_lock
from preop import services
from preop.models import CaseIcon, IconRule
from preop.tests.conftest import deliver, future
from tests.builders import (
    admin_token,
    authenticate,
    make_case,
    make_department,
    make_hospital,
    make_staff,
    make_ward,
)

pytestmark = [pytest.mark.django_db]


def _event(case, type, data=None):
    with transaction.atomic():
        return case_append_event(case_lock(case), type=type, actor=None, payload=data or {})


def _flag(case, *categories):
    flags = [{"category": c, "code": c.upper(), "label": f"{c} 标记", "rule": ""} for c in categories]
    return _event(case, "clinical.findings.flagged",
                  {"high_risk": bool(categories), "categories": list(categories), "flags": flags})


def _active(case):
    return {i.key: i.count for i in CaseIcon.objects.filter(case=case, active=True)}


def _card(client, case):
    response = client.get(f"/api/v1/bed-cards/{case.uuid}/")
    assert response.status_code == 200, response.content
    return response.json()


@pytest.mark.req("P2")
def test_alert_icons_follow_the_flagged_findings_and_clear_when_they_go(world):
    case = make_case("booked", ward=world["ward_a"], planned_date=future())
    _flag(case, "lab_threshold", "infectious")
    deliver()
    assert _active(case) == {"lab_abnormal": 1, "infectious": 1}
    _flag(case, "exam_keyword")  # the set changed: the lab and infectious findings are gone
    deliver()
    assert _active(case) == {"exam_abnormal": 1}
    _flag(case)  # the empty set clears every alert
    deliver()
    assert _active(case) == {}
    card = _card(authenticate(APIClient(), world["nurse_a"]), case)
    assert card["icons"] == {"alert": [], "lookup": [], "state": []}


@pytest.mark.req("P2")
def test_lookup_and_state_icons_from_messages_login_details_and_education(world):
    case = make_case("booked", ward=world["ward_a"], planned_date=future())
    _event(case, "messaging.message.sent", {"channel": "sms", "kind": "booking_notice", "status": "sent"})
    _event(case, "messaging.message.sent", {"channel": "wechat", "kind": "reminder", "status": "sent"})
    _event(case, "messaging.message.sent", {"channel": "sms", "kind": "reminder", "status": "failed"})
    _event(case, "education.material.read", {"kind": "discharge", "material": "m1", "title": "出院宣教"})
    deliver()
    assert _active(case) == {"messages_sent": 2}  # failed sends and discharge education do not count
    _event(case, "patient.app.logged_in")
    _event(case, "patient.details.completed")
    _event(case, "education.material.read", {"kind": "preop", "material": "m2", "title": "术前宣教"})
    deliver()
    assert _active(case) == {"messages_sent": 2, "app_logged_in": 1, "details_completed": 1, "education_read": 1}

    card = _card(authenticate(APIClient(), world["nurse_a"]), case)
    assert [i["key"] for i in card["icons"]["lookup"]] == ["messages_sent"]
    assert card["icons"]["lookup"][0]["count"] == 2 and card["icons"]["lookup"][0]["label"] == "已发短信"
    assert [i["key"] for i in card["icons"]["state"]] == ["app_logged_in", "details_completed", "education_read"]
    assert card["icons"]["state"][2]["detail"]["title"] == "术前宣教"
    messages = authenticate(APIClient(), world["nurse_a"]).get(f"/api/v1/preop/cases/{case.uuid}/messages/").json()
    assert [(m["channel"], m["kind"], m["status"]) for m in messages] == [
        ("sms", "reminder", "failed"), ("wechat", "reminder", "sent"), ("sms", "booking_notice", "sent")]


@pytest.mark.req("P2")
def test_events_applied_twice_or_out_of_order_never_undo_a_newer_state(world):
    case = make_case("booked", ward=world["ward_a"], planned_date=future())
    set_event = _flag(case, "infectious")
    clear_event = _flag(case)
    case = case_lock(case)
    newer, older = services.event_payload(clear_event, case), services.event_payload(set_event, case)
    with transaction.atomic():
        assert services.case_icons_apply(newer) == []  # nothing was shown yet: clearing changes nothing visible
        assert services.case_icons_apply(older) == []  # older than the state it would change: ignored
    assert _active(case) == {}
    sent = _event(case, "messaging.message.sent", {"channel": "sms", "kind": "x", "status": "sent"})
    payload = services.event_payload(sent, case)
    with transaction.atomic():
        assert services.case_icons_apply(payload) == ["messages_sent"]
        assert services.case_icons_apply(payload) == []  # a redelivery counts nothing twice
    assert _active(case) == {"messages_sent": 1}


@pytest.mark.req("P2")
def test_icons_rebuild_from_the_event_history(world):
    cases = [make_case("booked", ward=world["ward_a"], planned_date=future()) for _n in range(3)]
    _flag(cases[0], "lab_threshold")
    _event(cases[1], "patient.app.logged_in")
    for _n in range(3):
        _event(cases[2], "messaging.message.sent", {"channel": "sms", "kind": "x", "status": "sent"})
    deliver()
    expected = [_active(c) for c in cases]
    CaseIcon.objects.all().delete()  # a lost table, or messages that never reached the handler
    out = []
    call_command("preop_rebuild_icons", "--all", stdout=_Writer(out))
    assert [_active(c) for c in cases] == expected == [{"lab_abnormal": 1}, {"app_logged_in": 1},
                                                       {"messages_sent": 3}]
    assert any("3/3" in line for line in out)
    assert services.case_icons_rebuild(cases[0]) is False  # already in step: nothing changes


class _Writer:
    def __init__(self, lines):
        self.lines = lines

    def write(self, text):
        self.lines.append(text)

    def flush(self):
        pass


@pytest.mark.req("P2")
def test_hospital_rules_override_defaults_through_the_admin_api_with_validation_and_audit(world):
    case = make_case("booked", ward=world["ward_a"], planned_date=future())
    _flag(case, "infectious")
    _event(case, "consent.document.completed", {"document": "x"})
    deliver()
    assert _active(case) == {"infectious": 1}
    admin = APIClient()
    admin.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(world['admin'])}")
    rules = admin.get("/api/v1/icon-rules/").json()
    default = next(r for r in rules if r["key"] == "infectious")
    assert default["source"] == "default"
    refused = admin.patch(f"/api/v1/icon-rules/{default['uuid']}/", {"label": "传"}, format="json")
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "icon_rule_default_read_only"

    # Switch the default off for this hospital: the icon leaves the card at once and the rows are rebuilt.
    off = admin.post("/api/v1/icon-rules/", {
        "key": "infectious", "icon_class": "alert", "label": "传染病", "set_on": default["set_on"],
        "is_active": False}, format="json")
    assert off.status_code == 201, off.content
    deliver()
    assert _active(case) == {}
    # A rule of the hospital's own: consent signed (a state marker), applied to the existing history.
    created = admin.post("/api/v1/icon-rules/", {
        "key": "consent_signed", "icon_class": "state", "label": "已签知情同意", "colour": "green",
        "set_on": {"types": ["consent.document.completed"]}}, format="json")
    assert created.status_code == 201, created.content
    deliver()
    assert _active(case) == {"consent_signed": 1}
    card = _card(authenticate(APIClient(), world["nurse_a"]), case)
    assert [i["label"] for i in card["icons"]["state"]] == ["已签知情同意"]

    bad = admin.post("/api/v1/icon-rules/", {"key": "Bad Key", "icon_class": "alert", "label": "x",
                                             "set_on": {"types": []}}, format="json")
    assert bad.status_code == 400 and {"key", "set_on"} <= set(bad.json()["error"]["fields"])
    taken = admin.post("/api/v1/icon-rules/", {"key": "consent_signed", "icon_class": "state", "label": "y",
                                               "set_on": {"types": ["x.y"]}}, format="json")
    assert taken.status_code == 409
    assert AuditEntry.objects.filter(target_type="preop.iconrule", action="create").count() == 2

    # Deleting the override brings the default back (and its icon, rebuilt from the history).
    assert admin.delete(f"/api/v1/icon-rules/{off.json()['uuid']}/").status_code == 204
    deliver()
    assert _active(case) == {"consent_signed": 1, "infectious": 1}

    # Another hospital's administrator neither sees nor edits this hospital's rules; nurses cannot edit.
    other_hospital, _c = make_hospital(code="H999")
    stranger = make_staff("hospital_admin", department=make_department(hospital=other_hospital))
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {admin_token(stranger)}")
    assert "consent_signed" not in {r["key"] for r in other.get("/api/v1/icon-rules/").json()}
    assert other.patch(f"/api/v1/icon-rules/{created.json()['uuid']}/", {"label": "z"},
                       format="json").status_code == 404
    nurse = authenticate(APIClient(), world["nurse_a"])
    assert nurse.post("/api/v1/icon-rules/", {}, format="json").status_code == 403
    assert IconRule.objects.filter(hospital__isnull=True).count() == 7


@pytest.mark.req("P2")
def test_bed_board_query_count_is_constant_and_demographics_are_masked_by_permission(world):
    def board(n):
        for _i in range(n):
            case = make_case("booked", ward=world["ward_a"], planned_date=future(5))
            _flag(case, "lab_threshold")
            _event(case, "patient.app.logged_in")
        deliver()
        client = authenticate(APIClient(), world["nurse_a"])
        client.get("/api/v1/bed-cards/", {"date": str(future(5))})  # warm-up: session and activity stamps
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/api/v1/bed-cards/", {"date": str(future(5)), "page_size": 50}).json()
        return body, len(queries)

    small, few = board(2)
    large, many = board(6)
    assert small["count"] == 2 and large["count"] == 8
    assert few == many, "the board must not query per card"
    card = large["results"][0]
    assert card["icons"]["alert"][0]["key"] == "lab_abnormal" and card["icons"]["state"][0]["key"] == "app_logged_in"
    assert card["assessment"]["preop_assessment_status"] == "pending" and not card["patient"]["masked"]
    case = CaseEvent.objects.filter(case__uuid=card["case"]).first().case
    assert card["patient"]["name"] == case.patient.name and card["patient"]["phone"] == case.patient.phone

    masked = authenticate(APIClient(), world["followup_a"]).get(
        "/api/v1/bed-cards/", {"date": str(future(5))}).json()["results"][0]
    assert masked["patient"]["masked"] and "*" in masked["patient"]["name"] and "*" in masked["patient"]["phone"]
    other_ward = authenticate(APIClient(), world["nurse_b"])
    assert other_ward.get("/api/v1/bed-cards/", {"date": str(future(5))}).json()["count"] == 0
    assert other_ward.get(f"/api/v1/bed-cards/{card['case']}/").status_code == 404


@pytest.mark.req("P2")
def test_an_icon_change_is_pushed_to_the_ward_after_commit_without_personal_data(world, monkeypatch):
    pushed = []
    monkeypatch.setattr(services, "publish_on_commit", lambda group, event, payload: pushed.append(
        (group, event, payload)))
    case = make_case("booked", ward=world["ward_a"], planned_date=future())
    _event(case, "patient.details.completed")
    _event(case, "cases.case.details_updated", {"fields": ["remarks"]})  # no rule matches: no push
    deliver()
    assert pushed == [(f"ward.{world['ward_a'].pk}", "preop.bed_card.changed", {
        "case": str(case.uuid), "ward": str(world["ward_a"].uuid), "sequence": pushed[0][2]["sequence"],
        "icons": ["details_completed"]})]
    assert case.patient.name not in str(pushed)


def test_unrelated_wards_and_other_hospitals_use_their_own_rules(world):
    other_hospital, _c = make_hospital(code="H777")
    ward = make_ward(department=make_department(hospital=other_hospital))
    IconRule.objects.create(hospital=other_hospital, key="messages_sent", icon_class="lookup", label="已推送",
                            set_on={"types": ["messaging.message.sent"]}, is_active=False)
    here = make_case("booked", ward=world["ward_a"], planned_date=future())
    there = make_case("booked", ward=ward, planned_date=future())
    for case in (here, there):
        _event(case, "messaging.message.sent", {"channel": "sms", "kind": "x", "status": "sent"})
    deliver()
    assert _active(here) == {"messages_sent": 1} and _active(there) == {}


@pytest.mark.req("P2")
def test_alert_details_name_findings_only_to_staff_who_may_read_results(world):
    # The alert icon shows on every card; which test was positive (e.g. HIV reactive) is a clinical result: staff
    # without clinical.view_results (follow-up nurses, administrators, quality) see the icon, not the findings.
    case = make_case("booked", ward=world["ward_a"], planned_date=future())
    _flag(case, "infectious")
    deliver()
    nurse = _card(authenticate(APIClient(), world["nurse_a"]), case)["icons"]["alert"]
    assert nurse[0]["key"] == "infectious" and nurse[0]["detail"]["flags"][0]["label"] == "infectious 标记"
    followup = _card(authenticate(APIClient(), world["followup_a"]), case)["icons"]["alert"]
    assert followup[0]["key"] == "infectious" and followup[0]["detail"] == {}
