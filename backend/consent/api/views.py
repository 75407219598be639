"""Consent API (A8): thin views over consent.selectors and consent.services.

Templates are read with `consent.view_templates` and changed with `consent.manage_templates` plus the admin-web
second factor; every change is audited and readable back (history). Consent documents are patient data: every
look-up goes through the ward scope (org.scoping; another ward's consent is a 404) and every read of one is
audited (detail, verification, PDF).
"""

import django_filters
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import SecondFactor, requires
from audit.api.views import AuditEntrySerializer
from audit.services import audit_patient_read
from consent import selectors, services
from consent.api import serializers as s
from consent.models import ConsentDocument, ConsentStatus, TemplateStatus
from consent.permissions import (
    COLLECT_PATIENT_SIGNATURE,
    MANAGE_TEMPLATES,
    OPEN_CONSENT,
    SIGN_AS_CLINICIAN,
    VIEW_CONSENT,
    VIEW_TEMPLATES,
    VOID_CONSENT,
)
from org.scoping import get_scoped_or_404

UUID_REGEX = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
TAGS = ["consent"]


# --- templates ---------------------------------------------------------------------------------------------------


class TemplateFilter(django_filters.FilterSet):
    hospital = django_filters.UUIDFilter(field_name="hospital__uuid")
    code = django_filters.CharFilter()
    status = django_filters.ChoiceFilter(choices=TemplateStatus.choices)


@extend_schema(tags=TAGS)
class ConsentTemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The hospital's consent templates (A8), every version. Editing a published version drafts the next one;
    publishing a draft retires the version it replaces."""

    lookup_field = "uuid"
    lookup_value_regex = UUID_REGEX
    serializer_class = s.ConsentTemplateSerializer
    filterset_class = TemplateFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    read_actions = frozenset({"list", "retrieve", "versions", "history"})

    def get_permissions(self):
        if self.action in self.read_actions or self.action is None:
            return [requires(VIEW_TEMPLATES.slug)()]
        return [requires(MANAGE_TEMPLATES.slug)(), SecondFactor()]

    def get_queryset(self):
        return selectors.consent_template_list()

    @extend_schema(request=s.ConsentTemplateCreateSerializer, responses={201: s.ConsentTemplateSerializer})
    def create(self, request):
        data = s.ConsentTemplateCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        template = services.consent_template_create(actor=request.user, **data.validated_data)
        return Response(s.ConsentTemplateSerializer(template).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ConsentTemplateUpdateSerializer,
                   responses={200: s.ConsentTemplateSerializer, 201: s.ConsentTemplateSerializer})
    def partial_update(self, request, uuid=None):
        """Edit a draft (200), or draft the next version of a published template with the changes (201)."""
        template = self.get_object()
        data = s.ConsentTemplateUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changed = services.consent_template_update(actor=request.user, template=template, **data.validated_data)
        code = status.HTTP_201_CREATED if changed.pk != template.pk else status.HTTP_200_OK
        return Response(s.ConsentTemplateSerializer(changed).data, status=code)

    @extend_schema(request=None, responses={200: s.ConsentTemplateSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, uuid=None):
        template = services.consent_template_publish(actor=request.user, template=self.get_object())
        return Response(s.ConsentTemplateSerializer(template).data)

    @extend_schema(request=None, responses={200: s.ConsentTemplateSerializer})
    @action(detail=True, methods=["post"])
    def retire(self, request, uuid=None):
        template = services.consent_template_retire(actor=request.user, template=self.get_object())
        return Response(s.ConsentTemplateSerializer(template).data)

    @extend_schema(responses={200: s.ConsentTemplateSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def versions(self, request, uuid=None):
        """Every version of this template's form, newest first."""
        page = self.paginate_queryset(selectors.consent_template_versions(self.get_object()))
        return self.get_paginated_response(s.ConsentTemplateSerializer(page, many=True).data)

    @extend_schema(responses={200: AuditEntrySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request, uuid=None):
        """Who drafted, edited, published and retired which version of this form, with before/after."""
        page = self.paginate_queryset(selectors.consent_template_history(self.get_object()))
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)

    @extend_schema(request=s.ConsentTemplateEnsureDefaultsSerializer, responses={200: s.ConsentTemplateSerializer(
        many=True)})
    @action(detail=False, methods=["post"], url_path="ensure-defaults", url_name="ensure-defaults")
    def ensure_defaults(self, request):
        """Create and publish the default forms the hospital does not have yet (idempotent)."""
        data = s.ConsentTemplateEnsureDefaultsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        hospital = data.validated_data["hospital"]
        services.consent_templates_ensure_default(hospital, actor=request.user)
        published = selectors.consent_template_list().filter(hospital=hospital, status=TemplateStatus.PUBLISHED)
        return Response(s.ConsentTemplateSerializer(published, many=True).data)


# --- consent documents -------------------------------------------------------------------------------------------


def _assessment(request, uuid):
    from anaesthesia.models import AnaesthesiaAssessment

    qs = AnaesthesiaAssessment.objects.select_related("ward__department__hospital", "patient", "case")
    return get_scoped_or_404(qs, request.user, uuid=uuid)


def _consent(request, uuid) -> ConsentDocument:
    return get_scoped_or_404(selectors.consent_document_list(request.user), request.user, uuid=uuid)


class ConsentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ConsentStatus.choices)
    patient = django_filters.UUIDFilter(field_name="patient__uuid")
    case = django_filters.UUIDFilter(field_name="case__uuid")
    assessment = django_filters.UUIDFilter(field_name="assessment__uuid")
    ward = django_filters.UUIDFilter(field_name="ward__uuid")
    template_code = django_filters.CharFilter()


@extend_schema(tags=TAGS)
class AssessmentConsentsView(generics.ListAPIView):
    """The consents of an assessment (GET), and opening the consent for its procedure (POST): the hospital's
    published form fitting the procedure kind and anaesthesia plan, rendered into a stored, hashed PDF."""

    serializer_class = s.ConsentDocumentListSerializer
    pagination_class = None

    def get_permissions(self):
        slug = OPEN_CONSENT.slug if self.request.method == "POST" else VIEW_CONSENT.slug
        return [requires(slug)()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ConsentDocument.objects.none()
        assessment = _assessment(self.request, self.kwargs["uuid"])
        return selectors.consent_document_list(self.request.user).filter(assessment=assessment)

    @extend_schema(request=s.ConsentOpenSerializer, responses={201: s.ConsentDocumentSerializer})
    def post(self, request, uuid):
        assessment = _assessment(request, uuid)
        data = s.ConsentOpenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.consent_open(actor=request.user, assessment=assessment,
                                         template_code=data.validated_data.get("template_code", ""))
        return Response(s.ConsentDocumentSerializer(_consent(request, document.uuid)).data,
                        status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS)
class ConsentListView(generics.ListAPIView):
    """Consent documents of the caller's wards."""

    permission_classes = [requires(VIEW_CONSENT.slug)]
    serializer_class = s.ConsentDocumentListSerializer
    filterset_class = ConsentFilter

    def get_queryset(self):
        return selectors.consent_document_list(self.request.user)


@extend_schema(tags=TAGS)
class ConsentDetailView(APIView):
    permission_classes = [requires(VIEW_CONSENT.slug)]

    @extend_schema(responses={200: s.ConsentDocumentSerializer})
    def get(self, request, uuid):
        document = _consent(request, uuid)
        audit_patient_read(request.user, document, detail="consent viewed")
        return Response(s.ConsentDocumentSerializer(document).data)


@extend_schema(tags=TAGS)
class ClinicianSignatureView(APIView):
    """The acting clinician signs the document's SHA-256 with their CA certificate (draft → clinician_signed)."""

    permission_classes = [requires(SIGN_AS_CLINICIAN.slug)]

    @extend_schema(request=None, responses={200: s.ConsentDocumentSerializer})
    def post(self, request, uuid):
        document = services.consent_sign_clinician(actor=request.user, document=_consent(request, uuid))
        return Response(s.ConsentDocumentSerializer(_consent(request, document.uuid)).data)


@extend_schema(tags=TAGS)
class PatientSignatureView(APIView):
    """The patient's or guardian's signature-pad image, multipart (clinician_signed → completed). PNG only,
    validated (format, integrity, size, not blank); the record is sealed and a signed copy stored."""

    permission_classes = [requires(COLLECT_PATIENT_SIGNATURE.slug)]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": s.PatientSignatureSerializer},
                   responses={200: s.ConsentDocumentSerializer})
    def post(self, request, uuid):
        document = _consent(request, uuid)
        data = s.PatientSignatureSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        document = services.consent_record_patient_signature(
            actor=request.user, document=document, image=v["image"], signer_kind=v["signer_kind"],
            signer_name=v.get("signer_name", ""), relationship=v.get("relationship", ""),
        )
        return Response(s.ConsentDocumentSerializer(_consent(request, document.uuid)).data)


@extend_schema(tags=TAGS)
class ConsentVoidView(APIView):
    permission_classes = [requires(VOID_CONSENT.slug)]

    @extend_schema(request=s.VoidSerializer, responses={200: s.ConsentDocumentSerializer})
    def post(self, request, uuid):
        document = _consent(request, uuid)
        data = s.VoidSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.consent_void(actor=request.user, document=document, reason=data.validated_data["reason"])
        return Response(s.ConsentDocumentSerializer(_consent(request, uuid)).data)


@extend_schema(tags=TAGS)
class ConsentVerificationView(APIView):
    """Recompute the hashes from the stored objects and verify the CA signature against the trust anchor."""

    permission_classes = [requires(VIEW_CONSENT.slug)]

    @extend_schema(responses={200: s.VerificationSerializer})
    def get(self, request, uuid):
        document = _consent(request, uuid)
        audit_patient_read(request.user, document, detail="consent verified")
        return Response(s.VerificationSerializer(services.consent_verify(document)).data)


class _PdfView(APIView):
    permission_classes = [requires(VIEW_CONSENT.slug)]
    signed_copy = False

    @extend_schema(tags=TAGS, responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, uuid):
        document = _consent(request, uuid)
        content = services.consent_document_content(document, signed_copy=self.signed_copy)
        audit_patient_read(request.user, document, detail="consent signed copy downloaded" if self.signed_copy
                           else "consent document downloaded")
        suffix = "-signed" if self.signed_copy else ""
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{document.consent_no}{suffix}.pdf"'
        response["Cache-Control"] = "private, no-store"
        response["X-Content-SHA256"] = services.sha256_hex(content)  # compare with the recorded hash
        return response


class ConsentDocumentPdfView(_PdfView):
    """The stored consent PDF exactly as generated (the bytes the clinician signed)."""


class ConsentSignedCopyPdfView(_PdfView):
    """The signed copy: the document with the patient's signature image and the CA signature details."""

    signed_copy = True
