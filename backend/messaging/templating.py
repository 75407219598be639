"""Message text with `{variable}` placeholders (W3).

Variables come from the case ({patient_name}, {surgery_date}, {procedure}, …), the plan ({link}) and the
triggering event's data ({data.<key>}, e.g. {data.reason}). A template may only name known variables (checked
when it is saved, so an administrator sees the mistake, not the patient); a known variable without a value
renders empty. Literal braces are written doubled: `{{` and `}}`.
"""

import re

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import InvalidInput
from core.identity import mask_name

PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)?)\}")

VARIABLES = {
    "patient_name": gettext_lazy("the patient's name"),
    "patient_name_masked": gettext_lazy("the patient's name masked (张*, 欧**娜): for staff pushes shown on lock screens"),
    "recipient_name": gettext_lazy("the recipient's name"),
    "surgery_date": gettext_lazy("the planned surgery date (YYYY-MM-DD)"),
    "surgery_session": gettext_lazy("the planned session (morning / afternoon)"),
    "surgery_time": gettext_lazy("the scheduled start time (HH:MM), if scheduled"),
    "procedure": gettext_lazy("the planned procedure"),
    "surgeon": gettext_lazy("the surgeon's name"),
    "ward": gettext_lazy("the ward's name"),
    "ward_phone": gettext_lazy("the ward's phone number"),
    "ward_location": gettext_lazy("where the ward is"),
    "hospital": gettext_lazy("the hospital's name"),
    "admitted_at": gettext_lazy("the admission time"),
    "discharged_at": gettext_lazy("the discharge time"),
    "cancel_reason": gettext_lazy("the cancellation reason"),
    "case": gettext_lazy("the case's id (for links into the patient app)"),
    "link": gettext_lazy("the link into the patient app (event data link, else the plan's link)"),
}
EVENT_PREFIX = "data."
SESSIONS = {"am": "上午", "pm": "下午", "ev": "晚间"}


def placeholders(text: str) -> list[str]:
    return [m.group(1) for m in PLACEHOLDER.finditer(text or "") if m.group(1)]


def template_text_clean(text: str, field: str) -> str:
    """Refuse unknown variables and stray braces (field error)."""
    unknown = sorted({name for name in placeholders(text)
                      if name not in VARIABLES and not name.startswith(EVENT_PREFIX)})
    if unknown:
        raise InvalidInput(fields={field: [_("Unknown variables: %(names)s.") % {"names": ", ".join(unknown)}]})
    stripped = PLACEHOLDER.sub("", text or "")
    if "{" in stripped or "}" in stripped:
        raise InvalidInput(fields={field: [_("Write a literal brace doubled ({{ or }}); a variable is {name}.")]})
    return text


ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _shown(value) -> str:
    """Event data as a person reads it: an ISO date-time becomes local "YYYY-MM-DD HH:MM"."""
    if isinstance(value, str) and ISO_DATETIME.match(value):
        from datetime import datetime

        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        if parsed.tzinfo is not None:
            parsed = timezone.localtime(parsed)
        return parsed.strftime("%Y-%m-%d %H:%M")
    return "" if value is None else str(value)


def render(text: str, values: dict) -> str:
    def replace(match):
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        name = match.group(1)
        if name.startswith(EVENT_PREFIX):
            value = (values.get("data") or {}).get(name[len(EVENT_PREFIX):], "")
            return "" if isinstance(value, dict | list) else _shown(value)
        else:
            value = values.get(name, "")
        if isinstance(value, dict | list):
            return ""
        return "" if value is None else str(value)

    return PLACEHOLDER.sub(replace, text or "")


def _local(dt, fmt):
    return timezone.localtime(dt).strftime(fmt) if dt else ""


def case_values(case, *, event_data=None, link="", recipient_name="") -> dict:
    """The variables of one case (the case loaded with patient, ward, surgeon, department.hospital)."""
    ward = case.ward if case else None
    values = {
        "patient_name": case.patient.name if case else "",
        "patient_name_masked": mask_name(case.patient.name) if case else "",
        "recipient_name": recipient_name,
        "surgery_date": case.planned_date.isoformat() if case and case.planned_date else "",
        "surgery_session": SESSIONS.get(case.planned_session, "") if case else "",
        "surgery_time": _local(case.scheduled_start, "%H:%M") if case else "",
        "procedure": case.procedure_name if case else "",
        "surgeon": case.surgeon.name if case and case.surgeon_id else "",
        "ward": ward.name if ward else "",
        "ward_phone": ward.phone if ward else "",
        "ward_location": ward.location if ward else "",
        "hospital": ward.department.hospital.name if ward else "",
        "admitted_at": _local(case.admitted_at, "%Y-%m-%d %H:%M") if case else "",
        "discharged_at": _local(case.discharged_at, "%Y-%m-%d %H:%M") if case else "",
        "cancel_reason": (case.cancel_reason_text or case.get_cancel_reason_code_display()
                          if case and case.cancel_reason_code else ""),
        "case": str(case.uuid) if case else "",
        "data": dict(event_data or {}),
    }
    values["link"] = str((event_data or {}).get("link") or link or "")
    return values
