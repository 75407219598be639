"""Case-scoped lab and exam results (A3–A5, D2): thin views over clinical.selectors and clinical.services.

The case is looked up through the caller's ward scope (cases.selectors.case_get → get_scoped_or_404), so results
of another ward's patient answer 404 like a missing case; every read is audited against the case.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import requires
from audit.services import audit_patient_read
from cases import selectors as case_selectors
from cases.permissions import VIEW_CASES
from clinical import selectors, services
from clinical.api import serializers as s
from clinical.models import ExamReport, LabResult
from clinical.permissions import REFRESH_RESULTS, VIEW_RESULTS
from core.errors import ExternalServiceError, InvalidInput, NotFound


def _query(serializer_class, request):
    data = serializer_class(data=request.query_params)
    if not data.is_valid():
        raise InvalidInput(fields={k: [str(m) for m in v] for k, v in data.errors.items()})
    return data.validated_data


def _visit(case, requested: str | None) -> str | None:
    """The visit asked for, else the case's own visit (None: every visit of the patient)."""
    return (requested or "").strip() or case.visit_no or None


class _CaseResultsView(generics.ListAPIView):
    permission_classes = [requires(VIEW_CASES.slug, VIEW_RESULTS.slug)]
    filter_backends = []
    audit_detail = ""

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_patient_read(request.user, self.case, detail=self.audit_detail)
        return response


@extend_schema(tags=["clinical results"], parameters=[
    OpenApiParameter("q", str, description="Item name or code, or report name"),
    OpenApiParameter("abnormal", bool, description="Only abnormal results"),
    OpenApiParameter("visit_no", str, description="Visit number; the case's visit when left out"),
])
class CaseLabResultListView(_CaseResultsView):
    """Lab results of the case's patient for a visit, with reference ranges and arrows (A3, A4)."""

    serializer_class = s.ClinicalLabResultSerializer
    audit_detail = "lab results"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return LabResult.objects.none()
        self.case = case_selectors.case_get(self.request.user, self.kwargs["uuid"])
        query = _query(s.ClinicalLabResultQuerySerializer, self.request)
        return selectors.lab_results_search(patient=self.case.patient, visit_no=_visit(self.case, query.get("visit_no")),
                                            q=query.get("q"), abnormal_only=query["abnormal"])


@extend_schema(tags=["clinical results"], parameters=[
    OpenApiParameter("q", str, description="Exam name or code, or a word of the conclusion"),
    OpenApiParameter("kind", str, enum=["exam", "ecg"]),
    OpenApiParameter("visit_no", str, description="Visit number; the case's visit when left out"),
])
class CaseExamReportListView(_CaseResultsView):
    """Imaging/ultrasound and ECG reports of the case's patient for a visit (A5)."""

    serializer_class = s.ClinicalExamReportSerializer
    audit_detail = "exam reports"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ExamReport.objects.none()
        self.case = case_selectors.case_get(self.request.user, self.kwargs["uuid"])
        query = _query(s.ClinicalExamReportQuerySerializer, self.request)
        return selectors.exam_reports_search(patient=self.case.patient, visit_no=_visit(self.case, query.get("visit_no")),
                                             q=query.get("q"), kind=query.get("kind"))


@extend_schema(tags=["clinical results"])
class CaseResultsRefreshView(APIView):
    """Fetch the visit's reports again from the LIS and PACS/ECG (502 when one is down: what it answered before
    stays readable, and what the other system answered is stored)."""

    permission_classes = [requires(VIEW_CASES.slug, REFRESH_RESULTS.slug)]

    @extend_schema(request=s.ClinicalResultsRefreshInputSerializer, responses=s.ClinicalResultsRefreshResultSerializer)
    def post(self, request, uuid):
        case = case_selectors.case_get(request.user, uuid)
        data = s.ClinicalResultsRefreshInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        visit_no = _visit(case, data.validated_data.get("visit_no"))
        if not visit_no:
            raise InvalidInput(fields={"visit_no": [_("The case has no visit number; give the visit to fetch.")]})
        counts = services.clinical_results_fetch(patient=case.patient, visit_no=visit_no, actor=request.user)
        return Response(s.ClinicalResultsRefreshResultSerializer(counts).data)


@extend_schema(tags=["clinical results"], parameters=[
    OpenApiParameter("refresh", bool, description="Ask the PACS again for the report's images"),
], responses=s.ClinicalExamImagesSerializer)
class CaseExamImageListView(APIView):
    """The images of one exam report of the case's patient (D3): viewable images within the transfer limit are
    copied into object storage on first look and served through short-lived links; larger ones and DICOM
    originals are listed with their size and why they are not shown. Audited read."""

    permission_classes = [requires(VIEW_CASES.slug, VIEW_RESULTS.slug)]

    def get(self, request, case_uuid, uuid):
        from clinical.models import ExamImageStatus

        case = case_selectors.case_get(request.user, case_uuid)
        report = selectors.exam_report_get(patient=case.patient, uuid=uuid)
        if report is None:
            raise NotFound()
        query = _query(s.ClinicalExamImagesQuerySerializer, request)
        sync_error = ""
        if report.images_synced_at is None or query["refresh"]:
            try:
                services.exam_images_sync(report=report, actor=request.user)
            except ExternalServiceError as exc:
                sync_error = exc.code
        limits = services.image_limits()
        labels = dict(ExamImageStatus.choices)
        images = [{"uuid": i.uuid, "title": i.title, "content_type": i.content_type, "status": i.status,
                   "status_display": str(labels.get(i.status, i.status)), "declared_size": i.declared_size,
                   "size_bytes": i.size_bytes, "taken_at": i.taken_at, "url": services.exam_image_url(i)}
                  for i in selectors.exam_images_list(report=report)]
        audit_patient_read(request.user, report, detail="exam images")
        return Response(s.ClinicalExamImagesSerializer({
            "report": report.uuid, "synced_at": report.images_synced_at, "sync_error": sync_error,
            "max_bytes": limits["max_bytes"], "url_expires_in": limits["url_seconds"], "images": images}).data)
