"""The consent template language: plain text with `{placeholder}` fields; `{{` and `}}` print literal braces.

Deliberately not `str.format`: a template is written by an administrator and must not reach attributes or
format specs (`{patient_name.__class__}`); only the names in PLACEHOLDERS exist, anything else is refused when
the template is saved (field error), so rendering never fails on a patient's consent.
"""

import re

from django.utils.translation import gettext_lazy as _

PLACEHOLDERS = {
    "hospital_name": "医院名称",
    "patient_name": "患者姓名",
    "sex": "性别",
    "age": "年龄",
    "reg_no": "登记号",
    "ward": "病区",
    "diagnosis": "诊断",
    "procedure_name": "手术/检查名称",
    "procedure_kind": "类别（日间手术/无痛胃镜等）",
    "planned_date": "计划日期",
    "anaesthesia_plan": "拟行麻醉方式",
    "risks": "本患者评估的主要风险",
    "anaesthetist": "麻醉医师",
    "date": "告知日期",
    "consent_no": "同意书编号",
}

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


def template_errors(text: str) -> list[str]:
    """Problems of a template text (empty when it is valid), as user-facing messages."""
    unknown, stray = [], False
    for match in _TOKEN.finditer(text or ""):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None:
            stray = True
        elif name.strip() not in PLACEHOLDERS or name != name.strip():
            unknown.append(name)
    errors = []
    if unknown:
        errors.append(str(_("Unknown placeholders: %(names)s. Allowed: %(allowed)s.") % {
            "names": "、".join("{" + n + "}" for n in dict.fromkeys(unknown)),
            "allowed": "、".join("{" + n + "}" for n in PLACEHOLDERS),
        }))
    if stray:
        errors.append(str(_("A single brace is not allowed; write {{ or }} for a literal brace.")))
    return errors


def placeholders_used(text: str) -> list[str]:
    return list(dict.fromkeys(m.group(1) for m in _TOKEN.finditer(text or "") if m.group(1) in PLACEHOLDERS))


def render(text: str, context: dict) -> str:
    """Fill the placeholders of a valid template; a value the context lacks prints as an underline to be
    completed by hand (a printed form is still usable)."""

    def replace(match):
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        if name is None:
            return token
        value = str(context.get(name) or "").strip()
        return value or "________"

    return _TOKEN.sub(replace, text or "")
