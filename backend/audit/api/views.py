"""The audit log, read-only, for holders of `audit.view` (item 8). There is no route that changes it."""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from accounts.permissions import requires
from audit import selectors
from audit.api.filters import AuditEntryFilter
from audit.models import AuditEntry
from audit.permissions import VIEW_AUDIT


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = (
            "id", "occurred_at", "actor_type", "actor_id", "actor_name", "action", "target_type", "target_id",
            "target_repr", "before", "after", "success", "detail", "ip", "request_id",
        )
        read_only_fields = fields


@extend_schema(tags=["audit"])
class AuditEntryListView(generics.ListAPIView):
    """Audit entries, newest first; filter by actor, action, target and time range."""

    permission_classes = [requires(VIEW_AUDIT.slug)]
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilter

    def get_queryset(self):
        return selectors.audit_entry_list()
