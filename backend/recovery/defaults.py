"""The suggested first week after a day-surgery discharge, offered to staff when a case has no plan yet (they edit it
before publishing). Built from the case's discharge instructions (stay.Discharge.instructions) when there are
some, else from this general plan. Chinese: what the patient reads, written by the hospital."""

GENERAL_WEEK = [
    {"category": "dressing", "day_from": 1, "day_to": 7, "title": "保持切口清洁干燥",
     "instructions": "切口敷料如有渗血渗液或污染请及时更换；术后第2–3天门诊或社区换药一次。"},
    {"category": "activity", "day_from": 1, "day_to": 2, "title": "以休息为主，可下床缓慢活动",
     "instructions": "避免久卧，预防下肢静脉血栓；不做剧烈运动。"},
    {"category": "activity", "day_from": 3, "day_to": 7, "title": "逐步恢复日常活动",
     "instructions": "一周内避免提重物（>5公斤）和剧烈运动，不驾车。"},
    {"category": "diet", "day_from": 1, "day_to": 1, "title": "清淡流质或半流质饮食",
     "instructions": "少量多餐，避免辛辣油腻；不饮酒。"},
    {"category": "diet", "day_from": 2, "day_to": 7, "title": "逐步恢复正常饮食",
     "instructions": "多吃蔬菜水果，保持大便通畅。"},
    {"category": "warning_sign", "day_from": 1, "day_to": 7, "title": "出现以下情况请立即联系或就诊",
     "instructions": "体温超过38.5℃；切口持续渗血、红肿流脓；剧烈疼痛服药后不缓解；呼吸困难、胸痛；"
                     "持续呕吐不能进食。"},
]

# Discharge-instruction topics (stay.services.INSTRUCTION_TOPICS) → plan items for the whole week.
FROM_INSTRUCTIONS = {
    "medication": ("other", "遵医嘱用药"),  # free text: staff add each drug as a drug item
    "wound_care": ("dressing", "切口护理"),
    "activity": ("activity", "活动"),
    "diet": ("diet", "饮食"),
    "warning_signs": ("warning_sign", "出现以下情况请立即联系或就诊"),
    "follow_up": ("review", "复诊"),
}
