"""The platform's default follow-up plan and tag definitions (hospital = None), re-synced after every migrate
(followup.apps) by `followup.services.defaults_sync()`. A hospital overrides them with its own plan (per
procedure or for all) and its own tags (same code). Labels are Chinese: hospital configuration shown as it is.
"""

DEFAULT_PLAN = {
    "name": "日间手术术后随访（通用）",
    "description": "出院后24小时、第7天、第30天随访：先智能语音，未接通或未答完发送自填链接，仍未完成转随访护士人工电话。",
    "points": [
        {"key": "d1", "label": "出院后24小时", "anchor": "discharge", "offset_hours": 24, "form": "",
         "tiers": ["voice", "selfreport", "manual"], "voice_hours": 4, "selfreport_hours": 24, "manual_hours": 24},
        {"key": "d7", "label": "术后第7天", "anchor": "surgery", "offset_hours": 24 * 7, "form": "",
         "tiers": ["voice", "selfreport", "manual"], "voice_hours": 8, "selfreport_hours": 48, "manual_hours": 48},
        {"key": "d30", "label": "术后第30天", "anchor": "surgery", "offset_hours": 24 * 30, "form": "",
         "tiers": ["selfreport", "manual"], "voice_hours": 8, "selfreport_hours": 72, "manual_hours": 72},
    ],
}

# Automatic tags come from answers (a form's abnormal-answer rule names a tag code, or a tag lists rule codes) or
# from the follow-up's outcome; manual ones are set by staff.
DEFAULT_TAGS = [
    {"code": "followed_up", "label": "已随访", "colour": "green", "automatic": True, "on_followup_completed": True,
     "description": "完成一次随访（语音、自填或人工电话）", "position": 10},
    {"code": "unreached", "label": "失访", "colour": "grey", "automatic": True, "on_unreached": True,
     "description": "语音、短信链接和人工电话均未联系上患者", "position": 20},
    {"code": "pain", "label": "疼痛", "colour": "orange", "automatic": True,
     "abnormal_codes": ["pain", "pain_severe"], "description": "随访回答疼痛评分高", "position": 30},
    {"code": "fever", "label": "发热", "colour": "red", "automatic": True, "abnormal_codes": ["fever", "high_fever"],
     "description": "随访回答有发热", "position": 40},
    {"code": "bleeding", "label": "出血", "colour": "red", "automatic": True, "abnormal_codes": ["bleeding"],
     "description": "随访回答切口或术区出血", "position": 50},
    {"code": "wound", "label": "切口异常", "colour": "orange", "automatic": True,
     "abnormal_codes": ["wound_abnormal"], "description": "随访回答切口红肿、渗液", "position": 60},
    {"code": "nausea", "label": "恶心呕吐", "colour": "orange", "automatic": True, "abnormal_codes": ["vomiting"],
     "description": "随访回答恶心呕吐", "position": 70},
    {"code": "dissatisfied", "label": "不满意", "colour": "purple", "automatic": True,
     "abnormal_codes": ["dissatisfied"], "description": "满意度评价低", "position": 80},
    {"code": "revisit", "label": "复诊", "colour": "blue", "automatic": False,
     "description": "需要或已经门诊复诊", "position": 110},
    {"code": "readmission", "label": "再入院", "colour": "red", "automatic": False,
     "description": "术后非计划再入院", "position": 120},
    {"code": "emergency_visit", "label": "急诊就诊", "colour": "red", "automatic": False,
     "description": "术后因手术相关问题急诊就诊", "position": 130},
]
