"""Capacity API (Y5, B4, B6): thin views over capacity.selectors and capacity.services.

Reading needs `capacity.view`; every write needs `capacity.manage` and the admin-web second factor (password +
SMS code), like the organisation administration, and lands in the audit log as a configuration change.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import SecondFactor, requires
from capacity import selectors, services
from capacity.api import serializers as s
from capacity.models import CapacitySlot, DateException
from capacity.permissions import MANAGE_CAPACITY, VIEW_CAPACITY

UUID_REGEX = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
READ_ACTIONS = {"list", "retrieve", None}
TAGS = ["capacity"]


def _owner_params(*, required_range=False):
    return [
        OpenApiParameter("surgeon", str, description="surgeon UUID"),
        OpenApiParameter("group", str, description="medical group UUID"),
        OpenApiParameter("department", str, description="department UUID"),
        OpenApiParameter("from", str, required=required_range, description="YYYY-MM-DD"),
        OpenApiParameter("to", str, required=required_range, description="YYYY-MM-DD"),
    ]


LIST_PARAMS = [*_owner_params(), OpenApiParameter("kind", str, description="resource | quota")]


def _query(request, serializer_class):
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


class _CapacityViewSet(viewsets.GenericViewSet):
    lookup_field = "uuid"
    lookup_value_regex = UUID_REGEX

    def get_permissions(self):
        if self.action in READ_ACTIONS:
            return [requires(VIEW_CAPACITY.slug)()]
        return [requires(MANAGE_CAPACITY.slug)(), SecondFactor()]

    def _list(self, request, selector):
        q = _query(request, s.ListQuerySerializer)
        qs = selector(owner=q["owner"], kind=q.get("kind"), **self._range(q))
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @staticmethod
    def _range(q):
        return {"date_from": q.get("from"), "date_to": q.get("to")}


class TemplateViewSet(_CapacityViewSet):
    """Weekly templates: per owner, weekday and session, resources and maximum bookings (Y5)."""

    serializer_class = s.TemplateRowSerializer

    def get_queryset(self):
        return selectors.template_list()

    @extend_schema(tags=TAGS, parameters=LIST_PARAMS[:3] + LIST_PARAMS[5:])
    def list(self, request):
        q = _query(request, s.ListQuerySerializer)
        page = self.paginate_queryset(selectors.template_list(owner=q["owner"], kind=q.get("kind")))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(tags=TAGS, request=s.TemplateSetSerializer, responses={200: s.TemplateRowSerializer(many=True)})
    @action(detail=False, methods=["put"], url_path="set")
    def replace(self, request):
        """Replace one owner's weekly template (the whole grid in one call)."""
        data = s.TemplateSetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        rows = services.template_set(actor=request.user, owner=v["owner"], kind=v["kind"], rows=v["rows"])
        return Response(self.get_serializer(rows, many=True).data)

    @extend_schema(tags=TAGS, request=s.TemplateCopySerializer, responses={200: s.TemplateRowSerializer(many=True)})
    @action(detail=False, methods=["post"], url_path="copy")
    def copy(self, request):
        """Copy one owner's weekly template onto other owners (replacing theirs)."""
        data = s.TemplateCopySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        targets = [t["owner"] for t in v["targets"]]
        services.template_copy(actor=request.user, owner=v["owner"], kind=v["kind"], targets=targets)
        rows = [row for t in targets for row in selectors.template_list(owner=t, kind=v["kind"])]
        return Response(self.get_serializer(rows, many=True).data)


class SlotViewSet(mixins.RetrieveModelMixin, _CapacityViewSet):
    """Dated capacity slots: what bookings consume and the timetable reads (B4, B6)."""

    serializer_class = s.SlotSerializer

    def get_queryset(self):
        return selectors.slot_list()

    @extend_schema(tags=TAGS, parameters=LIST_PARAMS)
    def list(self, request):
        return self._list(request, selectors.slot_list)

    @extend_schema(tags=TAGS)
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(tags=TAGS, request=s.SlotUpdateSerializer, responses={200: s.SlotSerializer})
    def partial_update(self, request, uuid=None):
        slot = self.get_object()
        data = s.SlotUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        slot = services.slot_update(actor=request.user, slot=slot, **data.validated_data)
        return Response(self.get_serializer(CapacitySlot.objects.get(pk=slot.pk)).data)

    @extend_schema(tags=TAGS, request=s.GenerateSerializer, responses={200: s.MaterializeResultSerializer})
    @action(detail=False, methods=["post"], url_path="generate")
    def generate(self, request):
        """Make the owner's slots in a date range what the weekly template and the date exceptions say."""
        data = s.GenerateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = services.slots_generate(actor=request.user, owner=v["owner"], kind=v["kind"],
                                         date_from=v["date_from"], date_to=v["date_to"])
        return Response(result.as_dict())

    @extend_schema(tags=TAGS, request=s.WeekCopySerializer, responses={200: s.MaterializeResultSerializer})
    @action(detail=False, methods=["post"], url_path="copy-week")
    def copy_week(self, request):
        """Copy one owner's week onto other weeks (and optionally onto other owners) in one action."""
        data = s.WeekCopySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = services.week_copy(
            actor=request.user, owner=v["owner"], kind=v["kind"], source_week=v["source_week"],
            target_weeks=v["target_weeks"], targets=[t["owner"] for t in v.get("targets", [])],
        )
        return Response(result.as_dict())


class ExceptionViewSet(mixins.RetrieveModelMixin, _CapacityViewSet):
    """Date exceptions: holidays, closures and changed capacity on one date, with a reason."""

    serializer_class = s.ExceptionSerializer

    def get_queryset(self):
        return selectors.exception_list()

    @extend_schema(tags=TAGS, parameters=LIST_PARAMS)
    def list(self, request):
        return self._list(request, selectors.exception_list)

    @extend_schema(tags=TAGS)
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(tags=TAGS, request=s.ExceptionCreateSerializer, responses={201: s.ExceptionSerializer})
    def create(self, request):
        data = s.ExceptionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        for name in s.OWNER_NAMES:
            v.pop(name, None)
        exc = services.exception_create(actor=request.user, **v)
        return Response(self.get_serializer(DateException.objects.get(pk=exc.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=TAGS, responses={204: None})
    def destroy(self, request, uuid=None):
        services.exception_delete(actor=request.user, exception=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class TimetableView(APIView):
    """The booking timetable (B4): per day and session, resources, maximum bookings, used, free, closures and
    the department quota, for one surgeon, medical group or department over at most 62 days."""

    permission_classes = [requires(VIEW_CAPACITY.slug)]

    @extend_schema(tags=TAGS, parameters=_owner_params(required_range=True), responses={200: s.TimetableSerializer})
    def get(self, request):
        q = _query(request, s.TimetableQuerySerializer)
        table = selectors.timetable(owner=q["owner"], date_from=q["from"], date_to=q["to"])
        return Response(s.TimetableSerializer(table).data)
