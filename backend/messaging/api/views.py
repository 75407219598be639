"""Thin views over messaging.services / selectors: plan configuration, the case's message log, the staff and
patient inboxes, staff push devices and the SMS gateway's signed delivery receipts."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPatient, IsStaff, SecondFactor, requires
from audit.services import audit_patient_read
from core.api.input import validated_body, validated_query
from core.api.pagination import StandardPagination
from core.errors import InvalidInput, NotFound
from messaging import permissions as perms
from messaging import selectors, services
from messaging.api import serializers as s

TAGS = ["messaging"]


def _procedure(uuid):
    from catalog.models import Procedure

    if uuid is None:
        return None
    procedure = Procedure.objects.filter(uuid=uuid).first()
    if procedure is None:
        raise InvalidInput(fields={"procedure": [_("Unknown procedure.")]})
    return procedure


def _hospital_for_new_plan(user, uuid):
    from org.hospital_config import actor_hospital
    from org.models import Hospital

    if uuid is not None:
        if not user.is_superuser:
            raise InvalidInput(fields={"hospital": [_("Only a platform administrator chooses the hospital.")]})
        hospital = Hospital.objects.filter(uuid=uuid).first()
        if hospital is None:
            raise InvalidInput(fields={"hospital": [_("Unknown hospital.")]})
        return hospital
    hospital = actor_hospital(user)
    if hospital is None and not user.is_superuser:
        raise InvalidInput(fields={"hospital": [_("Your account belongs to no hospital.")]})
    return hospital


class PlanListView(APIView):
    """The message plans of your hospital: the platform's built-in plans and your hospital's own (a hospital plan
    with a built-in plan's key replaces it; `in_force` says which one applies). POST adds a hospital plan with its
    first template version."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [requires(perms.MANAGE_PLANS.slug)(), SecondFactor()]
        return [requires(perms.VIEW_PLANS.slug)()]

    @extend_schema(tags=TAGS, responses=s.PlanSerializer(many=True))
    def get(self, request):
        plans = selectors.plans_visible(request.user)
        overridden = {p.key for p in plans if p.hospital_id is not None}
        return Response(s.PlanSerializer(plans, many=True, context={"overridden_keys": overridden}).data)

    @extend_schema(tags=TAGS, request=s.PlanInputSerializer, responses={201: s.PlanSerializer})
    def post(self, request):
        v = dict(validated_body(s.PlanInputSerializer, request))
        hospital = _hospital_for_new_plan(request.user, v.pop("hospital", None))
        v["procedure"] = _procedure(v.get("procedure"))
        template = v.pop("template", None)
        if template is not None:
            template = dict(template)
            if template.pop("procedure", None):
                raise InvalidInput(fields={"template": [_("The first text is the plan's default text.")]})
            template.pop("note", None)
        plan = services.plan_create(actor=request.user, hospital=hospital, template=template, **v)
        return Response(s.PlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class PlanDetailView(APIView):
    """One plan. Built-in plans are edited by platform administrators only; a hospital overrides one with its
    own plan of the same key. DELETE removes a hospital plan (its messages keep their history)."""

    def get_permissions(self):
        if self.request.method in ("PATCH", "DELETE"):
            return [requires(perms.MANAGE_PLANS.slug)(), SecondFactor()]
        return [requires(perms.VIEW_PLANS.slug)()]

    @extend_schema(tags=TAGS, responses=s.PlanSerializer)
    def get(self, request, uuid):
        return Response(s.PlanSerializer(selectors.plan_get(request.user, uuid)).data)

    @extend_schema(tags=TAGS, request=s.PlanUpdateSerializer, responses=s.PlanSerializer)
    def patch(self, request, uuid):
        v = dict(validated_body(s.PlanUpdateSerializer, request))
        if not v:
            raise InvalidInput(fields={"non_field_errors": [_("Nothing to change.")]})
        if "procedure" in v:
            v["procedure"] = _procedure(v["procedure"])
        plan = services.plan_update(actor=request.user, plan=selectors.plan_get(request.user, uuid), **v)
        return Response(s.PlanSerializer(plan).data)

    @extend_schema(tags=TAGS, responses={204: None})
    def delete(self, request, uuid):
        services.plan_retire(actor=request.user, plan=selectors.plan_get(request.user, uuid))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlanTemplatesView(APIView):
    """Every version of the plan's texts, newest first (per procedure). POST writes the next version: messages
    already made keep the version they were rendered from (W3)."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [requires(perms.MANAGE_PLANS.slug)(), SecondFactor()]
        return [requires(perms.VIEW_PLANS.slug)()]

    @extend_schema(tags=TAGS, responses=s.TemplateSerializer(many=True))
    def get(self, request, uuid):
        plan = selectors.plan_get(request.user, uuid)
        return Response(s.TemplateSerializer(selectors.template_versions(plan), many=True).data)

    @extend_schema(tags=TAGS, request=s.TemplateInputSerializer, responses={201: s.TemplateSerializer})
    def post(self, request, uuid):
        plan = selectors.plan_get(request.user, uuid)
        v = dict(validated_body(s.TemplateInputSerializer, request))
        v["procedure"] = _procedure(v.get("procedure"))
        template = services.template_create(actor=request.user, plan=plan, **v)
        return Response(s.TemplateSerializer(template).data, status=status.HTTP_201_CREATED)


class PlanOptionsView(APIView):
    """What a plan can use: the named filters (with their parameters), the template variables, channels,
    audiences and anchors."""

    permission_classes = [requires(perms.VIEW_PLANS.slug)]

    @extend_schema(tags=TAGS, responses=s.PlanOptionsSerializer)
    def get(self, request):
        return Response(s.PlanOptionsSerializer(selectors.plan_options()).data)


class CaseMessagesView(generics.GenericAPIView):
    """Every message about a case of your wards (to the patient and to staff), with each delivery attempt per
    channel and the receipts — what the bed card's "messages sent" icon opens. Audited read."""

    permission_classes = [requires(perms.VIEW_CASE_MESSAGES.slug)]
    serializer_class = s.CaseMessageSerializer
    pagination_class = StandardPagination
    filter_backends = []

    @extend_schema(tags=TAGS, responses=s.CaseMessageSerializer(many=True))
    def get(self, request, uuid):
        from cases.selectors import case_get

        case = case_get(request.user, uuid)
        audit_patient_read(request.user, case, detail="case messages")
        page = self.paginate_queryset(selectors.case_messages(case))
        return self.get_paginated_response(s.CaseMessageSerializer(page, many=True).data)


# --- inboxes ---------------------------------------------------------------------------------------------------


class _InboxBase(generics.GenericAPIView):
    serializer_class = s.InboxMessageSerializer
    pagination_class = StandardPagination
    filter_backends = []

    def inbox(self, request):
        raise NotImplementedError

    def list_response(self, request):
        q = validated_query(s.InboxQuerySerializer, request)
        qs = self.inbox(request)
        if q.get("unread") is not None:
            qs = qs.filter(read_at__isnull=q["unread"])
        if q.get("case"):
            qs = qs.filter(case__uuid=q["case"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(s.InboxMessageSerializer(page, many=True).data)


class StaffInboxView(_InboxBase):
    """Your in-app messages (newest first; `unread=true` for the unread ones). New ones are also pushed on your
    realtime `user` group as `messaging.inbox.new`."""

    permission_classes = [IsStaff]

    def inbox(self, request):
        return selectors.staff_inbox(request.user)

    @extend_schema(tags=TAGS, parameters=[s.InboxQuerySerializer], responses=s.InboxMessageSerializer(many=True))
    def get(self, request):
        return self.list_response(request)


class StaffInboxReadView(APIView):
    """Mark some of your messages read (unknown ids and other people's messages are ignored)."""

    permission_classes = [IsStaff]

    @extend_schema(tags=TAGS, request=s.MarkReadSerializer, responses=s.MarkedSerializer)
    def post(self, request):
        v = validated_body(s.MarkReadSerializer, request)
        return Response({"marked": services.inbox_mark_read(
            selectors.staff_inbox(request.user).filter(uuid__in=v["messages"]))})


class StaffInboxReadAllView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(tags=TAGS, request=None, responses=s.MarkedSerializer)
    def post(self, request):
        return Response({"marked": services.inbox_mark_read(selectors.staff_inbox(request.user))})


class StaffInboxUnreadView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(tags=TAGS, responses=s.UnreadCountSerializer)
    def get(self, request):
        return Response({"unread": selectors.staff_inbox(request.user).filter(read_at__isnull=True).count()})


class MyInboxView(_InboxBase):
    """The patient's own messages (every plan message written to them, whichever channel carried it). New ones
    are also pushed on the patient's realtime group as `messaging.inbox.new`."""

    def get_permissions(self):
        return [IsPatient()]

    def inbox(self, request):
        return selectors.patient_inbox(request.user)

    @extend_schema(tags=TAGS, parameters=[s.InboxQuerySerializer], responses=s.InboxMessageSerializer(many=True))
    def get(self, request):
        from accounts.patient_scope import patient_for

        patient = patient_for(request.user)
        if patient is not None:
            audit_patient_read(request.user, patient, detail="own messages")
        return self.list_response(request)


class MyInboxReadView(APIView):
    """Mark some of your messages read (unknown ids and other people's messages are ignored)."""

    def get_permissions(self):
        return [IsPatient()]

    @extend_schema(tags=TAGS, request=s.MarkReadSerializer, responses=s.MarkedSerializer)
    def post(self, request):
        v = validated_body(s.MarkReadSerializer, request)
        return Response({"marked": services.inbox_mark_read(
            selectors.patient_inbox(request.user).filter(uuid__in=v["messages"]))})


class MyInboxReadAllView(APIView):
    def get_permissions(self):
        return [IsPatient()]

    @extend_schema(tags=TAGS, request=None, responses=s.MarkedSerializer)
    def post(self, request):
        return Response({"marked": services.inbox_mark_read(selectors.patient_inbox(request.user))})


class MyInboxUnreadView(APIView):
    def get_permissions(self):
        return [IsPatient()]

    @extend_schema(tags=TAGS, responses=s.UnreadCountSerializer)
    def get(self, request):
        return Response({"unread": selectors.patient_inbox(request.user).filter(read_at__isnull=True).count()})


# --- staff devices (FCM) ---------------------------------------------------------------------------------------


class DeviceListView(APIView):
    """Your staff-app installations registered for push (FCM). POST registers this device's token (a token
    moves to whoever registers it last: one device, one user) for this login session: after a logout (or the
    session's idle expiry) nothing is pushed to the device until somebody logs in and registers it again."""

    permission_classes = [IsStaff]

    @extend_schema(tags=TAGS, responses=s.DeviceSerializer(many=True))
    def get(self, request):
        return Response(s.DeviceSerializer(selectors.devices_of(request.user), many=True).data)

    @extend_schema(tags=TAGS, request=s.DeviceInputSerializer, responses={201: s.DeviceSerializer})
    def post(self, request):
        from accounts.tokens import SESSION_CLAIM

        v = validated_body(s.DeviceInputSerializer, request)
        sid = request.auth.get(SESSION_CLAIM) if request.auth is not None else ""
        device = services.device_register(user=request.user, sid=sid or "", **v)
        return Response(s.DeviceSerializer(device).data, status=status.HTTP_201_CREATED)


class DeviceDetailView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(tags=TAGS, responses={204: None})
    def delete(self, request, uuid):
        device = selectors.devices_of(request.user).filter(uuid=uuid).first()
        if device is None:
            raise NotFound()
        services.device_remove(device=device)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- delivery receipts -----------------------------------------------------------------------------------------


class SmsReceiptView(APIView):
    """The SMS gateway reports whether a message reached the handset (signed like the HIS launch: X-Client-Id,
    X-Timestamp, X-Nonce, X-Signature; clients in MESSAGING_RECEIPT_CLIENTS). Unknown message ids are answered
    `unknown` (the gateway need not retry); a replayed or unsigned call is a 401."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(tags=TAGS, request=s.ReceiptInputSerializer, responses=s.ReceiptAnswerSerializer, auth=[])
    def post(self, request):
        from booking.errors import SignatureRefused
        from booking.signing import signed_request_verify
        from messaging.conf import conf
        from messaging.delivery import receipt_record
        from messaging.models import ReceiptNonce

        signed_request_verify(headers=request.headers, method=request.method, path=request.path, body=request.body,
                              clients=conf("MESSAGING_RECEIPT_CLIENTS"),
                              window_seconds=conf("MESSAGING_RECEIPT_WINDOW_SECONDS"), nonce_model=ReceiptNonce,
                              refused=SignatureRefused)
        v = validated_body(s.ReceiptInputSerializer, request)
        attempt = receipt_record(external_id=v["message_id"], delivered=v["status"] == "delivered",
                                 detail=v["detail"], at=v["delivered_at"])
        return Response({"status": "recorded" if attempt else "unknown"})
