"""Shared helpers for the sandbox tests: an in-process client that checks every exchange against
the published document, a webhook receiver, and builders for valid request bodies.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import httpx
from openapi_contract import OPENAPI_PATH, OpenApiContract, in_ci, load_contract, require_contract
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from batchport.sandbox import BASE_URL, SandboxConfig, asgi_transport, create_app
from batchport.sandbox.carriers import CarrierModel

TODAY = date(2026, 3, 2)
API = "/v1/projects/proj-a"
HOOK_URL = "http://receiver.local/hooks"
#: Deterministic defaults for tests: no random rejections, exclusions or rate limit.
QUIET = SandboxConfig(today=TODAY, reject_rate=0.0, exclude_rate=0.0, rate_limit=None, seed=7)


def contract_or_none() -> OpenApiContract | None:
    """The published document when present (exchanges are then checked), else ``None``.

    Under CI an absent document fails the calling test instead (see ``require_contract``).
    """
    if not OPENAPI_PATH.is_file() and in_ci(os.environ):
        require_contract()
    return load_contract(OPENAPI_PATH) if OPENAPI_PATH.is_file() else None


@dataclass
class Receiver:
    """A webhook receiver app that records bodies; it answers 500 to the first ``fail_first``."""

    fail_first: int = 0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    hits: int = 0

    def app(self) -> Starlette:
        """The ASGI app to mount on the sandbox's webhook client."""

        async def hook(request: Request) -> Response:
            self.hits += 1
            if self.hits <= self.fail_first:
                return Response(status_code=500)
            self.bodies.append(json.loads(await request.body()))
            return Response(status_code=204)

        return Starlette(routes=[Route("/hooks", hook, methods=["POST"])])

    def types(self) -> list[str]:
        """The ``type`` of every delivered event, in order."""
        return [b["type"] for b in self.bodies]


@dataclass
class Harness:
    """A sandbox app plus a client whose exchanges are all checked against the contract."""

    client: httpx.AsyncClient
    app: Starlette
    receiver: Receiver
    contract: OpenApiContract | None
    checked: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def sandbox(self) -> Any:
        """The ``Sandbox`` runtime behind the app."""
        return self.app.state.sandbox

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request and check the reply (and new webhooks) against the document."""
        reply = await self.client.request(method, path, **kwargs)
        if self.contract is not None and path.startswith("/v1/"):
            body = reply.json() if reply.content else None
            self.contract.validate_response(method, path, reply.status_code, body)
            self.checked.append((method, path, reply.status_code))
        if self.contract is not None:
            for event in self.receiver.bodies:
                self.contract.validate_webhook(event)
        return reply

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create an order that must be accepted; returns its body."""
        reply = await self.call("POST", f"{API}/orders/portIns", json=body)
        assert reply.status_code == 201, reply.text
        result: dict[str, Any] = reply.json()
        return result

    async def advance(self, days: int) -> None:
        """Move the sandbox clock."""
        reply = await self.call("POST", "/_sandbox/clock/advance", json={"days": days})
        assert reply.status_code == 200, reply.text

    async def order(self, order_id: int) -> dict[str, Any]:
        """GET an order that must exist."""
        reply = await self.call("GET", f"{API}/orders/portIns/{order_id}")
        assert reply.status_code == 200, reply.text
        result: dict[str, Any] = reply.json()
        return result

    async def hook_to_receiver(self) -> None:
        """Configure the project's webhook URL to point at the receiver."""
        reply = await self.call("POST", f"{API}/configuration", json={"webhookUrl": HOOK_URL})
        assert reply.status_code == 200, reply.text


@asynccontextmanager
async def harness(
    config: SandboxConfig = QUIET, *, fail_first: int = 0, auth: Any = ("sandbox", "sandbox")
) -> AsyncIterator[Harness]:
    """A fresh sandbox with ``config`` and a receiver; the client uses Basic auth by default."""
    receiver = Receiver(fail_first=fail_first)
    hooks = httpx.AsyncClient(transport=httpx.ASGITransport(app=receiver.app()))
    app = create_app(config, webhook_client=hooks)
    client = httpx.AsyncClient(transport=asgi_transport(app), base_url=BASE_URL, auth=auth)
    async with hooks, client:
        yield Harness(client, app, receiver, contract_or_none())
    await app.state.sandbox.aclose()


def portable(
    count: int, *, npa: str = "212", seed: int = QUIET.seed, start: int = 1000
) -> list[str]:
    """``count`` numbers in area code ``npa`` that the model calls portable for ``seed``."""
    model = CarrierModel(seed)
    found: list[str] = []
    line = start
    while len(found) < count:
        number = f"+1{npa}555{line:04d}"
        if model.facts(number).portable:
            found.append(number)
        line += 1
    return found


def end_user(**overrides: Any) -> dict[str, Any]:
    """A valid US end user."""
    user = {
        "name": "Acme Widgets LLC",
        "streetNum": "350",
        "streetName": "Fifth",
        "streetType": "Ave",
        "city": "New York",
        "state": "NY",
        "zipCode": "10118",
    }
    return {**user, **overrides}


def number_entry(number: str, **overrides: Any) -> dict[str, Any]:
    """A valid phone-number item for ``number`` (Canadian numbers get a Canadian address)."""
    user = end_user()
    if number[2:5] in ("416", "604", "514"):
        user = end_user(city="Toronto", state="ON", zipCode="M5V 2T6")
    entry = {
        "phoneNumber": number,
        "endUser": user,
        "portOutInfo": {"existingPortOutPin": "4821", "authorizingDate": "2026-02-20"},
        "voiceConfiguration": {"type": "EST", "trunkId": "01G65Z755AFWAKHE12NY0CQ9FH"},
    }
    return {**entry, **overrides}


def order_body(numbers: list[str], **overrides: Any) -> dict[str, Any]:
    """A valid create body for ``numbers``, desired date a week after ``TODAY``."""
    body = {
        "customerOrderReference": "batch-42/order-1",
        "desiredPortSchedule": {
            "desiredPortDate": "2026-03-09",
            "desiredPortTime": "10:00:00",
            "desiredPortTimeZone": "US/Central",
        },
        "phoneNumbers": [number_entry(n) for n in numbers],
    }
    return {**body, **overrides}


def quiet(**changes: Any) -> SandboxConfig:
    """The quiet test config with ``changes``."""
    return replace(QUIET, **changes)
