"""Thin views over todos.selectors and todos.services. A to-do is reached only through the caller's to-do scope
(ward scope + audience); the case's list goes through cases.selectors.case_get and is an audited read."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import SecondFactor, requires
from audit.services import audit_patient_read
from cases.models import SurgicalCase
from cases.selectors import case_get
from core.api.input import validated_body, validated_query
from core.errors import InvalidInput
from org.hospital_config import actor_hospital
from org.models import Hospital, Ward
from org.scoping import ward_scope_for
from todos import permissions as perms
from todos import selectors, services
from todos.api import serializers as s

TAGS = ["todos"]


class TodoListView(generics.GenericAPIView):
    """My to-dos (SA7): work of my wards that my permissions address, or addressed to me as the surgeon. Open ones
    by due time (overdue first); filters: status (default open, `all`), kind (repeatable), case, ward, priority,
    overdue, mine. Paginated. Realtime: `todos.todo.opened` / `todos.todo.closed` on the user's group."""

    permission_classes = [requires(perms.VIEW_TODOS.slug)]
    serializer_class = s.TodoSerializer
    filter_backends = []

    @extend_schema(tags=TAGS, parameters=[s.TodoQuerySerializer], responses=s.TodoSerializer(many=True))
    def get(self, request):
        v = validated_query(s.TodoQuerySerializer, request)
        case = ward = None
        if v.get("case"):
            case = SurgicalCase.objects.filter(uuid=v["case"]).first()
            if case is None or not ward_scope_for(request.user).allows_ward(case.ward_id):
                raise InvalidInput(fields={"case": [_("Unknown case.")]})
        if v.get("ward"):
            ward = Ward.objects.filter(uuid=v["ward"]).first()
            if ward is None or not ward_scope_for(request.user).allows_ward(ward.pk):
                raise InvalidInput(fields={"ward": [_("Unknown ward.")]})
        rows = selectors.todo_list(request.user, status=v["status"], kinds=v.get("kind") or (), case=case, ward=ward,
                                   priority=v.get("priority"), overdue=v.get("overdue"), assigned_to_me=v["mine"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.TodoSerializer(page, many=True).data)


class TodoCountView(APIView):
    """The badge of the staff app: my open to-dos, overdue, high priority, per kind."""

    permission_classes = [requires(perms.VIEW_TODOS.slug)]

    @extend_schema(tags=TAGS, responses=s.TodoCountSerializer)
    def get(self, request):
        return Response(s.TodoCountSerializer(selectors.todo_counts(request.user)).data)


class TodoDetailView(APIView):
    permission_classes = [requires(perms.VIEW_TODOS.slug)]

    @extend_schema(tags=TAGS, responses=s.TodoSerializer)
    def get(self, request, uuid):
        todo = selectors.todo_get(request.user, uuid)
        audit_patient_read(request.user, todo, detail="to-do")
        return Response(s.TodoSerializer(todo).data)


class TodoCompleteView(APIView):
    """Mark one of my to-dos done (optional note). 409 `todo_not_open` when it was already finished or closed."""

    permission_classes = [requires(perms.VIEW_TODOS.slug)]

    @extend_schema(tags=TAGS, request=s.TodoCompleteInput, responses=s.TodoSerializer)
    def post(self, request, uuid):
        todo = selectors.todo_get(request.user, uuid)
        v = validated_body(s.TodoCompleteInput, request)
        todo = services.todo_complete(todo=todo, actor=request.user, note=v["note"])
        return Response(s.TodoSerializer(todo).data)


class TodoDismissView(APIView):
    """Dismiss one of my to-dos that needs no action, with the reason."""

    permission_classes = [requires(perms.VIEW_TODOS.slug)]

    @extend_schema(tags=TAGS, request=s.TodoDismissInput, responses=s.TodoSerializer)
    def post(self, request, uuid):
        todo = selectors.todo_get(request.user, uuid)
        v = validated_body(s.TodoDismissInput, request)
        todo = services.todo_dismiss(todo=todo, actor=request.user, reason=v["reason"])
        return Response(s.TodoSerializer(todo).data)


class CaseTodoListView(APIView):
    """Every to-do of one case (open and finished), for the case's screens. Audited read."""

    permission_classes = [requires(perms.VIEW_TODOS.slug)]

    @extend_schema(tags=TAGS, responses=s.TodoSerializer(many=True))
    def get(self, request, uuid):
        case = case_get(request.user, uuid)
        audit_patient_read(request.user, case, detail="case to-dos")
        return Response(s.TodoSerializer(selectors.case_todo_list(case), many=True).data)


# --- rules ----------------------------------------------------------------------------------------------------------


def _hospital_of(user, uuid=None):
    if uuid is not None and getattr(user, "is_superuser", False):
        hospital = Hospital.objects.filter(uuid=uuid).first()
        if hospital is None:
            raise InvalidInput(fields={"hospital": [_("Unknown hospital.")]})
        return hospital
    hospital = actor_hospital(user)
    if hospital is None:
        raise InvalidInput(fields={"hospital": [_("Your account belongs to no hospital.")]})
    return hospital


class TodoRuleListView(APIView):
    """The to-do rules: platform defaults and your hospital's own rules (a hospital rule overrides the default with
    its key; an inactive one switches it off). POST adds a hospital rule (administrators, admin login)."""

    def get_permissions(self):
        if self.request.method == "POST":
            return [requires(perms.MANAGE_RULES.slug)(), SecondFactor()]
        return [requires(perms.VIEW_TODOS.slug)()]

    @extend_schema(tags=TAGS, responses=s.TodoRuleSerializer(many=True))
    def get(self, request):
        return Response(s.TodoRuleSerializer(selectors.todo_rule_list(request.user), many=True).data)

    @extend_schema(tags=TAGS, request=s.TodoRuleCreateInput, responses={201: s.TodoRuleSerializer})
    def post(self, request):
        v = dict(validated_body(s.TodoRuleCreateInput, request))
        hospital = _hospital_of(request.user, v.pop("hospital", None))
        rule = services.todo_rule_create(actor=request.user, hospital=hospital, **v)
        return Response(s.TodoRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class TodoRuleDetailView(APIView):
    """One rule. Platform defaults are read-only (override them with a hospital rule of the same key). Every
    change raises the rule's version; to-dos record the version that opened them."""

    def get_permissions(self):
        if self.request.method == "PATCH":
            return [requires(perms.MANAGE_RULES.slug)(), SecondFactor()]
        return [requires(perms.VIEW_TODOS.slug)()]

    @extend_schema(tags=TAGS, responses=s.TodoRuleSerializer)
    def get(self, request, uuid):
        return Response(s.TodoRuleSerializer(selectors.todo_rule_get(request.user, uuid)).data)

    @extend_schema(tags=TAGS, request=s.TodoRuleUpdateInput, responses=s.TodoRuleSerializer)
    def patch(self, request, uuid):
        rule = selectors.todo_rule_get(request.user, uuid)
        v = dict(validated_body(s.TodoRuleUpdateInput, request))
        if not v:
            raise InvalidInput(fields={"non_field_errors": [_("Nothing to change.")]})
        rule = services.todo_rule_update(actor=request.user, rule=rule, **v)
        return Response(s.TodoRuleSerializer(rule).data)
