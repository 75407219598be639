"""Thin views over cases.selectors and cases.services. Every look-up is scoped; every detail read is audited."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.permissions import requires
from audit.services import audit_patient_read
from cases import permissions as perms
from cases import selectors, services
from cases.api.serializers import (
    TRANSITION_INPUTS,
    CaseCreateSerializer,
    CaseDetailSerializer,
    CaseDetailsUpdateSerializer,
    CaseEventSerializer,
    CaseListSerializer,
    MilestoneInputSerializer,
    PatientCancelSerializer,
    PatientCaseSerializer,
)
from cases.models import CaseState, Patient
from cases.state_machine import TRANSITIONS
from core.errors import InvalidInput, NotFound
from org.models import TheatreRoom, Ward
from org.scoping import ward_scope_for


class CaseFilter(django_filters.FilterSet):
    ward = django_filters.UUIDFilter(field_name="ward__uuid")
    surgeon = django_filters.UUIDFilter(field_name="surgeon__uuid")
    state = django_filters.MultipleChoiceFilter(choices=CaseState.choices)
    date_from = django_filters.DateFilter(field_name="planned_date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="planned_date", lookup_expr="lte")
    los_alert_level = django_filters.CharFilter()


class CaseListCreateView(generics.ListCreateAPIView):
    """GET: the cases of the wards in the caller's scope (masked identifiers). POST: a draft case."""

    filterset_class = CaseFilter

    def get_permissions(self):
        slug = perms.CREATE_CASE.slug if self.request.method == "POST" else perms.VIEW_CASES.slug
        return [requires(slug)()]

    def get_queryset(self):
        return selectors.case_list(self.request.user)

    def get_serializer_class(self):
        return CaseCreateSerializer if self.request.method == "POST" else CaseListSerializer

    @extend_schema(request=CaseCreateSerializer, responses={201: CaseDetailSerializer})
    def post(self, request, *args, **kwargs):
        data = CaseCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = request.user
        ward = Ward.objects.filter(uuid=v["ward"]).select_related("department").first()
        if ward is None or not ward_scope_for(user).allows_ward(ward.pk):
            raise InvalidInput(fields={"ward": [_("Unknown ward.")]})
        surgeon = User.objects.filter(uuid=v["surgeon"], is_active=True).first()
        if surgeon is None:
            raise InvalidInput(fields={"surgeon": [_("Unknown surgeon.")]})
        procedure = None
        if v.get("procedure"):
            from catalog.models import Procedure

            procedure = Procedure.objects.filter(uuid=v["procedure"], is_active=True).first()
            if procedure is None:
                raise InvalidInput(fields={"procedure": [_("Unknown procedure.")]})
        patient = _resolve_patient(v, user)
        case = services.case_create(
            actor=user,
            patient=patient,
            ward=ward,
            surgeon=surgeon,
            procedure=procedure,
            procedure_name=v["procedure_name"],
            procedure_code=v["procedure_code"],
            diagnosis_code=v["diagnosis_code"],
            diagnosis_name=v["diagnosis_name"],
            planned_date=v["planned_date"],
            planned_session=v["planned_session"],
            anaesthesia_method=v["anaesthesia_method"],
            anaesthesia_clinic_required=v["anaesthesia_clinic_required"],
        )
        case = selectors.case_get(user, case.uuid)
        return Response(CaseDetailSerializer(case).data, status=status.HTTP_201_CREATED)


def _resolve_patient(v, user):
    if v.get("patient"):
        patient = Patient.objects.filter(uuid=v["patient"]).first()
        if patient is None:
            raise InvalidInput(fields={"patient": [_("Unknown patient.")]})
        return patient
    return services.patient_get_or_create_by_reg_no(reg_no=v["reg_no"], actor=user)


class CaseDetailView(generics.RetrieveAPIView):
    """One case with its care-pathway map (G1). Reading it writes an audit entry (action "read").

    PATCH edits the booking details, companion and remarks — only until the surgery application is sent (P3).
    """

    serializer_class = CaseDetailSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_permissions(self):
        slug = perms.EDIT_CASE_DETAILS.slug if self.request.method == "PATCH" else perms.VIEW_CASES.slug
        return [requires(slug)()]

    @extend_schema(request=CaseDetailsUpdateSerializer, responses=CaseDetailSerializer)
    def patch(self, request, uuid):
        case = self.get_object()
        data = CaseDetailsUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        version = values.pop("version", None)
        services.case_update_details(case=case, actor=request.user, expected_version=version, **values)
        return Response(CaseDetailSerializer(selectors.case_get(request.user, uuid)).data)

    def get_object(self):
        return selectors.case_get(self.request.user, self.kwargs["uuid"])

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        audit_patient_read(request.user, case, detail="case detail")
        return Response(self.get_serializer(case).data)


class CaseEventListView(generics.ListAPIView):
    """The case timeline: every event in order."""

    permission_classes = [requires(perms.VIEW_CASES.slug)]
    serializer_class = CaseEventSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return selectors.CaseEvent.objects.none()
        self.case = selectors.case_get(self.request.user, self.kwargs["uuid"])
        return selectors.case_events(self.case)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        audit_patient_read(request.user, self.case, detail="case timeline")
        return response


class CaseMilestoneView(APIView):
    """Record the anaesthesia clinic result or the doctor's pre-operative assessment decision."""

    permission_classes = [requires(perms.VIEW_CASES.slug)]  # the milestone's own permission is checked by the service

    @extend_schema(request=MilestoneInputSerializer, responses=CaseDetailSerializer)
    def post(self, request, uuid):
        case = selectors.case_get(request.user, uuid)
        data = MilestoneInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        services.case_record_milestone(
            case=case, milestone=v["milestone"], status=v["status"], actor=request.user,
            occurred_at=v.get("occurred_at"), note=v["note"], expected_version=v.get("version"),
        )
        return Response(CaseDetailSerializer(selectors.case_get(request.user, uuid)).data)


class CaseTransitionView(APIView):
    """Base of the per-transition endpoints (one subclass per row of the transition table)."""

    transition = None

    def post(self, request, uuid):
        t = TRANSITIONS[self.transition]
        case = selectors.case_get(request.user, uuid)
        data = TRANSITION_INPUTS[t.name](data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        occurred_at = values.pop("occurred_at", None)
        version = values.pop("version", None)
        if "theatre_room" in values:
            room = TheatreRoom.objects.filter(uuid=values["theatre_room"]).first()
            if room is None:
                raise InvalidInput(fields={"theatre_room": [_("Unknown theatre room.")]})
            values["theatre_room"] = room
        services.case_transition(
            case=case, transition=t.name, actor=request.user, occurred_at=occurred_at,
            expected_version=version, **values,
        )
        return Response(CaseDetailSerializer(selectors.case_get(request.user, uuid)).data)


def _transition_view(name):
    t = TRANSITIONS[name]

    def post(self, request, uuid):
        return CaseTransitionView.post(self, request, uuid)

    post = extend_schema(
        operation_id=f"cases_{name}",
        summary=str(t.label),
        request=TRANSITION_INPUTS[name],
        responses=CaseDetailSerializer,
        tags=["cases"],
    )(post)
    return type(
        f"Case{''.join(p.capitalize() for p in name.split('_'))}View",
        (CaseTransitionView,),
        {
            "transition": name,
            "post": post,
            "permission_classes": [requires(t.permission.slug)],
            "__doc__": f"{t.label} (`{name}`). Refusals: 409 with a stable code (invalid_transition …).",
            "__module__": __name__,
        },
    )


TRANSITION_VIEWS = {name: _transition_view(name) for name in TRANSITIONS}


# --- the patient's own cases -----------------------------------------------------------------------------------


class MyCaseListView(generics.ListAPIView):
    """A patient's own cases (patient token only)."""

    serializer_class = PatientCaseSerializer
    filter_backends = []

    def get_permissions(self):
        from accounts.permissions import IsPatient

        return [IsPatient()]

    def get_queryset(self):
        return selectors.patient_case_list(self.request.user)


class MyCaseDetailView(generics.RetrieveAPIView):
    """One of the patient's own cases, with the care-pathway map; another patient's case is a 404."""

    serializer_class = PatientCaseSerializer

    def get_permissions(self):
        from accounts.permissions import IsPatient

        return [IsPatient()]

    def get_object(self):
        case = selectors.patient_case_list(self.request.user).filter(uuid=self.kwargs["uuid"]).first()
        if case is None:
            raise NotFound()
        return case

    @extend_schema(parameters=[OpenApiParameter("uuid", str, OpenApiParameter.PATH)])
    def get(self, request, *args, **kwargs):
        case = self.get_object()
        audit_patient_read(request.user, case, detail="own case")
        return Response(self.get_serializer(case).data)


class MyCaseCancelView(APIView):
    """The patient cancels their own operation, giving a reason (M5); the stage is recorded like any cancel."""

    def get_permissions(self):
        from accounts.permissions import IsPatient

        return [IsPatient()]

    @extend_schema(request=PatientCancelSerializer, responses=PatientCaseSerializer)
    def post(self, request, uuid):
        case = selectors.patient_case_list(request.user).filter(uuid=uuid).first()
        if case is None:
            raise NotFound()
        data = PatientCancelSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.case_transition(case=case, transition="cancel", actor=request.user, **data.validated_data)
        case = selectors.patient_case_list(request.user).get(uuid=uuid)
        return Response(PatientCaseSerializer(case).data)
