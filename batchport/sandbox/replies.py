"""How the sandbox answers: JSON replies and its one error envelope.

The published document shows two error shapes that disagree (a flat example with a string
``code`` in the prose, and the ``components.schemas.Error`` schema). The sandbox always uses the
schema, the only machine-readable one::

    {"code": 422, "status": "INVALID_ARGUMENT", "message": "...",
     "details": [{"type": "BadRequest",
                  "fieldViolations": [{"field": "phoneNumbers[3].endUser.zipCode",
                                       "description": "..."}]}]}

A 401 has an empty body, as published. docs/sandbox.md explains the choice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.background import BackgroundTask
from starlette.responses import Response

__all__ = ["ApiFailure", "Violation", "error_body", "json_reply"]

_STATUS_TEXT = {
    400: "INVALID_ARGUMENT",
    404: "NOT_FOUND",
    422: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


@dataclass(frozen=True)
class Violation:
    """One refused field; ``structural`` (missing or wrong type) answers 400, else 422."""

    field: str
    description: str
    structural: bool = False


class ApiFailure(Exception):
    """Raised inside a handler to answer with the error envelope.

    ``status`` is the HTTP status; ``violations`` become ``fieldViolations``.
    """

    def __init__(
        self,
        status: int,
        message: str,
        violations: tuple[Violation, ...] | list[Violation] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.violations = tuple(violations)
        self.headers = headers or {}

    @classmethod
    def invalid(cls, violations: list[Violation], message: str | None = None) -> ApiFailure:
        """400 when any violation is structural, else 422, with every violation listed."""
        status = 400 if any(v.structural for v in violations) else 422
        default = "The request is malformed" if status == 400 else "Invalid parameters"
        return cls(status, message or default, violations)

    @classmethod
    def not_found(cls, what: str) -> ApiFailure:
        """404 for a resource this project cannot see."""
        return cls(404, f"The resource is not found: {what}")

    def response(self, *, background: BackgroundTask | None = None) -> Response:
        """The reply carrying this failure (and any webhook deliveries to run after it)."""
        return json_reply(
            error_body(self.status, self.message, self.violations),
            self.status,
            headers=self.headers,
            background=background,
        )


def error_body(status: int, message: str, violations: tuple[Violation, ...] = ()) -> dict[str, Any]:
    """The envelope for ``status``; field violations go into a ``BadRequest`` detail."""
    details: list[dict[str, Any]] = []
    if violations:
        details.append(
            {
                "type": "BadRequest",
                "fieldViolations": [
                    {"field": v.field, "description": v.description} for v in violations
                ],
            }
        )
    return {
        "code": status,
        "status": _STATUS_TEXT.get(status, "UNKNOWN"),
        "message": message,
        "details": details,
    }


def json_reply(
    body: Any,
    status: int = 200,
    *,
    headers: dict[str, str] | None = None,
    background: BackgroundTask | None = None,
) -> Response:
    """A compact JSON response (faster than Starlette's JSONResponse for big orders)."""
    content = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(
        content, status, headers=headers, media_type="application/json", background=background
    )
