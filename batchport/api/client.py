"""The Porting API client: one async method per operation of the published contract.

Every call goes through the same path: the shared :class:`~batchport.api.pacing.Pacer` (rate
and concurrency), the auth flow of :mod:`batchport.api.auth` (a token fetched when needed, one
renewal and resend on a 401), the trace, the error mapping of :mod:`batchport.api.errors`, and
the :class:`~batchport.api.retry.RetryPolicy`.

Counting and tracing are event hooks on the ``httpx.AsyncClient``, which sees every request an
auth flow yields; each request carries its operation and attempt as a
:func:`~batchport.api.trace.label`. A failure to get a token is a failure of the call (retried
by its policy) that cannot have committed anything.

Reads and idempotent writes (GET, PUT, DELETE) are retried on any transient failure. Writes
that could take effect twice (create, notes, documents, activate, configuration create) are
retried only when nothing can have been committed: a 429, or a connection that never opened.
For order creation any other transient failure is an :class:`AmbiguousCreateError`, so the
caller looks the order up by its reference before sending it again.
"""

from __future__ import annotations

import base64
import logging
import re
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from batchport.api.auth import FETCH_TOKEN
from batchport.api.errors import (
    RetryableStatus,
    error_from_response,
    error_from_transport,
    json_body,
    maybe_committed,
    nothing_committed,
    token_service,
)
from batchport.api.filters import list_params
from batchport.api.pacing import Pacer
from batchport.api.requests import OrderRequest, PortingConfiguration
from batchport.api.responses import (
    ActivationGroup,
    Document,
    DocumentContent,
    GroupActivation,
    Order,
    OrderNote,
    OrderPage,
    PortabilityResult,
)
from batchport.api.retry import RetryPolicy, is_transient
from batchport.api.trace import TraceWriter, label, label_of
from batchport.errors import (
    AmbiguousCreateError,
    ApiError,
    ApiRejected,
    FieldViolation,
    RetriesExhausted,
)
from batchport.redaction import remember

__all__ = ["PortingClient", "refused_numbers"]

logger = logging.getLogger(__name__)

# When the client's request hook saw a request leave, in the request's extensions.
_SENT_AT = "batchport.sent_at"

# A field violation about one number of an order: ``phoneNumbers[3]`` or a field below it.
_NUMBER_PATH = re.compile(r"^phoneNumbers\[(\d+)\]")
# An E.164 number inside a violation's words, not part of a longer run of digits.
_E164_IN_TEXT = re.compile(r"(?<![\w+])\+[1-9]\d{6,14}(?!\d)")


def _failed_request(exc: httpx.HTTPError) -> httpx.Request | None:
    """The request ``exc`` happened to, when httpx attached one."""
    try:
        return exc.request
    except RuntimeError:
        return None


def _token_failure(exc: BaseException) -> bool:
    """True when ``exc``, or the last failure behind RetriesExhausted, is a failure to get a token.

    The call was then not sent, or sent and refused with a 401: it cannot have taken effect.
    """
    cause = exc.__cause__ if isinstance(exc, RetriesExhausted) else exc
    return isinstance(cause, ApiError) and cause.operation == FETCH_TOKEN


def _resendable_write(exc: BaseException) -> bool:
    """True when a failed write surely had no effect (``nothing_committed``, or no token)."""
    return nothing_committed(exc) or (is_transient(exc) and _token_failure(exc))


def _remember_secrets(order: OrderRequest) -> None:
    """Register the PINs and account numbers ``order`` carries, before it is sent."""
    remember(*(secret for number in order.phone_numbers for secret in number.secrets))


def _body_secrets(body: Mapping[str, Any]) -> list[str]:
    """The port-out PINs and account numbers of an order body's numbers."""
    found = []
    for number in body.get("phoneNumbers") or ():
        info = number.get("portOutInfo") if isinstance(number, Mapping) else None
        if isinstance(info, Mapping):
            found += [
                str(info[key]) for key in ("existingPortOutPin", "accountNum") if info.get(key)
            ]
    return found


def _ambiguous(order: OrderRequest, why: str, status: int | None) -> AmbiguousCreateError:
    """The error for a create whose outcome is unknown, telling the caller to reconcile."""
    return AmbiguousCreateError(
        f"create_order: the order {order.customer_order_reference!r} may or may not have been "
        f"created ({why}); look it up by reference before resending",
        status=status,
        operation="create_order",
    )


def _count(value: object) -> int | None:
    """A paging count as the service sent it (a whole number, or its digits), else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _last_page(raw: Mapping[str, Any], result: OrderPage, page: int, seen: int) -> bool:
    """Whether ``result``, the answer to page ``page``, is the last page of a list, ``seen``
    orders having been read so far.

    The published answer carries ``totalPages``; an answer with only ``totalItems`` ends when
    that many were read; one with no paging fields at all ends at a page shorter than asked.
    """
    total_pages = _count(raw.get("totalPages"))
    if total_pages is not None:
        return page >= total_pages
    total_items = _count(raw.get("totalItems"))
    if total_items is not None:
        return seen >= total_items
    return len(result.orders) < result.page_size


def refused_numbers(
    violations: Sequence[FieldViolation], numbers: Sequence[str]
) -> dict[str, list[FieldViolation]]:
    """The violations that refuse each of a request's ``numbers`` (E.164, in request order).

    A violation names a number by its path (``phoneNumbers[3]`` or a field below it, within
    the request) or, when the service puts it in words, by the E.164 number in its text
    (``"+12125550143 is not portable"``). Violations that name no number of the request (the
    order's own fields) are left out; the result has only numbers with a violation.
    """
    wanted = set(numbers)
    found: dict[str, list[FieldViolation]] = {}
    for violation in violations:
        match = _NUMBER_PATH.match(violation.field)
        if match and int(match.group(1)) < len(numbers):
            named = [numbers[int(match.group(1))]]
        else:
            text = f"{violation.field} {violation.description}"
            named = list(dict.fromkeys(n for n in _E164_IN_TEXT.findall(text) if n in wanted))
        for number in named:
            found.setdefault(number, []).append(violation)
    return found


class PortingClient:
    """Typed access to one project of the Porting API over an injected ``httpx.AsyncClient``.

    ``base_url`` is the service root (the client adds ``/v1/projects/{project_id}``); ``auth``
    authorizes every call (:mod:`batchport.api.auth`); ``project_id`` stays readable, so that a
    message can name the project. The client adds its event hooks to
    ``http``: ``calls`` counts the HTTP requests ``http`` sends, token requests, resends after a
    401 and retries included, and ``tracer`` records each of them.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        project_id: str,
        auth: httpx.Auth,
        policy: RetryPolicy,
        pacer: Pacer,
        tracer: TraceWriter | None = None,
    ) -> None:
        self._http = http
        self.project_id = project_id
        self._root = f"{base_url.rstrip('/')}/v1/projects/{quote(project_id, safe='')}"
        self.auth = auth
        self.policy = policy
        self.pacer = pacer
        self._tracer = tracer
        self.calls = 0
        http.event_hooks["request"].append(self._request_sent)
        http.event_hooks["response"].append(self._response_received)

    # -- the exchange path ---------------------------------------------------------------------

    async def _request_sent(self, request: httpx.Request) -> None:
        """Event hook: count every request ``http`` sends, and note when it left."""
        self.calls += 1
        request.extensions[_SENT_AT] = time.perf_counter()

    async def _response_received(self, response: httpx.Response) -> None:
        """Event hook: trace every answer ``http`` receives (read first, for its body)."""
        request = response.request
        logger.debug(
            "%s %s %s -> %d",
            label_of(request).operation,
            request.method,
            request.url.path,
            response.status_code,
        )
        if self._tracer is not None:
            await response.aread()
            self._trace(request, response)

    def _trace(
        self, request: httpx.Request, response: httpx.Response | None, error: str = ""
    ) -> None:
        if self._tracer is not None:
            sent_at = request.extensions.get(_SENT_AT, time.perf_counter())
            named = label_of(request)
            self._tracer.record(
                operation=named.operation,
                attempt=named.attempt,
                request=request,
                response=response,
                duration=time.perf_counter() - sent_at,
                error=error,
            )

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through the auth flow: the token request too, when one is needed.

        Raises TransportFailure when no answer arrives (for the call or for its token, named
        by the failure's operation), and the errors of the auth flow.
        """
        try:
            return await self._http.send(request, auth=self.auth)
        except httpx.HTTPError as exc:
            failed = _failed_request(exc) or request
            operation = label_of(failed).operation
            if operation == FETCH_TOKEN:
                failure = error_from_transport(exc, operation, token_service(failed))
            else:
                failure = error_from_transport(exc, operation)
            self._trace(failed, None, str(failure))
            raise failure from exc

    async def _attempt(
        self,
        operation: str,
        method: str,
        path: str,
        body: object,
        params: Mapping[str, str],
        attempt: int,
    ) -> Any:
        request = self._http.build_request(
            method,
            self._root + path,
            json=body,
            params=params or None,
            headers={"Accept": "application/json"},
            extensions=label(operation, attempt),
        )
        async with self.pacer.slot():
            response = await self._send(request)
        if not response.is_success:
            failure = error_from_response(response, operation)
            if isinstance(failure, RetryableStatus) and failure.status == 429:
                self.pacer.throttled(failure.retry_after)
            raise failure
        self.pacer.succeeded()
        return json_body(response, operation)

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        body: object = None,
        params: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> Any:
        """One operation: paced, authorized, traced, retried per its idempotency."""
        attempts = 0

        async def attempt() -> Any:
            nonlocal attempts
            attempts += 1
            return await self._attempt(operation, method, path, body, params or {}, attempts)

        retryable = is_transient if idempotent else _resendable_write
        return await self.policy.call(operation, attempt, retryable=retryable)

    # -- portability and orders ----------------------------------------------------------------

    async def check_portability(self, numbers: Sequence[str]) -> list[PortabilityResult]:
        """Ask whether each E.164 number can be ported (the caller keeps chunks ≤ 500)."""
        data = await self._call(
            "check_portability", "POST", "/portabilityChecks", body={"phoneNumbers": list(numbers)}
        )
        items = data if isinstance(data, list) else (data or {}).get("phoneNumbers") or []
        return [PortabilityResult.from_json(item) for item in items]

    async def create_order(self, order: OrderRequest) -> Order:
        """Create a port-in order.

        Retried only after a 429, a connection that never opened, or a failure to get a token.
        Raises AmbiguousCreateError when the order may have been created (timeout, dropped
        connection, 5xx after sending): look it up with :meth:`find_orders_by_reference`.
        ApiRejected carries the field violations of a refused order.
        """
        _remember_secrets(order)
        try:
            data = await self._call(
                "create_order", "POST", "/orders/portIns", body=order.to_json(), idempotent=False
            )
        except ApiError as exc:
            if _token_failure(exc) or not maybe_committed(exc):
                raise
            raise _ambiguous(order, exc.message, exc.status) from exc
        created = Order.from_json(data)
        if created.id <= 0:
            raise _ambiguous(order, "the answer carries no order id", 201)
        return created

    async def list_orders(
        self, *, page: int = 1, page_size: int = 100, **filters: object
    ) -> OrderPage:
        """One page of orders (1-based), optionally filtered (see ``filters.LIST_FILTERS``).

        Raises ValueError for an unknown filter name.
        """
        result, _ = await self._list_page(page, page_size, filters)
        return result

    async def _list_page(
        self, page: int, page_size: int, filters: Mapping[str, object]
    ) -> tuple[OrderPage, Mapping[str, Any]]:
        """One page read, with the answer as sent (to tell which paging fields it carried)."""
        params = list_params(filters) | {"page": str(page), "pageSize": str(page_size)}
        data = await self._call("list_orders", "GET", "/orders/portIns", params=params)
        raw = data if isinstance(data, Mapping) else {}
        return OrderPage.from_json(data, page=page, page_size=page_size), raw

    async def iter_orders(self, *, page_size: int = 100, **filters: object) -> AsyncIterator[Order]:
        """Every order matching ``filters``, page after page until the last (see
        :func:`_last_page`) or an empty page. A page holding only orders already read ends the
        listing too (a service ignoring ``page`` would otherwise be asked forever). Raises
        ValueError for an unknown filter name."""
        page, seen = 1, 0
        ids: set[int] = set()
        while True:
            result, raw = await self._list_page(page, page_size, filters)
            fresh = [order for order in result.orders if order.id not in ids]
            for order in fresh:
                yield order
            ids.update(order.id for order in fresh)
            seen += len(fresh)
            if not fresh or _last_page(raw, result, page, seen):
                return
            page += 1

    async def find_orders_by_reference(self, reference: str) -> list[Order]:
        """The full orders whose ``customerOrderReference`` is exactly ``reference``."""
        found = []
        async for summary in self.iter_orders(customer_order_reference=reference):
            if summary.customer_order_reference == reference:
                found.append(await self.get_order(summary.id))
        return found

    async def get_order(self, order_id: int) -> Order:
        """One order with its numbers, notes and documents."""
        return Order.from_json(await self._call("get_order", "GET", f"/orders/portIns/{order_id}"))

    async def update_order(self, order_id: int, order: OrderRequest | Mapping[str, Any]) -> Order:
        """Replace a PENDING order as a whole (the API has no partial update).

        ``order`` is a request record, or a whole order body (an order read with
        :meth:`get_order`, its ``raw`` changed) whose port-out secrets are masked in traces.
        """
        if isinstance(order, OrderRequest):
            _remember_secrets(order)
            body: Mapping[str, Any] = order.to_json()
        else:
            remember(*_body_secrets(order))
            body = order
        data = await self._call("update_order", "PUT", f"/orders/portIns/{order_id}", body=body)
        return Order.from_json(data)

    async def cancel_order(self, order_id: int) -> None:
        """Cancel a PENDING order."""
        await self._call("cancel_order", "DELETE", f"/orders/portIns/{order_id}")

    async def add_note(self, order_id: int, note: str) -> OrderNote:
        """Add a note to an order (how to answer Sinch's questions)."""
        data = await self._call(
            "add_note",
            "POST",
            f"/orders/portIns/{order_id}/notes",
            body={"note": note},
            idempotent=False,
        )
        return OrderNote.from_json(data)

    # -- documents and activation --------------------------------------------------------------

    async def upload_document(
        self, order_id: int, name: str, content: bytes, description: str = ""
    ) -> Document:
        """Attach a document (e.g. the LOA) to an order; sent base64-encoded in JSON."""
        body = {
            "documentName": name,
            "description": description,
            "fileContent": base64.b64encode(content).decode("ascii"),
        }
        data = await self._call(
            "upload_document",
            "POST",
            f"/orders/portIns/{order_id}/documents",
            body=body,
            idempotent=False,
        )
        return Document.from_json(data)

    async def get_document(self, order_id: int, document_id: int) -> DocumentContent:
        """Download a document with its content.

        The published path has no ``/portIns`` segment; Sinch's own guide puts one there, so a
        404 on the published path is asked once more on that one. Raises ApiRejected (the
        first 404 when both paths miss) and the other errors of every call.
        """
        published = f"/orders/{order_id}/documents/{document_id}"
        try:
            data = await self._call("get_document", "GET", published)
        except ApiRejected as missing:
            if missing.status != 404:
                raise
            try:
                alternative = f"/orders/portIns/{order_id}/documents/{document_id}"
                data = await self._call("get_document", "GET", alternative)
            except ApiRejected as again:
                if again.status != 404:
                    raise
                raise missing from None
        return DocumentContent.from_json(data)

    async def available_activations(self, order_id: int) -> list[ActivationGroup]:
        """The carrier groups of an on-demand order that can be activated now."""
        data = await self._call(
            "available_activations", "GET", f"/orders/portIns/{order_id}/availableActivations"
        )
        return ActivationGroup.list_from_json(data)

    async def activate(
        self, order_id: int, groups: Sequence[str] | None = None
    ) -> list[GroupActivation]:
        """Activate the given groups of an order, or the whole order when ``groups`` is None."""
        body = {"phoneNumberGroups": list(groups)} if groups is not None else None
        data = await self._call(
            "activate", "POST", f"/orders/portIns/{order_id}/activate", body=body, idempotent=False
        )
        return GroupActivation.list_from_json(data)

    # -- project configuration -----------------------------------------------------------------

    async def create_configuration(self, config: PortingConfiguration) -> PortingConfiguration:
        """Set the project's porting defaults for the first time."""
        data = await self._call(
            "create_configuration",
            "POST",
            "/configuration",
            body=config.to_json(),
            idempotent=False,
        )
        return PortingConfiguration.from_json(data)

    async def get_configuration(self) -> PortingConfiguration:
        """The project's porting defaults."""
        return PortingConfiguration.from_json(
            await self._call("get_configuration", "GET", "/configuration")
        )

    async def update_configuration(self, config: PortingConfiguration) -> PortingConfiguration:
        """Replace the project's porting defaults."""
        data = await self._call(
            "update_configuration", "PUT", "/configuration", body=config.to_json()
        )
        return PortingConfiguration.from_json(data)
