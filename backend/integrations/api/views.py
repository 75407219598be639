"""Read-only API over the outbound call log, for administrators diagnosing hospital-system integrations."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import viewsets

from accounts.permissions import requires
from integrations import selectors
from integrations.api.filters import ExternalCallFilter
from integrations.api.serializers import ExternalCallOutput
from integrations.permissions import VIEW_CALLS


@extend_schema_view(
    list=extend_schema(tags=["integrations"], summary="Outbound calls to hospital systems (newest first)"),
    retrieve=extend_schema(tags=["integrations"], summary="One outbound call"),
)
class ExternalCallViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ExternalCallOutput
    filterset_class = ExternalCallFilter
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-fA-F-]{36}"
    permission_classes = [requires(VIEW_CALLS.slug)]

    def get_queryset(self):
        return selectors.external_calls()
