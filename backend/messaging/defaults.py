"""The platform's built-in message plans (W1, W2, PA7, M5 and the follow-up, form, consultation and recovery
notices). Synced into plans without a hospital after every migrate (`messaging.services.plans_sync_defaults`); a
hospital overrides one by creating its own plan with the same key (e.g. other channels, switched off), and edits
its text as new template versions. Texts are Chinese: they are hospital content, sent as they are.
"""

PRE_ADMISSION = ["booked", "application_sent", "scheduled"]
PATIENT_FIRST = ["wechat", "sms"]
# PA7 progress notices go to the patient app (subscribe message + inbox): SMS is kept for changes and actions.
APP_ONLY = ["wechat"]


def _on(type_, **where):
    matcher = {"types": [type_]}
    if where:
        matcher["where"] = {k.replace("__", "."): v for k, v in where.items()}
    return matcher


DEFAULT_PLANS = [
    {
        "key": "case_cancelled", "name": "手术取消通知（医院取消）", "kind": "case_cancelled",
        "description": "W2 内置服务点：医院取消手术时通知患者与主刀医生",
        "trigger_kind": "event", "trigger": _on("cases.case.cancelled", actor__type=["staff", "system"]),
        "audiences": ["patient", "surgeon"], "patient_channels": PATIENT_FIRST, "staff_channels": ["fcm"],
        "pathway_node": "", "link": "/pages/cases/detail?case={case}",
        "template": {
            "patient_title": "手术取消通知",
            "patient_body": "{patient_name}您好，您原定于{surgery_date}在{ward}进行的{procedure}已取消，原因：{cancel_reason}。"
                            "如有疑问请致电{ward_phone}。",
            "staff_title": "手术已取消",
            "staff_body": "患者{patient_name_masked}原定{surgery_date}的{procedure}已取消，原因：{cancel_reason}。",
        },
    },
    {
        "key": "case_cancelled_by_patient", "name": "患者取消手术通知", "kind": "case_cancelled_by_patient",
        "description": "M5：患者在移动端取消手术，通知主刀医生和日间手术管理员（站内信、推送，无推送设备时短信）",
        "trigger_kind": "event", "trigger": _on("cases.case.cancelled", actor__type=["patient"]),
        "audiences": ["surgeon", "ward_managers", "patient"], "patient_channels": PATIENT_FIRST,
        "staff_channels": ["fcm", "sms"], "link": "/pages/cases/detail?case={case}",
        "template": {
            "patient_title": "您已取消手术",
            "patient_body": "{patient_name}您好，您已取消{surgery_date}的{procedure}。如需重新预约请联系{ward}（{ward_phone}）。",
            "staff_title": "患者取消手术",
            "staff_body": "患者{patient_name_masked}取消了{surgery_date}的{procedure}，原因：{cancel_reason}。",
        },
    },
    {
        "key": "case_rescheduled", "name": "手术改期通知", "kind": "case_rescheduled",
        "description": "W2 内置服务点：手术改期时通知患者与主刀医生",
        "trigger_kind": "event", "trigger": _on("cases.case.rescheduled"),
        "audiences": ["patient", "surgeon"], "patient_channels": PATIENT_FIRST, "staff_channels": ["fcm"],
        "link": "/pages/cases/detail?case={case}",
        "template": {
            "patient_title": "手术改期通知",
            "patient_body": "{patient_name}您好，您的{procedure}已改期至{surgery_date}{surgery_session}，原因：{data.reason}。"
                            "请按新的日期做好术前准备。",
            "staff_title": "手术已改期",
            "staff_body": "患者{patient_name_masked}的{procedure}已改期至{surgery_date}{surgery_session}。",
        },
    },
    {
        "key": "anaesthesia_passed", "name": "麻醉评估通过", "kind": "anaesthesia_passed",
        "description": "PA7：麻醉门诊评估通过", "pathway_node": "anaesthesia_clinic",
        "trigger_kind": "event",
        "trigger": _on("cases.case.anaesthesia_clinic_recorded", data__to=["passed"]),
        "audiences": ["patient"], "patient_channels": APP_ONLY,
        "template": {"patient_title": "麻醉评估已通过",
                     "patient_body": "{patient_name}您好，您的麻醉门诊评估已通过，请留意后续手术安排通知。"},
    },
    {
        "key": "preop_assessed", "name": "术前评估完成", "kind": "preop_assessed",
        "description": "PA7：术前评估完成", "pathway_node": "preop_assessment",
        "trigger_kind": "event",
        "trigger": _on("cases.case.preop_assessment_recorded", data__to=["passed"]),
        "audiences": ["patient"], "patient_channels": APP_ONLY,
        "template": {"patient_title": "术前评估已完成",
                     "patient_body": "{patient_name}您好，您的术前评估已完成，{procedure}拟于{surgery_date}进行。"},
    },
    {
        "key": "theatre_scheduled", "name": "手术已排程", "kind": "theatre_scheduled",
        "description": "PA7：手术室已排程", "pathway_node": "theatre_schedule",
        "trigger_kind": "event", "trigger": _on("cases.case.theatre_scheduled"),
        "audiences": ["patient"], "patient_channels": APP_ONLY, "link": "/pages/cases/detail?case={case}",
        "template": {"patient_title": "手术时间已确定",
                     "patient_body": "{patient_name}您好，您的{procedure}已安排在{surgery_date} {surgery_time}，"
                                     "请按时到{ward_location}报到。"},
    },
    {
        "key": "discharged", "name": "出院通知", "kind": "discharged",
        "description": "PA7：出院后告知出院指导与随访安排", "pathway_node": "discharge",
        "trigger_kind": "event", "trigger": _on("cases.case.discharged"),
        "audiences": ["patient"], "patient_channels": APP_ONLY,
        "link": "/pages/cases/discharge?case={case}",
        "template": {"patient_title": "出院指导",
                     "patient_body": "{patient_name}您好，您已出院。请在患者端查看出院指导，如有发热、切口渗血等情况请及时就诊"
                                     "或致电{ward_phone}。"},
    },
    {
        "key": "followup_selfreport", "name": "随访问卷填写提醒", "kind": "followup_selfreport",
        "description": "F3 第二级：语音随访未完成时发送自填问卷链接（微信优先，短信补发）", "pathway_node": "follow_up",
        "trigger_kind": "event", "trigger": _on("followup.selfreport.requested"),
        "audiences": ["patient"], "patient_channels": PATIENT_FIRST,
        "template": {"patient_title": "术后随访问卷",
                     "patient_body": "{patient_name}您好，请于{data.deadline}前填写{data.label}术后随访问卷：{link}"},
    },
    {
        "key": "form_assigned", "name": "问卷推送", "kind": "form_assigned",
        "description": "F8：医护人员推送的问卷", "trigger_kind": "event",
        "trigger": {"types": ["forms.form.assigned", "forms.form.available"], "where": {"data.notify": [True]}},
        "audiences": ["patient"], "patient_channels": PATIENT_FIRST,
        "template": {"patient_title": "请填写问卷", "patient_body": "{patient_name}您好，请填写《{data.title}》：{link}"},
    },
    {
        "key": "wound_answered", "name": "伤口咨询已回复", "kind": "wound_answered",
        "description": "F9：医生回复了伤口咨询", "trigger_kind": "event",
        "trigger": _on("consultation.wound.answered"),
        "audiences": ["patient"], "patient_channels": PATIENT_FIRST,
        "link": "/pages/consultation/wound?consultation={data.consultation}",
        "template": {"patient_title": "伤口咨询已回复", "patient_body": "{patient_name}您好，医生已回复您的伤口咨询，请在患者端查看。"},
    },
    {
        "key": "consultation_reply", "name": "在线咨询回复", "kind": "consultation_reply",
        "description": "PA8：医护人员在线咨询回复", "trigger_kind": "event",
        "trigger": _on("consultation.message.sent", data__sender=["staff"]),
        "audiences": ["patient"], "patient_channels": ["wechat"],
        "link": "/pages/consultation/chat?conversation={data.conversation}",
        "template": {"patient_title": "医护人员回复了您", "patient_body": "您的在线咨询有新的回复，请在患者端查看。"},
    },
    {
        "key": "treatment_plan_published", "name": "康复计划发布", "kind": "treatment_plan_published",
        "description": "PA9：出院后第一周康复计划", "trigger_kind": "event",
        "trigger": _on("recovery.treatment_plan.published"),
        "audiences": ["patient"], "patient_channels": PATIENT_FIRST,
        "link": "/pages/cases/treatment-plan?case={case}",
        "template": {"patient_title": "康复计划", "patient_body": "{patient_name}您好，您出院后第一周的康复计划已发布，请每日查看并按计划执行。"},
    },
    {
        "key": "surgery_eve_reminder", "name": "术前一日提醒", "kind": "surgery_eve_reminder",
        "description": "W1：手术前一日 16:00 提醒禁食禁饮、携带证件、报到时间", "pathway_node": "admission",
        "trigger_kind": "offset", "anchor": "surgery", "offset_minutes": -16 * 60, "window_minutes": 6 * 60,
        "filters": [{"name": "case_state_in", "params": {"states": PRE_ADMISSION}}],
        "audiences": ["patient"], "patient_channels": ["wechat", "sms", "voice"],
        "template": {"patient_title": "明日手术提醒",
                     "patient_body": "{patient_name}您好，您将于明日{surgery_session}在{ward}行{procedure}。请术前8小时禁食、"
                                     "2小时禁饮，携带身份证和医保卡到{ward_location}报到。",
                     "voice_scenario": "surgery_eve_reminder"},
    },
    {
        "key": "education_reminder", "name": "术前宣教未读提醒", "kind": "education_reminder",
        "description": "W1：术前3天仍未阅读术前宣教的患者", "pathway_node": "education",
        "trigger_kind": "offset", "anchor": "surgery", "offset_minutes": -(2 * 24 + 22) * 60,
        "window_minutes": 12 * 60,
        "filters": [{"name": "case_state_in", "params": {"states": PRE_ADMISSION}},
                    {"name": "education_not_read", "params": {"kind": "preop"}}],
        "audiences": ["patient"], "patient_channels": PATIENT_FIRST, "link": "/pages/education/list?case={case}",
        "template": {"patient_title": "请阅读术前宣教",
                     "patient_body": "{patient_name}您好，您的{procedure}将于{surgery_date}进行，请尽快阅读术前宣教：{link}"},
    },
    {
        "key": "exam_reminder", "name": "术前检查提醒", "kind": "exam_reminder",
        "description": "W1：术前5天仍无检验检查结果的患者", "pathway_node": "clinical_results",
        "trigger_kind": "offset", "anchor": "surgery", "offset_minutes": -5 * 24 * 60, "window_minutes": 12 * 60,
        "filters": [{"name": "case_state_in", "params": {"states": PRE_ADMISSION}},
                    {"name": "results_missing", "params": {"kind": "any"}}],
        "audiences": ["patient"], "patient_channels": PATIENT_FIRST,
        "template": {"patient_title": "术前检查提醒",
                     "patient_body": "{patient_name}您好，您尚未完成术前检查，请尽快到门诊完成检验检查，以免影响{surgery_date}的手术。"},
    },
]
