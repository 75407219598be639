"""Reads of recovery after discharge. Staff reach a plan through its case (cases.selectors.case_get: ward scope);
patients only their own published plan (accounts.patient_scope). The follow-up patient view (SA8) is a composition
of other contexts' selectors: stay (the day of surgery, discharge instructions), clinical (lab and exam records),
forms (recovery answers), followup (the follow-up plan tree and tags)."""

from datetime import timedelta

from django.db.models import Prefetch
from django.utils import timezone

from accounts.patient_scope import patient_queryset
from core.errors import NotFound
from recovery import defaults
from recovery.models import PLAN_DAYS, ItemCategory, TreatmentPlan, TreatmentPlanItem, TreatmentPlanVersion

LAB_LIMIT, EXAM_LIMIT, RESPONSE_LIMIT = 100, 20, 50


def _versions():
    return Prefetch("versions", queryset=TreatmentPlanVersion.objects.select_related("created_by", "published_by")
                    .prefetch_related(Prefetch("items", queryset=TreatmentPlanItem.objects.order_by("position", "id")))
                    .order_by("-number"))


def treatment_plan_get(case) -> TreatmentPlan | None:
    return (TreatmentPlan.objects.filter(case=case).select_related("case", "published")
            .prefetch_related(_versions()).first())


def start_date(case):
    """Day 1 of the plan is the day after the discharge (planned: the day after the operation date)."""
    if case.discharged_at:
        return timezone.localtime(case.discharged_at).date() + timedelta(days=1)
    if case.planned_date:
        return case.planned_date + timedelta(days=1)
    return None


def plan_days(version, case) -> list[dict]:
    """The version's items day by day (an item spanning days 1–7 appears on each), with the calendar date."""
    first = start_date(case)
    items = list(version.items.all())
    return [
        {"day": day, "date": first + timedelta(days=day - 1) if first else None,
         "items": [i for i in items if i.day_from <= day <= i.day_to and i.category != ItemCategory.WARNING_SIGN]}
        for day in range(1, PLAN_DAYS + 1)
    ]


def warning_signs(version) -> list:
    return [i for i in version.items.all() if i.category == ItemCategory.WARNING_SIGN]


def my_treatment_plan(principal, case_uuid) -> TreatmentPlan:
    """The patient's own published plan of one case; anything else is not found."""
    plan = (patient_queryset(TreatmentPlan.objects.select_related("case", "published"), principal)
            .filter(case__uuid=case_uuid, published__isnull=False)
            .prefetch_related(Prefetch("published__items", queryset=TreatmentPlanItem.objects.order_by("position")))
            .first())
    if plan is None:
        raise NotFound()
    return plan


def treatment_plan_suggestion(case) -> list[dict]:
    """Items to start from: the discharge instructions when the case has them, else the general first week."""
    from stay.models import Discharge

    discharge = Discharge.objects.filter(case=case).only("instructions").first()
    instructions = (discharge.instructions if discharge else None) or {}
    items = []
    for topic, (category, title) in defaults.FROM_INSTRUCTIONS.items():
        text = str(instructions.get(topic) or "").strip()
        if text:
            items.append({"category": category, "day_from": 1, "day_to": PLAN_DAYS, "title": title,
                          "instructions": text[:1000], "drug_name": "", "dose": "", "route": "", "frequency": ""})
    if not any(i["category"] == ItemCategory.WARNING_SIGN for i in items):
        return [{"drug_name": "", "dose": "", "route": "", "frequency": "", **item} for item in defaults.GENERAL_WEEK]
    return items


# --- the follow-up patient view (SA8) -------------------------------------------------------------------------------


def followup_patient_view(principal, case) -> dict:
    """Everything a follow-up nurse or doctor needs on one screen, for a case the principal may see: the patient,
    the case, the day of surgery and the discharge (stay), this patient's lab and exam records (clinical), the
    treatment plan, the recovery answers (forms) and the follow-up plan tree with tags (followup)."""
    from clinical.selectors import exam_reports_search, lab_results_search
    from followup.selectors import plan_tree
    from forms.selectors import response_list
    from stay.selectors import stay_record_get

    patient = case.patient
    tree = plan_tree(principal, patient.uuid)
    branch = next((b for b in tree["cases"] if b["case"].pk == case.pk), None)
    return {
        "patient": patient,
        "case": case,
        "stay": stay_record_get(case),
        "lab_results": list(lab_results_search(patient=patient)[:LAB_LIMIT]),
        "abnormal_lab_results": list(lab_results_search(patient=patient, abnormal_only=True)[:LAB_LIMIT]),
        "exam_reports": list(exam_reports_search(patient=patient)[:EXAM_LIMIT]),
        "treatment_plan": treatment_plan_get(case),
        "recovery_answers": list(response_list(principal, case=case).order_by("-submitted_at")[:RESPONSE_LIMIT]),
        "followup": branch,
    }


# --- the recovery worklist (SA8: track recovery after discharge) ----------------------------------------------------

PLAN_FILTERS = ("none", "draft", "published")


def recovery_list(principal, *, ward=None, days: int = PLAN_DAYS, plan: str | None = None,
                  abnormal: bool | None = None, now=None):
    """Cases of the principal's wards discharged in the last `days` days (newest first) with what their recovery
    needs: the treatment plan's state, the latest recovery answer (abnormal?) and the open to-dos. One query."""
    from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
    from django.db.models.functions import Coalesce

    from cases.models import CaseState, SurgicalCase
    from forms.models import FormResponse
    from org.scoping import scope_queryset
    from recovery.models import VersionStatus
    from todos.models import Todo, TodoStatus

    now = now or timezone.now()
    latest = FormResponse.objects.filter(case=OuterRef("pk")).order_by("-submitted_at", "-id")
    qs = scope_queryset(
        SurgicalCase.objects.filter(state__in=(CaseState.DISCHARGED, CaseState.FOLLOW_UP),
                                    discharged_at__gte=now - timedelta(days=days))
        .select_related("patient", "ward", "surgeon"),
        principal,
    ).annotate(
        plan_version=Subquery(TreatmentPlan.objects.filter(case=OuterRef("pk")).values("published__number")[:1]),
        plan_draft=Exists(TreatmentPlanVersion.objects.filter(plan__case=OuterRef("pk"), status=VersionStatus.DRAFT)),
        last_answer_at=Subquery(latest.values("submitted_at")[:1]),
        last_answer_abnormal=Subquery(latest.values("has_abnormal")[:1]),
        open_todos=Coalesce(Subquery(
            Todo.objects.filter(case=OuterRef("pk"), status=TodoStatus.OPEN).values("case")
            .annotate(n=Count("id")).values("n")[:1], output_field=IntegerField()), 0),
    )
    if ward is not None:
        qs = qs.filter(ward=ward)
    if plan == "none":
        qs = qs.filter(plan_version__isnull=True, plan_draft=False)
    elif plan == "draft":
        qs = qs.filter(plan_draft=True)
    elif plan == "published":
        qs = qs.filter(plan_version__isnull=False)
    if abnormal is True:
        qs = qs.filter(last_answer_abnormal=True)
    elif abnormal is False:
        qs = qs.filter(Q(last_answer_abnormal=False) | Q(last_answer_abnormal__isnull=True))
    return qs.order_by("-discharged_at", "-id")


def day_after_discharge(case, now=None) -> int | None:
    if not case.discharged_at:
        return None
    now = now or timezone.now()
    return (timezone.localtime(now).date() - timezone.localtime(case.discharged_at).date()).days
