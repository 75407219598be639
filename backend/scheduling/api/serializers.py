from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import User
from cases.models import TheatreScheduleStatus
from catalog.models import Procedure
from org.models import Department, Hospital, Ward
from scheduling.conf import conf
from scheduling.models import ApplicationStatus, ExclusionKind, ScheduleExclusion, TheatreApplication
from scheduling.selectors import PROBLEM_MARKER, current_application, has_problem, marker_for


class ScheduleQuerySerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text=_("First day (default today)."))
    date_to = serializers.DateField(required=False, help_text=_("Last day (default: the first day)."))
    ward = serializers.UUIDField(required=False)
    surgeon = serializers.UUIDField(required=False)
    surgery_type = serializers.CharField(required=False, max_length=100, allow_blank=True,
                                         help_text=_("Procedure code, or part of the procedure name."))
    reg_no = serializers.CharField(required=False, max_length=40, allow_blank=True)
    status = serializers.CharField(required=False, allow_blank=True,
                                   help_text=_("Schedule states, comma-separated: scheduled, sent_not_scheduled, "
                                               "not_sent, not_to_be_scheduled."))

    def validate(self, attrs):
        first = attrs.get("date") or timezone.localdate()
        last = attrs.get("date_to") or first
        if last < first:
            raise serializers.ValidationError({"date_to": [_("The last day cannot be before the first day.")]})
        limit = conf("SCHEDULING_MAX_RANGE_DAYS")
        if (last - first).days + 1 > limit:
            raise serializers.ValidationError(
                {"date_to": [_("At most %(n)d days at a time.") % {"n": limit}]})
        attrs["date_from"], attrs["date_to"] = first, last
        statuses = [s.strip() for s in (attrs.get("status") or "").split(",") if s.strip()]
        unknown = [s for s in statuses if s not in TheatreScheduleStatus.values]
        if unknown:
            raise serializers.ValidationError({"status": [_("Unknown schedule state.")]})
        attrs["statuses"] = tuple(statuses)
        for name, model, message in (("ward", Ward, _("Unknown ward.")), ("surgeon", User, _("Unknown surgeon."))):
            if attrs.get(name) is not None:
                obj = model.objects.filter(uuid=attrs[name]).first()
                if obj is None:
                    raise serializers.ValidationError({name: [message]})
                attrs[name] = obj
        return attrs


class ScheduleMarkerSerializer(serializers.Serializer):
    key = serializers.CharField()
    symbol = serializers.CharField()
    colour = serializers.CharField()
    label = serializers.CharField()


class ScheduleRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()


class ScheduleRoomSerializer(serializers.Serializer):
    uuid = serializers.UUIDField(allow_null=True)
    code = serializers.CharField()
    name = serializers.CharField()


class ApplicationBriefSerializer(serializers.Serializer):
    application_no = serializers.CharField()
    status = serializers.ChoiceField(choices=ApplicationStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    last_synced_at = serializers.DateTimeField(allow_null=True)


class ScheduleRowSerializer(serializers.Serializer):
    """One operation on the schedule. Patient names are shown in full: the schedule is a clinical work list of
    one's own wards (as the theatre's printed list is)."""

    case = serializers.UUIDField(source="uuid")
    planned_date = serializers.DateField()
    planned_session = serializers.CharField()
    state = serializers.CharField()
    schedule_status = serializers.CharField(source="theatre_schedule_status")
    marker = serializers.SerializerMethodField()
    problem = serializers.SerializerMethodField()
    ward = serializers.SerializerMethodField()
    department = serializers.CharField(source="department.name")
    patient = serializers.SerializerMethodField()
    surgeon = serializers.SerializerMethodField()
    procedure_code = serializers.CharField()
    procedure_name = serializers.CharField()
    diagnosis_name = serializers.CharField()
    anaesthesia_method = serializers.CharField()
    room = serializers.SerializerMethodField()
    sequence = serializers.IntegerField(source="theatre_sequence", allow_null=True)
    scheduled_start = serializers.DateTimeField(allow_null=True)
    application = serializers.SerializerMethodField()

    def get_marker(self, case) -> ScheduleMarkerSerializer:
        return marker_for(case.theatre_schedule_status)

    def get_problem(self, case) -> ScheduleMarkerSerializer(allow_null=True):
        app = current_application(case)
        if not has_problem(app):
            return None
        return {"key": app.status, "symbol": PROBLEM_MARKER["symbol"], "colour": PROBLEM_MARKER["colour"],
                "label": f"{PROBLEM_MARKER['label']}: {app.get_status_display()}"}

    def get_ward(self, case) -> ScheduleRefSerializer:
        return {"uuid": case.ward.uuid, "name": case.ward.name}

    def get_patient(self, case) -> dict:
        p = case.patient
        return {"uuid": str(p.uuid), "name": p.name, "reg_no": p.reg_no, "sex": p.sex}

    def get_surgeon(self, case) -> ScheduleRefSerializer:
        return {"uuid": case.surgeon.uuid, "name": case.surgeon.name}

    def get_room(self, case) -> ScheduleRoomSerializer(allow_null=True):
        if case.theatre_room_id:
            room = case.theatre_room
            return {"uuid": room.uuid, "code": room.code, "name": room.name}
        app = current_application(case)
        if app is not None and app.theatre_room_code:
            return {"uuid": None, "code": app.theatre_room_code, "name": app.theatre_room_code}
        return None

    def get_application(self, case) -> ApplicationBriefSerializer(allow_null=True):
        app = current_application(case)
        return ApplicationBriefSerializer(app).data if app is not None else None


class ScheduleCountsSerializer(serializers.Serializer):
    scheduled = serializers.IntegerField()
    sent_not_scheduled = serializers.IntegerField()
    not_sent = serializers.IntegerField()
    not_to_be_scheduled = serializers.IntegerField()


class SchedulePageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    counts = ScheduleCountsSerializer()
    markers = ScheduleMarkerSerializer(many=True)
    results = ScheduleRowSerializer(many=True)


class TheatreApplicationSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = TheatreApplication
        fields = ["uuid", "application_no", "planned_date", "status", "status_label", "attempts", "next_attempt_at",
                  "last_error", "submitted_at", "theatre_scheduled_at", "withdrawn_at", "withdraw_reason",
                  "theatre_status", "theatre_room_code", "theatre_sequence", "scheduled_start", "revision",
                  "last_source", "last_synced_at", "created_at"]
        read_only_fields = fields


class CallbackAnswerSerializer(serializers.Serializer):
    application_no = serializers.CharField()
    outcome = serializers.CharField()


class CallbackBodySerializer(serializers.Serializer):
    """What the theatre posts (the adapter reads it: integrations.adapters.http_json.HttpTheatreAdapter)."""

    application_no = serializers.CharField(max_length=40)
    status = serializers.ChoiceField(choices=["received", "scheduled", "cancelled"])
    room = serializers.CharField(required=False, allow_blank=True)
    sequence = serializers.IntegerField(required=False, allow_null=True)
    scheduled_start = serializers.DateTimeField(required=False, allow_null=True)
    revision = serializers.IntegerField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_blank=True)


# --- exclusions ------------------------------------------------------------------------------------------------


class ExclusionSerializer(serializers.ModelSerializer):
    hospital = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    procedure = serializers.SerializerMethodField()
    department = serializers.SerializerMethodField()
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = ScheduleExclusion
        fields = ["uuid", "hospital", "kind", "procedure", "department", "reason", "is_active", "created_by",
                  "created_at", "updated_at"]
        read_only_fields = fields

    def get_procedure(self, e) -> dict | None:
        return {"uuid": str(e.procedure.uuid), "code": e.procedure.code, "name": e.procedure.name} if e.procedure_id \
            else None

    def get_department(self, e) -> dict | None:
        return {"uuid": str(e.department.uuid), "code": e.department.code, "name": e.department.name} \
            if e.department_id else None

    def get_created_by(self, e) -> str:
        return e.created_by.name if e.created_by_id else ""


class ExclusionCreateSerializer(serializers.Serializer):
    hospital = serializers.SlugRelatedField(slug_field="uuid", queryset=Hospital.objects.all(), required=False,
                                            help_text=_("Default: your own hospital."))
    kind = serializers.ChoiceField(choices=ExclusionKind.choices)
    procedure = serializers.SlugRelatedField(slug_field="uuid", queryset=Procedure.objects.all(), required=False,
                                             allow_null=True)
    department = serializers.SlugRelatedField(slug_field="uuid", queryset=Department.objects.all(), required=False,
                                              allow_null=True)
    reason = serializers.CharField(max_length=300)
    is_active = serializers.BooleanField(required=False, default=True)


class ExclusionUpdateSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False)
    is_active = serializers.BooleanField(required=False)


class ExclusionQuerySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ExclusionKind.choices, required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)
    hospital = serializers.SlugRelatedField(slug_field="uuid", queryset=Hospital.objects.all(), required=False)


# --- export layout ----------------------------------------------------------------------------------------------


class ExportColumnSerializer(serializers.Serializer):
    key = serializers.CharField()
    header = serializers.CharField(required=False, allow_blank=True)
    width = serializers.FloatField(required=False)


class ExportLayoutSerializer(serializers.Serializer):
    hospital = serializers.UUIDField(read_only=True, allow_null=True)
    title = serializers.CharField(max_length=100)
    columns = serializers.ListField(child=serializers.DictField(), help_text=_(
        "Ordered columns: {key, header, width}; keys from /theatre-schedule-export-fields/."))
    is_custom = serializers.BooleanField(read_only=True)


class ExportLayoutQuerySerializer(serializers.Serializer):
    hospital = serializers.SlugRelatedField(slug_field="uuid", queryset=Hospital.objects.all(), required=False)
