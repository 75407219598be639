"""Named filters that select only the cases that need a message (W1): a registry of small functions evaluated on
the case when a plan fires. A plan lists them as data, `[{"name": "education_not_read", "params": {"kind":
"preop"}}]`; every filter must pass. Adding a filter = one function registered here (and its label).
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import InvalidInput
from core.event_rules import event_matcher_clean, event_matches


@dataclass(frozen=True)
class Filter:
    name: str
    label: object
    params: dict  # param name -> description (for the configuration screen)
    clean: object  # clean(params) -> params, raising ValueError(message)
    test: object  # test(case, params) -> bool


REGISTRY: dict[str, Filter] = {}


def register(name, label, params=None, clean=None):
    def deco(fn):
        REGISTRY[name] = Filter(name, label, params or {}, clean or (lambda p: {}), fn)
        return fn

    return deco


def _events(case, types):
    from cases.models import CaseEvent

    return CaseEvent.objects.filter(case=case, type__in=types)


def _clean_kind(params):
    kind = params.get("kind", "preop")
    if kind not in ("preop", "admission", "discharge", "any"):
        raise ValueError(_("'kind' must be preop, admission, discharge or any."))
    return {"kind": kind}


@register("education_not_read", gettext_lazy("The patient has not read the education material (of a phase)"),
          {"kind": gettext_lazy("preop, admission, discharge or any")}, _clean_kind)
def education_not_read(case, params):
    events = _events(case, ["education.material.read"])
    if params.get("kind", "preop") != "any":
        events = events.filter(payload__kind=params.get("kind", "preop"))
    return not events.exists()


def _clean_states(params):
    from cases.models import CaseState

    states = params.get("states")
    if not isinstance(states, list) or not states or any(s not in CaseState.values for s in states):
        raise ValueError(_("'states' must list case states."))
    return {"states": list(states)}


@register("case_state_in", gettext_lazy("The case is in one of these states"),
          {"states": gettext_lazy("list of case states")}, _clean_states)
def case_state_in(case, params):
    return case.state in params["states"]


def _clean_matcher(params):
    try:
        return {"matcher": event_matcher_clean(params.get("matcher"), "matcher")}
    except InvalidInput as exc:
        raise ValueError("; ".join(str(m) for m in exc.fields.get("matcher", []))) from None


def _any_event(case, matcher):
    patterns = matcher.get("types", [])
    from cases.models import CaseEvent

    events = CaseEvent.objects.filter(case=case).only("type", "payload")
    exact = [p for p in patterns if not any(c in p for c in "*?[")]
    if exact and len(exact) == len(patterns):
        events = events.filter(type__in=exact)
    return any(event_matches(matcher, e.type, {"data": e.payload}) for e in events)


@register("event_absent", gettext_lazy("No case event matches (e.g. the patient has not confirmed)"),
          {"matcher": gettext_lazy("an event matcher; where paths start with data.")}, _clean_matcher)
def event_absent(case, params):
    return not _any_event(case, params["matcher"])


@register("event_present", gettext_lazy("Some case event matches"),
          {"matcher": gettext_lazy("an event matcher; where paths start with data.")}, _clean_matcher)
def event_present(case, params):
    return _any_event(case, params["matcher"])


@register("not_confirmed", gettext_lazy("The patient has not confirmed attending (no patient.attendance.confirmed)"))
def not_confirmed(case, params):
    return not _events(case, ["patient.attendance.confirmed"]).exists()


def _clean_results(params):
    kind = params.get("kind", "any")
    if kind not in ("lab", "exam", "any"):
        raise ValueError(_("'kind' must be lab, exam or any."))
    return {"kind": kind}


@register("results_missing", gettext_lazy("No lab or exam report of this visit arrived yet (exam missing)"),
          {"kind": gettext_lazy("lab, exam or any")}, _clean_results)
def results_missing(case, params):
    from clinical.models import ExamReport, LabReport

    def has(model):
        qs = model.objects.filter(patient_id=case.patient_id)
        if case.visit_no:
            qs = qs.filter(visit_no=case.visit_no)
        return qs.exists()

    kind = params.get("kind", "any")
    if kind == "lab":
        return not has(LabReport)
    if kind == "exam":
        return not has(ExamReport)
    return not (has(LabReport) or has(ExamReport))


def _clean_forms(params):
    source = params.get("source", "")
    if source and source not in ("followup", "custom", "registration", "education"):
        raise ValueError(_("'source' must be followup, custom, registration or education."))
    return {"source": source} if source else {}


@register("form_not_submitted", gettext_lazy("A form assigned to the patient is still unanswered"),
          {"source": gettext_lazy("optional: followup, custom, registration or education")}, _clean_forms)
def form_not_submitted(case, params):
    """Replays the case's form events in order: assigned → open; a complete response → done; withdrawn
    (forms.assignment.cancelled) → done (nothing left to fill); reopened → open again. A form that cannot be
    filled in yet (available_from in the future) is not waiting for the patient. The cancel/reopen events carry
    no `source`: the assignment's own source (from its assigned event) decides."""
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    wanted = params.get("source")
    sources, available, open_ = {}, {}, {}
    events = _events(case, ["forms.form.assigned", "forms.response.submitted", "forms.assignment.cancelled",
                            "forms.assignment.reopened"]).only("type", "payload").order_by("sequence")
    for e in events:
        data = e.payload or {}
        assignment = data.get("assignment")
        if not assignment:
            continue
        if e.type == "forms.form.assigned":
            sources[assignment] = data.get("source")
            available[assignment] = data.get("available_from")
            open_[assignment] = True
        elif e.type == "forms.response.submitted":
            sources.setdefault(assignment, data.get("source"))
            if data.get("complete", True):
                open_[assignment] = False
        elif e.type == "forms.assignment.cancelled":
            open_[assignment] = False
        elif e.type == "forms.assignment.reopened" and assignment in open_:
            open_[assignment] = True
    now = timezone.now()
    for assignment, is_open in open_.items():
        if not is_open or (wanted and sources.get(assignment) != wanted):
            continue
        start = parse_datetime(available[assignment]) if isinstance(available.get(assignment), str) else None
        if start is not None and timezone.is_aware(start) and start > now:
            continue  # M6: it cannot be filled in yet, so nothing is waiting for the patient
        return True
    return False


@register("patient_uses_app", gettext_lazy("The patient has logged in to the patient app"))
def patient_uses_app(case, params):
    return _events(case, ["patient.app.logged_in"]).exists()


@register("patient_not_using_app", gettext_lazy("The patient has not logged in to the patient app"))
def patient_not_using_app(case, params):
    return not _events(case, ["patient.app.logged_in"]).exists()


def filters_clean(value, field="filters") -> list:
    """Validate a plan's filter list from an administrator (field errors)."""
    if value in (None, ""):
        return []
    if not isinstance(value, list) or len(value) > 10:
        raise InvalidInput(fields={field: [_("Give a list of at most 10 filters.")]})
    cleaned = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or set(item) - {"name", "params"}:
            raise InvalidInput(fields={field: [_("Filter %(n)d must be {\"name\": …, \"params\": {…}}.") % {"n": i + 1}]})
        spec = REGISTRY.get(item.get("name"))
        if spec is None:
            raise InvalidInput(fields={field: [_("Unknown filter: %(name)s.") % {"name": item.get("name")}]})
        params = item.get("params") or {}
        if not isinstance(params, dict):
            raise InvalidInput(fields={field: [_("The params of %(name)s must be an object.") % {"name": spec.name}]})
        try:
            params = spec.clean(params)
        except ValueError as exc:
            raise InvalidInput(fields={field: [f"{spec.name}: {exc}"]}) from None
        cleaned.append({"name": spec.name, "params": params})
    return cleaned


def case_passes(case, filters: list) -> bool:
    for item in filters or []:
        spec = REGISTRY.get(item.get("name"))
        if spec is None or not spec.test(case, item.get("params") or {}):
            return False  # an unknown filter (removed from the code) selects nobody
    return True


def filter_catalogue() -> list[dict]:
    return [{"name": f.name, "label": str(f.label), "params": {k: str(v) for k, v in f.params.items()}}
            for f in REGISTRY.values()]
