"""The one place outbound calls are made: timeout, retries with exponential backoff, idempotency key, call log.

`run_call` wraps any callable (an HTTP request, a wechatpy/firebase/boto3 call): it retries only transient
failures (connection errors, timeouts, 5xx), never a refusal (4xx) — a refusal will not change on retry and
repeating it can double an effect. The same idempotency key goes with every attempt, so a remote system that
did act on a request whose answer we lost can recognise the retry. One `ExternalCall` row is written per
logical call with the attempt count, the final outcome and a summary that holds no secrets or personal data.

`HttpClient` is the JSON-over-HTTP face of it used by the FHIR and HTTP/JSON adapters.

Outbound calls are meant to run in Celery tasks after commit (ARCHITECTURE.md); the log row is written in a
savepoint so a logging failure never breaks the caller's transaction, but a row written inside a transaction
that later rolls back is lost with it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import requests
from django.db import DatabaseError, transaction
from django.utils.translation import gettext_lazy as _

from core.errors import ExternalServiceError

from .conf import CallPolicy, base_url, call_policy
from .models import CallStatus, ExternalCall

logger = logging.getLogger(__name__)

IDEMPOTENCY_HEADER = "Idempotency-Key"
# Parameter/summary keys whose values identify a person or are secrets: logged as "***".
_SENSITIVE = ("phone", "mobile", "id_number", "idcard", "identifier", "telecom", "name", "secret", "token",
              "password", "code", "openid", "unionid", "touser", "key", "signature", "address", "birth", "params", "data")
_MASK = "***"
# In free text (exception messages, remote answers): a URL's query string carries search values, access tokens
# and app secrets (wechatpy puts `secret=` / `access_token=` there; urllib3 repeats the full URL in its errors);
# an 18-character ID number or an 11-digit mobile number may be echoed anywhere.
_QUERY = re.compile(r"(\?|%3F)[^\s'\"()<>]*", re.IGNORECASE)
_PERSONAL_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|1[3-9]\d{9})(?![0-9A-Za-z])")


@dataclass(frozen=True)
class Failure:
    """How an exception counts: its log status, the HTTP status if any, and whether to try again."""

    status: str
    transient: bool
    http_status: int | None = None
    remote_code: str = ""  # the remote system's own error code (e.g. WeChat errcode 40029), for callers


class RemoteError(Exception):
    """An HTTP answer that is a failure (raised inside run_call so it can be classified and retried)."""

    def __init__(self, response: requests.Response):
        self.response = response
        # Not the body: a remote answer may echo the names and numbers we searched for, and this text is logged.
        super().__init__(f"HTTP {response.status_code} {response.reason or ''}".rstrip())


# 4xx answers that mean "not now" rather than "never": retried like a 5xx (callers treat a 4xx as a refusal for good).
TRY_AGAIN_LATER = frozenset({408, 425, 429})


def classify_requests_error(exc: Exception) -> Failure | None:
    if isinstance(exc, RemoteError):
        code = exc.response.status_code
        if code >= 500 or code in TRY_AGAIN_LATER:
            return Failure(CallStatus.SERVER_ERROR, True, code)
        return Failure(CallStatus.CLIENT_ERROR, False, code)
    if isinstance(exc, requests.Timeout):
        return Failure(CallStatus.TIMEOUT, True)
    if isinstance(exc, requests.ConnectionError):
        return Failure(CallStatus.NETWORK_ERROR, True)
    return None


class TimeoutSession(requests.Session):
    """A requests session with a default timeout and extra headers, for libraries that make their own calls
    (wechatpy does not pass a timeout when it fetches an access token)."""

    def __init__(self, *, timeout: float, headers: dict | None = None):
        super().__init__()
        self.default_timeout = timeout
        self.headers.update(headers or {})

    def request(self, method, url, **kwargs):
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, **kwargs)


def redact(value, key: str = ""):
    """Mask values under sensitive keys, recursively; keep structure so the summary still says what was sent."""
    lowered = key.lower()
    if lowered and any(word in lowered for word in _SENSITIVE):
        return _MASK
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, key) for v in value]
    return value


def scrub(text: str) -> str:
    """Free text fit for a log: URL query strings dropped, ID and mobile numbers masked."""
    return _PERSONAL_NUMBER.sub(_MASK, _QUERY.sub("?" + _MASK, text))


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def _write_log(**fields) -> None:
    try:
        with transaction.atomic():
            ExternalCall.objects.create(**fields)
    except DatabaseError:
        logger.exception("could not write the external call log for %s.%s", fields["port"], fields["operation"])


def run_call(*, port: str, operation: str, fn: Callable[[int], object],
             classify: Callable[[Exception], Failure | None] = classify_requests_error,
             policy: CallPolicy | None = None, idempotency_key: str = "", summary: dict | None = None,
             ok_http_status: Callable[[object], int | None] = lambda result: None,
             sleep: Callable[[float], None] = time.sleep):
    """Call `fn(attempt)` until it succeeds, fails permanently, or attempts run out; log once; return its result.

    Exceptions `classify` does not recognise are bugs, not remote failures: logged and re-raised unchanged.
    Remote failures become `ExternalServiceError` (the API renders 502) with the original as __cause__.
    """
    policy = policy or call_policy(port)
    started = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        try:
            result = fn(attempt)
        except Exception as exc:
            failure = classify(exc)
            if failure is not None and failure.transient and attempt < policy.attempts:
                logger.warning("%s.%s attempt %s failed (%s); retrying", port, operation, attempt, scrub(repr(exc)))
                sleep(policy.delay(attempt))
                continue
            _write_log(port=port, operation=operation, idempotency_key=idempotency_key,
                       request_summary=redact(summary or {}),
                       status=failure.status if failure else CallStatus.SERVER_ERROR,
                       http_status=failure.http_status if failure else None,
                       duration_ms=int((time.monotonic() - started) * 1000), attempts=attempt,
                       error=(f"[{failure.remote_code}] " if failure and failure.remote_code else "") + scrub(repr(exc))[:2000])
            if failure is None:
                raise
            raise ExternalServiceError(
                _("A hospital system did not answer correctly; please try again later."),
                code="external_rejected" if failure.status == CallStatus.CLIENT_ERROR else "external_unavailable",
                extra={"port": port, "operation": operation, "http_status": failure.http_status,
                       "remote_code": failure.remote_code},
            ) from exc
        _write_log(port=port, operation=operation, idempotency_key=idempotency_key,
                   request_summary=redact(summary or {}), status=CallStatus.OK,
                   http_status=ok_http_status(result), duration_ms=int((time.monotonic() - started) * 1000),
                   attempts=attempt, error="")
        return result


class HttpClient:
    """JSON over HTTP for one port, every request through `run_call`.

    `accept` lists 4xx statuses the adapter interprets itself (typically 404 → "none"); any other 4xx raises
    ExternalServiceError(code="external_rejected") without a retry.
    """

    def __init__(self, port: str, *, base: str | None = None, policy: CallPolicy | None = None,
                 headers: dict | None = None, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        self.port = port
        self.base = (base or base_url(port)).rstrip("/")
        self.policy = policy or call_policy(port)
        self.session = session or requests.Session()
        self.session.headers.update({"Accept": "application/json", **(headers or {})})
        self.sleep = sleep

    def request(self, method: str, path: str, *, operation: str, json=None, params=None,
                idempotency_key: str | None = None, summary: dict | None = None,
                accept: tuple[int, ...] = (), headers: dict | None = None) -> requests.Response:
        key = idempotency_key or new_idempotency_key()
        url = path if path.startswith(("http://", "https://")) else self.base + path
        call_headers = {IDEMPOTENCY_HEADER: key, **(headers or {})}

        def attempt(_n):
            response = self.session.request(method, url, json=json, params=params, headers=call_headers,
                                            timeout=self.policy.timeout)
            if response.status_code >= 400 and response.status_code not in accept:
                raise RemoteError(response)
            return response

        return run_call(
            port=self.port, operation=operation, fn=attempt, policy=self.policy, idempotency_key=key,
            summary={"method": method, "path": scrub(path), "query": redact(params or {}), **(summary or {})},
            ok_http_status=lambda r: r.status_code, sleep=self.sleep,
        )

    def get(self, path, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def delete(self, path, **kwargs) -> requests.Response:
        return self.request("DELETE", path, **kwargs)
