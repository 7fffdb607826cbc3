"""The one place that turns httpx failures and HTTP error responses into batchport errors.

The service's error bodies come in several shapes and all are understood here:

- flat, as in the published examples: ``{"code": "422", "error": "...", "message": "...",
  "details": {"fieldViolations": [{"field": ..., "description": ...}]}}``
- flat, as in the published ``Error`` schema: ``{"code": 400, "status": "INVALID_ARGUMENT",
  "message": "...", "details": [{"type": "BadRequest", "fieldViolations": [...]}]}``
- either of those wrapped in ``{"error": {...}}``
- an empty or non-JSON body (401 is always empty): the status code alone decides.

The service's words reach messages and field violations only through
:func:`batchport.redaction.scrub`: a service quoting the request's PINs, account numbers or the
access key back shows them masked in every error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from batchport.errors import (
    ApiError,
    ApiRejected,
    AuthError,
    FieldViolation,
    RetriesExhausted,
    TransientApiError,
)
from batchport.redaction import scrub

__all__ = [
    "RETRYABLE_STATUSES",
    "RetryableStatus",
    "TransportFailure",
    "error_from_response",
    "error_from_token_response",
    "error_from_transport",
    "json_body",
    "maybe_committed",
    "nothing_committed",
    "parse_error_body",
    "parse_retry_after",
    "token_service",
]

#: Statuses worth sending the same request again for.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

# httpx failures raised before any byte of the request left this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


class RetryableStatus(TransientApiError):
    """A 429 or 5xx answer; ``retry_after`` is the service's requested wait in seconds, if any."""

    def __init__(self, message: str, *, status: int, operation: str, retry_after: float | None):
        super().__init__(message, status=status, operation=operation)
        self.retry_after = retry_after


class TransportFailure(TransientApiError):
    """No answer arrived. ``request_sent`` is False only when the request surely never left."""

    def __init__(self, message: str, *, operation: str, request_sent: bool):
        super().__init__(message, status=None, operation=operation)
        self.request_sent = request_sent


def _violations(details: object) -> list[FieldViolation]:
    """Field violations from a ``details`` object or a list of detail objects."""
    items = details if isinstance(details, list) else [details]
    found: list[FieldViolation] = []
    for item in items:
        if not isinstance(item, Mapping):
            continue
        for violation in item.get("fieldViolations") or ():
            if isinstance(violation, Mapping):
                found.append(
                    FieldViolation(
                        field=scrub(str(violation.get("field") or "")),
                        description=scrub(str(violation.get("description") or "")),
                    )
                )
    return found


def parse_error_body(content: bytes) -> tuple[str, tuple[FieldViolation, ...]]:
    """Read an error body of any known shape.

    Takes the raw body; returns the service's message ("" when there is none) and the field
    violations (empty when there are none), every secret known to the process masked in both.
    Never raises.
    """
    try:
        data: Any = json.loads(content) if content.strip() else None
    except (ValueError, UnicodeDecodeError):
        return "", ()
    if not isinstance(data, Mapping):
        return "", ()
    if isinstance(data.get("error"), Mapping):
        data = data["error"]
    message = data.get("message") or data.get("error") or data.get("status") or ""
    violations = _violations(data.get("details"))
    violations.extend(_violations(data))
    return scrub(str(message).strip()), tuple(violations)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), or None."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _describe(operation: str, status: int, message: str) -> str:
    detail = f": {message}" if message else ""
    return f"{operation} failed with HTTP {status}{detail}"


def error_from_response(response: httpx.Response, operation: str) -> ApiError:
    """The batchport error for an unsuccessful response (the caller raises it).

    401/403 → AuthError, 429/500/502/503/504 → RetryableStatus, other 4xx → ApiRejected with
    the field violations, anything else → ApiError.
    """
    return _mapped(response, operation, operation)


def _mapped(response: httpx.Response, operation: str, shown: str) -> ApiError:
    """:func:`error_from_response`, naming the failed call ``shown`` in the message."""
    status = response.status_code
    message, violations = parse_error_body(response.content)
    if status in (401, 403):
        return AuthError(
            f"{shown}: Sinch refused the credentials (HTTP {status}); check the project id "
            "and SINCH_KEY_ID/SINCH_KEY_SECRET or SINCH_ACCESS_TOKEN",
            status=status,
            operation=operation,
        )
    if status in RETRYABLE_STATUSES:
        return RetryableStatus(
            _describe(shown, status, message),
            status=status,
            operation=operation,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
    if 400 <= status < 500:
        return ApiRejected(
            _describe(shown, status, message),
            status=status,
            operation=operation,
            violations=violations,
        )
    return ApiError(_describe(shown, status, message), status=status, operation=operation)


def error_from_token_response(response: httpx.Response, operation: str) -> ApiError:
    """The batchport error for an unsuccessful answer of the OAuth2 token endpoint.

    OAuth2 services refuse a bad client with 400 (``invalid_client``) as often as with 401,
    so 400/401/403 are an AuthError naming the key variables; anything else is mapped as for
    any call (:func:`error_from_response`). Every message names the token service's URL, so a
    user knows which service failed.
    """
    status = response.status_code
    shown = f"{operation} ({token_service(response)})"
    if status in (400, 401, 403):
        message, _ = parse_error_body(response.content)
        detail = f": {message}" if message else ""
        return AuthError(
            f"{shown} refused the access key (HTTP {status}{detail}); "
            "check SINCH_KEY_ID and SINCH_KEY_SECRET",
            status=status,
            operation=operation,
        )
    return _mapped(response, operation, shown)


def token_service(answered: httpx.Response | httpx.Request) -> str:
    """Where a token request (or its answer) went, for messages: "the token service <URL>"."""
    try:
        request = answered.request if isinstance(answered, httpx.Response) else answered
    except RuntimeError:  # an answer made without its request (unit tests)
        return "the token service"
    return f"the token service {scrub(str(request.url.copy_with(query=None, fragment=None)))}"


def error_from_transport(
    exc: httpx.HTTPError, operation: str, service: str = "the Porting API"
) -> TransportFailure:
    """The batchport error for an httpx failure in which no response arrived from ``service``."""
    kind = type(exc).__name__
    reason = scrub(str(exc) or kind)
    return TransportFailure(
        f"{operation}: no answer from {service} ({kind}: {reason})",
        operation=operation,
        request_sent=not isinstance(exc, _NOT_SENT),
    )


def nothing_committed(exc: BaseException) -> bool:
    """True when a failed write surely had no effect: a 429, or a request that never left."""
    if isinstance(exc, RetryableStatus):
        return exc.status == 429
    return isinstance(exc, TransportFailure) and not exc.request_sent


def maybe_committed(exc: ApiError) -> bool:
    """True when a failed create may still have created the order.

    That is a request that left and got no answer, a 5xx, or a success whose body could not
    be read (the order exists, but its id is unknown).
    """
    cause = exc.__cause__ if isinstance(exc, RetriesExhausted) else exc
    if isinstance(cause, TransportFailure):
        return cause.request_sent
    status = cause.status if isinstance(cause, ApiError) else None
    return status is not None and (status >= 500 or 200 <= status < 300)


def json_body(response: httpx.Response, operation: str) -> Any:
    """The parsed body of a successful answer (None when empty); ApiError when unreadable."""
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        raise ApiError(
            f"{operation}: the Porting API answered HTTP {response.status_code} with a body "
            "that is not JSON",
            status=response.status_code,
            operation=operation,
        ) from None
