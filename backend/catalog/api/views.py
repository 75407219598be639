from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import requires
from catalog.api.filters import ProcedureFilter
from catalog.api.serializers import (
    AdmittedDoctorsSerializer,
    DoctorRefSerializer,
    ProcedureCreateSerializer,
    ProcedureSerializer,
    ProcedureSyncRequestSerializer,
    ProcedureSyncResultSerializer,
    ProcedureUpdateSerializer,
    TestPackageReadSerializer,
    TestPackageSerializer,
    WardProceduresSerializer,
)
from catalog.permissions import MANAGE_CATALOG, VIEW_CATALOG
from catalog.selectors import procedure_list, ward_procedure_list
from catalog.services import (
    procedure_create,
    procedure_push_test_package,
    procedure_set_admitted_doctors,
    procedure_set_test_package,
    procedure_sync_from_his,
    procedure_update,
    ward_set_procedures,
)
from org.models import Ward


def _catalog_permissions(request):
    """Reading is for all staff (catalog.view); every change is for catalog.manage."""
    slug = VIEW_CATALOG.slug if request.method in SAFE_METHODS else MANAGE_CATALOG.slug
    return [requires(slug)()]


class ProcedureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The procedure catalogue: read for staff (catalog.view), maintain and sync for catalog.manage."""

    serializer_class = ProcedureSerializer
    filterset_class = ProcedureFilter
    lookup_field = "uuid"
    lookup_value_regex = "[0-9a-fA-F-]{36}"

    def get_queryset(self):
        return procedure_list().distinct()

    def get_permissions(self):
        return _catalog_permissions(self.request)

    def _detail(self, procedure):
        return Response(ProcedureSerializer(procedure_list().get(pk=procedure.pk)).data)

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
        return self._detail(procedure)

    @extend_schema(request=ProcedureSyncRequestSerializer, responses={200: ProcedureSyncResultSerializer})
    @action(detail=False, methods=["post"], url_path="sync")
    def sync(self, request):
        """Pull the procedure catalogue from the HIS now (Y3); skipped quickly if the HIS says it is unchanged."""
        data = ProcedureSyncRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = procedure_sync_from_his(actor=request.user, full=data.validated_data["full"])
        return Response(ProcedureSyncResultSerializer(result.as_dict()).data)

    @extend_schema(methods=["GET"], request=None, responses={200: DoctorRefSerializer(many=True)})
    @extend_schema(methods=["PUT"], request=AdmittedDoctorsSerializer, responses={200: ProcedureSerializer})
    @action(detail=True, methods=["get", "put"], url_path="doctors")
    def doctors(self, request, uuid=None):
        """The surgeons admitted to this procedure (准入医生); PUT replaces the list (empty: any surgeon)."""
        procedure = self.get_object()
        if request.method == "GET":
            return Response(DoctorRefSerializer(procedure.admitted_doctors.order_by("name"), many=True).data)
        data = AdmittedDoctorsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        procedure_set_admitted_doctors(actor=request.user, procedure=procedure, doctors=data.validated_data["doctors"])
        return self._detail(procedure)

    @extend_schema(methods=["GET"], request=None, responses={200: TestPackageReadSerializer})
    @extend_schema(methods=["PUT"], request=TestPackageSerializer, responses={200: TestPackageReadSerializer})
    @action(detail=True, methods=["get", "put"], url_path="test-package")
    def test_package(self, request, uuid=None):
        """The procedure's pre-operative test package (检查检验套餐), in order; PUT replaces it."""
        procedure = self.get_object()
        if request.method == "PUT":
            data = TestPackageSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            procedure = procedure_set_test_package(
                actor=request.user, procedure=procedure, items=data.validated_data["items"]
            )
        return Response(_test_package(procedure))

    @extend_schema(request=None, responses={200: TestPackageReadSerializer})
    @action(detail=True, methods=["post"], url_path="push-test-package")
    def push_test_package(self, request, uuid=None):
        """Send the test package to the HIS now; the answer (HIS id, time) is kept on the procedure."""
        procedure = procedure_push_test_package(actor=request.user, procedure=self.get_object())
        return Response(_test_package(procedure))


def _test_package(procedure):
    return TestPackageReadSerializer({
        "items": procedure.test_package_items.order_by("position"),
        "updated_at": procedure.test_package_updated_at,
        "pushed_at": procedure.test_package_pushed_at,
        "his_id": procedure.test_package_his_id,
    }).data


class WardProceduresView(APIView):
    """The procedures a ward admits (Y4), read and set from the ward's side."""

    def get_permissions(self):
        return _catalog_permissions(self.request)

    @extend_schema(request=None, responses={200: ProcedureSerializer(many=True)})
    def get(self, request, uuid):
        ward = get_object_or_404(Ward, uuid=uuid)
        return Response(ProcedureSerializer(ward_procedure_list(ward), many=True).data)

    @extend_schema(request=WardProceduresSerializer, responses={200: ProcedureSerializer(many=True)})
    def put(self, request, uuid):
        ward = get_object_or_404(Ward, uuid=uuid)
        data = WardProceduresSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ward_set_procedures(actor=request.user, ward=ward, procedures=data.validated_data["procedures"])
        return Response(ProcedureSerializer(ward_procedure_list(ward), many=True).data)
