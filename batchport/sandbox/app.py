"""The ASGI app: the 14 published operations, the token endpoint and the admin surface.

Every API request goes through the same gate, in this order: latency, authentication (401
with an empty body), the project's rate limit (429 with ``Retry-After``), injected drops and
5xx, then whatever fell due on the sandbox clock, then the operation. Webhooks go out after the
reply, as a background task.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qs

import httpx
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from batchport.sandbox import faults, orders
from batchport.sandbox.config import SandboxConfig
from batchport.sandbox.faults import DroppedConnection, DroppedResponse
from batchport.sandbox.replies import ApiFailure, error_body, json_reply
from batchport.sandbox.service import Events, Sandbox
from batchport.sandbox.validation import read_json

__all__ = ["BASE_URL", "SandboxTransport", "asgi_transport", "create_app"]

BASE_URL = "http://sandbox.local"
_API = "/v1/projects/{project}"

#: What an operation hands back: a body, a status and the webhook events it caused.
Outcome = tuple[Any, int, Events]
Operation = Callable[[Sandbox, Request, str, str], Awaitable[Outcome]]


async def _body(request: Request, *, optional: bool = False) -> Any:
    raw = await request.body()
    if optional and not raw.strip():
        return None
    return read_json(raw)


def _send_webhooks(sandbox: Sandbox, events: Events) -> BackgroundTask | None:
    by_url: dict[str, list[dict[str, Any]]] = {}
    for project, event in events:
        url = sandbox.webhook_url(project)
        if url:
            by_url.setdefault(url, []).append(event)
    if not by_url:
        return None

    async def deliver() -> None:
        for url, batch in by_url.items():
            await sandbox.webhooks.send_all(url, batch)

    return BackgroundTask(deliver)


def _count(sandbox: Sandbox, response: Response) -> Response:
    responses = sandbox.stats["responses"]
    key = str(response.status_code)
    responses[key] = responses.get(key, 0) + 1
    return response


def _gate(sandbox: Sandbox, operation: Operation) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        sandbox.stats["requests"] += 1
        await sandbox.faults.delay()
        user = sandbox.auth.allowed(request.headers.get("authorization"))
        if user is None:
            return _count(sandbox, Response(status_code=401))
        project = request.path_params["project"]
        refused = _refuse(sandbox, project)
        if refused is not None:
            return _count(sandbox, refused)
        events = sandbox.catch_up()
        try:
            body, status, more = await operation(sandbox, request, project, user)
        except ApiFailure as failure:
            body, status, more = failure, failure.status, []
        # What fell due happened whatever this request's fate: its webhooks always go out.
        background = _send_webhooks(sandbox, events + more)
        return _count(sandbox, await _reply(body, status, background))

    return endpoint


async def _reply(body: Any, status: int, background: BackgroundTask | None) -> Response:
    """The response for an operation's outcome, carrying the webhook deliveries.

    ``body`` is a JSON body, an ``ApiFailure`` or a ready ``Response`` (an injected fault). A
    dropped reply never reaches its background tasks, so its webhooks are delivered first.
    """
    if isinstance(body, ApiFailure):
        return body.response(background=background)
    if isinstance(body, DroppedResponse):
        if background is not None:
            await background()
        return body
    if isinstance(body, Response):
        body.background = background
        return body
    return json_reply(body, status, background=background)


def _refuse(sandbox: Sandbox, project: str) -> Response | None:
    if sandbox.limiter is not None:
        wait = sandbox.limiter.take(project)
        if wait is not None:
            sandbox.stats["faults"]["rateLimited"] += 1
            failure = ApiFailure(429, "Rate limit exceeded", headers={"Retry-After": str(wait)})
            return failure.response()
    if sandbox.faults.drop():
        return DroppedResponse()
    if sandbox.faults.server_error():
        status = sandbox.faults.status_for_error()
        return json_reply(error_body(status, "Internal service error (injected)"), status)
    return None


# -- operations ------------------------------------------------------------------------------------


async def _portability(sandbox: Sandbox, request: Request, project: str, user: str) -> Outcome:
    return sandbox.check_portability(await _body(request)), 200, []


async def _create(sandbox: Sandbox, request: Request, project: str, user: str) -> Outcome:
    body = await _body(request)
    sandbox.stats["createsReceived"] += 1
    crash_here = sandbox.config.crash_on_create == sandbox.stats["createsReceived"]
    if crash_here and sandbox.config.crash_point == "before":
        faults.crash()
    order, _ = orders.create(sandbox, project, body)
    if crash_here and sandbox.config.crash_point == "after":
        faults.crash()
    ambiguous = sandbox.faults.ambiguous()
    if ambiguous == "drop":
        return DroppedResponse(), 0, []
    if ambiguous == "error":
        return json_reply(error_body(500, "Internal service error (injected)"), 500), 0, []
    return order, 201, []


async def _list(sandbox: Sandbox, request: Request, project: str, user: str) -> Outcome:
    return orders.list_orders(sandbox, project, dict(request.query_params)), 200, []


async def _get(sandbox: Sandbox, request: Request, project: str, user: str) -> Outcome:
    return orders.find(sandbox, project, request.path_params["order_id"]).body, 200, []


async def _update(sandbox: Sandbox, request: Request, project: str, user: str) -> Outcome:
    order_id = request.path_params["order_id"]
    orders.find(sandbox, project, order_id)
    body, events = orders.update(sandbox, project, order_id, await _body(request))
    return body, 200, [(project, e) for e in events]


async def _cancel(sandbox: Sandbox, request: Request, project: str, user: str) -> Outcome:
    body, events = orders.cancel(sandbox, project, request.path_params["order_id"])
    return body, 200, [(project, e) for e in events]


async def _note(sandbox: Sandbox, request: Request, project: str, user: str) -> Outcome:
    order_id = request.path_params["order_id"]
    orders.find(sandbox, project, order_id)
    body, events = sandbox.add_note(project, order_id, await _body(request), user)
    return body, 200, events


async def _document(sandbox: Sandbox, request: Request, project: str, user: str) -> Outcome:
    order_id = request.path_params["order_id"]
    orders.find(sandbox, project, order_id)
    body, events = sandbox.add_document(project, order_id, await _body(request), user)
    return body, 200, events


async def _get_document(sandbox: Sandbox, request: Request, project: str, user: str) -> Outcome:
    params = request.path_params
    return sandbox.get_document(project, params["order_id"], params["document_id"]), 200, []


async def _available(sandbox: Sandbox, request: Request, project: str, user: str) -> Outcome:
    return sandbox.available_activations(project, request.path_params["order_id"]), 200, []


async def _activate(sandbox: Sandbox, request: Request, project: str, user: str) -> Outcome:
    order_id = request.path_params["order_id"]
    orders.find(sandbox, project, order_id)
    body = await _body(request, optional=True)
    reply, events = sandbox.activate(project, order_id, body, user)
    return reply, 200, events


async def _config_create(sandbox: Sandbox, request: Request, project: str, user: str) -> Outcome:
    return sandbox.put_configuration(project, await _body(request), create=True), 200, []


async def _config_update(sandbox: Sandbox, request: Request, project: str, user: str) -> Outcome:
    return sandbox.put_configuration(project, await _body(request), create=False), 200, []


async def _config_get(sandbox: Sandbox, request: Request, project: str, user: str) -> Outcome:
    return sandbox.get_configuration(project), 200, []


# -- token endpoint and admin ------------------------------------------------------------------


def _token(sandbox: Sandbox) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        sandbox.stats["requests"] += 1
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        if not sandbox.auth.basic_ok(request.headers.get("authorization")):
            return Response(status_code=401)
        if form.get("grant_type") != ["client_credentials"]:
            return json_reply({"error": "unsupported_grant_type"}, 400)
        token, lifetime = sandbox.auth.issue()
        body = {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": ""}
        return json_reply(body, 200, headers={"Cache-Control": "no-store"})

    return endpoint


def _admin(sandbox: Sandbox) -> list[Route]:
    async def advance(request: Request) -> Response:
        try:
            body, events = sandbox.advance(await _body(request))
        except ApiFailure as failure:
            return failure.response()
        return json_reply(body, background=_send_webhooks(sandbox, events))

    async def clock(request: Request) -> Response:
        events = sandbox.catch_up()
        body = {"today": sandbox.today().isoformat(), "clockDays": sandbox.store.clock_days}
        return json_reply(body, background=_send_webhooks(sandbox, events))

    async def stats(request: Request) -> Response:
        return json_reply({**sandbox.stats, "today": sandbox.today().isoformat()})

    return [
        Route("/_sandbox/clock/advance", advance, methods=["POST"]),
        Route("/_sandbox/clock", clock, methods=["GET"]),
        Route("/_sandbox/stats", stats, methods=["GET"]),
    ]


_OPERATIONS: list[tuple[str, str, Operation]] = [
    ("/portabilityChecks", "POST", _portability),
    ("/orders/portIns", "POST", _create),
    ("/orders/portIns", "GET", _list),
    ("/orders/portIns/{order_id}", "GET", _get),
    ("/orders/portIns/{order_id}", "PUT", _update),
    ("/orders/portIns/{order_id}", "DELETE", _cancel),
    ("/orders/portIns/{order_id}/notes", "POST", _note),
    ("/orders/portIns/{order_id}/documents", "POST", _document),
    ("/orders/{order_id}/documents/{document_id}", "GET", _get_document),
    ("/orders/portIns/{order_id}/availableActivations", "GET", _available),
    ("/orders/portIns/{order_id}/activate", "POST", _activate),
    ("/configuration", "POST", _config_create),
    ("/configuration", "GET", _config_get),
    ("/configuration", "PUT", _config_update),
]


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    message = "No such operation" if status in (404, 405) else "Internal service error"
    return json_reply(error_body(status, message), status)


def create_app(
    config: SandboxConfig | None = None, *, webhook_client: httpx.AsyncClient | None = None
) -> Starlette:
    """Build the sandbox app; state is ready at once (no lifespan events needed).

    ``webhook_client`` carries webhook deliveries (tests mount a receiver app on it); without
    one the sandbox makes its own client. ``app.state.sandbox`` is the ``Sandbox`` runtime.
    Raises ``ConfigError`` (scenario) or ``JournalError`` (state file).
    """
    sandbox = Sandbox(config or SandboxConfig(), webhook_client)
    by_path: dict[str, dict[str, Operation]] = {}
    for path, method, operation in _OPERATIONS:
        by_path.setdefault(path, {})[method] = operation
    routes = [Route("/oauth2/token", _token(sandbox), methods=["POST"]), *_admin(sandbox)]
    for path, methods in by_path.items():
        for method, operation in methods.items():
            routes.append(Route(_API + path, _gate(sandbox, operation), methods=[method]))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await sandbox.aclose()

    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error},
    )
    app.state.sandbox = sandbox
    return app


class SandboxTransport(httpx.ASGITransport):
    """``httpx.ASGITransport`` on which a dropped connection surfaces as a transport error."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Run the request through the app; a drop raises ``httpx.RemoteProtocolError``."""
        try:
            return await super().handle_async_request(request)
        except DroppedConnection:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a complete response", request=request
            ) from None


def asgi_transport(app: Starlette) -> httpx.AsyncBaseTransport:
    """The in-process transport for ``app`` (base URL ``BASE_URL``)."""
    return SandboxTransport(app=app)
