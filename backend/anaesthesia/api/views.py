"""Thin views over anaesthesia.selectors and anaesthesia.services. Every look-up is scoped to the caller's wards
(org.scoping); every read of patient data is audited; in-progress assessments are the anaesthetists' own (D4).
"""

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import SecondFactor, has_permission, requires
from anaesthesia import form, selectors, services, validation
from anaesthesia.api import serializers as s
from anaesthesia.models import AnaesthesiaAssessment, AssessmentCitation, ResultMappingRule
from anaesthesia.permissions import ASSESS, MANAGE_MAPPING, VIEW_REPORT
from audit.services import audit_patient_read
from core.api.input import validated_body as _body
from core.api.input import validated_query as _query
from core.errors import InvalidInput, NotFound
from org.scoping import get_scoped_or_404

TAGS = ["anaesthesia clinic"]


class CanReadReports(BasePermission):
    """Anaesthetists, or staff allowed to read concluded reports."""

    def has_permission(self, request, view):
        user = request.user
        if user is None or not user.is_authenticated or getattr(user, "is_patient", False):
            return False
        return has_permission(user, ASSESS.slug) or has_permission(user, VIEW_REPORT.slug)


def _detail(request, assessment, *, status_code=status.HTTP_200_OK, detail="anaesthesia assessment"):
    fresh = selectors.assessment_for_work(request.user, assessment.uuid)
    audit_patient_read(request.user, fresh, detail=detail)
    return Response(s.AssessmentSerializer(fresh).data, status=status_code)


class FormSchemaView(APIView):
    """The assessment form (A2): sections, fields, units, choices, required-for-risk flags and the Chinese
    explanatory notes of specialist items; the diagram vocabularies (teeth, eyes, airway regions)."""

    permission_classes = [CanReadReports]

    @extend_schema(tags=TAGS, parameters=[OpenApiParameter("procedure_type", str, enum=[
        "surgery", "gastroscopy", "colonoscopy", "bronchoscopy"])], responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        procedure_type = request.query_params.get("procedure_type")
        if procedure_type not in (None, "surgery", "gastroscopy", "colonoscopy", "bronchoscopy"):
            raise InvalidInput(fields={"procedure_type": [_("Unknown procedure type.")]})
        return Response(form.form_schema(procedure_type))


class ClinicQueueView(APIView):
    """Who waits for the clinic: cases whose anaesthesia clinic step is pending and sedation appointments
    without a concluded assessment, in the caller's wards, with the open assessment if one was started."""

    permission_classes = [requires(ASSESS.slug)]

    @extend_schema(tags=TAGS, parameters=[s.QueueQuerySerializer], responses={200: s.QueueItemSerializer(many=True)})
    def get(self, request):
        q = _query(s.QueueQuerySerializer, request)
        items = selectors.clinic_queue(request.user, on=q.get("date"), status=q.get("status"))
        return Response(s.QueueItemSerializer(items, many=True).data)


class AssessmentListCreateView(APIView):
    permission_classes = [CanReadReports]

    def get_permissions(self):
        if self.request.method == "POST":
            return [requires(ASSESS.slug)()]
        return super().get_permissions()

    @extend_schema(tags=TAGS, parameters=[
        OpenApiParameter("status", str, enum=["in_progress", "passed", "failed"]),
        OpenApiParameter("case", OpenApiTypes.UUID), OpenApiParameter("sedation_appointment", OpenApiTypes.UUID),
    ], responses={200: s.AssessmentListSerializer(many=True)})
    def get(self, request):
        """Assessments of the caller's wards (concluded ones only for non-anaesthetists), newest first."""
        qs = selectors.visible_assessments(request.user)
        filters = {"status": "status", "case": "case__uuid", "sedation_appointment": "sedation_appointment__uuid"}
        for param, lookup in filters.items():
            value = request.query_params.get(param)
            if value:
                if param != "status":
                    value = _uuid_param(param, value)
                elif value not in ("in_progress", "passed", "failed"):
                    raise InvalidInput(fields={"status": [_("Unknown status.")]})
                qs = qs.filter(**{lookup: value})
        paginator = _paginator()
        page = paginator.paginate_queryset(qs.order_by("-updated_at", "-id"), request, view=self)
        return paginator.get_paginated_response(s.AssessmentListSerializer(page, many=True).data)

    @extend_schema(tags=TAGS, request=s.AssessmentStartSerializer, responses={
        200: s.AssessmentSerializer, 201: s.AssessmentSerializer})
    def post(self, request):
        """Start the assessment of a case or sedation appointment; an open one is returned as it is (200)."""
        v = _body(s.AssessmentStartSerializer, request)
        from anaesthesia.models import SedationAppointment
        from cases.models import SurgicalCase

        case = appointment = None
        if v.get("case"):
            case = get_scoped_or_404(SurgicalCase.objects.all(), request.user, uuid=v["case"])
        else:
            appointment = get_scoped_or_404(SedationAppointment.objects.all(), request.user,
                                            uuid=v["sedation_appointment"])
        assessment, created = services.assessment_start(actor=request.user, case=case,
                                                        sedation_appointment=appointment)
        return _detail(request, assessment, status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _uuid_param(name, value):
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidInput(fields={name: [_("Must be a valid UUID.")]}) from None


def _paginator():
    from rest_framework.settings import api_settings

    return api_settings.DEFAULT_PAGINATION_CLASS()


class AssessmentDetailView(APIView):
    permission_classes = [CanReadReports]

    def get_permissions(self):
        if self.request.method == "PATCH":
            return [requires(ASSESS.slug)()]
        return super().get_permissions()

    @extend_schema(tags=TAGS, responses={200: s.AssessmentSerializer})
    def get(self, request, uuid):
        assessment = selectors.assessment_get(request.user, uuid)
        audit_patient_read(request.user, assessment, detail="anaesthesia assessment")
        return Response(s.AssessmentSerializer(assessment).data)

    @extend_schema(tags=TAGS, request=s.AssessmentUpdateSerializer, responses={200: s.AssessmentSerializer})
    def patch(self, request, uuid):
        """A draft save (partial data, type-checked; `version` must match, else 409)."""
        v = _body(s.AssessmentUpdateSerializer, request)
        assessment = selectors.assessment_for_work(request.user, uuid)
        services.assessment_update(
            assessment=assessment, actor=request.user, expected_version=v["version"], sections=v.get("sections"),
            recommendations=v.get("recommendations") if v.get("recommendations") is not None else None,
            reset_recommendations="recommendations" in request.data and request.data["recommendations"] is None,
            opinion=v.get("opinion"),
        )
        return _detail(request, assessment)


class _AssessmentAction(APIView):
    permission_classes = [requires(ASSESS.slug)]

    def assessment(self, request, uuid):
        return selectors.assessment_for_work(request.user, uuid)


class AutofillView(_AssessmentAction):
    @extend_schema(tags=TAGS, request=s.AutofillSerializer, responses={200: s.AutofillResultSerializer})
    def post(self, request, uuid):
        """Fetch this visit's LIS and PACS/ECG results and fill the mapped fields (A3, A5)."""
        v = _body(s.AutofillSerializer, request)
        result = services.assessment_autofill(assessment=self.assessment(request, uuid), actor=request.user,
                                              expected_version=v.get("version"), overwrite=v["overwrite"])
        return Response(result)


class LabResultSearchView(_AssessmentAction):
    @extend_schema(tags=TAGS, parameters=[s.SearchQuerySerializer], responses={200: s.LabResultSerializer(many=True)})
    def get(self, request, uuid):
        """This visit's lab items, searchable by name or code (A3), with arrows (A4)."""
        from clinical.selectors import lab_results_search

        q = _query(s.SearchQuerySerializer, request)
        assessment = self.assessment(request, uuid)
        results = lab_results_search(patient=assessment.patient, visit_no=services._visit_no(assessment) or None,
                                     q=q.get("q") or None, abnormal_only=q["abnormal_only"]).select_related("report")
        audit_patient_read(request.user, assessment, detail="lab results searched")
        return Response(s.LabResultSerializer(results[:200], many=True).data)


class ExamReportSearchView(_AssessmentAction):
    @extend_schema(tags=TAGS, parameters=[s.SearchQuerySerializer], responses={200: s.ExamReportSerializer(many=True)})
    def get(self, request, uuid):
        """This visit's exam and ECG reports, searchable (A5)."""
        from clinical.selectors import exam_reports_search

        q = _query(s.SearchQuerySerializer, request)
        assessment = self.assessment(request, uuid)
        reports = exam_reports_search(patient=assessment.patient, visit_no=services._visit_no(assessment) or None,
                                      q=q.get("q") or None, kind=q.get("kind"))
        audit_patient_read(request.user, assessment, detail="exam reports searched")
        return Response(s.ExamReportSerializer(reports[:100], many=True).data)


class CitationListCreateView(_AssessmentAction):
    permission_classes = [CanReadReports]

    def get_permissions(self):
        if self.request.method == "POST":
            return [requires(ASSESS.slug)()]
        return super().get_permissions()

    @extend_schema(tags=TAGS, responses={200: s.CitationSerializer(many=True)})
    def get(self, request, uuid):
        assessment = selectors.assessment_get(request.user, uuid)
        audit_patient_read(request.user, assessment, detail="assessment citations")
        return Response(s.CitationSerializer(selectors.citations_of(assessment), many=True).data)

    @extend_schema(tags=TAGS, request=s.CitationCreateSerializer, responses={201: s.CitationSerializer})
    def post(self, request, uuid):
        """Cite one lab result or exam report into the assessment; its value, unit, range and arrow are kept."""
        v = _body(s.CitationCreateSerializer, request)
        citation = services.citation_add(assessment=self.assessment(request, uuid), actor=request.user,
                                         kind=v["kind"], result_uuid=v["result"], note=v["note"],
                                         expected_version=v.get("version"))
        return Response(s.CitationSerializer(citation).data, status=status.HTTP_201_CREATED)


class CitationDeleteView(APIView):
    permission_classes = [requires(ASSESS.slug)]

    @extend_schema(tags=TAGS, responses={204: None})
    def delete(self, request, uuid):
        """Withdraw a citation from an in-progress assessment."""
        citation = get_scoped_or_404(AssessmentCitation.objects.select_related("assessment"), request.user,
                                     ward_field="assessment__ward", uuid=uuid)
        services.citation_remove(assessment=citation.assessment, actor=request.user, citation_uuid=citation.uuid)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ValidationView(_AssessmentAction):
    @extend_schema(tags=TAGS, parameters=[s.ValidationQuerySerializer], responses={200: OpenApiTypes.OBJECT})
    def get(self, request, uuid):
        """What is still missing before evaluating or concluding (A9): {complete, missing: {field: [message]}}."""
        q = _query(s.ValidationQuerySerializer, request)
        assessment = self.assessment(request, uuid)
        missing = validation.missing_fields(
            sections=assessment.sections, general=assessment.general,
            procedure_type=selectors.procedure_type_of(assessment), stage=q["stage"])
        return Response({"complete": not missing, "missing": missing,
                         "evaluation_state": services.evaluation_state(assessment)})


class EvaluateView(_AssessmentAction):
    @extend_schema(tags=TAGS, request=s.VersionSerializer, responses={200: s.AssessmentSerializer})
    def post(self, request, uuid):
        """Check the risk-relevant fields, evaluate every model, pre-fill the recommendations (A1, A6, A7, A9)."""
        v = _body(s.VersionSerializer, request)
        assessment = self.assessment(request, uuid)
        services.assessment_evaluate(assessment=assessment, actor=request.user, expected_version=v.get("version"))
        return _detail(request, assessment)


class ConcludeView(_AssessmentAction):
    @extend_schema(tags=TAGS, request=s.ConcludeSerializer, responses={200: s.AssessmentSerializer})
    def post(self, request, uuid):
        """Pass or fail (A12): pass records the clinic milestone; fail terminates the case and notifies the
        surgeon and the patient by SMS (sedation appointments: the ordering doctor and the medtech system)."""
        v = _body(s.ConcludeSerializer, request)
        assessment = self.assessment(request, uuid)
        services.assessment_conclude(assessment=assessment, actor=request.user, result=v["result"],
                                     opinion=v["opinion"], reason=v["reason"], expected_version=v.get("version"))
        return _detail(request, assessment)


class AmendView(_AssessmentAction):
    @extend_schema(tags=TAGS, request=s.AmendSerializer, responses={201: s.AssessmentSerializer})
    def post(self, request, uuid):
        """Re-open a passed assessment before the surgery application (audited): a new in-progress assessment
        starts from its copy and the case's clinic step is pending again; the concluded one stays as it was."""
        v = _body(s.AmendSerializer, request)
        amendment = services.assessment_amend(assessment=self.assessment(request, uuid), actor=request.user,
                                              reason=v["reason"], expected_version=v.get("version"))
        return _detail(request, amendment, status_code=status.HTTP_201_CREATED)


# --- the report (A10, D4) ----------------------------------------------------------------------------------------


def _report_body(assessment) -> dict:
    summary = assessment.risk_summary or {}
    plan = (assessment.sections or {}).get("plan") or {}
    return {
        "report": selectors.assessment_report_data(assessment),
        "status": assessment.status,
        "opinion": assessment.opinion,
        "plan": {"anaesthesia_plan": plan.get("anaesthesia_plan", ""),
                 "label": form.plan_label(plan.get("anaesthesia_plan")), "note": plan.get("plan_note", "")},
        "events": [
            {"event": e.get("event"), "label": e.get("label_zh"), "level": e.get("level"),
             "level_label": e.get("level_label_zh"), "primary": e.get("primary"), "results": e.get("results", [])}
            for e in summary.get("events", [])
        ],
        "disposition": summary.get("disposition", ""),
        "recommendations": selectors.recommendations_of(assessment),
        "evaluation_state": services.evaluation_state(assessment),
        # Re-opened for an amendment: this conclusion is being reviewed (the case's clinic step is pending).
        "superseded": AnaesthesiaAssessment.objects.filter(amends=assessment).exists(),
    }


def _pdf_response(assessment):
    from anaesthesia.report_pdf import render_assessment_report

    content = render_assessment_report(selectors.assessment_report_data(assessment))
    response = HttpResponse(content, content_type="application/pdf")
    name = assessment.assessment_no or str(assessment.uuid)
    response["Content-Disposition"] = f'inline; filename="anaesthesia-report-{name}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


PDF_RESPONSE = {(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The report PDF")}


class AssessmentReportView(APIView):
    permission_classes = [CanReadReports]

    @extend_schema(tags=TAGS, responses={200: s.ReportDataSerializer})
    def get(self, request, uuid):
        assessment = selectors.assessment_get(request.user, uuid)
        audit_patient_read(request.user, assessment, detail="anaesthesia report")
        return Response(_report_body(assessment))


class AssessmentReportPdfView(APIView):
    permission_classes = [CanReadReports]

    @extend_schema(tags=TAGS, responses=PDF_RESPONSE)
    def get(self, request, uuid):
        assessment = selectors.assessment_get(request.user, uuid)
        audit_patient_read(request.user, assessment, detail="anaesthesia report PDF")
        return _pdf_response(assessment)


class CaseReportView(APIView):
    """D4: the case's anaesthesia clinic report for the surgeon's doctor-assessment screens and the ward's staff.
    Concluded assessments only (anaesthetists also see one in progress); other wards get 404."""

    permission_classes = [CanReadReports]

    @extend_schema(tags=TAGS, responses={200: s.ReportDataSerializer})
    def get(self, request, uuid):
        assessment = selectors.case_report_assessment(request.user, uuid)
        audit_patient_read(request.user, assessment, detail="anaesthesia report (case)")
        return Response(_report_body(assessment))


class CaseReportPdfView(APIView):
    permission_classes = [CanReadReports]

    @extend_schema(tags=TAGS, responses=PDF_RESPONSE)
    def get(self, request, uuid):
        assessment = selectors.case_report_assessment(request.user, uuid)
        audit_patient_read(request.user, assessment, detail="anaesthesia report PDF (case)")
        return _pdf_response(assessment)


# --- mapping rules (A3, A5 administration) ------------------------------------------------------------------------


class MappingRuleListCreateView(APIView):
    """The rules that fill assessments from LIS items and PACS/ECG reports; administrators edit them."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [requires(MANAGE_MAPPING.slug)(), SecondFactor()]
        return [CanManageOrAssess()]

    @extend_schema(tags=TAGS, parameters=[s.MappingRuleQuerySerializer], responses={200: s.MappingRuleSerializer(
        many=True)})
    def get(self, request):
        q = _query(s.MappingRuleQuerySerializer, request)
        return Response(s.MappingRuleSerializer(selectors.mapping_rule_list(kind=q.get("kind")), many=True).data)

    @extend_schema(tags=TAGS, request=s.MappingRuleSerializer, responses={201: s.MappingRuleSerializer})
    def post(self, request):
        v = _body(s.MappingRuleSerializer, request)
        rule = services.mapping_rule_create(actor=request.user, **v)
        return Response(s.MappingRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class CanManageOrAssess(BasePermission):
    def has_permission(self, request, view):
        user = request.user
        if user is None or not user.is_authenticated or getattr(user, "is_patient", False):
            return False
        return has_permission(user, MANAGE_MAPPING.slug) or has_permission(user, ASSESS.slug)


class MappingRuleDetailView(APIView):
    def get_permissions(self):
        if self.request.method in ("PATCH", "DELETE"):
            return [requires(MANAGE_MAPPING.slug)(), SecondFactor()]
        return [CanManageOrAssess()]

    def _rule(self, uuid):
        rule = ResultMappingRule.objects.select_related("hospital").filter(uuid=uuid).first()
        if rule is None:
            raise NotFound()
        return rule

    @extend_schema(tags=TAGS, responses={200: s.MappingRuleSerializer})
    def get(self, request, uuid):
        return Response(s.MappingRuleSerializer(self._rule(uuid)).data)

    @extend_schema(tags=TAGS, request=s.MappingRuleUpdateSerializer, responses={200: s.MappingRuleSerializer})
    def patch(self, request, uuid):
        v = _body(s.MappingRuleUpdateSerializer, request)
        rule = services.mapping_rule_update(actor=request.user, rule=self._rule(uuid), **v)
        return Response(s.MappingRuleSerializer(rule).data)

    @extend_schema(tags=TAGS, responses={204: None})
    def delete(self, request, uuid):
        services.mapping_rule_delete(actor=request.user, rule=self._rule(uuid))
        return Response(status=status.HTTP_204_NO_CONTENT)

