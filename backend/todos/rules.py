"""Evaluating to-do rules: which rules apply to a hospital, titles, due times, subjects, validation of rule input.

Matching is core.event_rules.event_matches; `effective_rules(hospital_id)` resolves the platform defaults
overridden by the hospital's own rows with the same key (an inactive override switches a default off).
"""

import re
from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.errors import InvalidInput
from core.event_rules import event_matcher_clean, event_matches
from todos.models import TodoRule

VARIABLE_RE = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_.]*)\}")
CASE_VARIABLES = ("patient_name", "patient_name_masked", "procedure", "surgery_date", "ward", "surgeon", "label")
DATA_VARIABLE_RE = re.compile(r"^data\.[a-zA-Z0-9_]+$")
DUE_KEYS = {"after_hours", "path", "before_surgery_hours"}
MAX_VALUE_CHARS = 60
_MISSING = object()


def effective_rules(hospital_id, *, include_inactive=False) -> list[TodoRule]:
    rows = list(TodoRule.objects.filter(hospital__isnull=True) | TodoRule.objects.filter(hospital_id=hospital_id))
    merged = {r.key: r for r in rows if r.hospital_id is None}
    merged.update({r.key: r for r in rows if r.hospital_id is not None and r.hospital_id == hospital_id})
    chosen = [r for r in merged.values() if include_inactive or r.is_active]
    return sorted(chosen, key=lambda r: (r.position, r.key))


def lookup(payload, path: str):
    value = payload
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def subject_of(rule, payload) -> str | None:
    """The rule's subject in this event: "" for per-case rules, the value at `subject_path`, None when missing."""
    if not rule.subject_path:
        return ""
    value = lookup(payload, rule.subject_path)
    if value is _MISSING or value is None or isinstance(value, dict | list):
        return None
    return str(value)[:64]


def case_variables(case, *, label="") -> dict:
    patient = case.patient
    return {
        "patient_name": patient.name,
        "patient_name_masked": patient.masked_name,
        "procedure": case.procedure_name or "",
        "surgery_date": case.planned_date.isoformat() if case.planned_date else "",
        "ward": case.ward.name,
        "surgeon": case.surgeon.name if case.surgeon_id else "",
        "label": label,
    }


def render(template: str, variables: dict, data: dict) -> str:
    """Fill `{name}` from `variables` and `{data.key}` from the event data (scalars only, shortened)."""

    def value(match):
        name = match.group(1)
        if name.startswith("data."):
            found = (data or {}).get(name[5:])
            if isinstance(found, str | int | float) and not isinstance(found, bool):
                return str(found)[:MAX_VALUE_CHARS]
            return ""
        return str(variables.get(name, ""))

    return VARIABLE_RE.sub(value, template).strip()[:300]


def due_at(rule, *, case, payload, opened_at):
    spec = rule.due or {}
    if "after_hours" in spec:
        return opened_at + timedelta(hours=spec["after_hours"])
    if "path" in spec:
        value = lookup(payload, spec["path"])
        parsed = parse_datetime(value) if isinstance(value, str) else None
        if parsed is not None and timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        return parsed
    if "before_surgery_hours" in spec and case.planned_date:
        start = timezone.make_aware(datetime.combine(case.planned_date, time.min))
        return start - timedelta(hours=spec["before_surgery_hours"])
    return None


# --- validation of administrators' input ------------------------------------------------------------------------


def template_clean(value: str, field: str = "title_template") -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(fields={field: [_("This field is required.")]})
    for name in VARIABLE_RE.findall(value):
        if name not in CASE_VARIABLES and not DATA_VARIABLE_RE.match(name):
            raise InvalidInput(fields={field: [
                _("Unknown variable {%(name)s}. Use %(names)s or {data.<key>}.")
                % {"name": name, "names": ", ".join("{" + v + "}" for v in CASE_VARIABLES)}]})
    return value


def path_clean(value: str, field: str) -> str:
    value = (value or "").strip()
    if value and (len(value) > 100 or any(not part for part in value.split("."))):
        raise InvalidInput(fields={field: [_("'%(path)s' is not a valid payload path.") % {"path": value}]})
    return value


def due_clean(value, field: str = "due") -> dict:
    if value in (None, {}):
        return {}
    if not isinstance(value, dict) or len(value) != 1 or not set(value) <= DUE_KEYS:
        raise InvalidInput(fields={field: [
            _("Give one of after_hours, path or before_surgery_hours, or nothing.")]})
    key, amount = next(iter(value.items()))
    if key == "path":
        if not isinstance(amount, str) or not amount:
            raise InvalidInput(fields={field: [_("'%(path)s' is not a valid payload path.") % {"path": amount}]})
        return {"path": path_clean(amount, field)}
    if isinstance(amount, bool) or not isinstance(amount, int | float) or not 0 <= amount <= 24 * 90:
        raise InvalidInput(fields={field: [_("Give a number of hours between 0 and 2160.")]})
    return {key: amount}


def permission_clean(value: str, field: str = "audience_permission") -> str:
    from accounts.permissions import discover

    value = (value or "").strip()
    if value and value not in discover():
        raise InvalidInput(fields={field: [_("Unknown permission.")]})
    return value


MAX_MATCHERS = 10


def matchers_clean(value, field: str, *, required: bool) -> list:
    """A list of core.event_rules matchers (any of them matches); a single matcher object is accepted too."""
    if value in (None, {}, []):
        if required:
            raise InvalidInput(fields={field: [_("Give at least one event matcher.")]})
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or len(value) > MAX_MATCHERS:
        raise InvalidInput(fields={field: [_("Give a list of at most %(n)d event matchers.") % {"n": MAX_MATCHERS}]})
    return [event_matcher_clean(item, field) for item in value]


def any_matches(matchers, event_type: str, payload: dict) -> bool:
    return any(event_matches(m, event_type, payload) for m in matchers or ())
