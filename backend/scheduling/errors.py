"""Refusals of the scheduling context. Codes are stable (clients branch on them); messages are translated."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError


class CallbackSignatureRefused(DomainError):
    """A theatre callback that is unsigned, wrongly signed, stale or replayed."""

    status_code = 401
    default_code = "signature_invalid"
    default_message = _("The request signature is missing or invalid.")


class UnknownApplication(DomainError):
    status_code = 404
    default_code = "unknown_application"
    default_message = _("No surgery application has this number.")


class NothingToResubmit(Conflict):
    default_code = "nothing_to_resubmit"
    default_message = _("This case has no surgery application waiting to be sent again.")


class ExportTooLarge(DomainError):
    default_code = "export_too_large"
    default_message = _("Too many operations to export at once; narrow the dates or filters.")
