"""Sedated endoscopy appointments (A11): the anaesthesia clinic's list of painless endoscopies, scoped to the
caller's wards (names masked in the list), one appointment's detail (audited), and the import by date."""

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import requires
from anaesthesia.models import AnaesthesiaAssessment, SedationAppointment, SedationAppointmentStatus
from anaesthesia.sedation import sedation_appointments_import
from audit.services import audit_patient_read
from clinical.permissions import IMPORT_SEDATION_APPOINTMENTS, VIEW_SEDATION_APPOINTMENTS
from core.errors import InvalidInput
from org.scoping import get_scoped_or_404, scope_queryset

IMPORT_WINDOW_DAYS = 60  # how far back or ahead a list may be imported by hand


class SedationWardRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()


class SedationAppointmentSerializer(serializers.ModelSerializer):
    """List row: the patient's name masked, no identifiers."""

    ward = SedationWardRefSerializer(read_only=True)
    patient = serializers.UUIDField(source="patient.uuid", read_only=True)
    patient_name = serializers.CharField(source="patient.masked_name", read_only=True)
    patient_sex = serializers.CharField(source="patient.sex", read_only=True)
    ordering_doctor = serializers.UUIDField(source="ordering_doctor.uuid", read_only=True, allow_null=True)
    assessment = serializers.UUIDField(source="latest_assessment_uuid", read_only=True, allow_null=True,
                                       help_text=_("The latest anaesthesia assessment of this appointment, if any"))
    assessment_status = serializers.CharField(source="latest_assessment_status", read_only=True, allow_null=True,
                                              help_text="in_progress | passed | failed")

    class Meta:
        model = SedationAppointment
        fields = ["uuid", "appointment_no", "ward", "patient", "patient_name", "patient_sex", "visit_no",
                  "procedure_kind", "exam_code", "exam_name", "scheduled_at", "location", "ordering_doctor",
                  "ordering_doctor_name", "status", "assessment", "assessment_status"]


class SedationAppointmentDetailSerializer(SedationAppointmentSerializer):
    patient_name = serializers.CharField(source="patient.name", read_only=True)
    patient_birth_date = serializers.DateField(source="patient.birth_date", read_only=True)
    reg_no = serializers.CharField(source="patient.reg_no", read_only=True)

    class Meta(SedationAppointmentSerializer.Meta):
        fields = [*SedationAppointmentSerializer.Meta.fields, "patient_birth_date", "reg_no"]


class SedationListQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False)
    status = serializers.ChoiceField(required=False, choices=SedationAppointmentStatus.choices)


class SedationImportSerializer(serializers.Serializer):
    date = serializers.DateField()

    def validate_date(self, value):
        today = timezone.localdate()
        if abs((value - today).days) > IMPORT_WINDOW_DAYS:
            raise serializers.ValidationError(_("Choose a date within 60 days of today."))
        return value


class SedationImportRefusalSerializer(serializers.Serializer):
    appointment_no = serializers.CharField()
    reason = serializers.CharField()


class SedationImportResultSerializer(serializers.Serializer):
    date = serializers.DateField()
    fetched = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    refused = SedationImportRefusalSerializer(many=True)


def _base():
    # The worklist shows where each appointment's assessment stands (one subquery, no N+1).
    latest = AnaesthesiaAssessment.objects.filter(sedation_appointment=OuterRef("pk")).order_by("-id")
    return SedationAppointment.objects.select_related("ward", "patient", "ordering_doctor").annotate(
        latest_assessment_uuid=Subquery(latest.values("uuid")[:1]),
        latest_assessment_status=Subquery(latest.values("status")[:1]))


@extend_schema(tags=["anaesthesia"], parameters=[
    OpenApiParameter("date", str, description="Scheduled date, YYYY-MM-DD"),
    OpenApiParameter("status", str, enum=SedationAppointmentStatus.values),
])
class SedationAppointmentListView(generics.ListAPIView):
    """Sedated endoscopy appointments of the caller's wards, in time order."""

    permission_classes = [requires(VIEW_SEDATION_APPOINTMENTS.slug)]
    serializer_class = SedationAppointmentSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SedationAppointment.objects.none()
        query = SedationListQuerySerializer(data=self.request.query_params)
        if not query.is_valid():
            raise InvalidInput(fields={k: [str(m) for m in v] for k, v in query.errors.items()})
        qs = scope_queryset(_base(), self.request.user)
        if day := query.validated_data.get("date"):
            qs = qs.filter(scheduled_at__date=day)
        if status := query.validated_data.get("status"):
            qs = qs.filter(status=status)
        return qs.order_by("scheduled_at", "id")


@extend_schema(tags=["anaesthesia"])
class SedationAppointmentDetailView(generics.RetrieveAPIView):
    """One appointment with the patient's full name and registration number (audited)."""

    permission_classes = [requires(VIEW_SEDATION_APPOINTMENTS.slug)]
    serializer_class = SedationAppointmentDetailSerializer

    def get_object(self):
        return get_scoped_or_404(_base().prefetch_related("patient__identifiers"), self.request.user,
                                 uuid=self.kwargs["uuid"])

    def retrieve(self, request, *args, **kwargs):
        appointment = self.get_object()
        audit_patient_read(request.user, appointment, detail="sedation appointment")
        return Response(self.get_serializer(appointment).data)


@extend_schema(tags=["anaesthesia"])
class SedationAppointmentImportView(APIView):
    """Import one day's list from the medical-tech appointment system now (the daily task imports tomorrow's and
    the day after's). Answers the counts; 502 when the system does not answer."""

    permission_classes = [requires(IMPORT_SEDATION_APPOINTMENTS.slug)]

    @extend_schema(request=SedationImportSerializer, responses=SedationImportResultSerializer)
    def post(self, request):
        data = SedationImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        counts = sedation_appointments_import(on=data.validated_data["date"], actor=request.user)
        return Response(SedationImportResultSerializer(counts).data)
