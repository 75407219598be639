"""Thin views over stay.selectors and stay.services. Every case look-up is scoped; every detail read is audited."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import requires
from audit.services import audit_patient_read
from cases.models import SurgicalCase
from core.errors import InvalidInput, NotFound
from org.models import Ward
from org.scoping import ward_scope_for
from stay import permissions as perms
from stay import selectors, services
from stay.api import serializers as s
from stay.conf import conf
from stay.models import (
    PADS_ITEMS,
    AdverseEventKind,
    CareStage,
    ClavienDindo,
    Complication,
    DischargeDisposition,
    HarmLevel,
    TheatrePoint,
    TransferReason,
)
from stay.rules import PADS_LABELS, PADS_SCALE


def _case(request, uuid):
    return selectors.stay_case_get(request.user, uuid)


def _input(serializer_class, request):
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return dict(data.validated_data)


def _record(request, case, status_code=status.HTTP_200_OK):
    case.refresh_from_db()
    return Response(s.StayRecordSerializer(selectors.stay_record_get(case)).data, status=status_code)


class StayRecordView(APIView):
    """The case's day of surgery: admission, theatre times, complications, adverse events, unplanned returns,
    discharge assessments, discharge and transfer, with the 24 h / 48 h clock. Audited read."""

    permission_classes = [requires(perms.VIEW_STAY.slug)]

    @extend_schema(responses=s.StayRecordSerializer)
    def get(self, request, uuid):
        case = _case(request, uuid)
        audit_patient_read(request.user, case, detail="stay record")
        return Response(s.StayRecordSerializer(selectors.stay_record_get(case)).data)


class AdmissionView(APIView):
    """POST: register the admission (HIS ADT A01 → 住院号, bed; the case becomes admitted). GET: the admission."""

    def get_permissions(self):
        slug = perms.REGISTER_ADMISSION.slug if self.request.method == "POST" else perms.VIEW_STAY.slug
        return [requires(slug)()]

    @extend_schema(responses={200: s.AdmissionSerializer})
    def get(self, request, uuid):
        case = _case(request, uuid)
        record = selectors.stay_record_get(case)
        if record["admission"] is None:
            raise NotFound(_("No admission is registered for this case."))
        audit_patient_read(request.user, case, detail="admission")
        return Response(s.AdmissionSerializer(record["admission"]).data)

    @extend_schema(request=s.AdmissionInput, responses={201: s.StayRecordSerializer})
    def post(self, request, uuid):
        case = _case(request, uuid)
        v = _input(s.AdmissionInput, request)
        services.admission_register(case=case, actor=request.user, admitted_at=v.get("admitted_at"),
                                    bed_no=v["bed_no"], note=v["note"])
        return _record(request, case, status.HTTP_201_CREATED)


class TheatreTimesView(APIView):
    """POST {times: {point: time}, reason}: record or correct theatre time points (order checked; entering and
    leaving the room move the case to in theatre / operated)."""

    def get_permissions(self):
        slug = perms.RECORD_THEATRE_TIMES.slug if self.request.method == "POST" else perms.VIEW_STAY.slug
        return [requires(slug)()]

    @extend_schema(responses=s.TheatreTimeSerializer(many=True))
    def get(self, request, uuid):
        case = _case(request, uuid)
        audit_patient_read(request.user, case, detail="theatre times")
        return Response(s.TheatreTimeSerializer(selectors.stay_record_get(case)["theatre_times"], many=True).data)

    @extend_schema(request=s.TheatreTimesInput, responses=s.StayRecordSerializer)
    def post(self, request, uuid):
        case = _case(request, uuid)
        v = _input(s.TheatreTimesInput, request)
        services.theatre_times_record(case=case, actor=request.user, times=v["times"], reason=v["reason"])
        return _record(request, case)


class _IncidentView(APIView):
    input_class = None
    output_class = None
    key = ""

    def get_permissions(self):
        slug = perms.RECORD_INCIDENTS.slug if self.request.method == "POST" else perms.VIEW_STAY.slug
        return [requires(slug)()]

    def get(self, request, uuid):
        case = _case(request, uuid)
        audit_patient_read(request.user, case, detail=self.key.replace("_", " "))
        return Response(self.output_class(selectors.stay_record_get(case)[self.key], many=True).data)

    def post(self, request, uuid):
        case = _case(request, uuid)
        v = _input(self.input_class, request)
        row = self.record(case, request.user, v)
        return Response(self.output_class(row).data, status=status.HTTP_201_CREATED)


class ComplicationsView(_IncidentView):
    """Complications with their Clavien–Dindo grade (indicator: complication rate)."""

    input_class, output_class, key = s.ComplicationInput, s.ComplicationSerializer, "complications"

    @extend_schema(responses=s.ComplicationSerializer(many=True))
    def get(self, request, uuid):
        return super().get(request, uuid)

    @extend_schema(request=s.ComplicationInput, responses={201: s.ComplicationSerializer})
    def post(self, request, uuid):
        return super().post(request, uuid)

    def record(self, case, actor, v):
        return services.complication_record(case=case, actor=actor, **v)


class AdverseEventsView(_IncidentView):
    """Adverse events: falls, falls from bed, medication errors, wrong site / patient / procedure, other."""

    input_class, output_class, key = s.AdverseEventInput, s.AdverseEventSerializer, "adverse_events"

    @extend_schema(responses=s.AdverseEventSerializer(many=True))
    def get(self, request, uuid):
        return super().get(request, uuid)

    @extend_schema(request=s.AdverseEventInput, responses={201: s.AdverseEventSerializer})
    def post(self, request, uuid):
        return super().post(request, uuid)

    def record(self, case, actor, v):
        return services.adverse_event_record(case=case, actor=actor, **v)


class UnplannedReturnsView(_IncidentView):
    """Unplanned returns to theatre after the index operation."""

    input_class, output_class, key = s.UnplannedReturnInput, s.UnplannedReturnSerializer, "unplanned_returns"

    @extend_schema(responses=s.UnplannedReturnSerializer(many=True))
    def get(self, request, uuid):
        return super().get(request, uuid)

    @extend_schema(request=s.UnplannedReturnInput, responses={201: s.UnplannedReturnSerializer})
    def post(self, request, uuid):
        return super().post(request, uuid)

    def record(self, case, actor, v):
        complication = None
        if v.get("complication"):
            complication = Complication.objects.filter(uuid=v["complication"], case=case).first()
            if complication is None:
                raise InvalidInput(fields={"complication": [_("Unknown complication.")]})
        return services.unplanned_return_record(
            case=case, actor=actor, occurred_at=v["occurred_at"], reason=v["reason"],
            procedure_name=v["procedure_name"], complication=complication,
        )


class DischargeAssessmentsView(_IncidentView):
    """PADS discharge assessments (five items 0–2; ready at the configured score with no item at 0)."""

    output_class, key = s.DischargeAssessmentSerializer, "discharge_assessments"

    def get_permissions(self):
        slug = perms.ASSESS_DISCHARGE.slug if self.request.method == "POST" else perms.VIEW_STAY.slug
        return [requires(slug)()]

    @extend_schema(responses=s.DischargeAssessmentSerializer(many=True))
    def get(self, request, uuid):
        return super().get(request, uuid)

    @extend_schema(request=s.DischargeAssessmentInput, responses={201: s.DischargeAssessmentSerializer})
    def post(self, request, uuid):
        case = _case(request, uuid)
        v = _input(s.DischargeAssessmentInput, request)
        row = services.discharge_assessment_record(
            case=case, actor=request.user, items={k: v[k] for k in PADS_ITEMS}, assessed_at=v.get("assessed_at"),
            note=v["note"],
        )
        return Response(s.DischargeAssessmentSerializer(row).data, status=status.HTTP_201_CREATED)


class DischargeWithInstructionsView(APIView):
    """Discharge with instructions and 离院方式 (needs a passing PADS assessment, or a doctor's override reason);
    the HIS receives ADT A03 after commit."""

    permission_classes = [requires(perms.DISCHARGE.slug)]

    @extend_schema(request=s.DischargeWithInstructionsInput, responses={201: s.StayRecordSerializer})
    def post(self, request, uuid):
        case = _case(request, uuid)
        v = _input(s.DischargeWithInstructionsInput, request)
        services.discharge_record(case=case, actor=request.user, **v)
        return _record(request, case, status.HTTP_201_CREATED)


class InpatientTransferView(APIView):
    """Transfer to an inpatient ward (HIS ADT A02; the day-surgery case keeps the link to the inpatient stay)."""

    permission_classes = [requires(perms.TRANSFER.slug)]

    @extend_schema(request=s.InpatientTransferInput, responses={201: s.StayRecordSerializer})
    def post(self, request, uuid):
        case = _case(request, uuid)
        v = _input(s.InpatientTransferInput, request)
        services.inpatient_transfer(case=case, actor=request.user, **v)
        return _record(request, case, status.HTTP_201_CREATED)


class LosAlertListView(APIView):
    """G3: admitted patients approaching or past the 24 h / 48 h limits in the caller's wards (`all=true`: every
    admitted patient with their clock), longest stay first, with what to do and the latest PADS."""

    permission_classes = [requires(perms.VIEW_STAY.slug)]

    @extend_schema(parameters=[s.AlertQuery], responses=s.LosAlertSerializer(many=True))
    def get(self, request):
        q = s.AlertQuery(data=request.query_params)
        q.is_valid(raise_exception=True)
        ward = None
        if q.validated_data.get("ward"):
            ward = Ward.objects.filter(uuid=q.validated_data["ward"]).first()
            if ward is None or not ward_scope_for(request.user).allows_ward(ward.pk):
                raise InvalidInput(fields={"ward": [_("Unknown ward.")]})
        rows = selectors.los_alert_list(request.user, ward=ward, include_all=q.validated_data["all"])
        return Response(s.LosAlertSerializer(rows, many=True).data)


class StayOptionsView(APIView):
    """The code lists of this context (labels in the caller's language) and the PADS scale."""

    permission_classes = [requires(perms.VIEW_STAY.slug)]

    @extend_schema(responses=s.StayOptionsSerializer)
    def get(self, request):
        def choices(enum):
            return [{"value": v, "label": str(label)} for v, label in enum.choices]

        body = {
            "theatre_points": choices(TheatrePoint), "clavien_dindo_grades": choices(ClavienDindo),
            "complication_stages": choices(CareStage), "adverse_event_kinds": choices(AdverseEventKind),
            "harm_levels": choices(HarmLevel), "discharge_dispositions": choices(DischargeDisposition),
            "transfer_reasons": choices(TransferReason), "instruction_topics": list(services.INSTRUCTION_TOPICS),
            "pads_items": [{"key": k, "label": str(PADS_LABELS[k]),
                            "scale": {str(score): str(text) for score, text in PADS_SCALE[k].items()}}
                           for k in PADS_ITEMS],
            "pads_ready_score": conf("STAY_PADS_READY_SCORE"),
        }
        return Response(s.StayOptionsSerializer(body).data)


class TheatreEventView(APIView):
    """The theatre / anaesthesia system (手麻) pushes time points of an operation. Not a JWT endpoint: the caller
    is the theatre system, signed with its own key like its schedule callbacks (scheduling.signing: client id +
    HMAC, timestamp, nonce; the HIS clients only when no theatre client is configured).
    The case is named by its UUID or by the theatre application number. Repeats change nothing."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=s.TheatreEventInput, responses={200: s.TheatreTimeSerializer(many=True)}, auth=[])
    def post(self, request):
        from scheduling.signing import callback_verify

        callback_verify(headers=request.headers, method=request.method, path=request.path, body=request.body)
        v = _input(s.TheatreEventInput, request)
        case = None
        if v.get("case"):
            case = SurgicalCase.objects.filter(uuid=v["case"]).first()
        elif v.get("application_no"):
            from scheduling.models import (
                TheatreApplication,  # the application number is unique there (indexed)
            )

            application = (TheatreApplication.objects.filter(application_no=v["application_no"])
                           .select_related("case").first())
            case = application.case if application else None
        if case is None:
            raise NotFound(_("Unknown case or application."))
        rows = services.theatre_times_import(case=case, times=v["times"])
        return Response(s.TheatreTimeSerializer(rows, many=True).data)



class MyDischargeInstructionsView(APIView):
    """A patient's own discharge instructions (出院指导), 离院方式 and review date; 404 before discharge or for
    another patient's case."""

    def get_permissions(self):
        from accounts.permissions import IsPatient

        return [IsPatient()]

    @extend_schema(responses=s.MyDischargeSerializer)
    def get(self, request, uuid):
        from accounts.patient_scope import patient_queryset
        from stay.models import Discharge

        discharge = patient_queryset(Discharge.objects.select_related("case"), request.user).filter(
            case__uuid=uuid).first()
        if discharge is None:
            raise NotFound()
        audit_patient_read(request.user, discharge.case, detail="own discharge instructions")
        return Response(s.MyDischargeSerializer(discharge).data)


class IncidentListView(generics.GenericAPIView):
    """Quality review: complications (Clavien–Dindo), adverse events (never events flagged) and unplanned returns
    to theatre in the caller's wards over a period (≤ 93 days), newest first, paginated."""

    permission_classes = [requires(perms.VIEW_STAY.slug)]
    serializer_class = s.IncidentSerializer
    filter_backends = []

    @extend_schema(parameters=[s.IncidentQuery], responses=s.IncidentSerializer(many=True))
    def get(self, request):
        q = s.IncidentQuery(data=request.query_params)
        q.is_valid(raise_exception=True)
        v = q.validated_data
        ward = None
        if v.get("ward"):
            ward = Ward.objects.filter(uuid=v["ward"]).first()
            if ward is None or not ward_scope_for(request.user).allows_ward(ward.pk):
                raise InvalidInput(fields={"ward": [_("Unknown ward.")]})
        rows = selectors.incident_list(request.user, date_from=v["date_from"], date_to=v["date_to"], ward=ward,
                                       kinds=sorted(v.get("kind") or selectors.INCIDENT_KINDS))
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.IncidentSerializer(page, many=True).data)
