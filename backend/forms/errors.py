"""Refusals of the forms context. Codes are stable: clients branch on them."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError


class FormNotYetAvailable(DomainError):
    status_code = 409
    default_code = "form_not_yet_available"
    default_message = _("This form cannot be filled in yet.")


class FormAlreadyCompleted(Conflict):
    default_code = "form_already_completed"
    default_message = _("This form has already been completed; staff can reopen it if it must be answered again.")


class FormWithdrawn(Conflict):
    default_code = "form_withdrawn"
    default_message = _("This form has been withdrawn.")


class FormNotCompleted(Conflict):
    default_code = "form_not_completed"
    default_message = _("Only a completed form can be reopened.")


class FormNotOpen(Conflict):
    default_code = "form_not_open"
    default_message = _("Only a form that is still open can be withdrawn.")


class FormNotPublished(Conflict):
    default_code = "form_not_published"
    default_message = _("This form has no published version or is switched off.")


class FormCodeTaken(Conflict):
    default_code = "form_code_taken"
    default_message = _("Your hospital already has a form with this code.")
