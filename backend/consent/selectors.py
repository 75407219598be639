"""Reads of the consent context: templates and their versions, consent documents (ward-scoped)."""

from audit.models import AuditAction, AuditEntry
from consent.models import ConsentDocument, ConsentTemplate
from org.scoping import scope_queryset


def consent_template_list():
    return ConsentTemplate.objects.select_related("hospital", "created_by", "published_by")


def consent_template_versions(template):
    """Every version of the template's form, newest first."""
    return consent_template_list().filter(hospital_id=template.hospital_id, code=template.code).order_by("-version")


def consent_template_history(template):
    """The audited changes of every version of the template's form, newest first."""
    ids = [str(u) for u in ConsentTemplate.objects.filter(hospital_id=template.hospital_id, code=template.code)
           .values_list("uuid", flat=True)]
    return AuditEntry.objects.filter(target_type=ConsentTemplate._meta.label_lower, action=AuditAction.CONFIG,
                                     target_id__in=ids).order_by("-occurred_at", "-id")


def consent_document_list(principal):
    """Consent documents of the wards the principal sees."""
    qs = ConsentDocument.objects.select_related(
        "ward", "patient", "case", "assessment", "template", "clinician", "voided_by", "created_by",
    )
    return scope_queryset(qs, principal)
