"""Thin views over preop.selectors and preop.services. Every patient-bearing read is scoped to the caller's wards;
every patient detail read is audited."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import SecondFactor, has_permission, requires
from audit.services import audit_patient_read
from cases import permissions as case_perms
from cases.models import CancelReason, CancelStage, CaseState, RescheduleReason
from cases.selectors import case_get
from cases.services import DETAILS_EDITABLE_STATES
from cases.state_machine import TERMINAL_STATES
from core.api.input import validated_body as _body
from core.api.input import validated_query as _query
from core.api.pagination import StandardPagination
from core.errors import InvalidInput, NotFound
from org.models import Hospital, Ward
from org.scoping import ward_scope_for
from preop import permissions as perms
from preop import selectors, services
from preop.api import serializers as s
from preop.errors import RangeTooLong
from preop.models import IconRule
from preop.rules import rules_for_hospital

TAGS = ["preop"]


def _ward(user, uuid):
    """A ward the caller sees; another ward's uuid is refused like an unknown one."""
    if uuid is None:
        return None
    ward = Ward.objects.filter(uuid=uuid).first()
    if ward is None or not ward_scope_for(user).allows_ward(ward.pk):
        raise InvalidInput(fields={"ward": [_("Unknown ward.")]})
    return ward


def _range(v, *, first="date", last="date_to", limit=selectors.MAX_BED_DAYS):
    date_from = v.get(first) or timezone.localdate()
    date_to = v.get(last) or date_from
    if date_to < date_from:
        raise InvalidInput(fields={last: [_("The end date cannot be before the start date.")]})
    if (date_to - date_from).days + 1 > limit:
        message = _("Choose at most %(n)d days.") % {"n": limit}
        raise RangeTooLong(message, fields={last: [message]})
    return date_from, date_to


class VirtualBedsView(APIView):
    """P1: virtual beds per management mode, ward and date. The number of beds comes from the booking capacity
    (resources and maximum bookings of the ward's surgeons, their medical groups and departments); the patients
    booked for that date are placed on them, each with their bed card."""

    permission_classes = [requires(perms.VIEW_BOARD.slug)]

    @extend_schema(tags=TAGS, parameters=[s.VirtualBedsQuerySerializer], responses=s.VirtualBedsSerializer)
    def get(self, request):
        v = _query(s.VirtualBedsQuerySerializer, request)
        date_from, date_to = _range(v)
        data = selectors.virtual_beds(request.user, date_from=date_from, date_to=date_to,
                                      ward=_ward(request.user, v.get("ward")),
                                      management_mode=v.get("management_mode"))
        return Response(s.VirtualBedsSerializer(data).data)


class BedCardListView(APIView):
    """P2: the bed board — the cards of the patients booked for the dates (ward, assessment status,
    demographics masked unless you may see them, surgery, remarks, icons in three classes)."""

    permission_classes = [requires(perms.VIEW_BOARD.slug)]

    @extend_schema(tags=TAGS, parameters=[s.BedCardQuerySerializer], responses=s.BedCardSerializer(many=True))
    def get(self, request):
        v = _query(s.BedCardQuerySerializer, request)
        date_from, date_to = _range(v)
        qs = selectors.bed_card_list(request.user, ward=_ward(request.user, v.get("ward")), date_from=date_from,
                                     date_to=date_to)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        ctx = selectors.CardContext(request.user, page)
        return paginator.get_paginated_response(
            s.BedCardSerializer([selectors.bed_card(c, ctx) for c in page], many=True).data)


def _card_case(request, uuid):
    case = selectors.card_queryset(request.user).filter(uuid=uuid).first()
    if case is None:
        raise NotFound()
    return case


class BedCardDetailView(APIView):
    """One bed card (re-read after a `preop.bed_card.changed` push)."""

    permission_classes = [requires(perms.VIEW_BOARD.slug)]

    @extend_schema(tags=TAGS, responses=s.BedCardSerializer)
    def get(self, request, uuid):
        case = _card_case(request, uuid)
        audit_patient_read(request.user, case, detail="bed card")
        return Response(s.BedCardSerializer(selectors.bed_card(case, selectors.CardContext(request.user, [case]))).data)


def _locked(case, user):
    if case.state in TERMINAL_STATES:
        return "case_ended", _("The case has ended; its details can no longer be edited.")
    if case.state not in DETAILS_EDITABLE_STATES:
        return "application_sent", _(
            "The surgery application has been sent: roll the application back (with a reason) before editing.")
    if not has_permission(user, case_perms.EDIT_CASE_DETAILS.slug):
        return "not_permitted", _("You may not edit these details.")
    return "", ""


def _ref(user):
    return None if user is None else {"uuid": user.uuid, "name": user.name}


def _detail(request, uuid):
    case = case_get(request.user, uuid)
    card_case = _card_case(request, uuid)
    code, message = _locked(case, request.user)
    user = request.user
    return {
        "card": selectors.bed_card(card_case, selectors.CardContext(user, [card_case])),
        "booking": {
            "procedure_name": case.procedure_name, "procedure_code": case.procedure_code,
            "diagnosis_code": case.diagnosis_code, "diagnosis_name": case.diagnosis_name,
            "planned_date": case.planned_date, "planned_session": case.planned_session,
            "anaesthesia_method": case.anaesthesia_method, "surgeon": _ref(case.surgeon),
            "booked_by": _ref(case.booked_by), "booked_at": case.booked_at, "booking_mode": case.booking_mode,
            "visit_no": case.visit_no, "triage_level": case.triage_level,
            "expected_duration_minutes": case.expected_duration_minutes, "position": case.position,
            "department": case.department.name,
        },
        "manager": {
            "companion_name": case.companion_name,
            "companion_phone": case.companion_phone if has_permission(user, perms.VIEW_FULL_DEMOGRAPHICS.slug)
            else _mask(case.companion_phone),
            "remarks": case.remarks,
        },
        "editable": not code,
        "editable_fields": [] if code else list(services.MANAGER_FIELDS),
        "locked_reason": code,
        "locked_message": message,
        "application_sent_at": case.application_sent_at,
        "can_roll_back": case.state == CaseState.APPLICATION_SENT
        and case.theatre_schedule_status != "scheduled"
        and has_permission(user, case_perms.ROLL_BACK_APPLICATION.slug),
        "can_change_booking": case.state in (CaseState.BOOKED, CaseState.APPLICATION_SENT, CaseState.SCHEDULED)
        and services.can_change_booking(user, case),
    }, case


def _mask(phone):
    from core.identity import mask_phone

    return mask_phone(phone)


class PreopCaseDetailView(APIView):
    """P3: the pre-op detail page. Booking-derived fields are read-only; the manager's fields (companion, phone,
    remarks) are editable only until the surgery application is sent — afterwards roll the application back
    (POST /cases/<uuid>/roll-back-application/ with a reason, audited) first. `editable` says whether, and why not."""

    def get_permissions(self):
        if self.request.method == "PATCH":
            return [requires(perms.VIEW_BOARD.slug, case_perms.EDIT_CASE_DETAILS.slug)()]
        return [requires(perms.VIEW_BOARD.slug)()]

    @extend_schema(tags=TAGS, responses=s.PreopCaseDetailSerializer)
    def get(self, request, uuid):
        data, case = _detail(request, uuid)
        audit_patient_read(request.user, case, detail="pre-op detail")
        return Response(s.PreopCaseDetailSerializer(data).data)

    @extend_schema(tags=TAGS, request=s.PreopCaseUpdateSerializer, responses=s.PreopCaseDetailSerializer)
    def patch(self, request, uuid):
        case = case_get(request.user, uuid)
        values = dict(_body(s.PreopCaseUpdateSerializer, request))
        version = values.pop("version", None)
        services.preop_details_update(case=case, actor=request.user, expected_version=version, **values)
        data, _case = _detail(request, uuid)
        return Response(s.PreopCaseDetailSerializer(data).data)


class CaseMessagesView(APIView):
    """The look-up icon: messages already sent to the patient (SMS, WeChat), newest first."""

    permission_classes = [requires(perms.VIEW_BOARD.slug)]

    @extend_schema(tags=TAGS, responses=s.SentMessageSerializer(many=True))
    def get(self, request, uuid):
        case = case_get(request.user, uuid)
        audit_patient_read(request.user, case, detail="messages sent")
        return Response(s.SentMessageSerializer(selectors.case_messages(case), many=True).data)


class RescheduleView(APIView):
    """P5/D6: move the booking to another date, within the booking rules (capacity of the new date, admission rules
    re-checked) and the application rules (a case the theatre scheduled is refused: roll back first). The manager
    changes any booking of their wards; a doctor only their own patients'. Reason from the list + text."""

    permission_classes = [requires(case_perms.RESCHEDULE_CASE.slug)]

    @extend_schema(tags=TAGS, request=s.PreopRescheduleInputSerializer, responses=s.PreopCaseDetailSerializer)
    def post(self, request, uuid):
        case = case_get(request.user, uuid)
        v = dict(_body(s.PreopRescheduleInputSerializer, request))
        services.booking_reschedule(case=case, actor=request.user, expected_version=v.pop("version", None), **v)
        data, _case = _detail(request, uuid)
        return Response(s.PreopCaseDetailSerializer(data).data)


class CancelView(APIView):
    """P5/D6: cancel the booking (reason from the list; text required for 'other'); the stage follows the day.
    The manager cancels any booking of their wards; a doctor only their own patients'."""

    permission_classes = [requires(case_perms.CANCEL_CASE.slug)]

    @extend_schema(tags=TAGS, request=s.PreopCancelInputSerializer, responses=s.PreopCaseDetailSerializer)
    def post(self, request, uuid):
        case = case_get(request.user, uuid)
        v = dict(_body(s.PreopCancelInputSerializer, request))
        services.booking_cancel(case=case, actor=request.user, expected_version=v.pop("version", None), **v)
        data, _case = _detail(request, uuid)
        return Response(s.PreopCaseDetailSerializer(data).data)


class ChangeReasonsView(APIView):
    """The reason lists for rescheduling and cancelling (and the cancellation stages)."""

    permission_classes = [requires(perms.VIEW_BOARD.slug)]

    @extend_schema(tags=TAGS, responses=s.ChangeReasonsSerializer)
    def get(self, request):
        return Response(s.ChangeReasonsSerializer({
            "reschedule": [{"code": c, "label": str(label)} for c, label in RescheduleReason.choices],
            "cancel": [{"code": c, "label": str(label), "category": selectors.REASON_CATEGORY[c]}
                       for c, label in CancelReason.choices],
            "cancel_stages": [{"code": c, "label": str(label)} for c, label in CancelStage.choices],
        }).data)


class CancellationStatsView(APIView):
    """Cancellations of your wards counted by reason, reason category, stage and initiator (no patient data)."""

    permission_classes = [requires(perms.VIEW_CANCELLATION_STATS.slug)]

    @extend_schema(tags=TAGS, parameters=[s.CancellationStatsQuerySerializer], responses=s.CancellationStatsSerializer)
    def get(self, request):
        v = _query(s.CancellationStatsQuerySerializer, request)
        today = timezone.localdate()
        date_to = v.get("date_to") or today
        if v.get("date_from") is None and date_to < selectors.EARLIEST:
            raise InvalidInput(fields={"date_to": [_("Choose a date from %(date)s on.") % {
                "date": selectors.EARLIEST.isoformat()}]})
        date_from = v.get("date_from") or date_to - timedelta(days=30)
        if date_to < date_from:
            raise InvalidInput(fields={"date_to": [_("The end date cannot be before the start date.")]})
        if (date_to - date_from).days > 366:
            message = _("Choose at most %(n)d days.") % {"n": 366}
            raise RangeTooLong(message, fields={"date_to": [message]})
        data = selectors.cancellation_stats(request.user, date_from=date_from, date_to=date_to,
                                            ward=_ward(request.user, v.get("ward")), basis=v.get("basis") or "cancelled")
        return Response(s.CancellationStatsSerializer(data).data)


class SearchView(APIView):
    """P6: search patients by planned date range, ward, state, surgeon and registration number; `per_surgeon`
    counts the operations of each surgeon over the whole result set (for checking surgeons' workload)."""

    permission_classes = [requires(perms.VIEW_BOARD.slug)]

    @extend_schema(tags=TAGS, parameters=[s.PreopSearchQuerySerializer], responses=s.PreopSearchPageSerializer)
    def get(self, request):
        v = _query(s.PreopSearchQuerySerializer, request)
        if v.get("date_from") and v.get("date_to") and v["date_to"] < v["date_from"]:
            raise InvalidInput(fields={"date_to": [_("The end date cannot be before the start date.")]})
        surgeon = None
        if v.get("surgeon"):
            surgeon = User.objects.filter(uuid=v["surgeon"]).first()
            if surgeon is None:
                raise InvalidInput(fields={"surgeon": [_("Unknown surgeon.")]})
        qs = selectors.case_search(request.user, date_from=v.get("date_from"), date_to=v.get("date_to"),
                                   ward=_ward(request.user, v.get("ward")), states=sorted(v.get("state") or []),
                                   surgeon=surgeon, reg_no=v.get("reg_no", ""))
        paginator = StandardPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        ctx = selectors.CardContext(request.user, page)
        cards = s.BedCardSerializer([selectors.bed_card(c, ctx) for c in page], many=True).data
        response = paginator.get_paginated_response(cards)
        response.data["per_surgeon"] = s.SurgeonCountSerializer(selectors.per_surgeon_counts(qs), many=True).data
        return response


# --- icon rules -------------------------------------------------------------------------------------------------


def _hospital_of(user, uuid=None):
    if uuid is not None and getattr(user, "is_superuser", False):
        hospital = Hospital.objects.filter(uuid=uuid).first()
        if hospital is None:
            raise InvalidInput(fields={"hospital": [_("Unknown hospital.")]})
        return hospital
    hospital_id = services.actor_hospital_id(user)
    if hospital_id is None:
        raise InvalidInput(fields={"hospital": [_("Your account belongs to no hospital.")]})
    return Hospital.objects.get(pk=hospital_id)


class IconRuleListView(APIView):
    """The bed-card icon rules in force for your hospital: platform defaults and your hospital's own rules (which
    override a default with the same key; inactive ones switch it off). POST adds a hospital rule."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [requires(perms.MANAGE_ICON_RULES.slug)(), SecondFactor()]
        return [requires(perms.VIEW_BOARD.slug)()]

    @extend_schema(tags=TAGS, responses=s.IconRuleSerializer(many=True))
    def get(self, request):
        hospital_id = services.actor_hospital_id(request.user)
        if hospital_id is None:  # a platform administrator: the platform defaults
            rules = sorted(IconRule.objects.filter(hospital__isnull=True), key=lambda r: (r.position, r.key))
        else:
            rules = rules_for_hospital(hospital_id, include_inactive=True)
        return Response(s.IconRuleSerializer(rules, many=True).data)

    @extend_schema(tags=TAGS, request=s.IconRuleInputSerializer, responses={201: s.IconRuleSerializer})
    def post(self, request):
        v = dict(_body(s.IconRuleInputSerializer, request))
        hospital = _hospital_of(request.user, v.pop("hospital", None))
        rule = services.icon_rule_create(actor=request.user, hospital=hospital, **v)
        return Response(s.IconRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class IconRuleDetailView(APIView):
    """One rule. Platform defaults are read-only (override them with a hospital rule of the same key); deleting a
    hospital rule brings the default back."""

    def get_permissions(self):
        if self.request.method in ("PATCH", "DELETE"):
            return [requires(perms.MANAGE_ICON_RULES.slug)(), SecondFactor()]
        return [requires(perms.VIEW_BOARD.slug)()]

    def _rule(self, request, uuid):
        rule = IconRule.objects.select_related("hospital").filter(uuid=uuid).first()
        own = services.actor_hospital_id(request.user)
        if rule is None or not (rule.hospital_id in (None, own) or request.user.is_superuser):
            raise NotFound()
        return rule

    @extend_schema(tags=TAGS, responses=s.IconRuleSerializer)
    def get(self, request, uuid):
        return Response(s.IconRuleSerializer(self._rule(request, uuid)).data)

    @extend_schema(tags=TAGS, request=s.IconRuleUpdateSerializer, responses=s.IconRuleSerializer)
    def patch(self, request, uuid):
        v = dict(_body(s.IconRuleUpdateSerializer, request))
        if not v:
            raise InvalidInput(fields={"non_field_errors": [_("Nothing to change.")]})
        rule = services.icon_rule_update(actor=request.user, rule=self._rule(request, uuid), **v)
        return Response(s.IconRuleSerializer(rule).data)

    @extend_schema(tags=TAGS, responses={204: None})
    def delete(self, request, uuid):
        services.icon_rule_delete(actor=request.user, rule=self._rule(request, uuid))
        return Response(status=status.HTTP_204_NO_CONTENT)


