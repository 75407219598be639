"""Plans: triggers and filters select exactly the patients who need a message (W1, Y10); templates are versioned
and each message keeps the version it used (W3); hospitals override built-in plans by key."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from cases.services import case_append_event, case_lock, case_transition
from messaging.models import Message, MessagePlan
from messaging.services import (
    offset_plans_run,
    plan_create,
    plan_update,
    plans_on_case_event,
    template_create,
)
from tests.builders import make_case, make_department, make_patient, make_staff, make_ward

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("hospital_sim")]


def _at(day, hour, minute=0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def _record(case, type_, data):
    from django.db import transaction

    with transaction.atomic():
        return case_append_event(case_lock(case), type=type_, actor=None, payload=data)


def _patients_messaged(plan_key):
    return {m.case_id for m in Message.objects.filter(plan_key=plan_key, recipient_kind="patient")}


@pytest.mark.req("W1", "Y10")
def test_time_offset_and_filters_select_exactly_the_patients_who_need_the_message(deliver, case_of):
    """The built-in D-3 education reminder: only pre-admission cases three days ahead whose patient has not read
    the pre-op education; running the job again sends nothing new."""
    day = timezone.localdate() + timedelta(days=3)
    read = case_of("booked", days=3)
    unread = case_of("scheduled", days=3)
    read_admission_only = case_of("booked", days=3)
    cancelled = case_of("cancelled", days=3)
    other_day = case_of("booked", days=4)
    _record(read, "education.material.read", {"kind": "preop", "material": "m1", "title": "术前须知"})
    _record(read_admission_only, "education.material.read", {"kind": "admission", "material": "m2", "title": "入院"})
    # The plan's time: 08:00 on the surgery day minus 2 days 22 hours = 10:00 three days before; window 12 h.
    now = _at(day, 8) - timedelta(days=2, hours=22) + timedelta(minutes=5)

    made = deliver(offset_plans_run, now=now)

    assert _patients_messaged("education_reminder") == {unread.pk, read_admission_only.pk}
    assert made == 2
    assert other_day.pk not in _patients_messaged("education_reminder")
    assert cancelled.pk not in _patients_messaged("education_reminder")
    assert deliver(offset_plans_run, now=now + timedelta(hours=1)) == 0  # idempotent
    # Before the window opens nothing is sent either.
    assert offset_plans_run(now=now - timedelta(hours=1)) == 0
    message = Message.objects.get(case=unread, plan_key="education_reminder")
    assert message.link == f"/pages/education/list?case={unread.uuid}"
    assert f"https://patient.example.invalid/pages/education/list?case={unread.uuid}" in message.body


@pytest.mark.req("W1")
def test_a_rescheduled_surgery_is_a_new_anchor(deliver, case_of):
    case = case_of("booked", days=1)
    eve = _at(case.planned_date, 8) - timedelta(hours=16) + timedelta(minutes=1)
    assert deliver(offset_plans_run, now=eve) == 1
    case_transition(case=case, transition="reschedule", actor=None, planned_date=case.planned_date + timedelta(days=2),
                    reason="患者要求")
    case.refresh_from_db()
    assert deliver(offset_plans_run, now=_at(case.planned_date, 8) - timedelta(hours=16) + timedelta(minutes=1)) == 1
    assert Message.objects.filter(case=case, plan_key="surgery_eve_reminder").count() == 2


@pytest.mark.req("W1", "Y10")
def test_event_trigger_with_condition_and_filter(deliver, ward, case_of):
    """A hospital plan: when a form is assigned with notify, remind only patients who have not confirmed."""
    plan_create(actor=None, hospital=ward.department.hospital, key="confirm_ask", name="请确认手术",
                trigger_kind="event", trigger={"types": ["forms.form.assigned"], "where": {"data.source": ["custom"]}},
                filters=[{"name": "not_confirmed"}], audiences=["patient"], patient_channels=["sms"],
                template={"patient_title": "请确认", "patient_body": "请确认{procedure}：{link}"})
    confirmed, unconfirmed, other_source = case_of("booked"), case_of("booked"), case_of("booked")
    _record(confirmed, "patient.attendance.confirmed", {})
    for case, source in ((confirmed, "custom"), (unconfirmed, "custom"), (other_source, "followup")):
        deliver(_record, case, "forms.form.assigned", {"assignment": "a", "form": "f", "title": "确认单",
                                                         "source": source, "link": "/pages/forms/fill?assignment=a",
                                                         "notify": False})
    assert _patients_messaged("confirm_ask") == {unconfirmed.pk}
    message = Message.objects.get(plan_key="confirm_ask")
    assert message.body.endswith("https://patient.example.invalid/pages/forms/fill?assignment=a")


@pytest.mark.req("W3", "Y10")
def test_templates_are_versioned_and_messages_keep_their_version(deliver, ward, case_of):
    from catalog.models import Procedure

    procedure = Procedure.objects.create(code="45.2301", name="结肠镜检查", grade=1, incision_class="0类")
    plan = plan_create(actor=None, hospital=ward.department.hospital, key="sched", name="排程",
                       trigger_kind="event", trigger={"types": ["cases.case.theatre_scheduled"]},
                       audiences=["patient"], patient_channels=[],
                       template={"patient_title": "排程 v1", "patient_body": "第一版：{surgery_date}"})
    first = case_of("application_sent")
    deliver(case_transition, case=first, transition="theatre_scheduled", actor=None)

    v2 = template_create(actor=None, plan=plan, patient_title="排程 v2", patient_body="第二版：{procedure}")
    colonoscopy = template_create(actor=None, plan=plan, procedure=procedure, patient_title="肠镜排程",
                                  patient_body="请按时服用泻药：{surgery_date}")
    second = case_of("application_sent")
    third = case_of("application_sent")
    third.procedure_code = "45.2301"
    third.save(update_fields=["procedure_code"])
    for case in (second, third):
        deliver(case_transition, case=case, transition="theatre_scheduled", actor=None)

    one, two, three = (Message.objects.get(case=c, plan_key="sched") for c in (first, second, third))
    assert (one.template_version, one.title, one.body) == (1, "排程 v1", f"第一版：{first.planned_date}")
    assert (two.template_version, two.template, two.title) == (2, v2, "排程 v2")
    assert (three.template, three.title) == (colonoscopy, "肠镜排程")
    one.refresh_from_db()
    assert one.title == "排程 v1"  # the sent text never changes
    assert (one.status, one.channel) == ("sent", "inbox")  # no external channel: the in-app inbox only
    assert list(plan.templates.filter(procedure__isnull=True).values_list("version", flat=True)) == [2, 1]


@pytest.mark.req("Y10")
def test_a_hospital_plan_overrides_the_builtin_one_for_its_hospital_only(deliver, case_of, ward):
    own_hospital = ward.department.hospital
    plan_create(actor=None, hospital=own_hospital, key="theatre_scheduled", name="排程（停用）",
                trigger_kind="event", trigger={"types": ["cases.case.theatre_scheduled"]}, audiences=["patient"],
                is_active=False)
    from tests.builders import make_hospital

    other_hospital, _campus = make_hospital(code="H777")
    other_ward = make_ward(department=make_department(code="D777", hospital=other_hospital))
    here = case_of("application_sent")
    there = make_case("application_sent", ward=other_ward, surgeon=make_staff("doctor", ward=other_ward),
                      patient=make_patient())
    for case in (here, there):
        deliver(case_transition, case=case, transition="theatre_scheduled", actor=None)
    assert _patients_messaged("theatre_scheduled") == {there.pk}


@pytest.mark.req("Y10")
def test_plan_changes_are_validated_with_field_errors(ward):
    from core.errors import InvalidInput

    hospital = ward.department.hospital
    common = {"actor": None, "hospital": hospital, "name": "x", "audiences": ["patient"]}
    cases = [
        ({"key": "a", "trigger_kind": "event", "trigger": {"types": ["messaging.message.sent"]}}, "trigger"),
        ({"key": "b", "trigger_kind": "event", "trigger": {"types": []}}, "trigger"),
        ({"key": "c", "trigger_kind": "offset", "anchor": ""}, "anchor"),
        ({"key": "d", "trigger_kind": "offset", "anchor": "surgery", "filters": [{"name": "nope"}]}, "filters"),
        ({"key": "e", "trigger_kind": "offset", "anchor": "surgery",
          "filters": [{"name": "case_state_in", "params": {"states": ["flying"]}}]}, "filters"),
        ({"key": "f", "trigger_kind": "offset", "anchor": "surgery", "patient_channels": ["fcm"]}, "patient_channels"),
        ({"key": "g", "trigger_kind": "offset", "anchor": "surgery",
          "template": {"patient_title": "t", "patient_body": "{unknown_thing}"}}, "patient_body"),
        ({"key": "h", "trigger_kind": "offset", "anchor": "surgery", "manager_permission": "no.such"},
         "manager_permission"),
    ]
    for values, field in cases:
        with pytest.raises(InvalidInput) as exc:
            plan_create(**common, **values)
        assert field in exc.value.fields, (values, exc.value.fields)
    assert not MessagePlan.objects.filter(hospital=hospital).exists()
    plan = plan_create(**common, key="ok", trigger_kind="offset", anchor="discharge", offset_minutes=24 * 60)
    plan = plan_update(actor=None, plan=plan, window_minutes=60)
    assert plan.version == 2


@pytest.mark.req("W1")
def test_discharge_anchor_and_a_plan_never_reacts_to_messaging_events(deliver, ward, case_of):
    plan_create(actor=None, hospital=ward.department.hospital, key="day1", name="出院次日", trigger_kind="offset",
                anchor="discharge", offset_minutes=24 * 60, window_minutes=120, audiences=["patient"],
                template={"patient_title": "出院次日问候", "patient_body": "{patient_name}您好"})
    case = case_of("discharged", days=0)
    case.refresh_from_db()
    assert deliver(offset_plans_run, now=case.discharged_at + timedelta(hours=24, minutes=30)) == 1
    assert plans_on_case_event("messaging.message.sent", {"case": str(case.uuid), "event": "x", "sequence": 1,
                                                          "data": {}}) == []


@pytest.mark.req("W1")
def test_named_filters_exam_missing_and_unanswered_forms(case_of):
    from django.utils import timezone as tz

    from clinical.models import LabReport
    from messaging.filters import case_passes

    with_labs, without = case_of("booked"), case_of("booked")
    LabReport.objects.create(patient=with_labs.patient, visit_no=with_labs.visit_no, report_no="LR-MSG-1",
                             name="血常规", fetched_at=tz.now())
    missing = [{"name": "results_missing", "params": {"kind": "any"}}]
    assert not case_passes(with_labs, missing) and case_passes(without, missing)
    assert case_passes(with_labs, [{"name": "results_missing", "params": {"kind": "exam"}}])

    unanswered = [{"name": "form_not_submitted", "params": {"source": "followup"}}]
    assert not case_passes(without, unanswered)
    _record(without, "forms.form.assigned", {"assignment": "A1", "source": "followup"})
    assert case_passes(without, unanswered)
    _record(without, "forms.response.submitted", {"assignment": "A1", "source": "followup", "complete": False})
    assert case_passes(without, unanswered)  # a partial voice answer is not done
    _record(without, "forms.response.submitted", {"assignment": "A1", "source": "followup", "complete": True})
    assert not case_passes(without, unanswered)
    assert not case_passes(without, [{"name": "removed_from_the_code"}])  # an unknown filter selects nobody


@pytest.mark.req("W1")
def test_followup_self_report_link_goes_wechat_first_with_the_link(deliver, case_of):
    """The follow-up context's tier 2 (contract: followup.selfreport.requested {task, assignment, link,
    deadline}): the patient gets the mobile form's link with a readable deadline."""
    case = case_of("discharged", days=0)
    deliver(_record, case, "followup.selfreport.requested", {
        "task": "t1", "assignment": "a1", "link": "/pages/forms/fill?assignment=a1",
        "deadline": "2026-11-28T10:00:00+08:00", "label": "术后第1天"})
    [message] = Message.objects.filter(case=case, plan_key="followup_selfreport")
    assert message.link == "/pages/forms/fill?assignment=a1" and message.channels == ["wechat", "sms"]
    assert message.body.endswith("请于2026-11-28 10:00前填写术后第1天术后随访问卷："
                                 "https://patient.example.invalid/pages/forms/fill?assignment=a1")
    assert message.status == "sent" and message.channel == "sms"  # no WeChat account: the SMS fallback
