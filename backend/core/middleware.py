"""Remembers the client address and request id for the audit log and outbound call log."""

import contextvars
import uuid

_request_context = contextvars.ContextVar("request_context", default=None)


def client_ip(request):
    # Behind the hospital's reverse proxy the first X-Forwarded-For entry is the client.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip()[:45] or None
    return request.META.get("REMOTE_ADDR") or None


def current_request_context():
    """{"ip", "request_id", "user_agent"} of the request being served, or None outside a request."""
    return _request_context.get()


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ctx = {
            "ip": client_ip(request),
            "request_id": request.META.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        }
        token = _request_context.set(ctx)
        try:
            response = self.get_response(request)
        finally:
            _request_context.reset(token)
        response["X-Request-ID"] = ctx["request_id"]
        return response
