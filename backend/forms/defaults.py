"""The platform's default questionnaires (PA2, Y7): synced into Form rows without a hospital after every migrate
(forms.services.forms_sync_defaults); a changed schema here publishes a new version. A hospital replaces one by
creating its own form with the same code (also to switch it off: is_active=false), or adds procedure-specific
forms of the same kind, which win for that procedure (forms.selectors.form_for_procedure).

Texts are Chinese: forms are hospital content shown as they are, not interface text.
"""

SATISFACTION = [
    {"value": "very_satisfied", "label": "非常满意", "score": 5, "aliases": ["很满意"]},
    {"value": "satisfied", "label": "满意", "score": 4, "aliases": ["还可以", "挺好"]},
    {"value": "neutral", "label": "一般", "score": 3, "aliases": ["还行"]},
    {"value": "dissatisfied", "label": "不满意", "score": 2},
    {"value": "very_dissatisfied", "label": "非常不满意", "score": 1, "aliases": ["很不满意"]},
]

POSTOP_FOLLOWUP = {
    "code": "postop-followup-general",
    "kind": "followup",
    "title": "日间手术术后随访问卷",
    "description": "出院后通用随访：疼痛、发热、出血、切口、恶心呕吐与满意度（可用于语音随访、移动端自填和人工电话随访）",
    "schema": {
        "questions": [
            {"key": "pain", "type": "scale", "label": "目前伤口疼痛程度如何？（0分不痛，10分为难以忍受的剧痛）",
             "min": 0, "max": 10, "min_label": "不痛", "max_label": "剧痛"},
            {"key": "fever", "type": "yes_no", "label": "出院后是否有发热（体温≥37.3℃）？"},
            {"key": "temperature", "type": "number", "label": "如有发热，最高体温是多少？", "unit": "℃",
             "min": 35, "max": 43, "decimals": 1, "required": False},
            {"key": "bleeding", "type": "single_choice", "label": "伤口或手术部位是否有出血？", "options": [
                {"value": "none", "label": "没有出血", "aliases": ["没有", "无"]},
                {"value": "little", "label": "少量渗血", "aliases": ["少量", "一点"]},
                {"value": "much", "label": "出血较多或敷料被浸透", "aliases": ["较多", "很多"]}]},
            {"key": "wound", "type": "single_choice", "label": "伤口情况如何？", "options": [
                {"value": "good", "label": "干燥、无红肿", "aliases": ["好", "正常", "干燥"]},
                {"value": "red", "label": "红肿或疼痛加重", "aliases": ["红肿"]},
                {"value": "oozing", "label": "有渗液或流脓", "aliases": ["渗液", "流脓"]},
                {"value": "open", "label": "伤口裂开", "aliases": ["裂开"]}]},
            {"key": "nausea", "type": "single_choice", "label": "是否有恶心、呕吐？", "options": [
                {"value": "none", "label": "没有", "aliases": ["无"]},
                {"value": "mild", "label": "轻微恶心，能进食", "aliases": ["轻微", "有一点"]},
                {"value": "severe", "label": "频繁呕吐，无法进食", "aliases": ["频繁", "严重"]}]},
            {"key": "satisfaction", "type": "single_choice", "label": "您对本次日间手术的医疗服务是否满意？",
             "options": SATISFACTION},
            {"key": "other", "type": "text", "label": "还有其他不适或建议吗？", "required": False,
             "max_length": 500},
        ],
        "rules": [
            {"code": "pain", "label": "疼痛（NRS≥4分）", "when": "pain >= 4", "tags": ["pain"]},
            {"code": "pain_severe", "label": "重度疼痛（NRS≥7分）", "when": "pain >= 7", "tags": ["pain"]},
            {"code": "fever", "label": "发热", "when": {"any": ["fever == yes", "temperature >= 37.3"]},
             "tags": ["fever"]},
            {"code": "high_fever", "label": "高热（≥38.5℃）", "when": "temperature >= 38.5", "tags": ["fever"]},
            {"code": "bleeding", "label": "出血较多", "when": "bleeding == much", "tags": ["bleeding"]},
            {"code": "wound_abnormal", "label": "切口异常（红肿、渗液或裂开）",
             "when": "wound in [red, oozing, open]", "tags": ["wound"]},
            {"code": "vomiting", "label": "频繁呕吐", "when": "nausea == severe", "tags": ["nausea"]},
            {"code": "dissatisfied", "label": "对服务不满意", "when": "satisfaction in [dissatisfied, very_dissatisfied]",
             "tags": ["dissatisfied"]},
        ],
    },
}

REGISTRATION = {
    "code": "centre-registration",
    "kind": "registration",
    "title": "日间手术中心登记问卷",
    "description": "预约后由患者在移动端填写：身高体重、过敏史、慢性病、用药、麻醉史、陪护与交通",
    "schema": {
        "questions": [
            {"key": "height", "type": "number", "label": "身高", "unit": "cm", "min": 50, "max": 250, "decimals": 0},
            {"key": "weight", "type": "number", "label": "体重", "unit": "kg", "min": 2, "max": 300, "decimals": 1},
            {"key": "allergy", "type": "yes_no", "label": "是否有药物或食物过敏史？"},
            {"key": "allergy_detail", "type": "text", "label": "过敏物及过敏表现", "required": False,
             "max_length": 200},
            {"key": "chronic", "type": "multi_choice", "label": "是否患有以下慢性病？（可多选）", "min_choices": 1,
             "options": [
                 {"value": "none", "label": "无"},
                 {"value": "hypertension", "label": "高血压"},
                 {"value": "diabetes", "label": "糖尿病"},
                 {"value": "heart", "label": "心脏病"},
                 {"value": "lung", "label": "哮喘或慢性肺病"},
                 {"value": "kidney", "label": "肾脏疾病"},
                 {"value": "other", "label": "其他"}]},
            {"key": "anticoagulant", "type": "yes_no",
             "label": "是否正在服用抗凝或抗血小板药物（如阿司匹林、华法林、氯吡格雷）？"},
            {"key": "previous_surgery", "type": "yes_no", "label": "既往是否做过手术？"},
            {"key": "anaesthesia_problem", "type": "yes_no", "label": "本人或直系亲属是否有麻醉不良反应史？"},
            {"key": "snoring", "type": "yes_no", "label": "睡眠时是否严重打鼾或有呼吸暂停？"},
            {"key": "companion", "type": "yes_no", "label": "术后24小时内是否有成年家属陪同照护？"},
            {"key": "travel_time", "type": "single_choice", "label": "从住处到医院大约需要多长时间？", "options": [
                {"value": "under_30", "label": "30分钟以内"},
                {"value": "30_60", "label": "30–60分钟"},
                {"value": "60_120", "label": "1–2小时"},
                {"value": "over_120", "label": "2小时以上"}]},
        ],
        "rules": [
            {"code": "allergy", "label": "有过敏史", "when": "allergy == yes"},
            {"code": "anticoagulant", "label": "服用抗凝/抗血小板药物", "when": "anticoagulant == yes"},
            {"code": "cardiopulmonary", "label": "心肺疾病", "when": "chronic contains [heart, lung]"},
            {"code": "anaesthesia_history", "label": "麻醉不良反应史", "when": "anaesthesia_problem == yes"},
            {"code": "osa_risk", "label": "疑似睡眠呼吸暂停", "when": "snoring == yes"},
            {"code": "no_companion", "label": "术后无陪护", "when": "companion == no"},
            {"code": "far_from_hospital", "label": "离医院较远（2小时以上）", "when": "travel_time == over_120"},
        ],
    },
}

PREOP_EDUCATION = {
    "code": "preop-education-check",
    "kind": "preop_education",
    "title": "术前宣教确认",
    "description": "患者阅读术前宣教后确认关键注意事项",
    "schema": {
        "questions": [
            {"key": "fasting", "type": "yes_no", "label": "您是否清楚术前禁食禁饮的时间要求？"},
            {"key": "medication", "type": "yes_no", "label": "您是否清楚哪些药物需要术前停用或继续服用？"},
            {"key": "arrival", "type": "yes_no", "label": "您是否清楚手术当天的报到时间和地点？"},
            {"key": "companion", "type": "yes_no", "label": "手术当天是否有成年家属陪同？"},
            {"key": "questions", "type": "text", "label": "还有不清楚的地方吗？", "required": False,
             "max_length": 300},
        ],
        "rules": [
            {"code": "fasting_unclear", "label": "不清楚禁食要求", "when": "fasting == no"},
            {"code": "medication_unclear", "label": "不清楚术前用药", "when": "medication == no"},
            {"code": "arrival_unclear", "label": "不清楚报到时间地点", "when": "arrival == no"},
            {"code": "no_companion", "label": "手术当天无陪同", "when": "companion == no"},
        ],
    },
}

POSTOP_EDUCATION = {
    "code": "postop-education-check",
    "kind": "postop_education",
    "title": "出院宣教确认",
    "description": "出院前确认患者掌握居家护理要点",
    "schema": {
        "questions": [
            {"key": "wound_care", "type": "yes_no", "label": "您是否清楚伤口护理和换药的方法与时间？"},
            {"key": "medication", "type": "yes_no", "label": "您是否清楚出院带药的用法用量？"},
            {"key": "warning_signs", "type": "yes_no", "label": "您是否清楚出现哪些情况需要立即就医（发热、出血、剧痛等）？"},
            {"key": "review", "type": "yes_no", "label": "您是否清楚复诊时间？"},
        ],
        "rules": [
            {"code": "wound_care_unclear", "label": "不清楚伤口护理", "when": "wound_care == no"},
            {"code": "medication_unclear", "label": "不清楚出院用药", "when": "medication == no"},
            {"code": "warning_signs_unclear", "label": "不清楚需就医的情况", "when": "warning_signs == no"},
            {"code": "review_unclear", "label": "不清楚复诊时间", "when": "review == no"},
        ],
    },
}

DEFAULT_FORMS = [POSTOP_FOLLOWUP, REGISTRATION, PREOP_EDUCATION, POSTOP_EDUCATION]
