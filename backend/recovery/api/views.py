"""Thin views over recovery.selectors and recovery.services. Staff reach a case through cases.selectors.case_get
(ward scope); patients only their own published plan. Every read of patient data is audited."""

from datetime import date

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPatient, requires
from audit.services import audit_patient_read
from cases.selectors import case_get
from core.api.input import validated_body, validated_query
from core.errors import InvalidInput, NotFound
from org.models import Ward
from org.scoping import ward_scope_for
from recovery import permissions as perms
from recovery import selectors, services
from recovery.api import serializers as s
from recovery.models import VersionStatus

TAGS = ["recovery"]


def _plan_body(case, plan, *, version_number=None) -> dict:
    versions = list(plan.versions.all()) if plan else []
    chosen = None
    if version_number is not None:
        chosen = next((v for v in versions if v.number == version_number), None)
        if chosen is None:
            raise NotFound()
    return {
        "case": case.uuid,
        "plan": plan.uuid if plan else None,
        "start_date": selectors.start_date(case),
        "latest_version": versions[0].number if versions else 0,
        "published": next((v for v in versions if v.status == VersionStatus.PUBLISHED), None),
        "draft": next((v for v in versions if v.status == VersionStatus.DRAFT), None),
        "version": chosen,
        "versions": versions,
        "suggestion": [] if versions else selectors.treatment_plan_suggestion(case),
    }


class TreatmentPlanView(APIView):
    """GET: the case's first-week treatment plan (published, draft, history; `?version=` one version; a suggestion
    built from the discharge instructions when there is none yet). PUT: save the draft (optionally publish)."""

    def get_permissions(self):
        slug = perms.MANAGE_PLAN.slug if self.request.method == "PUT" else perms.VIEW_PLAN.slug
        return [requires(slug)()]

    @extend_schema(tags=TAGS, parameters=[s.TreatmentPlanQuerySerializer], responses=s.TreatmentPlanSerializer)
    def get(self, request, uuid):
        case = case_get(request.user, uuid)
        q = validated_query(s.TreatmentPlanQuerySerializer, request)
        body = _plan_body(case, selectors.treatment_plan_get(case), version_number=q.get("version"))
        audit_patient_read(request.user, case, detail="treatment plan")
        return Response(s.TreatmentPlanSerializer(body).data)

    @extend_schema(tags=TAGS, request=s.TreatmentPlanInput, responses=s.TreatmentPlanSerializer)
    def put(self, request, uuid):
        case = case_get(request.user, uuid)
        v = validated_body(s.TreatmentPlanInput, request)
        services.treatment_plan_save(case=case, actor=request.user, items=[dict(i) for i in v["items"]],
                                     note=v["note"], base_version=v["base_version"], publish=v["publish"])
        return Response(s.TreatmentPlanSerializer(_plan_body(case, selectors.treatment_plan_get(case))).data)


class TreatmentPlanPublishView(APIView):
    """Publish the draft: the patient sees it, `recovery.treatment_plan.published` is appended to the case (the
    patient is notified). Needs at least one warning sign."""

    permission_classes = [requires(perms.MANAGE_PLAN.slug)]

    @extend_schema(tags=TAGS, request=s.TreatmentPlanPublishInput, responses=s.TreatmentPlanSerializer)
    def post(self, request, uuid):
        case = case_get(request.user, uuid)
        v = validated_body(s.TreatmentPlanPublishInput, request)
        services.treatment_plan_publish(case=case, actor=request.user, base_version=v["base_version"])
        return Response(s.TreatmentPlanSerializer(_plan_body(case, selectors.treatment_plan_get(case))).data)


class MyTreatmentPlanView(APIView):
    """PA9: the patient's own first-week treatment plan, day by day with dates, and the warning signs. 404 before
    it is published or for another patient's case."""

    permission_classes = [IsPatient]

    @extend_schema(tags=TAGS, responses=s.MyTreatmentPlanSerializer)
    def get(self, request, uuid):
        plan = selectors.my_treatment_plan(request.user, uuid)
        version = plan.published
        audit_patient_read(request.user, plan.case, detail="own treatment plan")
        return Response(s.MyTreatmentPlanSerializer({
            "case": plan.case.uuid, "version": version.number, "published_at": version.published_at,
            "note": version.note, "start_date": selectors.start_date(plan.case),
            "days": selectors.plan_days(version, plan.case), "warning_signs": selectors.warning_signs(version),
        }).data)


def _age(birth_date, today=None):
    if birth_date is None:
        return None
    today = today or date.today()
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


class FollowupPatientView(APIView):
    """SA8: the follow-up patient view of one case — patient details, the stay (theatre times, complications,
    discharge and instructions), lab and exam records, the treatment plan, recovery answers and the follow-up plan
    tree with tags. Audited read."""

    permission_classes = [requires(perms.VIEW_FOLLOWUP_PATIENT.slug)]

    @extend_schema(tags=TAGS, responses=s.FollowupPatientViewSerializer)
    def get(self, request, uuid):
        case = case_get(request.user, uuid)
        view = selectors.followup_patient_view(request.user, case)
        patient = view["patient"]
        plan = view["treatment_plan"]
        versions = list(plan.versions.all()) if plan else []
        body = {
            **view,
            "patient": {"uuid": patient.uuid, "name": patient.name, "sex": patient.sex,
                        "birth_date": patient.birth_date, "age": _age(patient.birth_date), "phone": patient.phone,
                        "reg_no": patient.reg_no},
            "treatment_plan": next((v for v in versions if v.status == VersionStatus.PUBLISHED), None),
            "treatment_plan_draft": next((v for v in versions if v.status == VersionStatus.DRAFT), None),
        }
        audit_patient_read(request.user, case, detail="follow-up patient view")
        return Response(s.FollowupPatientViewSerializer(body).data)


class RecoveryListView(generics.GenericAPIView):
    """SA8: track recovery after discharge — my wards' patients discharged in the last days (default 7), newest
    first, with the day after discharge, the treatment plan's state, the latest recovery answer and open to-dos.
    Filters: ward, days, plan (none/draft/published), abnormal. Paginated."""

    permission_classes = [requires(perms.VIEW_FOLLOWUP_PATIENT.slug)]
    serializer_class = s.RecoveryListRowSerializer
    filter_backends = []

    @extend_schema(tags=TAGS, parameters=[s.RecoveryListQuerySerializer], responses=s.RecoveryListRowSerializer(many=True))
    def get(self, request):
        v = validated_query(s.RecoveryListQuerySerializer, request)
        ward = None
        if v.get("ward"):
            ward = Ward.objects.filter(uuid=v["ward"]).first()
            if ward is None or not ward_scope_for(request.user).allows_ward(ward.pk):
                raise InvalidInput(fields={"ward": [_("Unknown ward.")]})
        rows = selectors.recovery_list(request.user, ward=ward, days=v["days"], plan=v.get("plan"),
                                       abnormal=v.get("abnormal"))
        page = self.paginate_queryset(rows)
        for case in page:
            case.day_after_discharge = selectors.day_after_discharge(case)
        return self.get_paginated_response(s.RecoveryListRowSerializer(page, many=True).data)
