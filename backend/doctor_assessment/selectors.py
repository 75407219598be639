"""Reads of the doctor assessment. Every patient-bearing queryset goes through org.scoping."""

from datetime import date

from django.db.models import OuterRef, Q, QuerySet, Subquery

from cases.models import SurgicalCase
from doctor_assessment.models import CaseFinding, DoctorAssessment, HighRiskRule, HighRiskRuleVersion
from org.scoping import get_scoped_or_404, scope_queryset

# What a doctor's list shows by default: cases still ahead of (or on) their surgery day.
LIST_STATES = ("pending_pool", "booked", "application_sent", "scheduled", "admitted", "in_theatre", "operated")


def effective_rules(hospital) -> list[HighRiskRule]:
    """The hospital's own rules plus the platform defaults whose key it has not taken over."""
    qs = HighRiskRule.objects.select_related("procedure", "department", "hospital")
    own = list(qs.filter(hospital=hospital)) if hospital is not None else []
    taken = {r.key for r in own}
    defaults = [r for r in qs.filter(hospital__isnull=True) if r.key not in taken]
    return sorted(own + defaults, key=lambda r: (r.position, r.key, r.pk))


def rule_versions(rule) -> QuerySet[HighRiskRuleVersion]:
    return HighRiskRuleVersion.objects.filter(rule_uuid=rule.uuid).order_by("-version", "-at")


def _latest(field):
    return Subquery(DoctorAssessment.objects.filter(case=OuterRef("pk")).order_by("-decided_at", "-id")
                    .values(field)[:1])


def doctor_case_list(user, *, surgeon_ids, date_from: date, date_to: date, high_risk_only=False,
                     states=LIST_STATES) -> QuerySet[SurgicalCase]:
    """The doctor's own cases (surgeon, or virtual surgeon, among `surgeon_ids`) planned in [date_from, date_to], in
    the doctor's wards, with the risk state and the newest decision in the same query."""
    qs = (SurgicalCase.objects
          .select_related("patient", "ward", "department", "surgeon", "procedure", "risk_state")
          .prefetch_related("patient__identifiers")
          .filter(planned_date__gte=date_from, planned_date__lte=date_to, state__in=states)
          .annotate(latest_decision=_latest("decision"), latest_note=_latest("note"),
                    latest_author=_latest("author_name"), latest_decided_at=_latest("decided_at"))
          .order_by("planned_date", "planned_session", "ward__code", "pk"))
    if surgeon_ids is not None:  # None: every surgeon (superusers)
        qs = qs.filter(Q(surgeon_id__in=surgeon_ids) | Q(virtual_surgeon_id__in=surgeon_ids))
    if high_risk_only:
        qs = qs.filter(risk_state__high_risk=True)
    return scope_queryset(qs, user)


def case_for_assessment(user, uuid) -> SurgicalCase:
    qs = (SurgicalCase.objects
          .select_related("patient", "ward__department__hospital", "department__hospital", "surgeon", "procedure",
                          "risk_state")
          .prefetch_related("patient__identifiers")
          .annotate(latest_decision=_latest("decision"), latest_note=_latest("note"),
                    latest_author=_latest("author_name"), latest_decided_at=_latest("decided_at")))
    return get_scoped_or_404(qs, user, uuid=uuid)


def case_findings(case) -> QuerySet[CaseFinding]:
    return (CaseFinding.objects.filter(case=case).select_related("rule", "lab_result__report", "exam_report")
            .order_by("category", "label", "id"))


def case_assessments(case) -> QuerySet[DoctorAssessment]:
    return DoctorAssessment.objects.filter(case=case).order_by("-decided_at", "-id")
