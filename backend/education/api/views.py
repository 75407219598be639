"""Thin views over education.selectors and education.services.

Staff: materials (hospital configuration: the platform's and their hospital's), video upload, and the reading status
of their wards' cases (audited). Patients: their case's materials by phase with what they read, one material's
content, and reading sessions (start / finish; finishing early is refused with the seconds still to go)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsPatient, requires
from audit.services import audit_patient_read
from cases.models import SurgicalCase
from cases.selectors import case_get
from core.api.input import validated_body, validated_query
from core.errors import InvalidInput, NotFound
from education import permissions as perms
from education import selectors, services
from education.api import serializers as s
from education.models import EducationVideo, Phase
from org.hospital_config import config_queryset
from org.models import Ward
from org.scoping import scope_queryset, ward_scope_for


def _procedure(value, field="procedure"):
    from catalog.models import Procedure

    if value is None:
        return None
    procedure = Procedure.objects.filter(uuid=value).first()
    if procedure is None:
        raise InvalidInput(fields={field: [_("Unknown procedure.")]})
    return procedure


def _video(actor, value):
    if value is None:
        return None
    video = config_queryset(EducationVideo.objects.all(), actor).filter(uuid=value).first()
    if video is None:
        raise InvalidInput(fields={"video": [_("Unknown video.")]})
    return video


def _material_body(material):
    material = services.require_material(material.uuid)
    return s.EducationMaterialSerializer(material).data


class MaterialListView(generics.GenericAPIView):
    """GET: the education materials the caller manages (platform defaults and their hospital's), filtered by phase,
    format and procedure. POST: a new material (version 1); same key as a platform default replaces it."""

    serializer_class = s.EducationMaterialSerializer
    filter_backends = []

    def get_permissions(self):
        slug = perms.MANAGE_MATERIALS.slug if self.request.method == "POST" else perms.VIEW_EDUCATION.slug
        return [requires(slug)()]

    @extend_schema(parameters=[s.MaterialListQuery], responses=s.EducationMaterialSerializer(many=True))
    def get(self, request):
        q = validated_query(s.MaterialListQuery, request)
        rows = selectors.material_list(request.user, phase=q.get("phase"), format=q.get("format"),
                                       procedure=_procedure(q.get("procedure")),
                                       include_retired=q["include_retired"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.EducationMaterialSerializer(page, many=True).data)

    @extend_schema(request=s.MaterialCreateInput, responses={201: s.EducationMaterialSerializer})
    def post(self, request):
        v = dict(validated_body(s.MaterialCreateInput, request))
        v["procedure"] = _procedure(v.get("procedure"))
        v["video"] = _video(request.user, v.get("video"))
        material = services.material_create(actor=request.user, **v)
        return Response(_material_body(material), status=status.HTTP_201_CREATED)


class MaterialDetailView(APIView):
    """GET: one material with its current version. PATCH: edit (content → a new version; `version` guards against
    a lost update). DELETE: withdraw it (patients no longer see it; what they read stays recorded)."""

    def get_permissions(self):
        slug = perms.VIEW_EDUCATION.slug if self.request.method == "GET" else perms.MANAGE_MATERIALS.slug
        return [requires(slug)()]

    @extend_schema(responses=s.EducationMaterialSerializer)
    def get(self, request, uuid):
        return Response(s.EducationMaterialSerializer(selectors.material_get(request.user, uuid)).data)

    @extend_schema(request=s.MaterialUpdateInput, responses=s.EducationMaterialSerializer)
    def patch(self, request, uuid):
        material = selectors.material_get(request.user, uuid)
        v = dict(validated_body(s.MaterialUpdateInput, request))
        if "video" in v:
            v["video"] = _video(request.user, v["video"])
        expected = v.pop("version", None)
        note = v.pop("note", "")
        material = services.material_update(material=material, actor=request.user, expected_version=expected,
                                            note=note, **v)
        return Response(_material_body(material))

    @extend_schema(responses=s.EducationMaterialSerializer)
    def delete(self, request, uuid):
        material = selectors.material_get(request.user, uuid)
        material = services.material_retire(material=material, actor=request.user)
        return Response(_material_body(material))


class MaterialVersionsView(APIView):
    """Every version of a material, newest first (what changed, when, by whom)."""

    permission_classes = [requires(perms.VIEW_EDUCATION.slug)]

    @extend_schema(responses=s.MaterialVersionSerializer(many=True))
    def get(self, request, uuid):
        material = selectors.material_get(request.user, uuid)
        versions = material.versions.select_related("video", "edited_by").order_by("-version")
        return Response(s.MaterialVersionSerializer(versions, many=True).data)


class VideoUploadView(APIView):
    """Upload a video (multipart `file`): accepted only if its bytes are an MP4 / MOV / WebM video within the size
    limit; stored in object storage. Use the returned uuid as a video material's `video`."""

    permission_classes = [requires(perms.MANAGE_MATERIALS.slug)]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request={"multipart/form-data": s.VideoUploadInput}, responses={201: s.EducationVideoSerializer})
    def post(self, request):
        from education.conf import conf
        from education.errors import VideoRejected

        v = validated_body(s.VideoUploadInput, request)
        upload = v["file"]
        limit = conf("EDUCATION_VIDEO_MAX_BYTES")
        if upload.size > limit:  # refused before reading it into memory
            raise VideoRejected(fields={"file": [_("The video is too large (at most %(mb)s MB).")
                                                 % {"mb": limit // (1024 * 1024)}]})
        video = services.video_upload(actor=request.user, content=upload.read(), original_name=upload.name or "")
        return Response(s.EducationVideoSerializer(video).data, status=status.HTTP_201_CREATED)


class CaseEducationView(APIView):
    """M3: the case's education items and whether, when and which version the patient read each (audited)."""

    permission_classes = [requires(perms.VIEW_EDUCATION.slug)]

    @extend_schema(responses=s.CaseEducationSerializer)
    def get(self, request, uuid):
        case = case_get(request.user, uuid)
        rows = selectors.case_reading_status(case)
        audit_patient_read(request.user, case, detail="education reading status")
        return Response(s.CaseEducationSerializer(
            {"case": case.uuid, "summary": selectors.reading_summary(rows), "materials": rows}).data)


class ReadingStatusListView(generics.GenericAPIView):
    """Patient management (M3): the caller's wards' cases planned in a period (default: today and the next 7 days)
    with how much of their education each patient has read and which required items are still unread."""

    permission_classes = [requires(perms.VIEW_EDUCATION.slug)]
    serializer_class = s.CaseReadingRowSerializer
    filter_backends = []

    @extend_schema(parameters=[s.ReadingStatusQuery], responses=s.CaseReadingRowSerializer(many=True))
    def get(self, request):
        q = validated_query(s.ReadingStatusQuery, request)
        start = q.get("date_from") or timezone.localdate()
        end = q.get("date_to") or start + timedelta(days=7)
        if end < start or (end - start).days > 31:
            raise InvalidInput(fields={"date_to": [_("At most 31 days after the start date.")]})
        cases = scope_queryset(SurgicalCase.objects.all(), request.user).filter(
            planned_date__gte=start, planned_date__lte=end).exclude(state__in=["cancelled", "draft"])
        if q.get("ward"):
            ward = Ward.objects.filter(uuid=q["ward"]).first()
            if ward is None or not ward_scope_for(request.user).allows_ward(ward.pk):
                raise InvalidInput(fields={"ward": [_("Unknown ward.")]})
            cases = cases.filter(ward=ward)
        cases = cases.select_related("patient", "ward__department").order_by("planned_date", "id")
        page = self.paginate_queryset(cases)
        rows = []
        for case in page:
            status_rows = selectors.case_reading_status(case)
            rows.append({"case": case, "summary": selectors.reading_summary(status_rows),
                         "unread": [r["material"].current.title for r in status_rows
                                    if r["material"].required and not r["read"]]})
        return self.get_paginated_response(s.CaseReadingRowSerializer(rows, many=True).data)


# --- patients ---------------------------------------------------------------------------------------------------


def _my_case(request, uuid):
    from accounts.patient_scope import patient_queryset

    case = patient_queryset(SurgicalCase.objects.select_related("ward__department", "patient"),
                            request.user).filter(uuid=uuid).first()
    if case is None:
        raise NotFound()
    return case


def _my_row(case, material_uuid):
    for row in selectors.case_reading_status(case):
        if str(row["material"].uuid) == str(material_uuid):
            return row
    from education.errors import MaterialNotForCase

    raise MaterialNotForCase()


class MyEducationView(APIView):
    """PA3/PA5: the day-surgery instructions of my case for the whole perioperative period (before surgery,
    admission and the day of surgery, discharge and recovery at home), text and video, with what I have read."""

    permission_classes = [IsPatient]

    @extend_schema(responses=s.MyEducationSerializer)
    def get(self, request, uuid):
        case = _my_case(request, uuid)
        rows = selectors.case_reading_status(case)
        phases = [{"phase": value, "label": str(label), "materials": [r for r in rows if r["material"].phase == value]}
                  for value, label in Phase.choices]
        audit_patient_read(request.user, case, detail="own education")
        return Response(s.MyEducationSerializer({
            "case": case.uuid, "procedure_name": case.procedure_name, "summary": selectors.reading_summary(rows),
            "phases": [p for p in phases if p["materials"]]}).data)


def _my_cases(request, case_uuid=None):
    from accounts.patient_scope import patient_queryset

    cases = patient_queryset(SurgicalCase.objects.select_related("ward__department", "patient"), request.user)
    if case_uuid is not None:
        cases = cases.filter(uuid=case_uuid)
    return list(cases.order_by("-planned_date", "-id"))


class MyMaterialListView(generics.GenericAPIView):
    """The items of all my cases (or of `?case=`), latest case first, each with my reading."""

    permission_classes = [IsPatient]
    serializer_class = s.MyCaseMaterialSerializer
    filter_backends = []

    @extend_schema(parameters=[s.MyMaterialQuery], responses=s.MyCaseMaterialSerializer(many=True))
    def get(self, request):
        q = validated_query(s.MyMaterialQuery, request)
        rows = [{**row, "case": case} for case in _my_cases(request, q.get("case"))
                for row in selectors.case_reading_status(case)]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(s.MyCaseMaterialSerializer(page, many=True).data)


class MyMaterialView(APIView):
    """One item of my case (`?case=`, default my latest case that has it): its text or a presigned video URL, the
    minimum reading time and my reading."""

    permission_classes = [IsPatient]

    @extend_schema(parameters=[s.MyMaterialQuery], responses=s.MyEducationMaterialDetailSerializer)
    def get(self, request, uuid):
        q = validated_query(s.MyMaterialQuery, request)
        if q.get("case"):
            return Response(s.MyEducationMaterialDetailSerializer(_my_row(_my_case(request, q["case"]), uuid)).data)
        for case in _my_cases(request):
            try:
                return Response(s.MyEducationMaterialDetailSerializer(_my_row(case, uuid)).data)
            except NotFound:
                continue
        raise NotFound()


class MyReadingSessionListView(generics.GenericAPIView):
    """My reading sessions (of `?case=`), newest first."""

    permission_classes = [IsPatient]
    serializer_class = s.ReadingSessionSerializer
    filter_backends = []

    @extend_schema(parameters=[s.MyMaterialQuery], responses=s.ReadingSessionSerializer(many=True))
    def get(self, request):
        from accounts.patient_scope import patient_queryset
        from education.models import ReadingSession

        q = validated_query(s.MyMaterialQuery, request)
        rows = patient_queryset(ReadingSession.objects.select_related("case", "material", "version"), request.user)
        if q.get("case"):
            rows = rows.filter(case__uuid=q["case"])
        page = self.paginate_queryset(rows.order_by("-started_at", "-id"))
        return self.get_paginated_response(s.ReadingSessionSerializer(page, many=True).data)


class MyReadingSessionStartView(APIView):
    """Start reading one item of my case (the clock starts now on the server; an unfinished session of the same
    version is resumed, not restarted). Finish it with POST my/cases/{uuid}/reading-sessions/finish/."""

    permission_classes = [IsPatient]

    @extend_schema(request=s.ReadingStartInput, responses={201: s.ReadingSessionSerializer})
    def post(self, request, uuid):
        case = _my_case(request, uuid)
        material = _my_row(case, validated_body(s.ReadingStartInput, request)["material"])["material"]
        session = services.reading_start(case=case, material=material, actor=request.user)
        return Response(s.ReadingSessionSerializer(session).data, status=status.HTTP_201_CREATED)


class MyReadingSessionFinishView(APIView):
    """Finish reading (`session`: the uuid returned at the start). Before the minimum reading time: 409
    `reading_too_short` with `remaining_seconds`. Finishing again returns the same session (nothing is recorded
    twice)."""

    permission_classes = [IsPatient]

    @extend_schema(request=s.ReadingFinishInput, responses=s.ReadingSessionSerializer)
    def post(self, request, uuid):
        case = _my_case(request, uuid)
        session = selectors.session_for_patient(request.user, validated_body(s.ReadingFinishInput, request)["session"])
        if session.case_id != case.pk:
            raise NotFound()
        session = services.reading_finish(session=session, actor=request.user)
        return Response(s.ReadingSessionSerializer(session).data)
