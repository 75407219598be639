"""Input and output serializers of the recovery API. The follow-up patient view reuses the other contexts' own
output serializers (stay record, lab and exam results, form responses, follow-up tree branch)."""

from rest_framework import serializers

from clinical.api.serializers import ClinicalExamReportSerializer, ClinicalLabResultSerializer
from followup.api.serializers import FollowupTreeBranchSerializer
from forms.api.serializers import ResponseSerializer
from recovery.models import PLAN_DAYS, ItemCategory, TreatmentPlanItem, TreatmentPlanVersion
from stay.api.serializers import StayRecordSerializer


class TreatmentPlanItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = TreatmentPlanItem
        fields = ["category", "day_from", "day_to", "title", "instructions", "drug_name", "dose", "route", "frequency"]
        read_only_fields = fields


class RecoveryStaffRefSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()


class TreatmentPlanVersionSerializer(serializers.ModelSerializer):
    items = TreatmentPlanItemSerializer(many=True)
    created_by = RecoveryStaffRefSerializer(allow_null=True)
    published_by = RecoveryStaffRefSerializer(allow_null=True)

    class Meta:
        model = TreatmentPlanVersion
        fields = ["uuid", "number", "status", "note", "items", "created_by", "created_at", "updated_at",
                  "published_at", "published_by"]
        read_only_fields = fields


class TreatmentPlanVersionBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = TreatmentPlanVersion
        fields = ["uuid", "number", "status", "created_at", "published_at"]
        read_only_fields = fields


class SuggestedItemSerializer(serializers.Serializer):
    category = serializers.ChoiceField(choices=ItemCategory.choices)
    day_from = serializers.IntegerField()
    day_to = serializers.IntegerField()
    title = serializers.CharField()
    instructions = serializers.CharField()
    drug_name = serializers.CharField()
    dose = serializers.CharField()
    route = serializers.CharField()
    frequency = serializers.CharField()


class TreatmentPlanSerializer(serializers.Serializer):
    """The staff view of a case's plan: the published version, the draft, the history and (without any version) a
    suggestion to start from."""

    case = serializers.UUIDField()
    plan = serializers.UUIDField(allow_null=True)
    start_date = serializers.DateField(allow_null=True, help_text="Day 1: the day after the discharge.")
    latest_version = serializers.IntegerField(help_text="Send it back as base_version when saving (0: none yet).")
    published = TreatmentPlanVersionSerializer(allow_null=True)
    draft = TreatmentPlanVersionSerializer(allow_null=True)
    version = TreatmentPlanVersionSerializer(allow_null=True, help_text="The version asked for with ?version=.")
    versions = TreatmentPlanVersionBriefSerializer(many=True)
    suggestion = SuggestedItemSerializer(many=True)


class TreatmentPlanQuerySerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1)


class TreatmentPlanItemInput(serializers.Serializer):
    category = serializers.ChoiceField(choices=ItemCategory.choices)
    day_from = serializers.IntegerField(min_value=1, max_value=PLAN_DAYS)
    day_to = serializers.IntegerField(min_value=1, max_value=PLAN_DAYS)
    title = serializers.CharField(max_length=100)
    instructions = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    drug_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    dose = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    route = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    frequency = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class TreatmentPlanInput(serializers.Serializer):
    items = TreatmentPlanItemInput(many=True, allow_empty=False, max_length=60)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    base_version = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None,
                                            help_text="The latest version you saw (latest_version); 409 if another.")
    publish = serializers.BooleanField(required=False, default=False, help_text="Save and publish at once.")


class TreatmentPlanPublishInput(serializers.Serializer):
    base_version = serializers.IntegerField(min_value=0, required=False, allow_null=True, default=None)


# --- the patient's view -----------------------------------------------------------------------------------------


class MyPlanItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = TreatmentPlanItem
        fields = ["category", "title", "instructions", "drug_name", "dose", "route", "frequency", "day_from",
                  "day_to"]
        read_only_fields = fields


class MyPlanDaySerializer(serializers.Serializer):
    day = serializers.IntegerField()
    date = serializers.DateField(allow_null=True)
    items = MyPlanItemSerializer(many=True)


class MyTreatmentPlanSerializer(serializers.Serializer):
    case = serializers.UUIDField()
    version = serializers.IntegerField()
    published_at = serializers.DateTimeField()
    note = serializers.CharField()
    start_date = serializers.DateField(allow_null=True)
    days = MyPlanDaySerializer(many=True)
    warning_signs = MyPlanItemSerializer(many=True)


# --- the follow-up patient view (SA8) -----------------------------------------------------------------------------


class FollowupViewPatientSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    name = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    age = serializers.IntegerField(allow_null=True)
    phone = serializers.CharField()
    reg_no = serializers.CharField()


class FollowupViewCaseSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    state = serializers.CharField()
    procedure_name = serializers.CharField()
    diagnosis_name = serializers.CharField()
    anaesthesia_method = serializers.CharField()
    planned_date = serializers.DateField(allow_null=True)
    admitted_at = serializers.DateTimeField(allow_null=True)
    discharged_at = serializers.DateTimeField(allow_null=True)
    surgeon = serializers.CharField(source="surgeon.name")
    ward = serializers.CharField(source="ward.name")
    companion_name = serializers.CharField()
    companion_phone = serializers.CharField()


class FollowupPatientViewSerializer(serializers.Serializer):
    patient = FollowupViewPatientSerializer()
    case = FollowupViewCaseSerializer()
    stay = StayRecordSerializer(help_text="The day of surgery: admission, theatre times, complications, discharge "
                                          "with its instructions.")
    lab_results = ClinicalLabResultSerializer(many=True)
    abnormal_lab_results = ClinicalLabResultSerializer(many=True)
    exam_reports = ClinicalExamReportSerializer(many=True)
    treatment_plan = TreatmentPlanVersionSerializer(allow_null=True, help_text="The published version.")
    treatment_plan_draft = TreatmentPlanVersionSerializer(allow_null=True)
    recovery_answers = ResponseSerializer(many=True)
    followup = FollowupTreeBranchSerializer(allow_null=True)




# --- the recovery worklist ------------------------------------------------------------------------------------------


class RecoveryListQuerySerializer(serializers.Serializer):
    ward = serializers.UUIDField(required=False)
    days = serializers.IntegerField(required=False, min_value=1, max_value=90, default=PLAN_DAYS,
                                    help_text="Discharged in the last n days (default 7).")
    plan = serializers.ChoiceField(choices=["none", "draft", "published"], required=False,
                                   help_text="none: no plan yet; draft: a draft waits; published: the patient has one.")
    abnormal = serializers.BooleanField(required=False, allow_null=True, default=None,
                                        help_text="The latest recovery answer was abnormal.")


class RecoveryListRowSerializer(serializers.Serializer):
    case = serializers.UUIDField(source="uuid")
    patient = serializers.SerializerMethodField()
    ward = serializers.CharField(source="ward.name")
    procedure_name = serializers.CharField()
    surgeon = serializers.CharField(source="surgeon.name")
    discharged_at = serializers.DateTimeField()
    day_after_discharge = serializers.IntegerField(allow_null=True)
    plan_version = serializers.IntegerField(allow_null=True, help_text="The published version (null: none).")
    plan_draft = serializers.BooleanField()
    last_answer_at = serializers.DateTimeField(allow_null=True)
    last_answer_abnormal = serializers.BooleanField(allow_null=True)
    open_todos = serializers.IntegerField()

    def get_patient(self, obj) -> dict:
        return {"uuid": str(obj.patient.uuid), "name": obj.patient.name, "sex": obj.patient.sex}
