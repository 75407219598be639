"""Input and output shapes of the education API."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from education.conf import conf
from education.models import BodyFormat, MaterialFormat, Phase

# --- shared pieces ----------------------------------------------------------------------------------------------


class EducationProcedureRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    code = serializers.CharField()
    name = serializers.CharField()


class EducationVideoSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    content_type = serializers.CharField()
    size_bytes = serializers.IntegerField()
    duration_seconds = serializers.IntegerField(allow_null=True)
    original_name = serializers.CharField()
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="Presigned URL, valid for EDUCATION_VIDEO_URL_SECONDS.")

    def get_url(self, video) -> str:
        from education.services import video_url

        return video_url(video)


class MaterialVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    title = serializers.CharField()
    summary = serializers.CharField()
    body_format = serializers.ChoiceField(choices=BodyFormat.choices)
    body = serializers.CharField()
    video = EducationVideoSerializer(allow_null=True)
    min_read_seconds = serializers.IntegerField()
    note = serializers.CharField()
    edited_by = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_edited_by(self, version) -> str:
        return version.edited_by.name if version.edited_by_id else ""


class EducationMaterialSerializer(serializers.Serializer):
    """A material with its current version (staff)."""

    uuid = serializers.UUIDField()
    key = serializers.CharField()
    is_platform_default = serializers.SerializerMethodField()
    procedure = serializers.SerializerMethodField()
    phase = serializers.ChoiceField(choices=Phase.choices)
    phase_label = serializers.CharField(source="get_phase_display")
    format = serializers.ChoiceField(choices=MaterialFormat.choices)
    order = serializers.IntegerField()
    required = serializers.BooleanField()
    retired_at = serializers.DateTimeField(allow_null=True)
    current = MaterialVersionSerializer()
    updated_at = serializers.DateTimeField()

    def get_is_platform_default(self, material) -> bool:
        return material.hospital_id is None

    @extend_schema_field(EducationProcedureRefSerializer(allow_null=True))
    def get_procedure(self, material):
        return EducationProcedureRefSerializer(material.procedure).data if material.procedure_id else None


class MaterialListQuery(serializers.Serializer):
    phase = serializers.ChoiceField(choices=Phase.choices, required=False)
    format = serializers.ChoiceField(choices=MaterialFormat.choices, required=False)
    procedure = serializers.UUIDField(required=False, help_text="Items for this procedure (and every procedure).")
    include_retired = serializers.BooleanField(required=False, default=False)


class _ContentInput(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    summary = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    body_format = serializers.ChoiceField(choices=BodyFormat.choices, required=False, default=BodyFormat.MARKDOWN)
    body = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)
    video = serializers.UUIDField(required=False, allow_null=True, default=None,
                                  help_text="An uploaded video (POST education/videos/); video items only.")
    min_read_seconds = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0,
        help_text="Minimum reading / viewing time; default: the video's length, or the text's length at reading pace.")
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_min_read_seconds(self, value):
        if value is not None and value > conf("EDUCATION_MIN_READ_SECONDS_MAX"):
            raise serializers.ValidationError(_("Between 0 and %(limit)s seconds.")
                                              % {"limit": conf("EDUCATION_MIN_READ_SECONDS_MAX")})
        return value


class MaterialCreateInput(_ContentInput):
    key = serializers.SlugField(max_length=60, help_text="Same key as a platform default: replaces it.")
    phase = serializers.ChoiceField(choices=Phase.choices)
    format = serializers.ChoiceField(choices=MaterialFormat.choices)
    procedure = serializers.UUIDField(required=False, allow_null=True, default=None,
                                      help_text="null: every procedure")
    order = serializers.IntegerField(required=False, default=100, min_value=0, max_value=32767)
    required = serializers.BooleanField(required=False, default=True)


class MaterialUpdateInput(serializers.Serializer):
    """Only the fields given change; a content change writes a new version."""

    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text="The version the editor loaded (refused with 409 if it moved on).")
    title = serializers.CharField(max_length=120, required=False)
    summary = serializers.CharField(max_length=300, required=False, allow_blank=True)
    body_format = serializers.ChoiceField(choices=BodyFormat.choices, required=False)
    body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    video = serializers.UUIDField(required=False, allow_null=True)
    min_read_seconds = serializers.IntegerField(required=False, min_value=0)
    order = serializers.IntegerField(required=False, min_value=0, max_value=32767)
    required = serializers.BooleanField(required=False)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate_min_read_seconds(self, value):
        return _ContentInput.validate_min_read_seconds(self, value)


class VideoUploadInput(serializers.Serializer):
    file = serializers.FileField(help_text="MP4, MOV or WebM (checked by content), at most EDUCATION_VIDEO_MAX_BYTES.")


# --- reading ----------------------------------------------------------------------------------------------------


class ReadingSessionSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    case = serializers.UUIDField(source="case.uuid")
    material = serializers.UUIDField(source="material.uuid")
    version = serializers.IntegerField(source="version.version")
    min_seconds = serializers.IntegerField()
    started_at = serializers.DateTimeField()
    finish_not_before = serializers.SerializerMethodField()
    finished_at = serializers.DateTimeField(allow_null=True)
    read_seconds = serializers.IntegerField(allow_null=True)

    def get_finish_not_before(self, session) -> str:
        from datetime import timedelta

        return serializers.DateTimeField().to_representation(
            session.started_at + timedelta(seconds=session.min_seconds))


class MaterialReadingSerializer(serializers.Serializer):
    read = serializers.BooleanField()
    read_at = serializers.DateTimeField(allow_null=True)
    read_version = serializers.IntegerField(allow_null=True)
    read_seconds = serializers.IntegerField(allow_null=True)
    current_version_read = serializers.BooleanField()
    last_read_at = serializers.DateTimeField(allow_null=True)
    in_progress = ReadingSessionSerializer(allow_null=True)


class CaseMaterialStatusSerializer(serializers.Serializer):
    """One item of a case with the patient's reading (staff, M3)."""

    uuid = serializers.UUIDField(source="material.uuid")
    key = serializers.CharField(source="material.key")
    phase = serializers.ChoiceField(choices=Phase.choices, source="material.phase")
    format = serializers.ChoiceField(choices=MaterialFormat.choices, source="material.format")
    title = serializers.CharField(source="material.current.title")
    version = serializers.IntegerField(source="material.current.version")
    required = serializers.BooleanField(source="material.required")
    min_read_seconds = serializers.IntegerField(source="material.current.min_read_seconds")
    reading = serializers.SerializerMethodField()

    @extend_schema_field(MaterialReadingSerializer)
    def get_reading(self, row):
        return MaterialReadingSerializer(row).data


class ReadingSummarySerializer(serializers.Serializer):
    total = serializers.IntegerField()
    read = serializers.IntegerField()
    required = serializers.IntegerField()
    required_read = serializers.IntegerField()
    all_required_read = serializers.BooleanField()


class CaseEducationSerializer(serializers.Serializer):
    case = serializers.UUIDField()
    summary = ReadingSummarySerializer()
    materials = CaseMaterialStatusSerializer(many=True)


class ReadingStatusQuery(serializers.Serializer):
    ward = serializers.UUIDField(required=False)
    date_from = serializers.DateField(required=False, help_text="Planned surgery date from (default today).")
    date_to = serializers.DateField(required=False, help_text="Planned surgery date to (default: 7 days on).")

    def validate(self, attrs):
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and (end < start or (end - start).days > 31):
            raise serializers.ValidationError({"date_to": [_("At most 31 days after the start date.")]})
        return attrs


class CaseReadingRowSerializer(serializers.Serializer):
    case = serializers.UUIDField(source="case.uuid")
    patient_name = serializers.CharField(source="case.patient.name")
    procedure_name = serializers.CharField(source="case.procedure_name")
    planned_date = serializers.DateField(source="case.planned_date", allow_null=True)
    state = serializers.CharField(source="case.state")
    summary = ReadingSummarySerializer()
    unread = serializers.ListField(child=serializers.CharField(), help_text="Titles of required items not read.")


# --- the patient's view -----------------------------------------------------------------------------------------


class MyEducationMaterialSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(source="material.uuid")
    phase = serializers.ChoiceField(choices=Phase.choices, source="material.phase")
    format = serializers.ChoiceField(choices=MaterialFormat.choices, source="material.format")
    required = serializers.BooleanField(source="material.required")
    version = serializers.IntegerField(source="material.current.version")
    title = serializers.CharField(source="material.current.title")
    summary = serializers.CharField(source="material.current.summary")
    min_read_seconds = serializers.IntegerField(source="material.current.min_read_seconds")
    duration_seconds = serializers.SerializerMethodField()
    reading = serializers.SerializerMethodField()

    def get_duration_seconds(self, row) -> int | None:
        video = row["material"].current.video
        return video.duration_seconds if video else None

    @extend_schema_field(MaterialReadingSerializer)
    def get_reading(self, row):
        return MaterialReadingSerializer(row).data


class MyEducationMaterialDetailSerializer(MyEducationMaterialSerializer):
    body_format = serializers.ChoiceField(choices=BodyFormat.choices, source="material.current.body_format")
    body = serializers.CharField(source="material.current.body")
    video_url = serializers.SerializerMethodField(help_text="Presigned URL of the video (video items).")
    video_content_type = serializers.SerializerMethodField()

    def get_video_url(self, row) -> str | None:
        from education.services import video_url

        return video_url(row["material"].current.video)

    def get_video_content_type(self, row) -> str | None:
        video = row["material"].current.video
        return video.content_type if video else None


class MyMaterialQuery(serializers.Serializer):
    case = serializers.UUIDField(required=False,
                                 help_text="My case the item belongs to (default: my latest case that has it).")


class MyCaseMaterialSerializer(MyEducationMaterialSerializer):
    case = serializers.UUIDField(source="case.uuid")


class ReadingStartInput(serializers.Serializer):
    material = serializers.UUIDField(help_text="An item of the case (my/cases/{uuid}/education/).")


class ReadingFinishInput(serializers.Serializer):
    session = serializers.UUIDField(help_text="The session returned when reading started.")


class MyEducationPhaseSerializer(serializers.Serializer):
    phase = serializers.ChoiceField(choices=Phase.choices)
    label = serializers.CharField()
    materials = MyEducationMaterialSerializer(many=True)


class MyEducationSerializer(serializers.Serializer):
    """PA3: the case's instructions for the whole perioperative period, by phase, with what was read."""

    case = serializers.UUIDField()
    procedure_name = serializers.CharField()
    summary = ReadingSummarySerializer()
    phases = MyEducationPhaseSerializer(many=True)
