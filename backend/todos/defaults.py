"""The platform's default to-do rules (SA7). Synced into TodoRule rows without a hospital after every migrate
(`todos.services.todo_rules_sync_defaults`); a hospital overrides one by creating its own rule with the same key
(e.g. another audience, title or trigger, or `is_active: false` to switch it off).

Labels and titles are Chinese: hospital configuration shown as it is, not interface text. Matchers follow
core.event_rules and the issue-6 event contract (docs in /tmp/brief6.md "The event contract").
"""

# A case leaving the pathway before surgery ends its pre-operative work.
_CASE_ENDED = {"types": ["cases.case.cancelled", "cases.case.no_show_recorded", "cases.case.terminated"]}

DEFAULT_TODO_RULES = [
    {
        "key": "assign_surgeon", "label": "指定手术医生", "priority": "high",
        "title_template": "为{patient_name}（{procedure}，{surgery_date}）指定实际手术医生",
        "open_on": [{"types": ["cases.case.booked"], "where": {"data.booking_mode": ["virtual"]}}],
        "close_on": [{"types": ["cases.case.surgeon_assigned"]}, _CASE_ENDED],
        "subject_path": "", "audience_permission": "booking_policy.assign_surgeon", "audience_surgeon": False,
        "due": {"before_surgery_hours": 6}, "position": 10,
    },
    {
        "key": "review_high_risk", "label": "高风险患者评估", "priority": "high",
        "title_template": "评估高风险患者{patient_name}（{procedure}，{surgery_date}）",
        "open_on": [{"types": ["clinical.findings.flagged"], "where": {"data.high_risk": [True]}}],
        "close_on": [
            {"types": ["cases.case.preop_assessment_recorded"]},
            {"types": ["clinical.findings.flagged"], "where": {"data.high_risk": [False]}},
            _CASE_ENDED,
        ],
        "subject_path": "", "audience_permission": "cases.record_preop_assessment", "audience_surgeon": True,
        "due": {"before_surgery_hours": 24}, "position": 20,
    },
    {
        "key": "answer_wound_consultation", "label": "回复伤口咨询", "priority": "high",
        "title_template": "回复{patient_name}的伤口咨询（{procedure}）",
        "open_on": [{"types": ["consultation.wound.submitted"]}],
        "close_on": [{"types": ["consultation.wound.answered"]}],
        "subject_path": "data.consultation", "audience_permission": "consultation.answer_wound",
        "audience_surgeon": True, "due": {"after_hours": 24}, "position": 30,
    },
    {
        "key": "reply_consultation", "label": "回复在线咨询", "priority": "normal",
        "title_template": "回复{patient_name}的在线咨询",
        "open_on": [{"types": ["consultation.message.sent"], "where": {"data.sender": ["patient"]}}],
        "close_on": [{"types": ["consultation.message.sent"], "where": {"data.sender": ["staff"]}}],
        "subject_path": "data.conversation", "audience_permission": "consultation.chat", "audience_surgeon": False,
        "due": {"after_hours": 24}, "position": 40,
    },
    {
        "key": "manual_followup_call", "label": "人工随访电话", "priority": "normal",
        "title_template": "电话随访{patient_name}（{procedure}）",
        "open_on": [{"types": ["followup.manual_call.created"]}],
        # Closing the case's follow-up cancels its remaining tasks (followup.case_closed): no call is due then.
        "close_on": [{"types": ["followup.task.completed"]}, {"types": ["cases.case.closed"]}],
        "subject_path": "data.task", "audience_permission": "followup.record_call", "audience_surgeon": False,
        "due": {"path": "data.deadline"}, "position": 50,
    },
    {
        "key": "review_abnormal_answers", "label": "随访异常处理", "priority": "high",
        "title_template": "处理{patient_name}的异常随访回答（{procedure}）",
        # Follow-up answers (and the custom forms staff push after them, F8) only: a pre-op questionnaire's flags
        # are the pre-op team's (review_preop_answers), not the follow-up nurses'.
        "open_on": [{"types": ["forms.response.submitted"],
                     "where": {"data.has_abnormal": [True], "data.source": ["followup", "custom"]}}],
        # Only a later COMPLETE answer without abnormal values closes it: a partial (voice) answer that merely left
        # the abnormal question out says nothing about it.
        "close_on": [{"types": ["forms.response.submitted"],
                      "where": {"data.has_abnormal": [False], "data.complete": [True]}}],
        "subject_path": "data.assignment", "audience_permission": "followup.record_call", "audience_surgeon": True,
        "due": {"after_hours": 24}, "position": 60,
    },
    {
        "key": "review_preop_answers", "label": "术前问卷异常处理", "priority": "high",
        "title_template": "查看{patient_name}术前问卷中的异常回答（{procedure}，{surgery_date}）",
        "open_on": [{"types": ["forms.response.submitted"],
                     "where": {"data.has_abnormal": [True], "data.source": ["registration", "education"]}}],
        "close_on": [
            {"types": ["forms.response.submitted"], "where": {"data.has_abnormal": [False], "data.complete": [True]}},
            _CASE_ENDED,
        ],
        "subject_path": "data.assignment", "audience_permission": "cases.record_preop_assessment",
        "audience_surgeon": True, "due": {"before_surgery_hours": 24}, "position": 65,
    },
]
