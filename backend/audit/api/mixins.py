"""Reusable pieces for other apps' views."""

from audit.services import audit_patient_read


class AuditedRetrieveMixin:
    """For a DRF detail view over patient data: every successful retrieve is an audit entry (action "read").

    Put it before the DRF mixins: `class CaseViewSet(AuditedRetrieveMixin, viewsets.ReadOnlyModelViewSet)`.
    `get_object` must already be scoped (org.scoping.get_scoped_or_404), so refusals never reach here.
    """

    audit_read_detail = ""

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        if 200 <= response.status_code < 300:
            audit_patient_read(request.user, self._audited_object, detail=self.audit_read_detail)
        return response

    def get_object(self):
        obj = super().get_object()
        self._audited_object = obj
        return obj
