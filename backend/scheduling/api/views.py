"""Thin views over scheduling.selectors and scheduling.services. Every patient-bearing look-up is scoped to the
caller's wards (org.scoping); detail reads of a case's applications are audited; exports are audited."""

import json

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _t
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import SecondFactor, requires
from audit.models import AuditAction
from audit.services import audit_patient_read, audit_record
from cases.models import SurgicalCase
from core.api.input import validated_body as _body
from core.api.input import validated_query as _query
from core.api.pagination import StandardPagination
from core.errors import InvalidInput, NotFound
from org.scoping import get_scoped_or_404
from scheduling import export, selectors, services
from scheduling.api import serializers as s
from scheduling.errors import ExportTooLarge
from scheduling.models import ScheduleExclusion
from scheduling.permissions import (
    EXPORT_SCHEDULE,
    MANAGE_EXCLUSIONS,
    MANAGE_EXPORT_LAYOUT,
    RESUBMIT_APPLICATION,
    VIEW_SCHEDULE,
)
from scheduling.signing import callback_verify

TAGS = ["theatre scheduling"]
EXPORT_MAX_ROWS = 5000


def _filters(q) -> selectors.ScheduleFilters:
    return selectors.ScheduleFilters(
        date_from=q["date_from"], date_to=q["date_to"], ward=q.get("ward"), surgeon=q.get("surgeon"),
        surgery_type=(q.get("surgery_type") or "").strip(), reg_no=(q.get("reg_no") or "").strip(),
        statuses=q["statuses"],
    )


class SchedulePagination(StandardPagination):
    page_size = 100


class ScheduleListView(APIView):
    """S2/S3: the theatre schedule of one's wards — every operation of the dates with its schedule state and
    marker (scheduled, sent-not-scheduled, not sent, not to be scheduled), room, sequence and planned start;
    `counts` per state over the filters (all states, whatever `status` asks)."""

    permission_classes = [requires(VIEW_SCHEDULE.slug)]

    @extend_schema(tags=TAGS, parameters=[s.ScheduleQuerySerializer], responses={200: s.SchedulePageSerializer})
    def get(self, request):
        f = _filters(_query(s.ScheduleQuerySerializer, request))
        paginator = SchedulePagination()
        page = paginator.paginate_queryset(selectors.schedule_list(request.user, f), request, view=self)
        body = {
            "count": paginator.page.paginator.count,
            "next": paginator.get_next_link(),
            "previous": paginator.get_previous_link(),
            "counts": selectors.schedule_counts(request.user, f),
            "markers": [selectors.marker_for(k) for k in selectors.MARKERS],
            "results": s.ScheduleRowSerializer(page, many=True).data,
        }
        return Response(body)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ScheduleExportView(APIView):
    """S5: the same schedule as an Excel file in the hospital's fixed column layout (all matching rows)."""

    permission_classes = [requires(EXPORT_SCHEDULE.slug)]

    @extend_schema(tags=TAGS, parameters=[s.ScheduleQuerySerializer],
                   responses={(200, XLSX): OpenApiResponse(OpenApiTypes.BINARY, description="xlsx workbook")})
    def get(self, request):
        from risk.services import actor_hospital

        q = _query(s.ScheduleQuerySerializer, request)
        f = _filters(q)
        cases = selectors.schedule_list(request.user, f)
        total = cases.count()
        if total > EXPORT_MAX_ROWS:
            raise ExportTooLarge(extra={"rows": total, "max": EXPORT_MAX_ROWS})
        hospital = f.ward.department.hospital if f.ward is not None else actor_hospital(request.user)
        title, columns, _custom = export.layout_for(hospital)
        span = f"{f.date_from:%Y-%m-%d}" if f.date_from == f.date_to else f"{f.date_from:%Y-%m-%d} ~ {f.date_to:%Y-%m-%d}"
        subtitle = _t("Dates: %(span)s    Exported: %(at)s") % {
            "span": span, "at": timezone.localtime().strftime("%Y-%m-%d %H:%M")}
        content = export.build_workbook(list(cases), title=title, columns=columns, subtitle=subtitle)
        audit_record(actor=request.user, action=AuditAction.EXPORT, target_type="scheduling.schedule",
                     target_id=span, target_repr=title[:200],
                     after={"rows": total, "filters": {k: str(v) for k, v in request.query_params.items()}},
                     detail="theatre schedule export")
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="theatre-schedule-{f.date_from:%Y%m%d}.xlsx"'
        return response


class TheatreCallbackView(APIView):
    """S1 (a): the theatre system tells the platform what it decided about an application (signed request, see
    scheduling.signing; not a JWT endpoint). Idempotent: a repeat or an older revision changes nothing."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(tags=TAGS, request=s.CallbackBodySerializer, responses={200: s.CallbackAnswerSerializer}, auth=[])
    def post(self, request):
        callback_verify(headers=request.headers, method=request.method, path=request.path, body=request.body)
        from integrations.registry import get_port

        try:
            body = json.loads(request.body or b"{}")
            booking = get_port("theatre").parse_callback(body)
        except ValueError as exc:
            field = str(exc) if str(exc) in s.CallbackBodySerializer().fields else "non_field_errors"
            raise InvalidInput(fields={field: [_t("This value is invalid.")]}) from None
        outcome = services.booking_apply(booking=booking, source="callback")
        return Response({"application_no": booking.application_no, "outcome": outcome})


def _case(request, uuid):
    return get_scoped_or_404(SurgicalCase.objects.select_related("ward", "patient"), request.user, uuid=uuid)


class CaseApplicationListView(APIView):
    """The case's applications to the theatre, newest first (numbers, attempts, errors, what the theatre said)."""

    permission_classes = [requires(VIEW_SCHEDULE.slug)]

    @extend_schema(tags=TAGS, responses={200: s.TheatreApplicationSerializer(many=True)})
    def get(self, request, uuid):
        case = _case(request, uuid)
        audit_patient_read(request.user, case, detail="theatre applications")
        return Response(s.TheatreApplicationSerializer(selectors.application_list_for_case(case), many=True).data)


class CaseApplicationResubmitView(APIView):
    """Send the case's application again: a failed one now, a refused or theatre-cancelled one as a new one."""

    permission_classes = [requires(RESUBMIT_APPLICATION.slug)]

    @extend_schema(tags=TAGS, request=None, responses={200: s.TheatreApplicationSerializer})
    def post(self, request, uuid):
        case = _case(request, uuid)
        application = services.application_resubmit(case=case, actor=request.user)
        return Response(s.TheatreApplicationSerializer(application).data)


class CaseApplicationRefreshView(APIView):
    """Read the case's application from the theatre now (instead of waiting for the callback or the next poll)."""

    permission_classes = [requires(RESUBMIT_APPLICATION.slug)]

    @extend_schema(tags=TAGS, request=None, responses={200: s.TheatreApplicationSerializer})
    def post(self, request, uuid):
        case = _case(request, uuid)
        application = services.application_refresh(case=case, actor=request.user)
        if application is None:
            raise NotFound()
        return Response(s.TheatreApplicationSerializer(application).data)


# --- exclusions (S4) -------------------------------------------------------------------------------------------


def _own_hospital(request, given=None):
    from risk.services import actor_hospital

    hospital = given or actor_hospital(request.user)
    if hospital is None:
        raise InvalidInput(fields={"hospital": [_t("Choose the hospital.")]})
    return hospital


class ExclusionListCreateView(APIView):
    """Procedures and departments of the hospital that are not scheduled by the theatre (S4)."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [requires(MANAGE_EXCLUSIONS.slug)(), SecondFactor()]
        return [requires(VIEW_SCHEDULE.slug)()]

    @extend_schema(tags=TAGS, parameters=[s.ExclusionQuerySerializer], responses={200: s.ExclusionSerializer(many=True)})
    def get(self, request):
        from risk.services import actor_hospital

        q = _query(s.ExclusionQuerySerializer, request)
        own = actor_hospital(request.user)
        hospital = q.get("hospital") or own
        if not request.user.is_superuser and (hospital is None or (own is not None and hospital.pk != own.pk)):
            return Response([])  # another hospital's configuration is its own business
        return Response(s.ExclusionSerializer(
            selectors.exclusion_list(hospital=hospital, kind=q.get("kind"), active=q.get("active")), many=True).data)

    @extend_schema(tags=TAGS, request=s.ExclusionCreateSerializer, responses={201: s.ExclusionSerializer})
    def post(self, request):
        v = _body(s.ExclusionCreateSerializer, request)
        exclusion = services.exclusion_create(
            actor=request.user, hospital=_own_hospital(request, v.get("hospital")), kind=v["kind"],
            procedure=v.get("procedure"), department=v.get("department"), reason=v["reason"],
            is_active=v.get("is_active", True),
        )
        return Response(s.ExclusionSerializer(exclusion).data, status=status.HTTP_201_CREATED)


class ExclusionDetailView(APIView):
    def get_permissions(self):
        if self.request.method in ("PATCH", "DELETE"):
            return [requires(MANAGE_EXCLUSIONS.slug)(), SecondFactor()]
        return [requires(VIEW_SCHEDULE.slug)()]

    def _exclusion(self, request, uuid):
        from risk.services import actor_hospital

        exclusion = ScheduleExclusion.objects.select_related("hospital", "procedure", "department", "created_by") \
            .filter(uuid=uuid).first()
        own = actor_hospital(request.user)
        if exclusion is None or (own is not None and not request.user.is_superuser
                                 and exclusion.hospital_id != own.pk):
            raise NotFound()
        return exclusion

    @extend_schema(tags=TAGS, responses={200: s.ExclusionSerializer})
    def get(self, request, uuid):
        return Response(s.ExclusionSerializer(self._exclusion(request, uuid)).data)

    @extend_schema(tags=TAGS, request=s.ExclusionUpdateSerializer, responses={200: s.ExclusionSerializer})
    def patch(self, request, uuid):
        v = _body(s.ExclusionUpdateSerializer, request)
        exclusion = services.exclusion_update(actor=request.user, exclusion=self._exclusion(request, uuid), **v)
        return Response(s.ExclusionSerializer(exclusion).data)

    @extend_schema(tags=TAGS, responses={204: None})
    def delete(self, request, uuid):
        services.exclusion_delete(actor=request.user, exclusion=self._exclusion(request, uuid))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- export layout (S5) ----------------------------------------------------------------------------------------


class ExportFieldsView(APIView):
    """The fields a layout may show (key, default header and width)."""

    permission_classes = [requires(VIEW_SCHEDULE.slug)]

    @extend_schema(tags=TAGS, responses={200: s.ExportColumnSerializer(many=True)})
    def get(self, request):
        return Response(export.field_choices())


class ExportLayoutView(APIView):
    """The hospital's column layout of the schedule export; PUT replaces it, DELETE goes back to the built-in one."""

    def get_permissions(self):
        if self.request.method in ("PUT", "DELETE"):
            return [requires(MANAGE_EXPORT_LAYOUT.slug)(), SecondFactor()]
        return [requires(VIEW_SCHEDULE.slug)()]

    def _hospital(self, request):
        q = _query(s.ExportLayoutQuerySerializer, request)
        return _own_hospital(request, q.get("hospital"))

    def _answer(self, hospital):
        title, columns, custom = export.layout_for(hospital)
        return Response({"hospital": hospital.uuid, "title": title, "columns": columns, "is_custom": custom})

    @extend_schema(tags=TAGS, parameters=[s.ExportLayoutQuerySerializer], responses={200: s.ExportLayoutSerializer})
    def get(self, request):
        return self._answer(self._hospital(request))

    @extend_schema(tags=TAGS, parameters=[s.ExportLayoutQuerySerializer], request=s.ExportLayoutSerializer,
                   responses={200: s.ExportLayoutSerializer})
    def put(self, request):
        hospital = self._hospital(request)
        v = _body(s.ExportLayoutSerializer, request)
        services.export_layout_set(actor=request.user, hospital=hospital, title=v["title"], columns=v["columns"])
        return self._answer(hospital)

    @extend_schema(tags=TAGS, parameters=[s.ExportLayoutQuerySerializer], responses={200: s.ExportLayoutSerializer})
    def delete(self, request):
        hospital = self._hospital(request)
        services.export_layout_reset(actor=request.user, hospital=hospital)
        return self._answer(hospital)
