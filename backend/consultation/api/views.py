"""Thin views over consultation.selectors and consultation.services. Staff look-ups are ward-scoped, patient
look-ups go through the patient's own binding; every read of patient data is audited."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPatient, requires
from audit.services import audit_patient_read
from cases.selectors import case_get
from consultation import permissions as perms
from consultation import selectors, services
from consultation.api import serializers as s
from consultation.models import Sender
from core.api.input import validated_body, validated_query
from core.api.pagination import StandardPagination
from core.errors import NotFound
from org.models import Ward
from org.scoping import ward_scope_for


def _ward(request, uuid):
    if uuid is None:
        return None
    ward = Ward.objects.filter(uuid=uuid).first()
    if ward is None or not ward_scope_for(request.user).allows_ward(ward.pk):
        raise NotFound()
    return ward


# --- patient: wound consultations ---------------------------------------------------------------------------------


class MyWoundConsultationsView(APIView):
    """GET: my wound consultations of this case with their answers. POST (multipart/form-data): send a description
    and 1–9 photos of the wound (after the operation); the care team is told and answers."""

    permission_classes = [IsPatient]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(responses=s.WoundConsultationSerializer(many=True))
    def get(self, request, uuid):
        case = selectors.my_case_get(request.user, uuid)
        audit_patient_read(request.user, case, detail="own wound consultations")
        rows = selectors.my_wound_consultation_list(request.user, case)
        return Response(s.WoundConsultationSerializer(rows, many=True).data)

    @extend_schema(request={"multipart/form-data": s.WoundSubmitInput},
                   responses={201: s.WoundConsultationSerializer})
    def post(self, request, uuid):
        case = selectors.my_case_get(request.user, uuid)
        v = validated_body(s.WoundSubmitInput, request)
        consultation = services.wound_consultation_submit(
            actor=request.user, case=case, photos=v["photos"], description=v["description"],
            client_id=v["client_id"])
        consultation = selectors.my_wound_consultation_get(request.user, consultation.uuid)
        return Response(s.WoundConsultationSerializer(consultation).data, status=status.HTTP_201_CREATED)


class MyWoundConsultationView(APIView):
    """One of my wound consultations, with short-lived photo URLs."""

    permission_classes = [IsPatient]

    @extend_schema(responses=s.WoundConsultationSerializer)
    def get(self, request, uuid):
        consultation = selectors.my_wound_consultation_get(request.user, uuid)
        audit_patient_read(request.user, consultation, detail="own wound consultation")
        return Response(s.WoundConsultationSerializer(consultation).data)


# --- staff: wound consultations (follow-up management) ------------------------------------------------------------


class WoundConsultationListView(generics.GenericAPIView):
    """Follow-up management: wound consultations of my wards (filters: status, ward, date range), unanswered
    ones first, oldest first; paginated. Audited read."""

    permission_classes = [requires(perms.VIEW_CONSULTATIONS.slug)]
    serializer_class = s.StaffWoundConsultationSerializer
    pagination_class = StandardPagination
    filter_backends = []

    @extend_schema(parameters=[s.WoundListQuery], responses=s.StaffWoundConsultationSerializer(many=True))
    def get(self, request):
        q = validated_query(s.WoundListQuery, request)
        qs = selectors.wound_consultation_list(
            request.user, status=q.get("status"), ward=_ward(request, q.get("ward")),
            date_from=q.get("date_from"), date_to=q.get("date_to"))
        page = self.paginate_queryset(qs)
        audit_patient_read(request.user, None, target_type="consultation.woundconsultation", target_id="list",
                           detail=f"wound consultation list ({len(page)} rows)")
        return self.get_paginated_response(s.StaffWoundConsultationSerializer(page, many=True).data)


class CaseWoundConsultationsView(APIView):
    """The wound consultations of one case (patient view in follow-up management). Audited read."""

    permission_classes = [requires(perms.VIEW_CONSULTATIONS.slug)]

    @extend_schema(responses=s.StaffWoundConsultationSerializer(many=True))
    def get(self, request, uuid):
        case = case_get(request.user, uuid)
        audit_patient_read(request.user, case, detail="wound consultations")
        rows = selectors.wound_consultation_list(request.user, case=case).order_by("-created_at", "-id")
        return Response(s.StaffWoundConsultationSerializer(rows, many=True).data)


class WoundConsultationView(APIView):
    """One wound consultation with its photos (short-lived URLs). Audited read."""

    permission_classes = [requires(perms.VIEW_CONSULTATIONS.slug)]

    @extend_schema(responses=s.StaffWoundConsultationSerializer)
    def get(self, request, uuid):
        consultation = selectors.wound_consultation_get(request.user, uuid)
        audit_patient_read(request.user, consultation, detail="wound consultation")
        return Response(s.StaffWoundConsultationSerializer(consultation).data)


class WoundConsultationAnswerView(APIView):
    """POST {answer, advice}: answer once (409 when already answered); the patient is notified."""

    permission_classes = [requires(perms.ANSWER_WOUND.slug)]

    @extend_schema(request=s.WoundAnswerInput, responses=s.StaffWoundConsultationSerializer)
    def post(self, request, uuid):
        consultation = selectors.wound_consultation_get(request.user, uuid)
        v = validated_body(s.WoundAnswerInput, request)
        services.wound_consultation_answer(actor=request.user, consultation=consultation, answer=v["answer"],
                                           advice=v["advice"])
        return Response(s.StaffWoundConsultationSerializer(
            selectors.wound_consultation_get(request.user, uuid)).data)


# --- conversations (online consultation, PA8) ---------------------------------------------------------------------


def _conversation_data(case, conversation, side, *, staff=False):
    can_send = case.state not in services.CHAT_CLOSED_STATES
    if conversation is None:
        data = {"uuid": None, "case": case.uuid, "last_sequence": 0, "last_message_at": None, "last_sender": "",
                "unread": 0, "patient_read_sequence": 0, "patient_read_at": None, "staff_read_sequence": 0,
                "staff_read_at": None, "can_send": can_send}
    else:
        mark = conversation.patient_read_sequence if side == Sender.PATIENT else conversation.staff_read_sequence
        data = {"uuid": conversation.uuid, "case": case.uuid, "last_sequence": conversation.last_sequence,
                "last_message_at": conversation.last_message_at, "last_sender": conversation.last_sender,
                "unread": conversation.last_sequence - mark,
                "patient_read_sequence": conversation.patient_read_sequence,
                "patient_read_at": conversation.patient_read_at,
                "staff_read_sequence": conversation.staff_read_sequence, "staff_read_at": conversation.staff_read_at,
                "can_send": can_send}
    if staff:
        data["patient"] = conversation.patient if conversation is not None else case.patient
        data["case_detail"] = case
    return data


class _ConversationBase(APIView):
    """Shared by the patient's (`my/cases/<uuid>/conversation/...`) and the care team's routes."""

    patient_side = False

    def get_permissions(self):
        if self.patient_side:
            return [IsPatient()]
        slug = perms.CHAT.slug if self.request.method == "POST" else perms.VIEW_CONSULTATIONS.slug
        return [requires(slug)()]

    def case(self, request, uuid):
        if self.patient_side:
            return selectors.my_case_get(request.user, uuid)
        return case_get(request.user, uuid)

    def side(self):
        return Sender.PATIENT if self.patient_side else Sender.STAFF


class ConversationView(_ConversationBase):
    """The case's conversation: last message, unread count of my side, both sides' read receipts."""

    @extend_schema(responses=s.ConversationSerializer)
    def get(self, request, uuid):
        case = self.case(request, uuid)
        audit_patient_read(request.user, case, detail="consultation conversation")
        data = _conversation_data(case, selectors.conversation_of(case), self.side())
        return Response(s.ConversationSerializer(data).data)


class MessagesView(_ConversationBase):
    """GET: history in ascending order, `before=<sequence>` pages back (default: the newest), `after=<sequence>`
    catches up after a realtime gap; `limit` ≤ 200. POST {body, client_id}: send a message (a retry with the same
    client_id returns the stored message with 200 instead of 201)."""

    @extend_schema(parameters=[s.HistoryQuery], responses=s.MessagePageSerializer)
    def get(self, request, uuid):
        case = self.case(request, uuid)
        q = validated_query(s.HistoryQuery, request)
        conversation = selectors.conversation_of(case)
        rows, more = selectors.message_page(case, before=q.get("before"), after=q.get("after"), limit=q.get("limit"))
        audit_patient_read(request.user, case, detail="consultation messages")
        data = {"conversation": _conversation_data(case, conversation, self.side()), "results": rows,
                "has_more": more}
        return Response(s.MessagePageSerializer(data, context={"conversation": conversation}).data)

    @extend_schema(request=s.MessageInput, responses={201: s.MessageSerializer, 200: s.MessageSerializer})
    def post(self, request, uuid):
        case = self.case(request, uuid)
        v = validated_body(s.MessageInput, request)
        message, created = services.message_send(actor=request.user, case=case, body=v["body"],
                                                 client_id=v["client_id"])
        conversation = selectors.conversation_of(case)
        return Response(s.MessageSerializer(message, context={"conversation": conversation}).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class ReadView(_ConversationBase):
    """POST {sequence}: my side has read the conversation up to `sequence` (default all): the read receipt."""

    def get_permissions(self):
        if self.patient_side:
            return [IsPatient()]
        return [requires(perms.CHAT.slug)()]

    @extend_schema(request=s.ReadInput, responses=s.ConversationSerializer)
    def post(self, request, uuid):
        case = self.case(request, uuid)
        v = validated_body(s.ReadInput, request)
        services.conversation_mark_read(actor=request.user, case=case, sequence=v.get("sequence"))
        data = _conversation_data(case, selectors.conversation_of(case), self.side())
        return Response(s.ConversationSerializer(data).data)


class MyConversationView(ConversationView):
    patient_side = True


class MyMessagesView(MessagesView):
    patient_side = True


class MyReadView(ReadView):
    patient_side = True


class ConversationListView(generics.GenericAPIView):
    """The care team's inbox: conversations of my wards, newest message first (`unread=true`: with patient
    messages nobody of the team has read yet); paginated."""

    permission_classes = [requires(perms.VIEW_CONSULTATIONS.slug)]
    serializer_class = s.StaffConversationSerializer
    pagination_class = StandardPagination
    filter_backends = []

    @extend_schema(parameters=[s.ConversationListQuery], responses=s.StaffConversationSerializer(many=True))
    def get(self, request):
        q = validated_query(s.ConversationListQuery, request)
        qs = selectors.conversation_list(request.user, ward=_ward(request, q.get("ward")), unread=q.get("unread"))
        page = self.paginate_queryset(qs)
        audit_patient_read(request.user, None, target_type="consultation.conversation", target_id="list",
                           detail=f"consultation conversations ({len(page)} rows)")
        rows = [_conversation_data(c.case, c, Sender.STAFF, staff=True) for c in page]
        return self.get_paginated_response(s.StaffConversationSerializer(rows, many=True).data)
