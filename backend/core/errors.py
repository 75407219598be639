"""One error type for domain refusals; the API exception handler renders it into the error envelope.

Codes are stable identifiers that native clients branch on; messages are translatable (Chinese by default).
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status_code = 400
    default_code = "domain_error"
    default_message = _("The request was refused.")

    def __init__(self, message=None, *, code=None, fields=None, status_code=None, extra=None):
        self.code = code or self.default_code
        self.message = message if message is not None else self.default_message
        self.fields = fields or {}
        self.extra = extra or {}
        if status_code is not None:
            self.status_code = status_code
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    default_code = "invalid"
    default_message = _("The input is invalid.")


class NotAllowed(DomainError):
    status_code = 403
    default_code = "permission_denied"
    default_message = _("You do not have permission to perform this action.")


class NotFound(DomainError):
    status_code = 404
    default_code = "not_found"
    default_message = _("Not found.")


class Conflict(DomainError):
    status_code = 409
    default_code = "conflict"
    default_message = _("The record was changed by someone else; reload and try again.")


class RateLimited(DomainError):
    status_code = 429
    default_code = "rate_limited"
    default_message = _("Too many requests; please try again later.")


class ExternalServiceError(DomainError):
    status_code = 502
    default_code = "external_service_error"
    default_message = _("A hospital system did not answer correctly; please try again later.")
