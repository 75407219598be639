"""Reads of a patient's stored lab and exam results (A3–A5). Callers authorise first: these take a patient the
caller was allowed to reach (through a scoped case or assessment) and do no scoping of their own."""

from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce

from clinical.models import ExamImage, ExamKind, ExamReport, Flag, LabResult


def _window(qs, prefix: str, issued_from, issued_to):
    """Reports issued in [issued_from, issued_to] (datetimes; None = open). A report without an issue time counts
    from when we fetched it."""
    if issued_from is None and issued_to is None:
        return qs
    qs = qs.annotate(_issued=Coalesce(f"{prefix}issued_at", f"{prefix}fetched_at"))
    if issued_from is not None:
        qs = qs.filter(_issued__gte=issued_from)
    if issued_to is not None:
        qs = qs.filter(_issued__lte=issued_to)
    return qs


def lab_results_search(*, patient, visit_no: str | None = None, q: str | None = None,
                       abnormal_only: bool = False, issued_from=None, issued_to=None) -> QuerySet[LabResult]:
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
    qs = _window(qs, "report__", issued_from, issued_to)
    return qs.order_by("-report__issued_at", "report__report_no", "position", "id")


def exam_reports_search(*, patient, visit_no: str | None = None, q: str | None = None,
                        kind: str | None = None, issued_from=None, issued_to=None) -> QuerySet[ExamReport]:
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
    qs = _window(qs, "", issued_from, issued_to)
    return qs.order_by("-issued_at", "report_no")


def lab_result_get(*, patient, uuid) -> LabResult | None:
    """One lab item of this patient (for citing it into an assessment), or None."""
    return LabResult.objects.select_related("report").filter(report__patient=patient, uuid=uuid).first()


def exam_report_get(*, patient, uuid) -> ExamReport | None:
    return ExamReport.objects.select_related("patient").filter(patient=patient, uuid=uuid).first()


def exam_images_list(*, report) -> QuerySet[ExamImage]:
    return ExamImage.objects.filter(report=report).order_by("position", "id")
