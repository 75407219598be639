"""Demo treatment plans: the first week after discharge for the demo hospital's recently discharged cases, built
from each case's discharge instructions (or the general week) with a drug item, saved and published through the
services (so `recovery.treatment_plan.published` reaches messaging and the timeline). Idempotent: a case with a plan
is left alone."""

from cases.models import CaseState, SurgicalCase
from core.errors import DomainError
from recovery import selectors, services
from recovery.models import TreatmentPlan

LIMIT = 12
PAIN_RELIEF = {"category": "drug", "day_from": 1, "day_to": 3, "title": "术后止痛", "drug_name": "布洛芬缓释胶囊",
               "dose": "0.3 g", "route": "口服", "frequency": "每12小时一次", "instructions": "疼痛明显时服用，饭后服"}


def seed_recovery(hospital, *, write=print) -> int:
    # The same cases every run (a second run must add nothing): the LIMIT latest, less those with a plan.
    latest = list(SurgicalCase.objects.filter(ward__department__hospital=hospital,
                                              state__in=(CaseState.DISCHARGED, CaseState.FOLLOW_UP))
                  .select_related("ward", "patient").order_by("-discharged_at", "-id")[:LIMIT])
    planned = set(TreatmentPlan.objects.filter(case__in=latest).values_list("case_id", flat=True))
    cases = [c for c in latest if c.pk not in planned]
    made = 0
    for case in cases:
        items = [PAIN_RELIEF, *selectors.treatment_plan_suggestion(case)]
        try:
            services.treatment_plan_save(case=case, actor=None, items=items, base_version=0, publish=True,
                                         note="如有任何不适，请通过患者端在线咨询或致电日间手术中心。")
        except DomainError as exc:
            write(f"  treatment plan of {case.uuid} skipped: {exc}")
            continue
        made += 1
    write(f"  treatment plans: {made} published")
    return made
