"""Input and output serializers of the to-do API."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from todos.models import Priority, Todo, TodoRule, TodoStatus


class TodoPersonRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()


class TodoCaseSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    state = serializers.CharField()
    procedure_name = serializers.CharField()
    planned_date = serializers.DateField(allow_null=True)


class TodoPatientSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    sex = serializers.CharField()


class TodoSerializer(serializers.ModelSerializer):
    case = TodoCaseSerializer()
    patient = TodoPatientSerializer()
    ward = TodoPersonRefSerializer()
    assignee = TodoPersonRefSerializer(allow_null=True)
    closed_by = TodoPersonRefSerializer(allow_null=True)
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = Todo
        fields = ["uuid", "kind", "label", "title", "priority", "status", "due_at", "overdue", "case", "patient",
                  "ward", "assignee", "subject", "detail", "opened_at", "opened_event_type", "closed_at", "closed_by",
                  "closed_event_type", "note", "rule_version"]
        read_only_fields = fields

    def get_overdue(self, obj) -> bool:
        return obj.status == TodoStatus.OPEN and obj.due_at is not None and obj.due_at < timezone.now()


class TodoQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[*TodoStatus.values, "all"], required=False, default=TodoStatus.OPEN)
    kind = serializers.ListField(child=serializers.SlugField(max_length=40), required=False,
                                 help_text="Rule keys (repeat the parameter for several).")
    case = serializers.UUIDField(required=False)
    ward = serializers.UUIDField(required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    mine = serializers.BooleanField(required=False, default=False,
                                    help_text="Only to-dos addressed to you personally (as the case's surgeon).")


class TodoCountSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    high = serializers.IntegerField()
    by_kind = serializers.DictField(child=serializers.IntegerField())


class TodoCompleteInput(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class TodoDismissInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


# --- rules ----------------------------------------------------------------------------------------------------------


class TodoRuleSerializer(serializers.ModelSerializer):
    hospital = serializers.UUIDField(source="hospital.uuid", read_only=True, allow_null=True)
    source = serializers.SerializerMethodField()

    class Meta:
        model = TodoRule
        fields = ["uuid", "hospital", "source", "key", "label", "title_template", "open_on", "close_on",
                  "subject_path", "audience_permission", "audience_surgeon", "priority", "due", "notify", "position",
                  "is_active", "version", "updated_at"]
        read_only_fields = fields

    def get_source(self, obj) -> str:
        """default (platform) or hospital (your hospital's own rule, overriding a default with its key)."""
        return "default" if obj.hospital_id is None else "hospital"


_MATCHERS_HELP = _("A list of event matchers {types: [...], where: {path: [values]}}; any of them matches.")
_DUE_HELP = _("{} or one of {after_hours: n}, {path: 'data.deadline'}, {before_surgery_hours: n}.")


class TodoRuleUpdateInput(serializers.Serializer):
    label = serializers.CharField(max_length=40, required=False)
    title_template = serializers.CharField(max_length=200, required=False)
    open_on = serializers.JSONField(required=False, help_text=_MATCHERS_HELP)
    close_on = serializers.JSONField(required=False, help_text=_MATCHERS_HELP)
    subject_path = serializers.CharField(max_length=100, required=False, allow_blank=True)
    audience_permission = serializers.CharField(max_length=80, required=False, allow_blank=True)
    audience_surgeon = serializers.BooleanField(required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    due = serializers.JSONField(required=False, help_text=_DUE_HELP)
    notify = serializers.BooleanField(required=False)
    position = serializers.IntegerField(required=False, min_value=0, max_value=1000)
    is_active = serializers.BooleanField(required=False)


class TodoRuleCreateInput(TodoRuleUpdateInput):
    key = serializers.SlugField(max_length=40)
    label = serializers.CharField(max_length=40)
    title_template = serializers.CharField(max_length=200)
    open_on = serializers.JSONField(help_text=_MATCHERS_HELP)
    hospital = serializers.UUIDField(required=False, help_text="Superusers only; others: their own hospital.")
