"""Remembers the client address and request id for the audit log and outbound call log."""

import contextvars
import uuid

from django.conf import settings

_request_context = contextvars.ContextVar("request_context", default=None)


def client_ip(request):
    """The client's address for the audit log and the per-address OTP limits.

    X-Forwarded-For is written by the client as much as by proxies, so only the hops appended by the
    reverse proxies we run (settings.TRUSTED_PROXY_COUNT, 0 = none) are believed: behind N proxies the
    client is the N-th entry from the right. With no trusted proxy the header is ignored.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    if len(hops) < proxies:
        return remote  # the request did not come through every proxy
    return hops[-proxies][:45]


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
