"""Refusals of the consent context. Codes are stable: clients branch on them."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError, InvalidInput


class ConsentStateConflict(Conflict):
    """The consent is not in a state that allows this step (e.g. the patient signs before the clinician)."""

    default_code = "consent_state_conflict"
    default_message = _("The consent is not in a state that allows this step.")


class ConsentAlreadyOpen(Conflict):
    default_code = "consent_already_open"
    default_message = _("A consent of this form is already open for the assessment; void it first.")


class NoApplicableTemplate(DomainError):
    status_code = 409
    default_code = "no_consent_template"
    default_message = _("The hospital has no published consent template for this procedure.")


class TemplateNotEditable(Conflict):
    default_code = "consent_template_not_editable"
    default_message = _("A retired consent template cannot be changed.")


class TemplateStateConflict(Conflict):
    default_code = "consent_template_state_conflict"
    default_message = _("The consent template is not in a state that allows this step.")


class InvalidSignatureImage(InvalidInput):
    default_code = "invalid_signature_image"
    default_message = _("The signature image was refused.")


class StoredDocumentMismatch(Conflict):
    """The stored PDF no longer matches the hash recorded when it was generated: nobody may sign it."""

    default_code = "consent_document_tampered"
    default_message = _("The stored consent document does not match its recorded hash.")
