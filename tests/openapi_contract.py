"""Check requests, responses and webhooks against Sinch's published Porting API document.

The document (``sinch-porting-openapi.yaml``, see ``tests/conftest.py``) is loaded once and never
edited; its known quirks are handled here instead:

* Error bodies. The document shows two error shapes that disagree and no operation references
  either. The sandbox answers every error except 401 with the ``components.schemas.Error`` shape
  (``{code: int, status, message, details: [...]}``, see docs/sandbox.md), so error bodies are
  validated against that schema plus the rules of :func:`check_error_envelope`. A 401 has an
  empty body.
* ``PhoneNumberMinItem`` names two required fields (``phoneNumber``, ``endUser``) but builds
  on ``PhoneNumberItem``, whose own list adds ``portOutInfo``; we follow the shorter list, so
  the in-memory copy drops ``portOutInfo`` from ``PhoneNumberItem.required``.
* ``orderId`` is a number on some paths and a string on others: path parameters are not
  type-checked (any segment matches a template), and webhook ``orderId`` must be a digit
  string.
* Only the success code of each operation is published: a success status other than the
  published one fails; an error status is checked against the error envelope.

Use :func:`load_contract` with the ``openapi_path`` fixture, or the module-level
``validate_request`` / ``validate_response`` / ``validate_webhook``. Where the document is
absent, :func:`require_contract` skips the calling test with a message naming the path, except
under CI (``CI=true``), where it fails it: CI must never pass without checking the contract.
Each raises ``ContractViolation`` (an ``AssertionError``) on a mismatch.
"""

from __future__ import annotations

import copy
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = [
    "ContractViolation",
    "OpenApiContract",
    "check_error_envelope",
    "default_contract",
    "load_contract",
    "require_contract",
    "validate_request",
    "validate_response",
    "validate_webhook",
]

#: Where the published document lies: beside the clone, unless ``BATCHPORT_OPENAPI_PATH`` says
#: otherwise (scripts/mutants.py runs a copy of the tests from elsewhere).
OPENAPI_PATH = Path(
    os.environ.get("BATCHPORT_OPENAPI_PATH")
    or Path(__file__).resolve().parent.parent.parent
    / "shared"
    / "reference"
    / "sinch-porting-openapi.yaml"
)
_DOC_URI = "urn:sinch:porting-openapi"
_API_PREFIX = re.compile(r"^/v1/projects/[^/]+")
_WEBHOOK_SCHEMAS = {
    "ORDER_UPDATED": ("OrderWebhookStatusEvent", "order"),
    "NUMBERS_ACTIVATED": ("NumberStatusWebhookStatusEvent", "phoneNumbers"),
    "NUMBERS_CONFIRMED": ("NumberStatusWebhookStatusEvent", "phoneNumbers"),
    "NUMBERS_REJECTED": ("NumberStatusWebhookStatusEvent", "phoneNumbers"),
    "NEW_ORDER_NOTE": ("NewNoteWebhookStatusEvent", "note"),
}
#: HTTP status → the ``status`` text the sandbox's error envelope carries.
ERROR_STATUS_TEXT = {
    400: "INVALID_ARGUMENT",
    404: "NOT_FOUND",
    422: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
}


class ContractViolation(AssertionError):
    """A body, status or path that the published document does not allow."""


@dataclass(frozen=True)
class _Route:
    template: str
    pattern: re.Pattern[str]
    literal_segments: int


def _route(template: str) -> _Route:
    parts = template.strip("/").split("/")
    regex = "/".join(r"([^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    literals = sum(1 for p in parts if not p.startswith("{"))
    return _Route(template, re.compile(f"^/{regex}/?$"), literals)


def _patched(document: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of the document with the ``portOutInfo`` allOf quirk relaxed."""
    doc = copy.deepcopy(document)
    item = doc["components"]["schemas"]["PhoneNumberItem"]
    item["required"] = [name for name in item["required"] if name != "portOutInfo"]
    return doc


class OpenApiContract:
    """The published document, ready to validate bodies against.

    ``document`` is the parsed YAML. Methods raise ``ContractViolation`` on a mismatch.
    """

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = _patched(document)
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(_DOC_URI, resource)
        self._routes = sorted(
            (_route(t) for t in self.document["paths"]),
            key=lambda r: -r.literal_segments,
        )

    # -- schema plumbing -------------------------------------------------------------------------

    def check(self, schema: Mapping[str, Any], body: Any, where: str) -> None:
        """Validate ``body`` against ``schema`` (``$ref``s resolve inside the document)."""
        validator = jsonschema.Draft202012Validator(
            dict(schema),
            registry=self._registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            at = "/".join(str(p) for p in first.absolute_path) or "<root>"
            raise ContractViolation(f"{where}: at {at}: {first.message}")

    def component(self, name: str) -> dict[str, Any]:
        """A ``$ref`` schema pointing at ``components.schemas.<name>``."""
        return {"$ref": f"{_DOC_URI}#/components/schemas/{name}"}

    def _resolve_ref(self, node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return node
        target: Any = self.document
        for part in ref.lstrip("#/").split("/"):
            target = target[part]
        return dict(target)

    def _absolute(self, schema: Any) -> Any:
        """Rewrite local ``#/...`` refs into document-absolute refs."""
        if isinstance(schema, dict):
            return {
                k: (f"{_DOC_URI}{v}" if k == "$ref" and v.startswith("#") else self._absolute(v))
                for k, v in schema.items()
            }
        if isinstance(schema, list):
            return [self._absolute(v) for v in schema]
        return schema

    # -- operations ------------------------------------------------------------------------------

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        """Find the operation for ``method`` and a concrete or templated ``path``.

        ``path`` may carry the ``/v1/projects/{projectId}`` prefix, a scheme and host, and a
        query string. Returns ``(template, operation)``; raises ``ContractViolation`` when the
        document has no such operation.
        """
        bare = _API_PREFIX.sub("", urlsplit(path).path) or "/"
        for route in self._routes:
            if bare == route.template or route.pattern.match(bare):
                op = self.document["paths"][route.template].get(method.lower())
                if op is not None:
                    return route.template, op
        raise ContractViolation(f"{method.upper()} {bare} is not a published operation")

    def validate_request(self, method: str, path: str, body: Any) -> None:
        """Check a request body (``None`` for none) against the operation's request body."""
        template, op = self.operation(method, path)
        request_body = self._resolve_ref(op.get("requestBody", {}))
        content = request_body.get("content", {}).get("application/json")
        if content is None:
            if body is not None:
                raise ContractViolation(f"{method} {template} takes no body")
            return
        if body is None:
            if request_body.get("required"):
                raise ContractViolation(f"{method} {template} requires a body")
            return
        self.check(self._absolute(content["schema"]), body, f"request {method} {template}")

    def validate_response(self, method: str, path: str, status: int, body: Any) -> None:
        """Check a response: a published success status and body, or the error envelope.

        ``body`` is the parsed JSON, or ``None``/``b""``/``""`` for an empty body.
        """
        template, op = self.operation(method, path)
        where = f"response {method} {template} {status}"
        if status >= 400:
            check_error_envelope(self, status, body, where)
            return
        published = op.get("responses", {})
        if str(status) not in published:
            raise ContractViolation(f"{where}: status not published ({sorted(published)})")
        content = published[str(status)].get("content", {}).get("application/json")
        if content is not None:
            self.check(self._absolute(content["schema"]), body, where)

    def validate_webhook(self, body: Any) -> None:
        """Check a webhook payload: its ``type`` picks the published event schema."""
        if not isinstance(body, dict):
            raise ContractViolation(f"webhook: not an object: {body!r}")
        kind = body.get("type")
        if kind not in _WEBHOOK_SCHEMAS:
            raise ContractViolation(f"webhook: unknown type {kind!r}")
        schema_name, payload_key = _WEBHOOK_SCHEMAS[kind]
        self.check(self.component(schema_name), body, f"webhook {kind}")
        if not isinstance(body.get("orderId"), str) or not body["orderId"].isdigit():
            raise ContractViolation(f"webhook {kind}: orderId must be a digit string")
        if payload_key not in body:
            raise ContractViolation(f"webhook {kind}: missing {payload_key}")
        if kind == "ORDER_UPDATED" and "id" in body["order"]:
            raise ContractViolation("webhook ORDER_UPDATED: order carries no id (OrderWebhookItem)")


def check_error_envelope(contract: OpenApiContract, status: int, body: Any, where: str) -> None:
    """Check an error reply: empty for 401, otherwise the ``Error`` schema used consistently.

    The envelope is ``{code: <status as int>, status: <text>, message: <non-empty>, details:
    [...]}``; 400 and 422 carry a ``BadRequest`` detail with at least one field violation.
    """
    if status == 401:
        if body not in (None, b"", ""):
            raise ContractViolation(f"{where}: a 401 has an empty body, got {body!r}")
        return
    contract.check(contract.component("Error"), body, where)
    if not isinstance(body, dict) or body.get("code") != status:
        raise ContractViolation(f"{where}: code must equal the HTTP status, got {body!r}")
    if body.get("status") != ERROR_STATUS_TEXT.get(status, body.get("status")):
        raise ContractViolation(f"{where}: unexpected status text {body.get('status')!r}")
    if not body.get("message") or not isinstance(body.get("details"), list):
        raise ContractViolation(f"{where}: needs a message and a details list")
    if status in (400, 422):
        violations = [
            v
            for d in body["details"]
            if d.get("type") == "BadRequest"
            for v in d.get("fieldViolations", [])
        ]
        if not violations or not all(v.get("field") and v.get("description") for v in violations):
            raise ContractViolation(f"{where}: needs BadRequest fieldViolations")


def load_contract(path: Path) -> OpenApiContract:
    """Parse the document at ``path`` (cached per path)."""
    return _load(path.resolve())


@cache
def _load(path: Path) -> OpenApiContract:
    with path.open(encoding="utf-8") as handle:
        return OpenApiContract(yaml.safe_load(handle))


def in_ci(env: Mapping[str, str]) -> bool:
    """True when ``env`` says the tests run in CI (``CI`` set to true, 1 or yes)."""
    return env.get("CI", "").strip().lower() in {"true", "1", "yes"}


def require_contract() -> Path:
    """The path of the published document (:data:`OPENAPI_PATH`, read at each call).

    Where the file is absent this skips the calling test, or fails it under CI; either way the
    message names the path.
    """
    if OPENAPI_PATH.is_file():
        return OPENAPI_PATH
    message = f"contract reference not found: {OPENAPI_PATH}"
    if in_ci(os.environ):
        pytest.fail(f"{message} (CI=true: the contract tests must run in CI)", pytrace=False)
    pytest.skip(message)


def default_contract() -> OpenApiContract:
    """The contract at :func:`require_contract`'s path (which skips or fails when absent)."""
    return load_contract(require_contract())


def validate_request(method: str, path: str, body: Any) -> None:
    """``OpenApiContract.validate_request`` on the default document."""
    default_contract().validate_request(method, path, body)


def validate_response(method: str, path: str, status: int, body: Any) -> None:
    """``OpenApiContract.validate_response`` on the default document."""
    default_contract().validate_response(method, path, status, body)


def validate_webhook(body: Any) -> None:
    """``OpenApiContract.validate_webhook`` on the default document."""
    default_contract().validate_webhook(body)
