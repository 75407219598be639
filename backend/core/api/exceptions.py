"""The single error envelope: {"error": {"code", "message", "fields"}}.

Every refusal — DRF validation, authentication, permissions, throttling, Django 404s and domain errors —
leaves the API in this shape, so clients parse one structure and branch on stable codes.
"""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import DomainError

logger = logging.getLogger(__name__)

_DRF_CODES = {
    exceptions.ValidationError: "validation_error",
    exceptions.ParseError: "parse_error",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
}


def error_body(code, message, fields=None, **extra):
    body = {"code": code, "message": str(message), "fields": fields or {}}
    body.update(extra)
    return {"error": body}


def _flatten(detail):
    """DRF error details → plain JSON (lists of strings, nested dicts for nested serializers)."""
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_flatten(v) for v in detail]
    return str(detail)


def _validation_fields(detail):
    if isinstance(detail, dict):
        return _flatten(detail)
    return {"non_field_errors": _flatten(detail if isinstance(detail, list) else [detail])}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        fields = {k: v if isinstance(v, list) else [str(v)] for k, v in exc.fields.items()}
        fields = {k: [str(m) for m in v] for k, v in fields.items()}
        return Response(error_body(exc.code, exc.message, fields, **exc.extra), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        else:
            fields = {"non_field_errors": [str(m) for m in exc.messages]}
        return Response(error_body("validation_error", _("The input is invalid."), fields), status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # unexpected: let Django log it as a server error
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    if isinstance(exc, exceptions.ValidationError):
        response.data = error_body(code, _("The input is invalid."), _validation_fields(exc.detail))
    else:
        detail = exc.detail if isinstance(exc.detail, str) else _flatten(exc.detail)
        if isinstance(detail, dict):
            # simplejwt puts {"detail": ..., "code": ..., "messages": [...]} here; keep its specific code
            message = detail.get("detail", _("The request was refused."))
            code = detail.get("code", code)
        else:
            message = detail
            specific = getattr(exc.detail, "code", None)
            if isinstance(exc, exceptions.PermissionDenied) and specific and specific != exc.default_code:
                code = specific  # a permission class's own stable code (e.g. "second_factor_required")
        response.data = error_body(code, message)
    if response.status_code == status.HTTP_401_UNAUTHORIZED and "WWW-Authenticate" not in response:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
