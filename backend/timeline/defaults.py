"""The platform's default timeline (T2, G2): the nodes every hospital starts with, as data.

Seeded as definitions without a hospital (migration 0002 and `timeline_defaults_sync`); a hospital overrides a node
by key through the admin API. Triggers use the case events of every context (see /tmp brief: the contract):

- application      ← cases.case.application_sent, reset by application_rolled_back
- anaesthesia      ← cases.case.anaesthesia_clinic_recorded (data.to passed / failed / pending)
- preop_assessment ← cases.case.preop_assessment_recorded (data.to)
- education        ← education.material.read (data.kind)
- admission        ← stay.admission.registered or cases.case.admitted
- discharge        ← stay.discharge_assessment.recorded (data.passed), stay.discharge.instructions_given
- follow_up        ← cases.case.follow_up_started / closed

Names are Chinese: they are hospital data (what the screens show), not interface strings.
"""

from datetime import time

# A case that ended before the node could happen: the node no longer applies.
ENDED = ["cases.case.cancelled", "cases.case.no_show_recorded", "cases.case.terminated"]
ENDED_OR_TRANSFERRED = [*ENDED, "cases.case.transferred_to_inpatient"]


def _on(*types, **where):
    """One matcher (core.event_rules): any of `types`, with every `where` path (data__to → "data.to") accepted."""
    matcher = {"types": list(types)}
    if where:
        matcher["where"] = {path.replace("__", "."): values for path, values in where.items()}
    return matcher


def _any(*matchers):
    """A trigger: a list of matchers, any of which fires it."""
    return list(matchers)


DEFAULT_NODES = [
    {
        "key": "booking", "order": 10, "name": "预约登记", "patient_name": "预约成功",
        "description": "日间手术预约确认，占用床位资源并生成入院证。",
        "patient_description": "您的日间手术已预约成功，请留意入院通知。",
        "audience": "both", "detail_kind": "booking",
        "start_on": _any(_on("booking.draft_started")),
        "complete_on": _any(_on("cases.case.booked")),
        "reset_on": _any(_on("cases.case.resumed")),
        "skip_on": _any(_on(*ENDED, "cases.case.moved_to_pending_pool")),
    },
    {
        "key": "notification", "order": 20, "name": "入院通知", "patient_name": "",
        "description": "入院通知（短信/微信）已被网关接收。",
        "audience": "staff", "detail_kind": "messages",
        "complete_on": _any(_on("messaging.message.sent", data__status=["sent"])),
        "skip_on": _any(_on(*ENDED)),
        "expected_anchor": "event", "expected_anchor_ref": "cases.case.booked",
        "expected_offset_hours": 2, "overdue_after_minutes": 0,
    },
    {
        "key": "preop_education", "order": 30, "name": "术前/入院宣教", "patient_name": "阅读术前宣教",
        "description": "患者在移动端阅读术前或入院宣教资料。",
        "patient_description": "请在手术前一天阅读术前宣教资料，了解禁食禁饮等注意事项。",
        "audience": "both", "detail_kind": "education",
        "complete_on": _any(_on("education.material.read", data__kind=["preop", "admission"])),
        "skip_on": _any(_on(*ENDED)),
        "expected_anchor": "surgery_date", "expected_offset_days": -1, "expected_time": time(20, 0),
        "overdue_after_minutes": 0,
    },
    {
        "key": "anaesthesia_assessment", "order": 40, "name": "麻醉评估", "patient_name": "麻醉评估",
        "description": "麻醉门诊评估结论（通过/不通过）。",
        "patient_description": "请按预约时间到麻醉门诊完成评估。",
        "audience": "both", "detail_kind": "anaesthesia",
        "complete_on": _any(_on("cases.case.anaesthesia_clinic_recorded", data__to=["passed"])),
        "fail_on": _any(_on("cases.case.anaesthesia_clinic_recorded", data__to=["failed"]),
                        _on("cases.case.terminated")),
        "reset_on": _any(_on("cases.case.anaesthesia_clinic_recorded", data__to=["pending"])),
        "skip_on": _any(_on("cases.case.anaesthesia_clinic_recorded", data__to=["not_required"]),
                        _on("cases.case.cancelled", "cases.case.no_show_recorded")),
        "skip_when": {"anaesthesia_clinic_status": ["not_required"]},
        "expected_anchor": "surgery_date", "expected_offset_days": -1, "expected_time": time(12, 0),
        "overdue_after_minutes": 0,
    },
    {
        "key": "preop_assessment", "order": 50, "name": "术前评估", "patient_name": "医生评估",
        "description": "主刀医生结合检查检验结果作出术前评估结论。",
        "patient_description": "医生正在根据您的检查检验结果进行术前评估。",
        "audience": "both", "detail_kind": "preop_assessment",
        "start_on": _any(_on("clinical.findings.flagged")),
        "complete_on": _any(_on("cases.case.preop_assessment_recorded", data__to=["passed", "needs_attention"])),
        "fail_on": _any(_on("cases.case.preop_assessment_recorded", data__to=["not_suitable"])),
        "reset_on": _any(_on("cases.case.preop_assessment_recorded", data__to=["pending"])),
        "skip_on": _any(_on(*ENDED)),
        "expected_anchor": "surgery_date", "expected_offset_days": -1, "expected_time": time(12, 0),
        "overdue_after_minutes": 0,
    },
    {
        "key": "application", "order": 60, "name": "日间手术申请", "patient_name": "手术申请",
        "description": "术前评估通过后向手术室发送手术申请。",
        "patient_description": "医院已为您提交手术申请。",
        "audience": "both", "detail_kind": "theatre_schedule",
        "complete_on": _any(_on("cases.case.application_sent")),
        "reset_on": _any(_on("cases.case.application_rolled_back")),
        "skip_on": _any(_on(*ENDED)),
        "expected_anchor": "surgery_date", "expected_offset_days": -1, "expected_time": time(15, 0),
        "overdue_after_minutes": 0,
    },
    {
        "key": "theatre_scheduling", "order": 70, "name": "手术排程", "patient_name": "手术安排",
        "description": "手术室排程：手术间、台次与预计开始时间。",
        "patient_description": "手术室已为您安排手术时间。",
        "audience": "both", "detail_kind": "theatre_schedule",
        "start_on": _any(_on("cases.case.application_sent", "cases.case.theatre_schedule_cancelled",
                             "scheduling.application.submitted")),
        "complete_on": _any(_on("cases.case.theatre_scheduled")),
        "fail_on": _any(_on("scheduling.application.failed")),
        "reset_on": _any(_on("cases.case.application_rolled_back", "cases.case.theatre_schedule_cancelled")),
        "skip_on": _any(_on("cases.case.application_sent", data__excluded_from_scheduling=[True]),
                        _on(*ENDED)),
        "expected_anchor": "surgery_date", "expected_offset_days": -1, "expected_time": time(18, 0),
        "overdue_after_minutes": 0,
    },
    {
        "key": "admission_registration", "order": 80, "name": "住院登记", "patient_name": "办理入院",
        "description": "手术日办理入院登记（HIS 入院、床位）。",
        "patient_description": "请于手术当日按通知时间到日间病房办理入院。",
        "audience": "both", "detail_kind": "admission",
        "complete_on": _any(_on("stay.admission.registered", "cases.case.admitted")),
        "skip_on": _any(_on(*ENDED)),
        "expected_anchor": "surgery_date", "expected_offset_days": 0, "expected_time": time(9, 0),
        "overdue_after_minutes": 60,
    },
    {
        "key": "operation", "order": 90, "name": "手术", "patient_name": "手术",
        "description": "入手术室至手术结束。",
        "patient_description": "手术进行中，家属请在等候区等候。",
        "audience": "both", "detail_kind": "operation",
        "start_on": _any(_on("cases.case.entered_theatre")),
        "complete_on": _any(_on("cases.case.operated")),
        "skip_on": _any(_on(*ENDED)),
    },
    {
        "key": "discharge_assessment", "order": 100, "name": "出院评估", "patient_name": "",
        "description": "出院评估（PADS 评分 ≥ 9 分可出院）。",
        "audience": "staff", "detail_kind": "discharge",
        "start_on": _any(_on("stay.discharge_assessment.recorded", data__passed=[False])),
        "complete_on": _any(_on("stay.discharge_assessment.recorded", data__passed=[True])),
        "skip_on": _any(_on(*ENDED_OR_TRANSFERRED)),
        "expected_anchor": "event", "expected_anchor_ref": "cases.case.admitted",
        "expected_offset_hours": 22, "overdue_after_minutes": 0,
    },
    {
        "key": "discharge_education", "order": 110, "name": "出院宣教", "patient_name": "出院指导",
        "description": "出院医嘱与注意事项已交代，或患者已阅读出院宣教。",
        "patient_description": "请阅读出院注意事项，按医嘱换药、复诊。",
        "audience": "both", "detail_kind": "discharge",
        "complete_on": _any(_on("stay.discharge.instructions_given"),
                            _on("education.material.read", data__kind=["discharge"])),
        "skip_on": _any(_on(*ENDED_OR_TRANSFERRED)),
        "expected_anchor": "event", "expected_anchor_ref": "cases.case.discharged",
        "expected_offset_hours": 2, "overdue_after_minutes": 0,
    },
    {
        "key": "follow_up", "order": 120, "name": "术后随访", "patient_name": "术后随访",
        "description": "出院后 48 小时内开始随访，随访结束后结案。",
        "patient_description": "出院后医护人员会与您联系随访，请保持电话畅通。",
        "audience": "both", "detail_kind": "follow_up",
        "start_on": _any(_on("cases.case.follow_up_started")),
        "complete_on": _any(_on("cases.case.closed")),
        "skip_on": _any(_on(*ENDED_OR_TRANSFERRED)),
        "expected_anchor": "event", "expected_anchor_ref": "cases.case.discharged",
        "expected_offset_hours": 48, "due_for": "start", "overdue_after_minutes": 0,
    },
]

# Outpatient surgery (门诊手术) has no admission or inpatient discharge (U4): the defaults hide those nodes there.
OUTPATIENT_HIDDEN = ["admission_registration", "discharge_assessment"]
