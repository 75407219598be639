"""Validation of a follow-up plan's time points (administrator input → the normalised list stored on the plan).

A point::

    {"key": "d1", "label": "出院后24小时", "anchor": "discharge", "offset_hours": 24,
     "form": "",                       # a form code of the hospital; "" = the follow-up form of the procedure
     "tiers": ["voice", "selfreport", "manual"],
     "voice_hours": 4, "selfreport_hours": 24, "manual_hours": 24}

`tiers` are tried in this order, each only when the previous one did not get complete answers; `*_hours` is how
long a step may take before the next one starts (for the manual call: the deadline of the nurse's to-do).
"""

import re

from django.utils.translation import gettext as _

from core.errors import InvalidInput
from followup.models import TIER_ORDER, Anchor

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MAX_POINTS = 20
MAX_OFFSET_HOURS = 24 * 366 * 2
WINDOW_DEFAULTS = {"voice_hours": 4, "selfreport_hours": 24, "manual_hours": 24}
MAX_WINDOW_HOURS = 24 * 30


def points_clean(value, field: str = "points") -> list[dict]:
    def refuse(message):
        raise InvalidInput(fields={field: [message]})

    if not isinstance(value, list) or not value or len(value) > MAX_POINTS:
        refuse(_("Give 1 to %(n)d time points.") % {"n": MAX_POINTS})
    cleaned, keys = [], set()
    for index, point in enumerate(value, start=1):
        if not isinstance(point, dict):
            refuse(_("Time point %(i)d must be an object.") % {"i": index})
        unknown = set(point) - {"key", "label", "anchor", "offset_hours", "form", "tiers", *WINDOW_DEFAULTS}
        if unknown:
            refuse(_("Time point %(i)d has unknown keys: %(keys)s.") % {"i": index,
                                                                         "keys": ", ".join(sorted(map(str, unknown)))})
        key = point.get("key")
        if not isinstance(key, str) or not KEY_RE.fullmatch(key):
            refuse(_("Time point %(i)d needs a key of lower-case letters, digits, '-' or '_' (at most 40).")
                   % {"i": index})
        if key in keys:
            refuse(_("The key '%(key)s' is used twice.") % {"key": key})
        keys.add(key)
        label = point.get("label")
        if not isinstance(label, str) or not label.strip() or len(label) > 60:
            refuse(_("Time point '%(key)s' needs a label of at most 60 characters.") % {"key": key})
        anchor = point.get("anchor")
        if anchor not in Anchor.values:
            refuse(_("The anchor of '%(key)s' must be one of: %(values)s.")
                   % {"key": key, "values": ", ".join(Anchor.values)})
        offset = point.get("offset_hours")
        if not isinstance(offset, int) or isinstance(offset, bool) or not 0 <= offset <= MAX_OFFSET_HOURS:
            refuse(_("The offset of '%(key)s' must be a whole number of hours from 0 to %(n)d.")
                   % {"key": key, "n": MAX_OFFSET_HOURS})
        form = point.get("form") or ""
        if not isinstance(form, str) or len(form) > 60:
            refuse(_("The form of '%(key)s' must be a form code.") % {"key": key})
        tiers = point.get("tiers", [t.value for t in TIER_ORDER])
        if (not isinstance(tiers, list) or not tiers or len(set(tiers)) != len(tiers)
                or any(t not in [o.value for o in TIER_ORDER] for t in tiers)):
            refuse(_("The steps of '%(key)s' must be a non-empty list of: voice, selfreport, manual.") % {"key": key})
        order = [t.value for t in TIER_ORDER]
        if tiers != sorted(tiers, key=order.index):
            refuse(_("The steps of '%(key)s' run in the order voice, selfreport, manual.") % {"key": key})
        windows = {}
        for name, default in WINDOW_DEFAULTS.items():
            hours = point.get(name, default)
            if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= MAX_WINDOW_HOURS:
                refuse(_("'%(name)s' of '%(key)s' must be a whole number of hours from 1 to %(n)d.")
                       % {"name": name, "key": key, "n": MAX_WINDOW_HOURS})
            windows[name] = hours
        cleaned.append({"key": key, "label": label.strip(), "anchor": anchor, "offset_hours": offset, "form": form,
                        "tiers": list(tiers), **windows})
    return sorted(cleaned, key=lambda p: (p["offset_hours"], p["anchor"], p["key"]))
