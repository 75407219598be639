from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.permissions import requires
from catalog.api.filters import ProcedureFilter
from catalog.api.serializers import (
    ProcedureCreateSerializer,
    ProcedureSerializer,
    ProcedureSyncResultSerializer,
    ProcedureUpdateSerializer,
)
from catalog.permissions import MANAGE_CATALOG, VIEW_CATALOG
from catalog.selectors import procedure_list
from catalog.services import procedure_create, procedure_sync_from_his, procedure_update


class ProcedureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The procedure catalogue: read for staff (catalog.view), maintain and sync for catalog.manage."""

    serializer_class = ProcedureSerializer
    filterset_class = ProcedureFilter
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self):
        return procedure_list().distinct()

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [requires(VIEW_CATALOG.slug)()]
        return [requires(MANAGE_CATALOG.slug)()]

    @extend_schema(request=ProcedureCreateSerializer, responses={201: ProcedureSerializer})
    def create(self, request):
        data = ProcedureCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        procedure = procedure_create(actor=request.user, **data.validated_data)
        return Response(ProcedureSerializer(procedure_list().get(pk=procedure.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ProcedureUpdateSerializer, responses={200: ProcedureSerializer})
    def partial_update(self, request, uuid=None):
        procedure = self.get_object()
        data = ProcedureUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        procedure_update(actor=request.user, procedure=procedure, **data.validated_data)
        return Response(ProcedureSerializer(procedure_list().get(pk=procedure.pk)).data)

    @extend_schema(request=None, responses={200: ProcedureSyncResultSerializer})
    @action(detail=False, methods=["post"], url_path="sync")
    def sync(self, request):
        """Pull the procedure catalogue from the HIS now (Y3)."""
        result = procedure_sync_from_his(actor=request.user)
        return Response(ProcedureSyncResultSerializer(result.as_dict()).data)
