"""Refusals of the booking flow. Codes are stable (clients branch on them); messages are translated."""

from django.utils.translation import gettext_lazy as _

from core.errors import Conflict, DomainError


class SignatureRefused(DomainError):
    """A HIS launch request that is unsigned, wrongly signed, stale or replayed."""

    status_code = 401
    default_code = "signature_invalid"
    default_message = _("The request signature is missing or invalid.")


class LaunchTicketRefused(DomainError):
    status_code = 401
    default_code = "launch_ticket_invalid"
    default_message = _("This booking link is invalid, expired or already used; open it again from the HIS.")


class NotADraft(Conflict):
    default_code = "not_a_draft"
    default_message = _("Only a booking draft can be changed here.")
