from audit.models import AuditEntry


def audit_entry_list():
    return AuditEntry.objects.all().order_by("-occurred_at", "-id")
