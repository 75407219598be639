"""Thin views over followup.selectors and followup.services. Case look-ups are scoped; patient reads are audited."""

import json

from django.utils.translation import gettext as _t
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import requires
from audit.services import audit_patient_read
from cases.selectors import case_get
from catalog.models import Procedure
from core.api.input import validated_body, validated_query
from core.api.pagination import StandardPagination
from core.errors import InvalidInput
from followup import permissions as perms
from followup import selectors, services
from followup.api import serializers as s
from followup.signing import callback_verify
from org.hospital_config import actor_hospital
from org.models import Ward
from org.scoping import scope_queryset

TAGS = ["followup"]


def _ward(principal, uuid):
    if uuid is None:
        return None
    ward = scope_queryset(Ward.objects.all(), principal, ward_field="pk").filter(uuid=uuid).first()
    if ward is None:
        raise InvalidInput(fields={"ward": [_t("Unknown ward.")]})
    return ward


# --- configuration -------------------------------------------------------------------------------------------------


class PlanListView(APIView):
    """GET: the follow-up plans in effect for the user's hospital (platform defaults and its own). POST: a plan for
    the hospital (one per procedure, or for every procedure)."""

    def get_permissions(self):
        slug = perms.CONFIGURE.slug if self.request.method == "POST" else perms.VIEW_FOLLOWUP.slug
        return [requires(slug)()]

    @extend_schema(tags=TAGS, responses=s.FollowupPlanSerializer(many=True))
    def get(self, request):
        return Response(s.FollowupPlanSerializer(selectors.plan_list(request.user), many=True).data)

    @extend_schema(tags=TAGS, request=s.FollowupPlanInput, responses={201: s.FollowupPlanSerializer})
    def post(self, request):
        data = validated_body(s.FollowupPlanInput, request)
        procedure = None
        if data.get("procedure"):
            procedure = Procedure.objects.filter(uuid=data["procedure"]).first()
            if procedure is None:
                raise InvalidInput(fields={"procedure": [_t("Unknown procedure.")]})
        plan = services.plan_create(hospital=actor_hospital(request.user), procedure=procedure, name=data["name"],
                                    description=data["description"], points=data["points"],
                                    is_active=data["is_active"], actor=request.user)
        return Response(s.FollowupPlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class PlanDetailView(APIView):
    def get_permissions(self):
        slug = perms.VIEW_FOLLOWUP.slug if self.request.method == "GET" else perms.CONFIGURE.slug
        return [requires(slug)()]

    @extend_schema(tags=TAGS, responses=s.FollowupPlanSerializer)
    def get(self, request, uuid):
        return Response(s.FollowupPlanSerializer(selectors.plan_get(request.user, uuid)).data)

    @extend_schema(tags=TAGS, request=s.FollowupPlanPatch, responses=s.FollowupPlanSerializer)
    def patch(self, request, uuid):
        plan = selectors.plan_get(request.user, uuid)
        data = validated_body(s.FollowupPlanPatch, request)
        plan = services.plan_update(plan=plan, actor=request.user, **data)
        return Response(s.FollowupPlanSerializer(plan).data)

    @extend_schema(tags=TAGS, responses={204: None})
    def delete(self, request, uuid):
        services.plan_retire(plan=selectors.plan_get(request.user, uuid), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlanVersionsView(APIView):
    permission_classes = [requires(perms.VIEW_FOLLOWUP.slug)]

    @extend_schema(tags=TAGS, responses=s.FollowupPlanVersionSerializer(many=True))
    def get(self, request, uuid):
        plan = selectors.plan_get(request.user, uuid)
        return Response(s.FollowupPlanVersionSerializer(plan.versions.all(), many=True).data)


class TagDefinitionListView(APIView):
    """GET: tag definitions in effect (defaults and the hospital's). POST: create or change the hospital's tag of a
    code (a default's code overrides the default for the hospital, e.g. to rename or switch it off)."""

    def get_permissions(self):
        slug = perms.CONFIGURE.slug if self.request.method == "POST" else perms.VIEW_FOLLOWUP.slug
        return [requires(slug)()]

    @extend_schema(tags=TAGS, responses=s.FollowupTagDefinitionSerializer(many=True))
    def get(self, request):
        return Response(s.FollowupTagDefinitionSerializer(selectors.tag_definition_list(request.user), many=True).data)

    @extend_schema(tags=TAGS, request=s.FollowupTagDefinitionInput, responses=s.FollowupTagDefinitionSerializer)
    def post(self, request):
        data = dict(validated_body(s.FollowupTagDefinitionInput, request))
        code = data.pop("code")
        tag = services.tag_definition_save(hospital=actor_hospital(request.user), code=code, actor=request.user,
                                           **data)
        return Response(s.FollowupTagDefinitionSerializer(tag).data)


# --- the follow-up list (F5) -----------------------------------------------------------------------------------------


class TaskListView(APIView):
    """F5: follow-up tasks of the user's wards by follow-up date, with filters ward, date_from/date_to (follow-up
    date), status (repeatable), tag (repeatable: any of), overdue. Paginated; `count` is the total."""

    permission_classes = [requires(perms.VIEW_FOLLOWUP.slug)]

    @extend_schema(tags=TAGS, parameters=[s.FollowupTaskListQuery], responses=s.FollowupTaskSerializer(many=True))
    def get(self, request):
        query = request.query_params
        data = {k: v for k, v in query.items() if k not in ("status", "tag")}
        data.update({k: query.getlist(k) for k in ("status", "tag") if k in query})
        params = s.FollowupTaskListQuery(data=data)
        params.is_valid(raise_exception=True)
        f = params.validated_data
        qs = selectors.task_list(request.user, ward=_ward(request.user, f.get("ward")), date_from=f.get("date_from"),
                                 date_to=f.get("date_to"), status=f.get("status"), tag=f.get("tag"),
                                 overdue=f.get("overdue"))
        paginator = StandardPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(s.FollowupTaskSerializer(page, many=True).data)


class TaskDetailView(APIView):
    """One follow-up: steps taken, voice calls, manual calls, answers. Audited read."""

    permission_classes = [requires(perms.VIEW_FOLLOWUP.slug)]

    @extend_schema(tags=TAGS, responses=s.FollowupTaskDetailSerializer)
    def get(self, request, uuid):
        task = selectors.task_get(request.user, uuid)
        audit_patient_read(request.user, task, detail="follow-up task")
        return Response(s.FollowupTaskDetailSerializer(task).data)


class ManualCallView(APIView):
    """The follow-up nurse's call: reached with the answers (recorded in the form, channel staff) or not reached
    (`close_unreached`: give up, the follow-up ends as not reached)."""

    permission_classes = [requires(perms.RECORD_CALL.slug)]

    @extend_schema(tags=TAGS, request=s.FollowupManualCallInput, responses=s.FollowupTaskDetailSerializer)
    def post(self, request, uuid):
        task = selectors.task_get(request.user, uuid)  # an invisible task is missing, whatever the body
        data = validated_body(s.FollowupManualCallInput, request)
        services.manual_call_record(task=task, actor=request.user, reached=data["reached"],
                                    answers=data.get("answers"), note=data["note"],
                                    close_unreached=data["close_unreached"])
        return Response(s.FollowupTaskDetailSerializer(selectors.task_get(request.user, uuid)).data)


class TagCountView(APIView):
    """F6: tags set per day and code in the user's wards (removed tags not counted), for operations analytics."""

    permission_classes = [requires(perms.VIEW_FOLLOWUP.slug)]

    @extend_schema(tags=TAGS, parameters=[s.FollowupTagCountQuery], responses=s.FollowupTagCountSerializer(many=True))
    def get(self, request):
        f = validated_query(s.FollowupTagCountQuery, request)
        rows = selectors.tag_counts(request.user, date_from=f["date_from"], date_to=f["date_to"],
                                    ward=_ward(request.user, f.get("ward")))
        return Response(s.FollowupTagCountSerializer(rows, many=True).data)


class CaseTagsView(APIView):
    """A case's follow-up tags (also removed ones, with when and by whom); POST adds a manual tag."""

    def get_permissions(self):
        slug = perms.MANAGE_TAGS.slug if self.request.method == "POST" else perms.VIEW_FOLLOWUP.slug
        return [requires(slug)()]

    @extend_schema(tags=TAGS, responses=s.FollowupCaseTagSerializer(many=True))
    def get(self, request, uuid):
        case = case_get(request.user, uuid)
        audit_patient_read(request.user, case, detail="follow-up tags")
        return Response(s.FollowupCaseTagSerializer(selectors.case_tag_list(case), many=True).data)

    @extend_schema(tags=TAGS, request=s.FollowupCaseTagInput, responses={201: s.FollowupCaseTagSerializer})
    def post(self, request, uuid):
        case = case_get(request.user, uuid)  # an invisible case is missing, whatever the body
        data = validated_body(s.FollowupCaseTagInput, request)
        tag = services.case_tag_add(case=case, code=data["code"], actor=request.user, note=data["note"])
        return Response(s.FollowupCaseTagSerializer(tag).data, status=status.HTTP_201_CREATED)


class CaseTagDetailView(APIView):
    permission_classes = [requires(perms.MANAGE_TAGS.slug)]

    @extend_schema(tags=TAGS, responses={204: None})
    def delete(self, request, case_uuid, uuid):
        services.case_tag_remove(tag=selectors.case_tag_get(request.user, case_uuid=case_uuid, uuid=uuid),
                                 actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlanTreeView(APIView):
    """F7: the patient's follow-ups case by case — every time point done, running or to come, with answers and
    status (cases of the user's wards only). Audited read."""

    permission_classes = [requires(perms.VIEW_FOLLOWUP.slug)]

    @extend_schema(tags=TAGS, responses=s.FollowupPlanTreeSerializer)
    def get(self, request, uuid):
        tree = selectors.plan_tree(request.user, uuid)
        audit_patient_read(request.user, tree["patient"], detail="follow-up plan tree")
        return Response(s.FollowupPlanTreeSerializer(tree).data)


class MyFollowupsView(APIView):
    """The patient's own follow-up schedule for a case: each time point's date and status (planned, in progress,
    completed...) and, while a follow-up form waits for them, its link. 404 for another patient's case."""

    def get_permissions(self):
        from accounts.permissions import IsPatient

        return [IsPatient()]

    @extend_schema(tags=TAGS, responses=s.MyFollowupsSerializer)
    def get(self, request, uuid):
        data = selectors.my_followups(request.user, uuid)
        audit_patient_read(request.user, data["case"], detail="own follow-up schedule")
        return Response(s.MyFollowupsSerializer(data).data)


# --- the voice platform (system client) ------------------------------------------------------------------------------


class VoiceCallbackView(APIView):
    """F1/F3: the voice platform posts a call's result (signed request, see followup.signing; not a JWT endpoint).
    The answers are parsed into the follow-up form and the task moves on. Idempotent: a second result of the same
    call is answered `duplicate` and changes nothing; a replayed request (same nonce) is refused."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(tags=TAGS, request=s.VoiceCallbackBodySerializer, responses={200: s.VoiceCallbackAnswerSerializer}, auth=[],
                   parameters=[OpenApiParameter(h, str, OpenApiParameter.HEADER, required=True)
                               for h in ("X-Client-Id", "X-Timestamp", "X-Nonce", "X-Signature")])
    def post(self, request):
        callback_verify(headers=request.headers, method=request.method, path=request.path, body=request.body)
        try:
            raw = json.loads(request.body or b"{}")
        except ValueError:
            raise InvalidInput(fields={"non_field_errors": [_t("The body is not JSON.")]}) from None
        body = s.VoiceCallbackBodySerializer(data=raw if isinstance(raw, dict) else {})
        body.is_valid(raise_exception=True)
        from integrations.ports.voice import VoiceCallResult

        data = body.validated_data
        result = VoiceCallResult(call_id=data["call_id"], status=data["status"], answered=data["answered"],
                                 duration_seconds=data["duration_seconds"], answers=data["answers"],
                                 transcript=data["transcript"])
        outcome = services.voice_result_apply(result=result, source="callback")
        return Response({"call_id": result.call_id, "outcome": outcome})
