"""Booking-policy API (B3, B5, Y12, U4): thin views over booking_policy.selectors and booking_policy.services.

Rules and grants are read with `booking_policy.view` and changed with `booking_policy.manage` plus the admin-web
second factor (as the organisation API); every change lands in the audit log with before/after, and each
history endpoint reads it back. The to-do list is scoped to the caller's wards (org.scoping).
"""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import SecondFactor, requires
from audit.api.views import AuditEntrySerializer
from audit.services import audit_patient_read
from booking_policy import selectors, services
from booking_policy.api import serializers as s
from booking_policy.errors import BookingModeNotAuthorised
from booking_policy.models import AdmissionRule, AssignmentStatus, BookingModeGrant, RuleKind, RuleScope
from booking_policy.permissions import ASSIGN_SURGEON, MANAGE_POLICY, VIEW_POLICY
from cases import selectors as case_selectors
from cases.api.serializers import CaseDetailSerializer
from cases.permissions import BOOK_CASE
from core.errors import InvalidInput, NotFound
from org.scoping import ward_scope_for

UUID_REGEX = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class _PolicyViewSet(viewsets.GenericViewSet):
    lookup_field = "uuid"
    lookup_value_regex = UUID_REGEX
    read_actions = frozenset({"list", "retrieve", "history", "all_history"})

    def get_permissions(self):
        if self.action in self.read_actions or self.action is None:
            return [requires(VIEW_POLICY.slug)()]
        return [requires(MANAGE_POLICY.slug)(), SecondFactor()]

    def _history(self, model, target_id=None):
        entries = selectors.config_history(model, target_id=target_id)
        if target_id is not None and not entries.exists():
            raise NotFound()  # a deleted row keeps its history; an unknown identifier has none
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)


class AdmissionRuleFilter(django_filters.FilterSet):
    hospital = django_filters.UUIDFilter(field_name="hospital__uuid")
    kind = django_filters.ChoiceFilter(choices=RuleKind.choices)
    scope = django_filters.ChoiceFilter(choices=RuleScope.choices)
    department = django_filters.UUIDFilter(field_name="department__uuid")
    ward = django_filters.UUIDFilter(field_name="ward__uuid")
    management_mode = django_filters.CharFilter()
    is_enabled = django_filters.BooleanFilter()

    class Meta:
        model = AdmissionRule
        fields = []


@extend_schema(tags=["booking policy"])
class AdmissionRuleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, _PolicyViewSet
):
    """Admission rules (B3, U4): age, surgical grade, body site, triage level, active bookings per patient —
    per hospital, management mode, department or ward. Edited without a deploy; every change is audited."""

    serializer_class = s.AdmissionRuleSerializer
    filterset_class = AdmissionRuleFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.admission_rule_list()

    @extend_schema(request=s.AdmissionRuleWriteSerializer, responses={201: s.AdmissionRuleSerializer})
    def create(self, request):
        data = s.AdmissionRuleWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = services.admission_rule_create(actor=request.user, **data.validated_data)
        return Response(s.AdmissionRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.AdmissionRuleUpdateSerializer, responses={200: s.AdmissionRuleSerializer})
    def partial_update(self, request, uuid=None):
        rule = self.get_object()
        data = s.AdmissionRuleUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        rule = services.admission_rule_update(actor=request.user, rule=rule, **data.validated_data)
        return Response(s.AdmissionRuleSerializer(rule).data)

    def perform_destroy(self, instance):
        services.admission_rule_delete(actor=self.request.user, rule=instance)

    @extend_schema(responses={200: AuditEntrySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request, uuid=None):
        """Who changed this rule, when, with the values before and after (also after it was deleted)."""
        return self._history(AdmissionRule, target_id=uuid)

    @extend_schema(responses={200: AuditEntrySerializer(many=True)}, operation_id="admission_rules_history_all")
    @action(detail=False, methods=["get"], url_path="history", url_name="all-history")
    def all_history(self, request):
        """Every admission-rule change, newest first."""
        return self._history(AdmissionRule)


class BookingModeGrantFilter(django_filters.FilterSet):
    mode = django_filters.CharFilter()
    grantee_kind = django_filters.CharFilter()
    grantee_department = django_filters.UUIDFilter(field_name="grantee_department__uuid")
    grantee_group = django_filters.UUIDFilter(field_name="grantee_group__uuid")
    grantee_user = django_filters.UUIDFilter(field_name="grantee_user__uuid")
    revoked = django_filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = BookingModeGrant
        fields = []


@extend_schema(tags=["booking policy"])
class BookingModeGrantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _PolicyViewSet):
    """Authorisations of group, cross-department and virtual booking (B5, Y12), per department, medical group
    or doctor. A grant is revoked, never edited or deleted, so the list with its history is the full record."""

    serializer_class = s.BookingModeGrantSerializer
    filterset_class = BookingModeGrantFilter

    def get_queryset(self):
        return selectors.booking_mode_grant_list()

    @extend_schema(request=s.BookingModeGrantCreateSerializer, responses={201: s.BookingModeGrantSerializer})
    def create(self, request):
        data = s.BookingModeGrantCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.booking_mode_grant_create(actor=request.user, **data.validated_data)
        return Response(s.BookingModeGrantSerializer(grant).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.GrantRevokeSerializer, responses={200: s.BookingModeGrantSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request, uuid=None):
        grant = self.get_object()
        data = s.GrantRevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        grant = services.booking_mode_grant_revoke(actor=request.user, grant=grant, **data.validated_data)
        return Response(s.BookingModeGrantSerializer(grant).data)

    @extend_schema(responses={200: AuditEntrySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request, uuid=None):
        return self._history(BookingModeGrant, target_id=uuid)

    @extend_schema(responses={200: AuditEntrySerializer(many=True)}, operation_id="booking_mode_grants_history_all")
    @action(detail=False, methods=["get"], url_path="history", url_name="all-history")
    def all_history(self, request):
        """Who granted or revoked which booking mode, when (the configuration history)."""
        return self._history(BookingModeGrant)


class AdmissionEvaluateView(APIView):
    """Dry run for a booking form: every admission rule's verdict and the booking mode, before confirming.

    Nothing is written except the audit entry of reading the patient's data.
    """

    permission_classes = [requires(BOOK_CASE.slug)]

    @extend_schema(request=s.AdmissionEvaluateSerializer, responses={200: s.AdmissionEvaluationSerializer},
                   tags=["booking policy"])
    def post(self, request):
        data = s.AdmissionEvaluateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = request.user
        if v.get("case") is not None:
            case = case_selectors.case_get(user, v["case"].uuid)
            subject = services.subject_for_case(case, planned_date=v.get("planned_date"))
            audit_target = case
        else:
            ward = v["ward"]
            if not ward_scope_for(user).allows_ward(ward.pk):
                raise InvalidInput(fields={"ward": [_("Unknown ward.")]})
            subject = services.Subject(
                patient=v["patient"], ward=ward, department=v.get("department") or ward.department,
                surgeon=v["surgeon"], procedure=v.get("procedure"),
                planned_date=v.get("planned_date") or timezone.localdate(), triage_level=v.get("triage_level"),
            )
            audit_target = v["patient"]
        verdicts = services.admission_evaluate(subject)
        audit_patient_read(user, audit_target, detail="admission rules evaluated")
        try:
            mode = services.booking_mode_resolve(requester=user, surgeon=subject.surgeon)
            mode_verdict = {"mode": mode, "authorised": True, "message": ""}
        except BookingModeNotAuthorised as refusal:
            mode_verdict = {"mode": refusal.extra["mode"], "authorised": False, "message": str(refusal.message)}
        body = {
            "admitted": all(x.passed for x in verdicts),
            "verdicts": [x.as_dict() for x in verdicts],
            "booking_mode": mode_verdict,
        }
        return Response(s.AdmissionEvaluationSerializer(body).data)


class AssignmentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=AssignmentStatus.choices)
    ward = django_filters.UUIDFilter(field_name="ward__uuid")
    planned_date = django_filters.DateFilter()
    date_from = django_filters.DateFilter(field_name="planned_date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="planned_date", lookup_expr="lte")


@extend_schema(tags=["booking policy"])
class SurgeonAssignmentListView(generics.ListAPIView):
    """The wards' to-dos (B5): bookings under a virtual surgeon whose real surgeon must be named the day before
    (status open), and the record of who assigned whom (status done)."""

    permission_classes = [requires(ASSIGN_SURGEON.slug)]
    serializer_class = s.SurgeonAssignmentSerializer
    filterset_class = AssignmentFilter

    def get_queryset(self):
        return selectors.surgeon_assignment_list(self.request.user)


class CaseAssignSurgeonView(APIView):
    """Name the real surgeon of a case booked under a virtual surgeon (B5); closes the ward's to-do."""

    permission_classes = [requires(ASSIGN_SURGEON.slug)]

    @extend_schema(request=s.SurgeonAssignInputSerializer, responses={200: CaseDetailSerializer}, tags=["cases"])
    def post(self, request, uuid):
        case = case_selectors.case_get(request.user, uuid)
        data = s.SurgeonAssignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.surgeon_assign(
            actor=request.user, case=case, surgeon=data.validated_data["surgeon"],
            expected_version=data.validated_data.get("version"),
        )
        return Response(CaseDetailSerializer(case_selectors.case_get(request.user, uuid)).data)
