"""Thin views over forms.selectors and forms.services. Case and assignment look-ups are ward-scoped (staff) or
limited to the patient's own rows; every read of a patient's answers is audited."""

from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPatient, requires
from audit.services import audit_patient_read
from cases.selectors import case_get
from catalog.models import Procedure
from core.api.input import validated_body, validated_query
from core.errors import InvalidInput, NotFound
from forms import permissions as perms
from forms import schema as schema_mod
from forms import selectors, services
from forms.api import serializers as s
from forms.models import AssignmentSource, AssignmentStatus, FormKind, FormResponse, ResponseChannel
from org.hospital_config import actor_hospital
from org.models import Ward
from org.scoping import ward_scope_for

SOURCE_FOR_KIND = {
    FormKind.FOLLOWUP: AssignmentSource.FOLLOWUP,
    FormKind.REGISTRATION: AssignmentSource.REGISTRATION,
    FormKind.PREOP_EDUCATION: AssignmentSource.EDUCATION,
    FormKind.POSTOP_EDUCATION: AssignmentSource.EDUCATION,
    FormKind.CUSTOM: AssignmentSource.CUSTOM,
}


def _procedure(uuid, field="procedure"):
    if uuid is None:
        return None
    procedure = Procedure.objects.filter(uuid=uuid).first()
    if procedure is None:
        raise InvalidInput(fields={field: [_("Unknown procedure.")]})
    return procedure


def _ward(request, uuid):
    if not uuid:
        return None
    ward = Ward.objects.filter(uuid=uuid).first()
    if ward is None or not ward_scope_for(request.user).allows_ward(ward.pk):
        raise InvalidInput(fields={"ward": [_("Unknown ward.")]})
    return ward


def _assignment_detail(assignment):
    assignment.ordered_responses = list(
        assignment.responses.select_related("assignment__form", "version", "case", "patient")
        .order_by("-submitted_at", "-id")
    )
    return s.AssignmentDetailSerializer(assignment).data


# --- templates -------------------------------------------------------------------------------------------------


class FormListView(APIView):
    """GET: the questionnaires of the caller's hospital and the platform defaults (filter kind, procedure).
    POST: a new questionnaire of the caller's hospital with its first version (schema validated)."""

    def get_permissions(self):
        slug = perms.MANAGE_FORMS.slug if self.request.method == "POST" else perms.VIEW_FORMS.slug
        return [requires(slug)()]

    @extend_schema(parameters=[s.FormQuery], responses=s.FormSerializer(many=True))
    def get(self, request):
        v = validated_query(s.FormQuery, request)
        procedure = _procedure(v.get("procedure"))
        rows = selectors.form_list(request.user, kind=v.get("kind"), procedure=procedure)
        return Response(s.FormSerializer(rows, many=True).data)

    @extend_schema(request=s.FormCreateInput, responses={201: s.FormSerializer})
    def post(self, request):
        v = validated_body(s.FormCreateInput, request)
        form = services.form_create(
            hospital=actor_hospital(request.user), kind=v["kind"], code=v["code"], title=v["title"],
            description=v["description"], procedure=_procedure(v["procedure"]), schema=v["schema"],
            note=v["note"], actor=request.user,
        )
        return Response(s.FormSerializer(selectors.form_get(request.user, form.uuid)).data,
                        status=status.HTTP_201_CREATED)


class FormDetailView(APIView):
    """GET one questionnaire with its published version; PATCH title, description, procedure, enabled."""

    def get_permissions(self):
        slug = perms.MANAGE_FORMS.slug if self.request.method == "PATCH" else perms.VIEW_FORMS.slug
        return [requires(slug)()]

    @extend_schema(responses=s.FormSerializer)
    def get(self, request, uuid):
        return Response(s.FormSerializer(selectors.form_get(request.user, uuid)).data)

    @extend_schema(request=s.FormUpdateInput, responses=s.FormSerializer)
    def patch(self, request, uuid):
        form = selectors.form_get(request.user, uuid)
        v = dict(validated_body(s.FormUpdateInput, request))
        if "procedure" in v:
            v["procedure"] = _procedure(v["procedure"])
        services.form_update(form=form, actor=request.user, **v)
        return Response(s.FormSerializer(selectors.form_get(request.user, uuid)).data)


class FormVersionsView(APIView):
    """GET: every version of a questionnaire (newest first). POST: publish a new version (schema validated: clear
    errors per question and rule); patients' earlier forms keep the version they were given."""

    def get_permissions(self):
        slug = perms.MANAGE_FORMS.slug if self.request.method == "POST" else perms.VIEW_FORMS.slug
        return [requires(slug)()]

    @extend_schema(responses=s.FormVersionSerializer(many=True))
    def get(self, request, uuid):
        form = selectors.form_get(request.user, uuid)
        return Response(s.FormVersionSerializer(selectors.form_versions(form), many=True).data)

    @extend_schema(request=s.FormVersionInput, responses={201: s.FormVersionSerializer})
    def post(self, request, uuid):
        form = selectors.form_get(request.user, uuid)
        v = validated_body(s.FormVersionInput, request)
        version = services.form_version_publish(form=form, schema=v["schema"], title=v["title"] or None,
                                                note=v["note"], actor=request.user)
        return Response(s.FormVersionSerializer(version).data, status=status.HTTP_201_CREATED)


class FormOptionsView(APIView):
    """The vocabulary of the form editor: kinds, question types, rule operators per type, sources, statuses."""

    permission_classes = [requires(perms.VIEW_FORMS.slug)]

    @extend_schema(responses=s.FormOptionsSerializer)
    def get(self, request):
        def pairs(choices):
            return [{"value": v, "label": str(label)} for v, label in choices]

        question_types = [
            ("single_choice", _("single choice")), ("multi_choice", _("multiple choice")),
            ("number", _("number with unit and range")), ("text", _("text")), ("yes_no", _("yes / no")),
            ("scale", _("scale 0–10")), ("date", _("date")),
        ]
        return Response(s.FormOptionsSerializer({
            "kinds": pairs(FormKind.choices), "question_types": pairs(question_types),
            "operators": {k: list(v) for k, v in schema_mod.OPS_BY_TYPE.items()},
            "sources": pairs(AssignmentSource.choices), "statuses": pairs(AssignmentStatus.choices),
        }).data)


# --- a case's forms (staff) ------------------------------------------------------------------------------------


class CaseAssignmentsView(APIView):
    """GET: the forms given to the case's patient (filter status, kind). POST: give a questionnaire (its published
    version) to the patient, optionally from a later time (the patient cannot fill it in before)."""

    def get_permissions(self):
        slug = perms.ASSIGN_FORMS.slug if self.request.method == "POST" else perms.VIEW_FORMS.slug
        return [requires(slug)()]

    @extend_schema(parameters=[s.AssignmentQuery], responses=s.AssignmentSerializer(many=True))
    def get(self, request, uuid):
        case = case_get(request.user, uuid)
        v = validated_query(s.AssignmentQuery, request)
        rows = selectors.assignment_list(request.user, case=case, status=v.get("status"), kind=v.get("kind"))
        audit_patient_read(request.user, case, detail="form assignments")
        return Response(s.AssignmentSerializer(rows, many=True).data)

    @extend_schema(request=s.AssignmentCreateInput, responses={201: s.AssignmentDetailSerializer})
    def post(self, request, uuid):
        case = case_get(request.user, uuid)
        v = validated_body(s.AssignmentCreateInput, request)
        try:
            form = selectors.form_get(request.user, v["form"])
        except NotFound:
            raise InvalidInput(fields={"form": [_("Unknown form.")]}) from None
        if form.current_version_id is None or not form.is_active:
            raise InvalidInput(fields={"form": [_("This form has no published version or is switched off.")]})
        assignment = services.assignment_create(
            case=case, version=form.current_version, available_from=v["available_from"], due_at=v["due_at"],
            source=SOURCE_FOR_KIND[form.kind], actor=request.user, notify=v["notify"], note=v["note"],
        )
        return Response(_assignment_detail(selectors.assignment_get(request.user, assignment.uuid)),
                        status=status.HTTP_201_CREATED)


class CaseCustomFormView(APIView):
    """F8: write a form for this one patient on the spot (e.g. after an abnormal follow-up answer) and push it:
    the patient is told (WeChat → SMS) unless notify is false."""

    permission_classes = [requires(perms.ASSIGN_FORMS.slug)]

    @extend_schema(request=s.CustomFormInput, responses={201: s.AssignmentDetailSerializer})
    def post(self, request, uuid):
        case = case_get(request.user, uuid)
        v = validated_body(s.CustomFormInput, request)
        origin = None
        if v["origin_response"] is not None:
            origin = FormResponse.objects.filter(uuid=v["origin_response"], case=case).first()
            if origin is None:
                raise InvalidInput(fields={"origin_response": [_("Unknown answer for this case.")]})
        assignment = services.custom_form_push(
            case=case, title=v["title"], schema=v["schema"], actor=request.user, available_from=v["available_from"],
            due_at=v["due_at"], note=v["note"], origin_response=origin, notify=v["notify"],
        )
        return Response(_assignment_detail(selectors.assignment_get(request.user, assignment.uuid)),
                        status=status.HTTP_201_CREATED)


class AssignmentListView(generics.GenericAPIView):
    """Forms given to patients of the caller's wards, newest first, paginated: filter ward, status, source, kind —
    e.g. the open follow-up forms still waiting for an answer."""

    permission_classes = [requires(perms.VIEW_FORMS.slug)]
    serializer_class = s.AssignmentSerializer
    filter_backends = []

    @extend_schema(parameters=[s.AssignmentListQuery], responses=s.AssignmentSerializer(many=True))
    def get(self, request):
        v = validated_query(s.AssignmentListQuery, request)
        rows = selectors.assignment_list(request.user, status=v.get("status"), source=v.get("source"),
                                         kind=v.get("kind"), ward=_ward(request, v.get("ward")))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.AssignmentSerializer(page, many=True).data)


class AssignmentDetailView(APIView):
    """One form given to a patient: its questions and rules (the version given), status and every response."""

    permission_classes = [requires(perms.VIEW_FORMS.slug)]

    @extend_schema(responses=s.AssignmentDetailSerializer)
    def get(self, request, uuid):
        assignment = selectors.assignment_get(request.user, uuid)
        audit_patient_read(request.user, assignment, detail="form assignment")
        return Response(_assignment_detail(assignment))


class AssignmentResponsesView(APIView):
    """POST: staff record the patient's answers (e.g. a follow-up phone call; channel staff). `partial` keeps
    unanswered required questions open."""

    permission_classes = [requires(perms.RECORD_RESPONSES.slug)]

    @extend_schema(request=s.StaffResponseInput, responses={201: s.ResponseSerializer})
    def post(self, request, uuid):
        assignment = selectors.assignment_get(request.user, uuid)
        v = validated_body(s.StaffResponseInput, request)
        response = services.response_submit(assignment=assignment, answers=v["answers"],
                                            channel=ResponseChannel.STAFF, actor=request.user,
                                            allow_partial=v["partial"])
        return Response(s.ResponseSerializer(response).data, status=status.HTTP_201_CREATED)


class AssignmentReopenView(APIView):
    """POST: let the patient answer a completed form again (earlier answers are kept)."""

    permission_classes = [requires(perms.ASSIGN_FORMS.slug)]

    @extend_schema(request=s.ReasonInput, responses=s.AssignmentDetailSerializer)
    def post(self, request, uuid):
        assignment = selectors.assignment_get(request.user, uuid)
        v = validated_body(s.ReasonInput, request)
        services.assignment_reopen(assignment=assignment, actor=request.user, reason=v["reason"])
        return Response(_assignment_detail(selectors.assignment_get(request.user, uuid)))


class AssignmentCancelView(APIView):
    """POST: withdraw an open form (the patient no longer sees it)."""

    permission_classes = [requires(perms.ASSIGN_FORMS.slug)]

    @extend_schema(request=s.ReasonInput, responses=s.AssignmentDetailSerializer)
    def post(self, request, uuid):
        assignment = selectors.assignment_get(request.user, uuid)
        v = validated_body(s.ReasonInput, request)
        services.assignment_cancel(assignment=assignment, actor=request.user, reason=v["reason"])
        return Response(_assignment_detail(selectors.assignment_get(request.user, uuid)))


class ResponseListView(generics.GenericAPIView):
    """Answers received in the caller's wards, newest first, paginated: filter ward, abnormal, period, form kind,
    channel — the follow-up desk's list of abnormal answers to act on (F8)."""

    permission_classes = [requires(perms.VIEW_FORMS.slug)]
    serializer_class = s.ResponseSerializer
    filter_backends = []

    @extend_schema(parameters=[s.ResponseQuery], responses=s.ResponseSerializer(many=True))
    def get(self, request):
        v = validated_query(s.ResponseQuery, request)
        ward = _ward(request, v.get("ward"))
        tz = timezone.get_current_timezone()
        since = datetime.combine(v["date_from"], time.min, tzinfo=tz) if v.get("date_from") else None
        until = (datetime.combine(v["date_to"] + timedelta(days=1), time.min, tzinfo=tz)
                 if v.get("date_to") else None)
        rows = selectors.response_list(request.user, ward=ward, has_abnormal=v.get("abnormal"), since=since,
                                       until=until, kind=v.get("kind"), channel=v.get("channel"))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.ResponseSerializer(page, many=True).data)


class ResponseDetailView(APIView):
    permission_classes = [requires(perms.VIEW_FORMS.slug)]

    @extend_schema(responses=s.ResponseSerializer)
    def get(self, request, uuid):
        response = selectors.response_get(request.user, uuid)
        audit_patient_read(request.user, response, detail="form response")
        return Response(s.ResponseSerializer(response).data)


# --- the patient's own forms (M6, PA2) -------------------------------------------------------------------------


class MyFormListView(APIView):
    """The patient's forms (follow-up, registration, education, custom), newest first; `available` is false
    while a form may not be filled in yet."""

    permission_classes = [IsPatient]

    @extend_schema(parameters=[s.MyAssignmentQuery], responses=s.MyAssignmentSerializer(many=True))
    def get(self, request):
        v = validated_query(s.MyAssignmentQuery, request)
        rows = selectors.my_assignment_list(request.user, case=v.get("case"), status=v.get("status"))
        return Response(s.MyAssignmentSerializer(rows, many=True).data)


class MyFormDetailView(APIView):
    """One of the patient's forms with its questions and the last answers given (pre-fill)."""

    permission_classes = [IsPatient]

    @extend_schema(responses=s.MyAssignmentDetailSerializer)
    def get(self, request, uuid):
        assignment = selectors.my_assignment_get(request.user, uuid)
        if assignment.status == AssignmentStatus.CANCELLED:
            raise NotFound()
        assignment.last_response = selectors.assignment_latest_response(assignment)
        audit_patient_read(request.user, assignment, detail="own form")
        return Response(s.MyAssignmentDetailSerializer(assignment).data)


class MyFormResponseCreateView(APIView):
    """Submit the answers to one of the patient's forms ({assignment, answers}). Refused (409
    form_not_yet_available) before the form's date (M6), and once completed (409 form_already_completed) unless
    staff reopened it; answers are checked against the form's questions (400 with a message per question)."""

    permission_classes = [IsPatient]

    @extend_schema(request=s.MySubmitInput, responses={201: s.MySubmitResultSerializer})
    def post(self, request):
        v = validated_body(s.MySubmitInput, request)
        assignment = selectors.my_assignment_get(request.user, v["assignment"])
        response = services.response_submit(assignment=assignment, answers=v["answers"],
                                            channel=ResponseChannel.MOBILE, actor=request.user)
        return Response(s.MySubmitResultSerializer(response).data, status=status.HTTP_201_CREATED)
