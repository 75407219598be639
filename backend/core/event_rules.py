"""Event matchers: configuration data that says which events a rule reacts to.

Bed-card icons (preop) and timeline nodes (timeline) are driven by case events. Administrators configure them,
so the matcher is data, not code::

    {"types": ["cases.case.preop_assessment_recorded"], "where": {"data.to": ["passed", "needs_attention"]}}

- `types`: shell-style patterns on the event type ("cases.case.*"); at least one.
- `where` (optional): dotted paths into the event payload, each with the list of accepted values; every path
  must match. A path that is missing matches nothing (so a rule never fires on an event it cannot read). A path
  whose value is a list matches when any of its items is accepted ("data.categories": ["infectious", ...]).

`event_matcher_clean(value, field)` validates admin input (raising InvalidInput with a field message) and
returns the normalised form; `event_matches(matcher, type, payload)` answers one event.
"""

import fnmatch

from django.utils.translation import gettext as _

from core.errors import InvalidInput

MAX_PATTERNS = 20
MAX_CONDITIONS = 10
MAX_VALUES = 50
_MISSING = object()


def _lookup(payload, path: str):
    value = payload
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def event_matches(matcher: dict, event_type: str, payload: dict | None = None) -> bool:
    if not matcher:
        return False
    if not any(fnmatch.fnmatchcase(event_type, pattern) for pattern in matcher.get("types", ())):
        return False
    for path, accepted in (matcher.get("where") or {}).items():
        value = _lookup(payload or {}, path)
        if value is _MISSING:
            return False
        items = value if isinstance(value, list) else [value]
        if not any(_scalar(item) and item in accepted for item in items):
            return False
    return True


def _scalar(value) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def event_matcher_clean(value, field: str = "matcher") -> dict:
    """Validate a matcher coming from an administrator; returns {"types": [...], "where": {...}}."""

    def refuse(message):
        raise InvalidInput(fields={field: [message]})

    if not isinstance(value, dict):
        refuse(_("Give an object with 'types' and optionally 'where'."))
    unknown = set(value) - {"types", "where"}
    if unknown:
        refuse(_("Unknown keys: %(keys)s.") % {"keys": ", ".join(sorted(map(str, unknown)))})
    types = value.get("types")
    if not isinstance(types, list) or not types or len(types) > MAX_PATTERNS:
        refuse(_("'types' must list 1 to %(n)d event type patterns.") % {"n": MAX_PATTERNS})
    for pattern in types:
        if not isinstance(pattern, str) or not pattern.strip() or len(pattern) > 100:
            refuse(_("Each event type pattern must be a non-empty text of at most 100 characters."))
    where = value.get("where") or {}
    if not isinstance(where, dict) or len(where) > MAX_CONDITIONS:
        refuse(_("'where' must map at most %(n)d payload paths to lists of values.") % {"n": MAX_CONDITIONS})
    for path, accepted in where.items():
        if not path or len(path) > 100 or any(not part for part in path.split(".")):
            refuse(_("'%(path)s' is not a valid payload path.") % {"path": path})
        if (not isinstance(accepted, list) or not accepted or len(accepted) > MAX_VALUES
                or not all(isinstance(v, str | int | bool) or v is None for v in accepted)):
            refuse(_("The values for '%(path)s' must be a list of 1 to %(n)d texts, numbers or booleans.")
                   % {"path": path, "n": MAX_VALUES})
    return {"types": [t.strip() for t in types], "where": dict(where)}
