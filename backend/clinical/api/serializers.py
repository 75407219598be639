from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from clinical.models import ExamKind, ExamReport, LabReport, LabResult


class ClinicalLabReportSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = LabReport
        fields = ["uuid", "report_no", "visit_no", "panel_code", "name", "issued_at", "fetched_at"]


class ClinicalLabResultSerializer(serializers.ModelSerializer):
    report = ClinicalLabReportSummarySerializer(read_only=True)
    reference_range = serializers.CharField(read_only=True)
    arrow_symbol = serializers.CharField(read_only=True)
    abnormal = serializers.BooleanField(read_only=True)
    critical = serializers.BooleanField(read_only=True)

    class Meta:
        model = LabResult
        fields = ["uuid", "report", "code", "name", "value", "numeric_value", "unit", "ref_low", "ref_high",
                  "ref_text", "reference_range", "flag", "arrow", "arrow_symbol", "abnormal",
                  "critical"]


class ClinicalExamReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExamReport
        fields = ["uuid", "visit_no", "report_no", "kind", "code", "name", "findings", "conclusion", "abnormal",
                  "issued_at", "fetched_at"]


class ClinicalLabResultQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100,
                              help_text=_("Item name or code, or report name"))
    abnormal = serializers.BooleanField(required=False, default=False, help_text=_("Only abnormal results"))
    visit_no = serializers.CharField(required=False, allow_blank=True, max_length=40,
                                     help_text=_("Visit number; the case's visit when left out"))


class ClinicalExamReportQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=100)
    kind = serializers.ChoiceField(required=False, choices=ExamKind.choices)
    visit_no = serializers.CharField(required=False, allow_blank=True, max_length=40)


class ClinicalResultsRefreshInputSerializer(serializers.Serializer):
    visit_no = serializers.CharField(required=False, allow_blank=True, max_length=40,
                                     help_text=_("Visit number; the case's visit when left out"))


class ClinicalResultsRefreshResultSerializer(serializers.Serializer):
    labs = serializers.IntegerField()
    exams = serializers.IntegerField()
    conflicts = serializers.IntegerField()


class ClinicalExamImageSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    title = serializers.CharField()
    content_type = serializers.CharField()
    status = serializers.CharField(help_text=_("stored, too_large, unsupported or failed"))
    status_display = serializers.CharField()
    declared_size = serializers.IntegerField(allow_null=True)
    size_bytes = serializers.IntegerField(allow_null=True)
    taken_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField(allow_null=True, help_text=_("Short-lived link to the stored copy; null when not stored"))


class ClinicalExamImagesSerializer(serializers.Serializer):
    report = serializers.UUIDField()
    synced_at = serializers.DateTimeField(allow_null=True)
    sync_error = serializers.CharField(allow_blank=True, help_text=_("Why the PACS could not be asked this time"))
    max_bytes = serializers.IntegerField(help_text=_("Transfer limit per image"))
    url_expires_in = serializers.IntegerField()
    images = ClinicalExamImageSerializer(many=True)


class ClinicalExamImagesQuerySerializer(serializers.Serializer):
    refresh = serializers.BooleanField(required=False, default=False,
                                       help_text=_("Ask the PACS again for the report's images"))
