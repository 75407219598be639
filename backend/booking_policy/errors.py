"""Refusals of the booking policy. Codes are stable: booking clients branch on them."""

from django.utils.translation import gettext_lazy as _

from core.errors import DomainError, NotAllowed


class AdmissionRefused(DomainError):
    """A booking fails an admission rule; `extra` names the rule ({"id", "name", "level"}) and the reason."""

    default_code = "admission_refused"
    default_message = _("The booking does not meet the admission rules.")


class BookingModeNotAuthorised(NotAllowed):
    default_code = "booking_mode_not_authorised"
    default_message = _("You are not authorised to book in this mode.")
