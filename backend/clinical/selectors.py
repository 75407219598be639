"""Reads of a patient's stored lab and exam results (A3–A5). Callers authorise first: these take a patient the
caller was allowed to reach (through a scoped case or assessment) and do no scoping of their own."""

from django.db.models import Q, QuerySet

from clinical.models import ExamKind, ExamReport, Flag, LabResult


def lab_results_search(*, patient, visit_no: str | None = None, q: str | None = None,
                       abnormal_only: bool = False) -> QuerySet[LabResult]:
    """Lab items of the patient (one visit, or all), newest report first, in report order. `q` matches the item
    name or code, or the report's name (血常规 finds every blood-count item)."""
    qs = LabResult.objects.select_related("report").filter(report__patient=patient)
    if visit_no:
        qs = qs.filter(report__visit_no=visit_no)
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__iexact=q) | Q(code__istartswith=q)
                       | Q(report__name__icontains=q) | Q(report__panel_code__iexact=q))
    if abnormal_only:
        qs = qs.exclude(flag__in=[Flag.NORMAL, Flag.NONE])
    return qs.order_by("-report__issued_at", "report__report_no", "position", "id")


def exam_reports_search(*, patient, visit_no: str | None = None, q: str | None = None,
                        kind: str | None = None) -> QuerySet[ExamReport]:
    """Imaging/ultrasound and ECG reports of the patient, newest first. `q` matches the exam name or code, or a
    word of the conclusion (结节)."""
    qs = ExamReport.objects.filter(patient=patient)
    if visit_no:
        qs = qs.filter(visit_no=visit_no)
    if kind:
        qs = qs.filter(kind=kind) if kind in ExamKind.values else qs.none()
    q = (q or "").strip()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(code__iexact=q) | Q(conclusion__icontains=q))
    return qs.order_by("-issued_at", "report_no")


def lab_result_get(*, patient, uuid) -> LabResult | None:
    """One lab item of this patient (for citing it into an assessment), or None."""
    return LabResult.objects.select_related("report").filter(report__patient=patient, uuid=uuid).first()
