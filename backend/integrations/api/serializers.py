from rest_framework import serializers

from integrations.models import ExternalCall


class ExternalCallOutput(serializers.ModelSerializer):
    class Meta:
        model = ExternalCall
        fields = ["uuid", "port", "operation", "idempotency_key", "request_summary", "status", "http_status",
                  "duration_ms", "attempts", "error", "created_at"]
        read_only_fields = fields
