"""Risk API (A1, A6, A7): thin views over risk.selectors and risk.services.

- `risk-models/`: the model catalogue with each model card (read: risk.view_models).
- `risk-evaluations/`: an ad-hoc evaluation of named inputs without patient identity (a calculator screen); the
  caller reads back only their own evaluations (risk.evaluate). Assessments evaluate through risk.services.
- `risk-knowledge-bases/`, `risk-knowledge-base-entries/`: versions per hospital, drafts edited and published by
  holders of risk.manage_knowledge_base with the admin-web second factor; every change is audited and readable
  through the history endpoints.
- `procedure-risk-profiles/`: how catalogue procedures enter the models (risk.manage_procedure_profiles).
"""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import SecondFactor, requires
from audit.api.views import AuditEntrySerializer
from core.errors import InvalidInput, NotFound
from risk import engine as risk_engine
from risk import selectors, services
from risk.api import serializers as s
from risk.models import (
    GuptaCategory,
    KnowledgeBaseEntry,
    KnowledgeBaseStatus,
    KnowledgeBaseVersion,
    ProcedureRiskProfile,
    ProcedureType,
    RiskEvaluation,
)
from risk.permissions import EVALUATE, MANAGE_KNOWLEDGE_BASE, MANAGE_PROCEDURE_PROFILES, VIEW_MODELS

UUID_REGEX = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class RiskModelListView(APIView):
    """Every model the engine evaluates, with its card: citation, derivation population, bands with their level
    and published risk, confidence of the figures, applicability notes and the inputs it uses."""

    permission_classes = [requires(VIEW_MODELS.slug)]

    @extend_schema(responses={200: s.RiskModelCardSerializer(many=True)}, tags=["risk"])
    def get(self, request):
        cards = risk_engine.model_catalogue()
        return Response(s.RiskModelCardSerializer(cards, many=True).data)


@extend_schema(tags=["risk"])
class RiskEvaluationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Ad-hoc evaluations (risk calculator): the inputs in, every model's result and the knowledge base's plan out.
    No patient identity is taken; each caller sees only the evaluations they made."""

    permission_classes = [requires(EVALUATE.slug)]
    lookup_field = "uuid"
    lookup_value_regex = UUID_REGEX

    def get_serializer_class(self):
        return s.RiskEvaluationListSerializer if self.action == "list" else s.RiskEvaluationSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return RiskEvaluation.objects.none()
        return selectors.risk_evaluation_list_own(self.request.user)

    def get_object(self):
        return selectors.risk_evaluation_get_own(self.request.user, self.kwargs["uuid"])

    @extend_schema(request=s.RiskEvaluationInputSerializer, responses={201: s.RiskEvaluationSerializer})
    def create(self, request):
        data = s.RiskEvaluationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evaluation = services.risk_evaluate(
            inputs=data.validated_data["inputs"], actor=request.user,
            hospital=services.actor_hospital(request.user), subject=data.validated_data.get("subject", ""),
        )
        return Response(s.RiskEvaluationSerializer(evaluation).data, status=status.HTTP_201_CREATED)


# --- knowledge base ---------------------------------------------------------------------------------------------


class _ConfigViewSet(viewsets.GenericViewSet):
    lookup_field = "uuid"
    lookup_value_regex = UUID_REGEX
    read_actions = frozenset({"list", "retrieve", "history", "all_history", "current", "inputs"})
    manage_permission = ""

    def get_permissions(self):
        if self.action in self.read_actions or self.action is None:
            return [requires(VIEW_MODELS.slug)()]
        return [requires(self.manage_permission)(), SecondFactor()]

    def _history_response(self, entries, *, must_exist=False):
        if must_exist and not entries.exists():
            raise NotFound()
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)


class KnowledgeBaseFilter(django_filters.FilterSet):
    hospital = django_filters.UUIDFilter(field_name="hospital__uuid")
    status = django_filters.ChoiceFilter(choices=KnowledgeBaseStatus.choices)

    class Meta:
        model = KnowledgeBaseVersion
        fields = []


@extend_schema(tags=["risk knowledge base"])
class KnowledgeBaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, _ConfigViewSet):
    """Knowledge-base versions (A1, A7): per hospital, each event × level → monitoring, drugs, seniority,
    equipment, disposition and advice, plus institutional band cut-offs and sepsis/shock screening rules.
    Only drafts change; publishing makes a draft current and retires the previous version."""

    manage_permission = MANAGE_KNOWLEDGE_BASE.slug
    filterset_class = KnowledgeBaseFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        qs = selectors.knowledge_base_list()
        if self.action == "retrieve":
            qs = qs.prefetch_related("entries", "entries__version")
        return qs

    def get_serializer_class(self):
        if self.action == "list":
            return s.KnowledgeBaseVersionSerializer
        return s.KnowledgeBaseVersionDetailSerializer

    def _detail(self, version, code=status.HTTP_200_OK):
        version = self.get_queryset().prefetch_related("entries", "entries__version").get(pk=version.pk)
        return Response(s.KnowledgeBaseVersionDetailSerializer(version).data, status=code)

    @extend_schema(request=s.KnowledgeBaseCreateSerializer, responses={201: s.KnowledgeBaseVersionDetailSerializer})
    def create(self, request):
        """A new draft, copied from `source` (default: the hospital's published version)."""
        data = s.KnowledgeBaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        hospital = v.get("hospital") or (v["source"].hospital if v.get("source") else None)
        hospital = hospital or services.actor_hospital(request.user)
        if hospital is None:
            raise InvalidInput(fields={"hospital": [_("Choose the hospital.")]})
        version = services.knowledge_base_create_draft(
            actor=request.user, hospital=hospital, source=v.get("source"), note=v.get("note", "")
        )
        return self._detail(version, status.HTTP_201_CREATED)

    @extend_schema(request=s.KnowledgeBaseUpdateSerializer, responses={200: s.KnowledgeBaseVersionDetailSerializer})
    def partial_update(self, request, uuid=None):
        """Change a draft's note, institutional band cut-offs or screening rules."""
        version = self.get_object()
        data = s.KnowledgeBaseUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        version = services.knowledge_base_update(actor=request.user, version=version, **data.validated_data)
        return self._detail(version)

    @extend_schema(responses={204: None})
    def destroy(self, request, uuid=None):
        """Discard a draft (published and retired versions are kept for ever)."""
        services.knowledge_base_discard(actor=request.user, version=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.KnowledgeBaseVersionDetailSerializer})
    @action(detail=True, methods=["post"])
    def publish(self, request, uuid=None):
        """Make this draft the hospital's current knowledge base; the previous one is retired."""
        version = services.knowledge_base_publish(actor=request.user, version=self.get_object())
        return self._detail(version)

    @extend_schema(request=s.KnowledgeBaseCopySerializer, responses={201: s.KnowledgeBaseVersionDetailSerializer})
    @action(detail=True, methods=["post"])
    def copy(self, request, uuid=None):
        """A new draft copied from this version (any status)."""
        source = self.get_object()
        data = s.KnowledgeBaseCopySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        version = services.knowledge_base_create_draft(
            actor=request.user, hospital=source.hospital, source=source, note=data.validated_data.get("note", "")
        )
        return self._detail(version, status.HTTP_201_CREATED)

    @extend_schema(responses={200: s.KnowledgeBaseVersionDetailSerializer})
    @action(detail=False, methods=["get"])
    def current(self, request):
        """The published version of your hospital (the built-in one on first use)."""
        hospital = services.actor_hospital(request.user)
        if hospital is None:
            raise NotFound()
        return self._detail(services.knowledge_base_ensure_default(hospital))

    @extend_schema(responses={200: AuditEntrySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request, uuid=None):
        """Who changed this version or its plans, when, with the values before and after."""
        return self._history_response(selectors.knowledge_base_history(version=self.get_object()))

    @extend_schema(
        responses={200: AuditEntrySerializer(many=True)}, operation_id="risk_knowledge_bases_history_all",
        parameters=[OpenApiParameter("hospital", str, description="hospital uuid", required=False)],
    )
    @action(detail=False, methods=["get"], url_path="history", url_name="all-history")
    def all_history(self, request):
        """Every knowledge-base change, newest first (optionally of one hospital)."""
        hospital = None
        if request.query_params.get("hospital"):
            field = s.KnowledgeBaseCreateSerializer().fields["hospital"]
            try:
                hospital = field.to_internal_value(request.query_params["hospital"])
            except Exception as exc:  # ValidationError: a field error, never a 500
                raise InvalidInput(fields={"hospital": [_("Unknown hospital.")]}) from exc
        return self._history_response(selectors.knowledge_base_history(hospital=hospital))


@extend_schema(tags=["risk knowledge base"])
class KnowledgeBaseEntryViewSet(mixins.RetrieveModelMixin, _ConfigViewSet):
    """The plans of knowledge-base versions; a plan changes only while its version is a draft."""

    manage_permission = MANAGE_KNOWLEDGE_BASE.slug
    serializer_class = s.KnowledgeBaseEntrySerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        return KnowledgeBaseEntry.objects.select_related("version", "version__hospital").order_by("id")

    @extend_schema(parameters=[s.KnowledgeBaseEntryQuerySerializer],
                   responses={200: s.KnowledgeBaseEntrySerializer(many=True)})
    def list(self, request):
        """The plans of one version (at most 15 events × 4 levels, so not paginated): `version`, or by default the
        newest version of your hospital — the draft being edited, else the published one."""
        query = s.KnowledgeBaseEntryQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        v = query.validated_data
        version = v.get("version") or selectors.knowledge_base_newest(services.actor_hospital(request.user))
        entries = self.get_queryset().filter(version=version) if version is not None else self.get_queryset().none()
        for name in ("event", "level", "disposition"):
            if v.get(name):
                entries = entries.filter(**{name: v[name]})
        return Response(s.KnowledgeBaseEntrySerializer(entries, many=True).data)

    @extend_schema(request=s.KnowledgeBaseEntryUpdateSerializer, responses={200: s.KnowledgeBaseEntrySerializer})
    def partial_update(self, request, uuid=None):
        entry = self.get_object()
        data = s.KnowledgeBaseEntryUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        entry = services.knowledge_base_entry_update(actor=request.user, entry=entry, **data.validated_data)
        return Response(s.KnowledgeBaseEntrySerializer(entry).data)


# --- procedure risk profiles ------------------------------------------------------------------------------------


class ProcedureRiskProfileFilter(django_filters.FilterSet):
    procedure = django_filters.UUIDFilter(field_name="procedure__uuid")
    procedure_type = django_filters.ChoiceFilter(choices=ProcedureType.choices)
    procedure_category = django_filters.ChoiceFilter(choices=GuptaCategory.choices)
    department = django_filters.UUIDFilter(field_name="procedure__department__uuid")
    q = django_filters.CharFilter(method="search", label=_("code or name contains"))

    class Meta:
        model = ProcedureRiskProfile
        fields = []

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(procedure__code__icontains=value) | Q(procedure__name__icontains=value))


@extend_schema(tags=["risk"])
class ProcedureRiskProfileViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, _ConfigViewSet
):
    """How each catalogue procedure enters the risk models: type (surgery or sedated endoscopy), Gupta category,
    ARISCAT incision, RCRI / Arozullah / LIPS / Caprini surgery types, SORT severity and specialty. A blank field
    is derived where the catalogue allows it, otherwise the models report the input as missing."""

    manage_permission = MANAGE_PROCEDURE_PROFILES.slug
    serializer_class = s.ProcedureRiskProfileSerializer
    filterset_class = ProcedureRiskProfileFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.procedure_risk_profile_list()

    @extend_schema(request=s.ProcedureRiskProfileWriteSerializer, responses={201: s.ProcedureRiskProfileSerializer})
    def create(self, request):
        data = s.ProcedureRiskProfileWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        procedure = fields.pop("procedure")
        profile = services.procedure_risk_profile_create(actor=request.user, procedure=procedure, **fields)
        return Response(s.ProcedureRiskProfileSerializer(profile).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ProcedureRiskProfileUpdateSerializer, responses={200: s.ProcedureRiskProfileSerializer})
    def partial_update(self, request, uuid=None):
        profile = self.get_object()
        data = s.ProcedureRiskProfileUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        profile = services.procedure_risk_profile_update(actor=request.user, profile=profile, **data.validated_data)
        return Response(s.ProcedureRiskProfileSerializer(profile).data)

    def perform_destroy(self, instance):
        services.procedure_risk_profile_delete(actor=self.request.user, profile=instance)

    @extend_schema(parameters=[s.ProcedureRiskInputsQuerySerializer],
                   responses={200: s.ProcedureRiskInputsSerializer})
    @action(detail=False, methods=["get"])
    def inputs(self, request):
        """What a procedure contributes to the models, each input with its source (profile or derived) and why."""
        query = s.ProcedureRiskInputsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        procedure = query.validated_data["procedure"]
        body = {
            "procedure": procedure,
            "has_profile": ProcedureRiskProfile.objects.filter(procedure=procedure).exists(),
            "inputs": selectors.procedure_risk_inputs_explained(procedure),
        }
        return Response(s.ProcedureRiskInputsSerializer(body).data)

    @extend_schema(responses={200: AuditEntrySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request, uuid=None):
        return self._history_response(selectors.procedure_profile_history(uuid), must_exist=True)

    @extend_schema(responses={200: AuditEntrySerializer(many=True)}, operation_id="procedure_risk_profiles_history_all")
    @action(detail=False, methods=["get"], url_path="history", url_name="all-history")
    def all_history(self, request):
        return self._history_response(selectors.procedure_profile_history())
