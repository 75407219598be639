"""Thin views over booking.selectors and booking.services. Every look-up is scoped; every detail read is audited.

Rescheduling and cancelling a booking are the case endpoints `/api/v1/cases/<uuid>/reschedule/` and
`/cancel/` (and the patient's `/api/v1/my/cases/<uuid>/cancel/`): they run the same transition table rows,
with capacity, admission control, reasons and permissions checked there.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import requires
from audit.services import audit_patient_read
from booking import selectors, services
from booking.api.serializers import (
    BookingAbandonSerializer,
    BookingConfirmSerializer,
    BookingListSerializer,
    BookingSerializer,
    BookingStartSerializer,
    BookingUpdateSerializer,
    HisLaunchResultSerializer,
    HisLaunchSerializer,
    LaunchRedeemSerializer,
    LaunchTokensSerializer,
    PoolCaseSerializer,
    PoolStatsQuerySerializer,
    PoolStatsSerializer,
)
from booking.errors import LaunchTicketRefused
from booking.permissions import VIEW_POOL_STATS
from booking.signing import his_request_verify
from cases import permissions as case_perms
from cases.models import Patient
from core.errors import InvalidInput
from org.models import TheatreRoom, TheatreSuite, Ward
from org.scoping import ward_scope_for


def _booking_response(request, uuid, *, status_code=status.HTTP_200_OK):
    case = selectors.booking_get(request.user, uuid)
    audit_patient_read(request.user, case, detail="booking")
    return Response(BookingSerializer(case).data, status=status_code)


# --- launched from the HIS (B1) --------------------------------------------------------------------------------


class HisLaunchView(APIView):
    """The HIS doctor workstation opens a booking with its visit context (signed request, see booking.signing).

    Answers the pre-filled draft's UUID and a single-use sign-in link for the doctor. Not a JWT endpoint: the
    caller is the HIS, authenticated by its client id and HMAC signature; anything else is a 401.
    """

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=HisLaunchSerializer, responses={201: HisLaunchResultSerializer}, auth=[])
    def post(self, request):
        client_id = his_request_verify(headers=request.headers, method=request.method, path=request.path,
                                       body=request.body)
        data = HisLaunchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case, link, expires_at = services.booking_launch_from_his(client_id=client_id, **data.validated_data)
        body = {"draft": case.uuid, "link": link, "expires_at": expires_at, "visit_no": case.visit_no,
                "diagnosis_code": case.diagnosis_code, "diagnosis_name": case.diagnosis_name,
                "ward": case.ward.code}
        return Response(HisLaunchResultSerializer(body).data, status=status.HTTP_201_CREATED)


class LaunchTicketRedeemView(APIView):
    """The doctor's browser exchanges the link's ticket for staff tokens and the draft to open (single use)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=LaunchRedeemSerializer, responses=LaunchTokensSerializer, auth=[])
    def post(self, request):
        data = LaunchRedeemSerializer(data=request.data)
        if not data.is_valid():
            raise LaunchTicketRefused()  # an authentication endpoint: a malformed ticket is a refused one
        _user, tokens, case = services.launch_ticket_redeem(ticket=data.validated_data["ticket"])
        return Response(LaunchTokensSerializer({**tokens, "draft": case.uuid}).data)


# --- drafts and bookings (B2) ----------------------------------------------------------------------------------


def _lookup(model, value, field, message, **filters):
    if value is None:
        return None
    obj = model.objects.filter(uuid=value, **filters).first()
    if obj is None:
        raise InvalidInput(fields={field: [message]})
    return obj


def _resolve_changes(values, user):
    """UUIDs of the input → objects (unknown ones are field errors)."""
    from catalog.models import Procedure

    changes = dict(values)
    lookups = {
        "ward": (Ward, _("Unknown ward."), {"is_active": True}),
        "surgeon": (User, _("Unknown surgeon."), {"is_active": True}),
        "procedure": (Procedure, _("Unknown procedure."), {}),
        "preferred_suite": (TheatreSuite, _("Unknown theatre suite."), {}),
        "preferred_room": (TheatreRoom, _("Unknown theatre room."), {}),
    }
    for name, (model, message, filters) in lookups.items():
        if name in changes:
            changes[name] = _lookup(model, changes[name], name, message, **filters)
    if changes.get("ward") is not None and not ward_scope_for(user).allows_ward(changes["ward"].pk):
        raise InvalidInput(fields={"ward": [_("Unknown ward.")]})
    if "assistants" in changes:
        wanted = set(changes["assistants"])
        found = list(User.objects.filter(uuid__in=wanted, is_active=True))
        if len(found) != len(wanted):
            raise InvalidInput(fields={"assistants": [_("Unknown staff member.")]})
        changes["assistants"] = found
    return changes


class BookingListCreateView(generics.ListCreateAPIView):
    """GET: bookings of the caller's wards (default: drafts; ?state=booked…). POST: start a draft in the app,
    pre-filled from the HIS like a launch from the doctor workstation."""

    filter_backends = []

    def get_permissions(self):
        slug = case_perms.CREATE_CASE.slug if self.request.method == "POST" else case_perms.VIEW_CASES.slug
        return [requires(slug)()]

    def get_serializer_class(self):
        return BookingStartSerializer if self.request.method == "POST" else BookingListSerializer

    def get_queryset(self):
        states = [s for s in self.request.query_params.getlist("state") if s in selectors.BOOKING_STATES]
        return selectors.booking_list(self.request.user, state=states)

    @extend_schema(parameters=[OpenApiParameter("state", str, many=True, enum=list(selectors.BOOKING_STATES))])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(request=BookingStartSerializer, responses={201: BookingSerializer})
    def post(self, request, *args, **kwargs):
        data = BookingStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = request.user
        ward = _lookup(Ward, v.get("ward"), "ward", _("Unknown ward."), is_active=True) if v.get("ward") else (
            services.default_ward(user))
        if ward is None or not ward_scope_for(user).allows_ward(ward.pk):
            raise InvalidInput(fields={"ward": [_("Unknown ward.")]})
        surgeon = _lookup(User, v.get("surgeon"), "surgeon", _("Unknown surgeon."), is_active=True)
        patient = _lookup(Patient, v.get("patient"), "patient", _("Unknown patient."))
        case = services.booking_draft_start(
            actor=user, ward=ward, reg_no=v.get("reg_no", ""), patient=patient, surgeon=surgeon,
            visit_no=v["visit_no"], diagnosis_code=v["diagnosis_code"], diagnosis_name=v["diagnosis_name"],
        )
        return _booking_response(request, case.uuid, status_code=status.HTTP_201_CREATED)


class BookingDetailView(APIView):
    """GET: one booking with derived fields (value + source), guidance, pool history and deliveries (an audited
    read). PATCH: fill the draft (only while it is a draft)."""

    def get_permissions(self):
        slug = case_perms.BOOK_CASE.slug if self.request.method == "PATCH" else case_perms.VIEW_CASES.slug
        return [requires(slug)()]

    @extend_schema(responses=BookingSerializer)
    def get(self, request, uuid):
        return _booking_response(request, uuid)

    @extend_schema(request=BookingUpdateSerializer, responses=BookingSerializer)
    def patch(self, request, uuid):
        case = selectors.booking_get(request.user, uuid)
        data = BookingUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        version = values.pop("version", None)
        changes = _resolve_changes(values, request.user)
        services.booking_update(case=case, actor=request.user, expected_version=version, **changes)
        return _booking_response(request, uuid)


class BookingConfirmView(APIView):
    """Confirm the draft into a booking (transition `confirm`: admission rules, capacity, booking mode).

    A refusal answers with its rule and reason and is kept on the booking (`last_refusal`)."""

    permission_classes = [requires(case_perms.BOOK_CASE.slug)]

    @extend_schema(request=BookingConfirmSerializer, responses=BookingSerializer)
    def post(self, request, uuid):
        case = selectors.booking_get(request.user, uuid)
        data = BookingConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.booking_confirm(case=case, actor=request.user, planned_date=v.get("planned_date"),
                                 planned_session=v.get("planned_session"), expected_version=v.get("version"))
        return _booking_response(request, uuid)


class BookingAbandonView(APIView):
    """The doctor stops the booking (or the patient declined): the draft enters the pending pool, resumable."""

    permission_classes = [requires(case_perms.BOOK_CASE.slug)]

    @extend_schema(request=BookingAbandonSerializer, responses=BookingSerializer)
    def post(self, request, uuid):
        case = selectors.booking_get(request.user, uuid)
        data = BookingAbandonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.booking_abandon(case=case, actor=request.user, **data.validated_data)
        return _booking_response(request, uuid)


# --- the pending pool (B7) -------------------------------------------------------------------------------------


class PoolListView(generics.ListAPIView):
    """Cases waiting in the pending booking pool of the caller's wards, with the reason they entered."""

    permission_classes = [requires(case_perms.VIEW_CASES.slug)]
    serializer_class = PoolCaseSerializer
    filter_backends = []

    def get_queryset(self):
        return selectors.pool_list(self.request.user)


class PoolStatsView(APIView):
    """Entries into the pending pool by date, department or requesting doctor (lost-patient monitoring)."""

    permission_classes = [requires(VIEW_POOL_STATS.slug)]

    @extend_schema(
        parameters=[
            OpenApiParameter("from", str, description="YYYY-MM-DD"),
            OpenApiParameter("to", str, description="YYYY-MM-DD"),
            OpenApiParameter("group_by", str, enum=sorted(selectors.POOL_GROUPS)),
        ],
        responses=PoolStatsSerializer,
    )
    def get(self, request):
        query = PoolStatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        v = query.validated_data
        date_to = v.get("to") or timezone.localdate()
        date_from = v.get("from") or date_to - timedelta(days=29)
        if date_from > date_to:
            raise InvalidInput(fields={"from": [_("The start date is after the end date.")]})
        stats = selectors.pool_stats(request.user, date_from=date_from, date_to=date_to, group_by=v["group_by"])
        return Response(PoolStatsSerializer(stats).data)


class PoolResumeView(APIView):
    """Take a case out of the pool back into a draft; confirm it with /bookings/<uuid>/confirm/."""

    permission_classes = [requires(case_perms.BOOK_CASE.slug)]

    @extend_schema(request=None, responses=BookingSerializer)
    def post(self, request, uuid):
        case = selectors.booking_get(request.user, uuid)
        services.pool_resume(case=case, actor=request.user)
        return _booking_response(request, uuid)
