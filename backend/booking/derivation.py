"""What the doctor supplies on a booking draft, checked, and what follows from it by the mapping rules (B2).

The mapping rules are the table `RULES`: each derived field names its source field and how it is read, so the
draft response can show every derived value with where it came from (`derived_fields`).
- surgeon → department (the surgeon's department; the ward's when the surgeon has none);
- procedure → code and name (as booked), surgical grade, body site, incision class (read from the catalogue);
- procedure → expected duration and anaesthesia method, as defaults the doctor may change.
"""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import AnaesthesiaMethod, Session, SurgicalPosition
from core.errors import InvalidInput
from core.serialization import to_jsonable

# Fields the doctor may change on a draft, with the value each takes when cleared.
SUPPLIED = {
    "ward": None, "surgeon": None, "procedure": None, "anaesthesia_method": "", "planned_date": None,
    "planned_session": "", "expected_duration_minutes": None, "preferred_suite": None, "preferred_room": None,
    "position": "", "preferred_sequence": None, "assistants": None, "triage_level": None, "diagnosis_code": "",
    "diagnosis_name": "", "remarks": "",
}
_FOREIGN = ("ward", "surgeon", "procedure", "preferred_suite", "preferred_room")


@dataclass(frozen=True)
class Rule:
    field: str
    source: str  # the supplied field it follows
    read: object  # read(case) -> value shown
    label: str
    stored: bool = False  # kept on the case (else read from the source each time)
    default_only: bool = False  # a default the doctor may override


def department_for(surgeon, ward):
    return surgeon.department if surgeon is not None and surgeon.department_id else ward.department


def _ref(obj):
    return None if obj is None else {"uuid": str(obj.uuid), "name": obj.name}


def _procedure_attr(name):
    return lambda case: getattr(case.procedure, name) if case.procedure_id else None


RULES = (
    Rule("department", "surgeon", lambda c: _ref(c.department), _("the surgeon's department"), stored=True),
    Rule("procedure_code", "procedure", lambda c: c.procedure_code, _("the catalogue procedure"), stored=True),
    Rule("procedure_name", "procedure", lambda c: c.procedure_name, _("the catalogue procedure"), stored=True),
    Rule("grade", "procedure", _procedure_attr("grade"), _("the procedure's surgical grade")),
    Rule("body_site", "procedure", _procedure_attr("body_site"), _("the procedure's body site")),
    Rule("incision_class", "procedure", _procedure_attr("incision_class"), _("the procedure's incision class")),
    Rule("expected_duration_minutes", "procedure", lambda c: c.expected_duration_minutes,
         _("the procedure's typical duration"), stored=True, default_only=True),
    Rule("anaesthesia_method", "procedure", lambda c: c.anaesthesia_method,
         _("the procedure's only anaesthesia method"), stored=True, default_only=True),
)


def derived_fields(case) -> dict:
    """{field: {"value", "derived_from", "rule"}} for the draft response."""
    return {
        r.field: {"value": r.read(case), "derived_from": r.source, "rule": str(r.label)}
        for r in RULES
        if getattr(case, f"{r.source}_id", None) is not None
    }


def snapshot(case) -> dict:
    values = {}
    for name in SUPPLIED:
        if name == "assistants":
            continue
        value = getattr(case, name)
        values[name] = str(value.uuid) if name in _FOREIGN and value is not None else value
    values.update(department=str(case.department.uuid), procedure_name=case.procedure_name,
                  procedure_code=case.procedure_code)
    return to_jsonable(values)


def _check(case, changes):
    problems = {}

    def bad(field, message):
        problems.setdefault(field, []).append(message)

    surgeon = changes.get("surgeon", case.surgeon)
    if "surgeon" in changes and (surgeon is None or not surgeon.is_active or getattr(surgeon, "is_patient", False)):
        bad("surgeon", _("Choose an enabled surgeon."))
    procedure = changes.get("procedure", case.procedure)
    if "procedure" in changes and procedure is not None and not procedure.is_active:
        bad("procedure", _("This procedure is disabled."))
    method = changes.get("anaesthesia_method", case.anaesthesia_method)
    if method and method not in AnaesthesiaMethod.values:
        bad("anaesthesia_method", _("Unknown anaesthesia method."))
    elif method and procedure is not None and procedure.anaesthesia_methods and (
        method not in procedure.anaesthesia_methods
    ):
        bad("anaesthesia_method", _("This anaesthesia method is not one of the procedure's methods."))
    planned = changes.get("planned_date")
    if planned is not None and planned < timezone.localdate():
        bad("planned_date", _("The planned date cannot be in the past."))
    if changes.get("planned_session") and changes["planned_session"] not in Session.values:
        bad("planned_session", _("Unknown session."))
    if changes.get("position") and changes["position"] not in SurgicalPosition.values:
        bad("position", _("Unknown position."))
    suite = changes.get("preferred_suite", case.preferred_suite)
    room = changes.get("preferred_room", case.preferred_room)
    if room is not None and suite is not None and room.suite_id != suite.pk:
        bad("preferred_room", _("This room is not in the preferred theatre suite."))
    for assistant in changes.get("assistants") or ():
        if surgeon is not None and assistant.pk == surgeon.pk:
            bad("assistants", _("The surgeon cannot also be an assistant."))
        elif not assistant.is_active or assistant.is_virtual:
            bad("assistants", _("Choose enabled staff as assistants."))
    if problems:
        raise InvalidInput(fields=problems)


def apply(case, changes) -> set:
    """Check and set the supplied `changes` on `case`, then the derived fields. Returns the changed names."""
    unexpected = sorted(set(changes) - set(SUPPLIED))
    if unexpected:
        raise InvalidInput(code="unexpected_fields",
                           fields={k: [_("This field cannot be edited here.")] for k in unexpected})
    _check(case, changes)
    before = snapshot(case)
    old_procedure = case.procedure
    for name, value in changes.items():
        if name == "assistants":
            continue
        setattr(case, name, SUPPLIED[name] if value is None else value)
    if "surgeon" in changes or "ward" in changes:
        case.department = department_for(case.surgeon, case.ward)
    procedure = case.procedure
    if "procedure" in changes and procedure is not None and procedure != old_procedure:
        case.procedure_code, case.procedure_name = procedure.code, procedure.name
        if "expected_duration_minutes" not in changes:
            case.expected_duration_minutes = procedure.default_duration_minutes
        methods = procedure.anaesthesia_methods or []
        if "anaesthesia_method" not in changes and len(methods) == 1:
            case.anaesthesia_method = methods[0]
        elif "anaesthesia_method" not in changes and methods and case.anaesthesia_method not in methods:
            case.anaesthesia_method = ""  # the old procedure's method does not fit the new one
    after = snapshot(case)
    changed = {k for k in after if after[k] != before.get(k)}
    if "assistants" in changes:
        current = {a.pk for a in case.assistants.all()} if case.pk else set()
        if current != {a.pk for a in changes["assistants"] or ()}:
            changed.add("assistants")
    return changed
