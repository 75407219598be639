"""Input and output serializers of the follow-up API."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from followup.models import (
    Anchor,
    CallStatus,
    CaseTag,
    FollowupPlan,
    FollowupTask,
    ManualCall,
    TagDefinition,
    TaskStatus,
    Tier,
    VoiceCall,
)


class FollowupWardRef(serializers.Serializer):
    uuid = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)


class FollowupPointSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    anchor = serializers.ChoiceField(choices=Anchor.choices)
    offset_hours = serializers.IntegerField()
    form = serializers.CharField(allow_blank=True, required=False)
    tiers = serializers.ListField(child=serializers.ChoiceField(choices=Tier.choices), required=False)
    voice_hours = serializers.IntegerField(required=False)
    selfreport_hours = serializers.IntegerField(required=False)
    manual_hours = serializers.IntegerField(required=False)


class FollowupPlanSerializer(serializers.ModelSerializer):
    hospital = serializers.UUIDField(source="hospital.uuid", read_only=True, allow_null=True, default=None)
    procedure = serializers.SerializerMethodField()
    points = FollowupPointSerializer(many=True)
    is_default = serializers.SerializerMethodField()

    class Meta:
        model = FollowupPlan
        fields = ["uuid", "hospital", "procedure", "name", "description", "points", "is_active", "is_default",
                  "version", "updated_at"]

    def get_procedure(self, obj) -> dict | None:
        return {"uuid": str(obj.procedure.uuid), "code": obj.procedure.code, "name": obj.procedure.name} \
            if obj.procedure_id else None

    def get_is_default(self, obj) -> bool:
        return obj.hospital_id is None


class FollowupPlanInput(serializers.Serializer):
    procedure = serializers.UUIDField(required=False, allow_null=True)
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    points = serializers.JSONField()
    is_active = serializers.BooleanField(required=False, default=True)


class FollowupPlanPatch(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True)
    points = serializers.JSONField(required=False)
    is_active = serializers.BooleanField(required=False)


class FollowupPlanVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    change = serializers.CharField()
    snapshot = serializers.JSONField()
    changed_at = serializers.DateTimeField()
    changed_by_name = serializers.CharField()


class FollowupTagDefinitionSerializer(serializers.ModelSerializer):
    is_default = serializers.SerializerMethodField()

    class Meta:
        model = TagDefinition
        fields = ["uuid", "code", "label", "description", "colour", "automatic", "on_followup_completed",
                  "on_unreached", "abnormal_codes", "position", "is_active", "is_default"]

    def get_is_default(self, obj) -> bool:
        return obj.hospital_id is None


class FollowupTagDefinitionInput(serializers.Serializer):
    code = serializers.SlugField(max_length=40)
    label = serializers.CharField(max_length=30, required=False)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True)
    colour = serializers.CharField(max_length=20, required=False, allow_blank=True)
    automatic = serializers.BooleanField(required=False)
    on_followup_completed = serializers.BooleanField(required=False)
    on_unreached = serializers.BooleanField(required=False)
    abnormal_codes = serializers.ListField(child=serializers.CharField(max_length=60), max_length=20, required=False)
    position = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    is_active = serializers.BooleanField(required=False)


class FollowupCaseTagSerializer(serializers.ModelSerializer):
    added_by = serializers.CharField(source="added_by.name", read_only=True, default=None)

    class Meta:
        model = CaseTag
        fields = ["uuid", "code", "label", "automatic", "note", "added_at", "added_by", "removed_at"]


class FollowupCaseTagInput(serializers.Serializer):
    code = serializers.SlugField(max_length=40)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class FollowupPatientBrief(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    masked_phone = serializers.CharField()
    sex = serializers.CharField()


class FollowupCaseBrief(serializers.Serializer):
    uuid = serializers.UUIDField()
    procedure_name = serializers.CharField()
    planned_date = serializers.DateField(allow_null=True)
    discharged_at = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField()
    surgeon = serializers.CharField(source="surgeon.name", default=None, allow_null=True)


class FollowupTaskSerializer(serializers.ModelSerializer):
    patient = FollowupPatientBrief(source="case.patient")
    case = FollowupCaseBrief()
    ward = FollowupWardRef()
    tags = serializers.SerializerMethodField()
    assignment = serializers.UUIDField(source="assignment.uuid", default=None, allow_null=True)
    overdue = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=TaskStatus.choices)

    class Meta:
        model = FollowupTask
        fields = ["uuid", "patient", "case", "ward", "point_key", "point_label", "anchor", "anchor_at",
                  "offset_hours", "due_at", "tiers", "windows", "status", "step_started_at", "step_deadline_at",
                  "overdue", "outcome", "completed_tier", "completed_at", "assignment", "tags"]

    def get_tags(self, obj) -> list[dict]:
        rows = getattr(obj.case, "active_tags", None)
        if rows is None:
            rows = obj.case.followup_tags.filter(removed_at__isnull=True)
        return [{"code": t.code, "label": t.label, "automatic": t.automatic} for t in rows]

    def get_overdue(self, obj) -> bool:
        from django.utils import timezone

        return bool(obj.step_deadline_at and obj.is_open and obj.step_deadline_at < timezone.now())


class FollowupVoiceCallSerializer(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=CallStatus.choices)

    class Meta:
        model = VoiceCall
        fields = ["uuid", "call_id", "status", "answered", "duration_seconds", "answers", "transcript", "outcome",
                  "result_source", "started_at", "finished_at"]


class FollowupManualCallSerializer(serializers.ModelSerializer):
    called_by = serializers.CharField(source="called_by.name")

    class Meta:
        model = ManualCall
        fields = ["uuid", "called_by", "called_at", "reached", "note"]


class FollowupAnswerSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    value = serializers.JSONField()


class FollowupAnswersSerializer(serializers.Serializer):
    response = serializers.UUIDField()
    channel = serializers.CharField()
    complete = serializers.BooleanField()
    submitted_at = serializers.DateTimeField()
    score = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    abnormal = serializers.ListField(child=serializers.CharField())
    abnormal_details = serializers.JSONField()
    answers = FollowupAnswerSerializer(many=True)


class FollowupTaskDetailSerializer(FollowupTaskSerializer):
    voice_calls = FollowupVoiceCallSerializer(many=True)
    manual_calls = FollowupManualCallSerializer(many=True)
    history = serializers.JSONField()
    answers = serializers.SerializerMethodField()
    plan_version = serializers.IntegerField()

    class Meta(FollowupTaskSerializer.Meta):
        fields = [*FollowupTaskSerializer.Meta.fields, "plan_version", "history", "voice_calls", "manual_calls", "answers"]

    @extend_schema_field(FollowupAnswersSerializer(allow_null=True))
    def get_answers(self, obj):
        from followup.selectors import task_answers

        answers = task_answers(obj)
        return FollowupAnswersSerializer(answers).data if answers else None


class FollowupTaskListQuery(serializers.Serializer):
    ward = serializers.UUIDField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    status = serializers.ListField(child=serializers.ChoiceField(choices=TaskStatus.choices), required=False)
    tag = serializers.ListField(child=serializers.SlugField(max_length=40), required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": [_("The end date is before the start date.")]})
        return attrs


class FollowupManualCallInput(serializers.Serializer):
    reached = serializers.BooleanField()
    answers = serializers.DictField(required=False, allow_empty=True)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    close_unreached = serializers.BooleanField(required=False, default=False)


class FollowupTagCountQuery(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    ward = serializers.UUIDField(required=False)

    def validate(self, attrs):
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": [_("The end date is before the start date.")]})
        if (attrs["date_to"] - attrs["date_from"]).days > 366:
            raise serializers.ValidationError({"date_to": [_("Give at most one year.")]})
        return attrs


class FollowupTagCountSerializer(serializers.Serializer):
    day = serializers.DateField()
    code = serializers.CharField()
    label = serializers.CharField()
    automatic = serializers.BooleanField()
    count = serializers.IntegerField()


class VoiceCallbackBodySerializer(serializers.Serializer):
    """The voice platform's result (the shape of GET /voice/calls/<id>)."""

    call_id = serializers.CharField(max_length=64)
    status = serializers.ChoiceField(choices=["completed", "no_answer", "busy", "failed", "in_progress"])
    answered = serializers.BooleanField(required=False, default=False)
    duration_seconds = serializers.IntegerField(required=False, default=0, min_value=0, max_value=86400)
    answers = serializers.DictField(required=False, default=dict)
    transcript = serializers.CharField(required=False, allow_blank=True, default="", max_length=20000)


class VoiceCallbackAnswerSerializer(serializers.Serializer):
    call_id = serializers.CharField()
    outcome = serializers.CharField()


class FollowupTreeNodeSerializer(serializers.Serializer):
    time_point = serializers.CharField()
    label = serializers.CharField()
    anchor = serializers.CharField()
    offset_hours = serializers.IntegerField()
    due_at = serializers.DateTimeField(allow_null=True)
    task = serializers.UUIDField(source="task.uuid", allow_null=True, default=None)
    status = serializers.CharField()
    tiers = serializers.ListField(child=serializers.CharField())
    outcome = serializers.CharField()
    completed_tier = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)
    answers = FollowupAnswersSerializer(allow_null=True)
    calls = serializers.JSONField()


class FollowupTreeBranchSerializer(serializers.Serializer):
    case = FollowupCaseBrief()
    plan = serializers.SerializerMethodField()
    nodes = FollowupTreeNodeSerializer(many=True)
    tags = FollowupCaseTagSerializer(many=True)

    def get_plan(self, obj) -> dict | None:
        plan = obj["plan"]
        return {"uuid": str(plan.uuid), "name": plan.name, "version": plan.version} if plan else None


class FollowupPlanTreeSerializer(serializers.Serializer):
    patient = FollowupPatientBrief()
    cases = FollowupTreeBranchSerializer(many=True)


class MyFollowupSerializer(serializers.Serializer):
    time_point = serializers.CharField()
    label = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    status = serializers.ChoiceField(choices=["planned", "in_progress", "completed", "unreached", "cancelled"])
    completed_at = serializers.DateTimeField(allow_null=True)
    assignment = serializers.UUIDField(allow_null=True)
    link = serializers.CharField(allow_null=True)


class MyFollowupsSerializer(serializers.Serializer):
    case = serializers.UUIDField(source="case.uuid")
    followups = MyFollowupSerializer(many=True)
