"""The platform's default bed-card icon rules (P2). Synced into IconRule rows without a hospital by a data
migration and `preop.services.icon_rules_sync_defaults()`; a hospital overrides one by creating its own rule with
the same key (e.g. to rename it, change its trigger or switch it off).

Matchers follow core.event_rules; a `where` path whose value in the event is a list matches when any of its items
is accepted (H4's `clinical.findings.flagged` carries the current set of categories as a list). An event that
matches `set_on` sets the icon; otherwise one that matches `clear_on` clears it — so "findings flagged" with the
category sets the alert and any later "findings flagged" without it (also the empty set) clears it.

Labels are Chinese: they are hospital configuration shown as they are, not interface text.
"""

FLAGGED = "clinical.findings.flagged"

DEFAULT_ICON_RULES = [
    {
        "key": "lab_abnormal", "icon_class": "alert", "label": "检验超阈值", "symbol": "flask", "colour": "red",
        "description": "检验指标超过高风险阈值（医生评估端高风险规则）",
        "set_on": {"types": [FLAGGED], "where": {"data.categories": ["lab_threshold"]}},
        "clear_on": {"types": [FLAGGED]}, "position": 10,
    },
    {
        "key": "exam_abnormal", "icon_class": "alert", "label": "检查异常", "symbol": "scan", "colour": "orange",
        "description": "检查报告（影像、心电图）命中高风险关键词",
        "set_on": {"types": [FLAGGED], "where": {"data.categories": ["exam_keyword"]}},
        "clear_on": {"types": [FLAGGED]}, "position": 20,
    },
    {
        "key": "infectious", "icon_class": "alert", "label": "传染病", "symbol": "biohazard", "colour": "red",
        "description": "术前四项阳性：乙肝、丙肝、艾滋病、梅毒",
        "set_on": {"types": [FLAGGED], "where": {"data.categories": ["infectious"]}},
        "clear_on": {"types": [FLAGGED]}, "position": 30,
    },
    {
        "key": "messages_sent", "icon_class": "lookup", "label": "已发短信", "symbol": "message", "colour": "blue",
        "description": "已向患者发送短信或微信消息，点击查看发送记录",
        "set_on": {"types": ["messaging.message.sent"], "where": {"data.status": ["sent"]}},
        "clear_on": {}, "position": 40,
    },
    {
        "key": "app_logged_in", "icon_class": "state", "label": "已登录", "symbol": "phone", "colour": "green",
        "description": "患者已登录患者移动端",
        "set_on": {"types": ["patient.app.logged_in"]}, "clear_on": {}, "position": 50,
    },
    {
        "key": "details_completed", "icon_class": "state", "label": "已完善信息", "symbol": "id-card",
        "colour": "green", "description": "患者已在移动端完善个人信息",
        "set_on": {"types": ["patient.details.completed"]}, "clear_on": {}, "position": 60,
    },
    {
        "key": "education_read", "icon_class": "state", "label": "已读宣教", "symbol": "book", "colour": "green",
        "description": "患者已阅读术前或入院宣教",
        "set_on": {"types": ["education.material.read"], "where": {"data.kind": ["preop", "admission"]}},
        "clear_on": {}, "position": 70,
    },
]
