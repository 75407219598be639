"""Thin views of the timeline: staff and patient timelines of a case, and the node configuration (Y6).

Staff reads go through the caller's ward scope (cases.selectors.case_get) and are audited; patients reach only
their own cases.
"""

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPatient, SecondFactor, requires
from audit.services import audit_patient_read
from cases import selectors as case_selectors
from cases.permissions import VIEW_CASES
from core.errors import InvalidInput, NotFound
from org.models import ManagementMode
from timeline import details, errors, selectors, services
from timeline.api import serializers as s
from timeline.definitions import resolve
from timeline.models import NodeDefinition
from timeline.permissions import MANAGE_DEFINITIONS, VIEW_TIMELINE

TAGS = ["timeline"]
UUID_REGEX = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


def _errors(serializer):
    return InvalidInput(fields={k: [str(m) for m in (v if isinstance(v, list) else [v])]
                                for k, v in serializer.errors.items()})


# --- case timelines ---------------------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class CaseTimelineView(APIView):
    """The case's pre-operative timeline for staff (T1): every staff node with its state, expected time, overdue
    flag and full history (which event moved it, when, by whom). Reading it is audited."""

    permission_classes = [requires(VIEW_CASES.slug, VIEW_TIMELINE.slug)]

    @extend_schema(responses=s.StaffTimelineSerializer, operation_id="cases_timeline_nodes_list")
    def get(self, request, uuid):
        case = case_selectors.case_get(request.user, uuid)
        data = selectors.staff_timeline(case)
        audit_patient_read(request.user, case, detail="timeline")
        return Response(s.StaffTimelineSerializer(data, context={"case": case}).data)


@extend_schema(tags=TAGS)
class CaseTimelineNodeView(APIView):
    """One node with its details (T3): admission certificate, results, education read, decisions… and the events
    behind it. `slug` is the node's key (e.g. preop_education)."""

    permission_classes = [requires(VIEW_CASES.slug, VIEW_TIMELINE.slug)]

    @extend_schema(responses=s.StaffNodeDetailSerializer, operation_id="cases_timeline_node_retrieve",
                   parameters=[OpenApiParameter("slug", str, OpenApiParameter.PATH, description="The node's key")])
    def get(self, request, uuid, slug):
        case = case_selectors.case_get(request.user, uuid)
        view = selectors.staff_node(case, slug)
        if view is None:
            raise errors.NodeNotFound()
        view.detail = details.node_detail(case, view.definition, actor=request.user)
        audit_patient_read(request.user, case, detail=f"timeline node {slug}"[:300])
        return Response(s.StaffNodeDetailSerializer(view, context={"case": case}).data)


@extend_schema(tags=TAGS)
class MyCaseTimelineView(APIView):
    """The patient's own timeline (T1): the nodes meant for patients, in the patient's wording."""

    permission_classes = [IsPatient]

    @extend_schema(responses=s.PatientTimelineSerializer, operation_id="my_cases_timeline_retrieve",
                   parameters=[OpenApiParameter("uuid", str, OpenApiParameter.PATH)])
    def get(self, request, uuid):
        case = case_selectors.patient_case_list(request.user).filter(uuid=uuid).first()
        if case is None:
            raise NotFound()
        data = selectors.patient_timeline(case)
        audit_patient_read(request.user, case, detail="own timeline")
        return Response(s.PatientTimelineSerializer(data).data)


# --- configuration (Y6) -----------------------------------------------------------------------------------------


class DefinitionFilter(django_filters.FilterSet):
    hospital = django_filters.UUIDFilter(field_name="hospital__uuid")
    management_mode = django_filters.ChoiceFilter(
        choices=[("*", "rows for every mode"), *ManagementMode.choices], method="filter_mode")
    key = django_filters.CharFilter()
    scope = django_filters.ChoiceFilter(choices=[("default", "default"), ("hospital", "hospital")],
                                        method="filter_scope")
    include_retired = django_filters.BooleanFilter(method="filter_retired")

    def filter_mode(self, qs, name, value):
        return qs.filter(management_mode="" if value == "*" else value)

    def filter_scope(self, qs, name, value):
        return qs.filter(hospital__isnull=(value == "default"))

    def filter_retired(self, qs, name, value):
        return qs  # applied in the view (retired rows are hidden unless asked for)


@extend_schema(tags=TAGS)
class NodeDefinitionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Timeline node definitions (Y6): platform defaults and the hospital's own overrides, per management mode.
    Creating a row with the key of a default overrides it (`copy_from` copies the fields you do not give);
    every change is validated as a whole, versioned and audited, and the active cases are re-derived."""

    lookup_field = "uuid"
    lookup_value_regex = UUID_REGEX
    serializer_class = s.NodeDefinitionSerializer
    filterset_class = DefinitionFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    read_actions = frozenset({"list", "retrieve", "versions", "effective", "event_types"})

    def get_permissions(self):
        if self.action in self.read_actions or self.action is None:
            return [requires(VIEW_TIMELINE.slug)()]
        return [requires(MANAGE_DEFINITIONS.slug)(), SecondFactor()]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return NodeDefinition.objects.none()
        qs = selectors.definition_list(self.request.user)
        if self.action == "list" and self.request.query_params.get("include_retired") not in ("true", "True", "1"):
            qs = qs.filter(retired_at__isnull=True)
        return qs.order_by("order", "key", "hospital_id", "management_mode", "id")

    @extend_schema(request=s.NodeDefinitionCreateSerializer, responses={201: s.NodeDefinitionSerializer})
    def create(self, request):
        data = s.NodeDefinitionCreateSerializer(data=request.data)
        if not data.is_valid():
            raise _errors(data)
        values = dict(data.validated_data)
        if "hospital" not in values:
            values["hospital"] = services.actor_hospital(request.user)
        source = values.get("copy_from")
        if source is not None and not selectors.definition_list(request.user).filter(pk=source.pk).exists():
            raise InvalidInput(fields={"copy_from": [_("Unknown node definition.")]})
        definition = services.node_definition_create(actor=request.user, **values)
        return Response(s.NodeDefinitionSerializer(definition).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.NodeDefinitionUpdateSerializer, responses={200: s.NodeDefinitionSerializer})
    def partial_update(self, request, uuid=None):
        definition = self.get_object()
        data = s.NodeDefinitionUpdateSerializer(data=request.data, partial=True)
        if not data.is_valid():
            raise _errors(data)
        values = dict(data.validated_data)
        version, reason = values.pop("version", None), values.pop("reason", "")
        changed = services.node_definition_update(actor=request.user, definition=definition,
                                                  expected_version=version, reason=reason, **values)
        return Response(s.NodeDefinitionSerializer(changed).data)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.NodeDefinitionSerializer})
    @action(detail=True, methods=["post"])
    def retire(self, request, uuid=None):
        """Take the row out of the timeline: a hospital override falls back to the default (history kept)."""
        data = s.ReasonSerializer(data=request.data)
        if not data.is_valid():
            raise _errors(data)
        definition = services.node_definition_retire(actor=request.user, definition=self.get_object(),
                                                     reason=data.validated_data.get("reason", ""),
                                                     expected_version=data.validated_data.get("version"))
        return Response(s.NodeDefinitionSerializer(definition).data)

    @extend_schema(request=s.ReasonSerializer, responses={200: s.NodeDefinitionSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, uuid=None):
        data = s.ReasonSerializer(data=request.data)
        if not data.is_valid():
            raise _errors(data)
        definition = services.node_definition_restore(actor=request.user, definition=self.get_object(),
                                                      reason=data.validated_data.get("reason", ""))
        return Response(s.NodeDefinitionSerializer(definition).data)

    @extend_schema(responses={200: s.NodeDefinitionVersionSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def versions(self, request, uuid=None):
        """Every version of this definition, newest first: what changed, who, when and why."""
        page = self.paginate_queryset(selectors.definition_versions(self.get_object()))
        return self.get_paginated_response(s.NodeDefinitionVersionSerializer(page, many=True).data)

    @extend_schema(parameters=[s.EffectiveQuerySerializer], responses={200: s.EffectiveDefinitionSerializer(many=True)})
    @action(detail=False, methods=["get"])
    def effective(self, request):
        """The timeline in force for a hospital (yours by default) and management mode, in order, with where each
        node comes from (the hospital's own row or the platform default, for this mode or every mode)."""
        query = s.EffectiveQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise _errors(query)
        hospital = query.validated_data.get("hospital")
        if hospital is not None:
            services.check_hospital(request.user, hospital.pk)
        hospital = hospital or services.actor_hospital(request.user)
        rows = resolve(hospital.pk if hospital else None, query.validated_data["management_mode"],
                       include_hidden=True)
        return Response(s.EffectiveDefinitionSerializer(
            [{"source": r.source, "definition": r.definition} for r in rows], many=True).data)

    @extend_schema(responses={200: s.EventTypeSerializer(many=True)})
    @action(detail=False, methods=["get"], url_path="event-types", url_name="event-types")
    def event_types(self, request):
        """The case events triggers can name, with the `data` keys a condition may test (data.to, data.kind…)."""
        from timeline.event_catalog import event_catalog

        return Response(s.EventTypeSerializer(event_catalog(), many=True).data)

    @extend_schema(request=s.RebuildSerializer, responses={202: s.RebuildResultSerializer})
    @action(detail=False, methods=["post"])
    def rebuild(self, request):
        """Re-derive the timelines of the hospital's active cases from their events (in the background)."""
        data = s.RebuildSerializer(data=request.data)
        if not data.is_valid():
            raise _errors(data)
        hospital, mode = data.validated_data["hospital"], data.validated_data["management_mode"]
        count = services.timeline_rebuild_requested(actor=request.user, hospital=hospital, management_mode=mode)
        return Response({"queued": count}, status=status.HTTP_202_ACCEPTED)
