"""Pure rules of the stay context: PADS scoring, theatre time order, discharge readiness (called by the case state
machine's discharge guard, so every discharge path — this app's API, the generic transition — obeys it)."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from accounts.permissions import has_permission
from stay import errors
from stay.conf import conf
from stay.models import PADS_ITEMS, POINT_ORDER, DischargeAssessment

PADS_LABELS = {
    "vital_signs": _("vital signs"),
    "activity": _("activity level"),
    "nausea_vomiting": _("nausea and vomiting"),
    "pain": _("pain"),
    "surgical_bleeding": _("surgical bleeding"),
}
# What each score means (modified PADS, Chung 1995), shown to the assessor.
PADS_SCALE = {
    "vital_signs": {2: _("within 20 percent of the pre-operative value"), 1: _("20–40 percent of the pre-operative value"),
                    0: _("more than 40 percent from the pre-operative value")},
    "activity": {2: _("steady gait, no dizziness, or at the pre-operative level"),
                 1: _("needs assistance"), 0: _("unable to walk")},
    "nausea_vomiting": {2: _("minimal, treated with oral medication"), 1: _("moderate, treated with parenteral "
                                                                           "medication"),
                        0: _("severe, continues despite treatment")},
    "pain": {2: _("acceptable to the patient, controlled with oral analgesics"), 1: _("barely acceptable"),
             0: _("not acceptable")},
    "surgical_bleeding": {2: _("minimal, no dressing change"), 1: _("moderate, up to two dressing changes"),
                          0: _("severe, more than three dressing changes")},
}


def pads_score(items: dict) -> tuple[int, bool, int]:
    """(score, passed, ready score). Passed: the total reaches the ready score and no item is 0."""
    ready = conf("STAY_PADS_READY_SCORE")
    score = sum(int(items[name]) for name in PADS_ITEMS)
    return score, score >= ready and min(int(items[name]) for name in PADS_ITEMS) > 0, ready


def theatre_order_problems(times: dict) -> dict:
    """{point: [message]} for recorded points that come before an earlier point in the sequence of theatre."""
    problems = {}
    ordered = sorted(((POINT_ORDER[p], p, at) for p, at in times.items() if at is not None))
    latest_point, latest_at = None, None
    for _rank, point, at in ordered:
        if latest_at is not None and at < latest_at:
            from stay.models import TheatrePoint

            problems[point] = [_("This cannot be earlier than “%(point)s”.") % {
                "point": TheatrePoint(latest_point).label}]
            continue
        latest_point, latest_at = point, at
    return problems


def latest_assessment(case, *, before):
    """The newest discharge assessment of `case` made after the operation and not after `before`."""
    qs = DischargeAssessment.objects.filter(case=case, assessed_at__lte=before)
    after = case.operated_at or case.theatre_out_at
    if after is not None:
        qs = qs.filter(assessed_at__gte=after)
    return qs.order_by("-assessed_at", "-id").first()


def discharge_readiness_check(case, data, occurred_at, actor) -> None:
    """The discharge guard (G3). Records in `data` (and so in the discharge event) what the decision rested on.

    - the latest assessment after the operation passed, and is at most STAY_PADS_VALID_HOURS old: allowed;
    - otherwise staff must give `reason` (a documented override), and hold stay.override_discharge_criteria;
    - the system (an HIS reporting a discharge that already happened) is never refused: the missing assessment is
      recorded.
    """
    from core.errors import InvalidInput
    from stay.permissions import OVERRIDE_DISCHARGE_CRITERIA

    ended = case.theatre_out_at or case.operated_at
    if ended is not None and occurred_at < ended:
        raise InvalidInput(fields={"occurred_at": [_("The discharge comes after the operation ended.")]})
    assessment = latest_assessment(case, before=occurred_at)
    valid_from = occurred_at - timedelta(hours=conf("STAY_PADS_VALID_HOURS"))
    usable = assessment is not None and assessment.passed and assessment.assessed_at >= valid_from
    data["discharge_assessment"] = (
        {"uuid": str(assessment.uuid), "score": assessment.score, "passed": assessment.passed,
         "assessed_at": assessment.assessed_at, "current": assessment.assessed_at >= valid_from}
        if assessment is not None else None
    )
    if usable:
        return
    if actor["type"] == "system":
        data["discharge_override"] = "system"
        return
    if not data.get("reason"):
        raise errors.DischargeAssessmentRequired(extra={"assessment": data["discharge_assessment"]})
    user = actor.get("user")
    if user is None or not has_permission(user, OVERRIDE_DISCHARGE_CRITERIA.slug):
        raise errors.OverrideNotPermitted()
    data["discharge_override"] = "staff"
