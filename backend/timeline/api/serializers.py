"""Input and output serializers of the timeline API."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from org.models import Hospital, ManagementMode
from timeline.models import Anchor, Audience, DetailKind, DueFor, NodeDefinition, NodeState, NodeTransition
from timeline.services import patient_state

# --- case timelines ---------------------------------------------------------------------------------------------


class EventRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    type = serializers.CharField()
    sequence = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()


class ActorSerializer(serializers.Serializer):
    type = serializers.CharField()
    id = serializers.CharField()
    name = serializers.CharField()


class NodeTransitionSerializer(serializers.ModelSerializer):
    event = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()

    class Meta:
        model = NodeTransition
        fields = ("from_state", "to_state", "trigger", "cause", "event", "occurred_at", "recorded_at", "actor",
                  "definition_version")

    @extend_schema_field(EventRefSerializer(allow_null=True))
    def get_event(self, obj):
        return EventRefSerializer(obj.event).data if obj.event_id is not None else None

    @extend_schema_field(ActorSerializer)
    def get_actor(self, obj):
        return {"type": obj.actor_type, "id": obj.actor_id, "name": obj.actor_name}


class DefinitionRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    version = serializers.IntegerField()


class StaffNodeSerializer(serializers.Serializer):
    """One node as staff see it (view model: timeline.selectors.NodeView)."""

    key = serializers.CharField(source="definition.key")
    name = serializers.CharField(source="definition.name")
    patient_name = serializers.SerializerMethodField()
    description = serializers.CharField(source="definition.description")
    order = serializers.IntegerField(source="definition.order")
    audience = serializers.ChoiceField(choices=Audience.choices, source="definition.audience")
    detail_kind = serializers.ChoiceField(choices=DetailKind.choices, source="definition.detail_kind")
    state = serializers.ChoiceField(choices=NodeState.choices)
    overdue = serializers.BooleanField()
    late = serializers.SerializerMethodField(help_text="Done or failed after its deadline")
    expected_at = serializers.DateTimeField(allow_null=True)
    deadline_at = serializers.DateTimeField(allow_null=True)
    due_for = serializers.ChoiceField(choices=DueFor.choices, source="definition.due_for")
    started_at = serializers.DateTimeField(source="node.started_at", allow_null=True, default=None)
    completed_at = serializers.DateTimeField(source="node.completed_at", allow_null=True, default=None)
    failed_at = serializers.DateTimeField(source="node.failed_at", allow_null=True, default=None)
    skipped_at = serializers.DateTimeField(source="node.skipped_at", allow_null=True, default=None)
    overdue_at = serializers.DateTimeField(source="node.overdue_at", allow_null=True, default=None)
    state_changed_at = serializers.DateTimeField(source="node.state_changed_at", allow_null=True, default=None)
    last_event = serializers.SerializerMethodField()
    definition = serializers.SerializerMethodField()
    detail_url = serializers.SerializerMethodField(help_text="The node with its details (T3)")
    history = NodeTransitionSerializer(many=True)

    def get_detail_url(self, view) -> str:
        case = self.context.get("case")
        if case is None:
            return ""
        return reverse("v1:case-timeline-node", kwargs={"uuid": case.uuid, "slug": view.definition.key})

    def get_patient_name(self, view) -> str:
        return view.definition.patient_name or view.definition.name

    def get_late(self, view) -> bool:
        return bool(view.node is not None and view.node.was_overdue and view.node.state in ("done", "failed"))

    @extend_schema_field(EventRefSerializer(allow_null=True))
    def get_last_event(self, view):
        event = view.node.last_event if view.node is not None else None
        return EventRefSerializer(event).data if event is not None else None

    @extend_schema_field(DefinitionRefSerializer)
    def get_definition(self, view):
        return {"uuid": str(view.definition.uuid), "version": view.definition.version}


class DetailLinkSerializer(serializers.Serializer):
    rel = serializers.CharField()
    title = serializers.CharField()
    href = serializers.CharField()


class DetailEventSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    type = serializers.CharField()
    sequence = serializers.IntegerField()
    occurred_at = serializers.DateTimeField()
    actor = serializers.DictField()
    data = serializers.DictField()


class NodeDetailSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DetailKind.choices)
    facts = serializers.DictField(help_text="Facts of the node's detail kind (admission certificate, results…)")
    links = DetailLinkSerializer(many=True)
    events = DetailEventSerializer(many=True)


class StaffNodeDetailSerializer(StaffNodeSerializer):
    detail = NodeDetailSerializer()


class CaseRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    state = serializers.CharField()
    planned_date = serializers.DateField(allow_null=True)
    management_mode = serializers.CharField(source="ward.management_mode")


class StaffTimelineSerializer(serializers.Serializer):
    case = CaseRefSerializer()
    current = serializers.CharField(allow_null=True, help_text="The first node still open (G1: where the patient is)")
    nodes = StaffNodeSerializer(many=True)


class PatientNodeSerializer(serializers.Serializer):
    """A node in the patient's own wording: no staff notes, no actors, no overdue marks."""

    key = serializers.CharField(source="definition.key")
    name = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    order = serializers.IntegerField(source="definition.order")
    state = serializers.SerializerMethodField()
    expected_at = serializers.DateTimeField(allow_null=True)
    started_at = serializers.DateTimeField(source="node.started_at", allow_null=True, default=None)
    completed_at = serializers.DateTimeField(source="node.completed_at", allow_null=True, default=None)

    def get_name(self, view) -> str:
        return view.definition.patient_name or view.definition.name

    def get_description(self, view) -> str:
        return view.definition.patient_description

    @extend_schema_field(serializers.ChoiceField(choices=[c for c in NodeState.choices if c[0] != "overdue"]))
    def get_state(self, view):
        return patient_state(view.state, started=bool(view.node is not None and view.node.started_at))


class PatientCaseRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    planned_date = serializers.DateField(allow_null=True)


class PatientTimelineSerializer(serializers.Serializer):
    case = PatientCaseRefSerializer()
    current = serializers.CharField(allow_null=True)
    nodes = PatientNodeSerializer(many=True)


# --- configuration ----------------------------------------------------------------------------------------------


class MatcherField(serializers.JSONField):
    """A trigger: one core.event_rules matcher or a list of them (validated by the service)."""


class NodeDefinitionSerializer(serializers.ModelSerializer):
    hospital = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    management_mode = serializers.CharField()
    scope = serializers.SerializerMethodField()
    retired = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.name", default="", read_only=True)
    updated_by = serializers.CharField(source="updated_by.name", default="", read_only=True)
    start_on = serializers.JSONField()
    complete_on = serializers.JSONField()
    fail_on = serializers.JSONField()
    reset_on = serializers.JSONField()
    skip_on = serializers.JSONField()
    skip_when = serializers.JSONField()

    class Meta:
        model = NodeDefinition
        fields = (
            "uuid", "hospital", "management_mode", "scope", "key", "name", "patient_name", "description",
            "patient_description", "order", "audience", "is_active", "start_on", "complete_on", "fail_on",
            "reset_on", "skip_on", "skip_when", "expected_anchor", "expected_anchor_ref", "expected_offset_days",
            "expected_offset_hours", "expected_time", "due_for", "overdue_after_minutes", "detail_kind",
            "version", "retired", "retired_at", "created_at", "updated_at", "created_by", "updated_by",
        )
        read_only_fields = fields

    def get_scope(self, obj) -> str:
        return "hospital" if obj.hospital_id else "default"

    def get_retired(self, obj) -> bool:
        return obj.retired_at is not None


class EffectiveDefinitionSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=["hospital_mode", "hospital", "default_mode", "default"])
    definition = NodeDefinitionSerializer()


class _DefinitionFields(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    patient_name = serializers.CharField(max_length=50, allow_blank=True)
    description = serializers.CharField(max_length=500, allow_blank=True)
    patient_description = serializers.CharField(max_length=500, allow_blank=True)
    order = serializers.IntegerField(min_value=0, max_value=1000)
    audience = serializers.ChoiceField(choices=Audience.choices)
    is_active = serializers.BooleanField()
    start_on = MatcherField(allow_null=True)
    complete_on = MatcherField()
    fail_on = MatcherField(allow_null=True)
    reset_on = MatcherField(allow_null=True)
    skip_on = MatcherField(allow_null=True)
    skip_when = serializers.JSONField(allow_null=True)
    expected_anchor = serializers.ChoiceField(choices=Anchor.choices)
    expected_anchor_ref = serializers.CharField(max_length=100, allow_blank=True)
    expected_offset_days = serializers.IntegerField(min_value=-60, max_value=60)
    expected_offset_hours = serializers.IntegerField(min_value=-720, max_value=720)
    expected_time = serializers.TimeField(allow_null=True)
    due_for = serializers.ChoiceField(choices=DueFor.choices)
    overdue_after_minutes = serializers.IntegerField(min_value=0, max_value=43200, allow_null=True)
    detail_kind = serializers.ChoiceField(choices=DetailKind.choices)
    reason = serializers.CharField(max_length=300, allow_blank=True, required=False,
                                   help_text="Why (kept in the version history)")


class NodeDefinitionCreateSerializer(_DefinitionFields):
    hospital = serializers.SlugRelatedField(slug_field="uuid", queryset=Hospital.objects.all(), allow_null=True,
                                            required=False,
                                            help_text="Your hospital when left out; null: a platform default "
                                                      "(superusers only)")
    management_mode = serializers.ChoiceField(choices=[("", _("every mode")), *ManagementMode.choices],
                                              required=False, default="")
    key = serializers.CharField(max_length=40)
    copy_from = serializers.SlugRelatedField(slug_field="uuid", queryset=NodeDefinition.objects.all(),
                                             required=False, allow_null=True,
                                             help_text="Copy the fields not given from this definition")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in _DefinitionFields().fields:  # with copy_from every field is optional; the service decides
            self.fields[name].required = False


class NodeDefinitionUpdateSerializer(_DefinitionFields):
    version = serializers.IntegerField(min_value=1, required=False,
                                       help_text="The version you edited (409 when someone changed it since)")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, allow_blank=True, required=False)
    version = serializers.IntegerField(min_value=1, required=False)


class NodeDefinitionVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    change = serializers.CharField()
    reason = serializers.CharField()
    changed_at = serializers.DateTimeField()
    changed_by = serializers.CharField(source="changed_by_name")
    snapshot = serializers.DictField()


class RebuildSerializer(serializers.Serializer):
    hospital = serializers.SlugRelatedField(slug_field="uuid", queryset=Hospital.objects.all())
    management_mode = serializers.ChoiceField(choices=[("", _("every mode")), *ManagementMode.choices],
                                              required=False, default="")


class RebuildResultSerializer(serializers.Serializer):
    queued = serializers.IntegerField()


class EffectiveQuerySerializer(serializers.Serializer):
    hospital = serializers.SlugRelatedField(slug_field="uuid", queryset=Hospital.objects.all(), required=False,
                                            allow_null=True)
    management_mode = serializers.ChoiceField(choices=ManagementMode.choices)


class EventTypeSerializer(serializers.Serializer):
    type = serializers.CharField()
    label = serializers.CharField()
    data = serializers.ListField(child=serializers.CharField(), help_text="Keys of `data` a condition may test")
