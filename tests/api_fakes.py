"""Test helpers for the API client tests: a virtual clock and a client over a handler function."""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import httpx
from openapi_contract import OPENAPI_PATH, in_ci, load_contract, require_contract

from batchport.api import Pacer, PortingClient
from batchport.connection import open_client, retry_policy
from batchport.settings import Settings

T = TypeVar("T")

PROJECT = "proj-1"
ROOT = f"/v1/projects/{PROJECT}"
TOKEN = "static-token-s3cr3t"

Handler = Callable[[httpx.Request], httpx.Response]


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to completion in a fresh event loop."""
    return asyncio.run(coro)


@dataclass
class VirtualClock:
    """A monotonic clock that only moves when something sleeps on it; sleeps are recorded."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def base_settings(tmp_path: Path, **changes: Any) -> Settings:
    """Settings for a client talking to a fake service with a static token."""
    settings = Settings(
        project_id=PROJECT,
        access_token=TOKEN,
        porting_url="https://porting.test",
        auth_url="https://auth.test/oauth2/token",
        state_path=tmp_path / "journal.sqlite",
        rate=1000.0,
    )
    return replace(settings, **changes)


@asynccontextmanager
async def fake_client(
    handler: Handler | httpx.AsyncBaseTransport | None,
    settings: Settings,
    clock: VirtualClock | None = None,
    *,
    sandbox: bool = False,
) -> AsyncIterator[PortingClient]:
    """A client over ``handler`` whose retry waits and pacing run on ``clock``.

    Every request it sends is checked against the published document when the client closes;
    with ``sandbox`` (the handler is the sandbox, in process or served) every answer too.
    """
    clock = clock or VirtualClock()
    transport: httpx.AsyncBaseTransport | None
    if handler is None or isinstance(handler, httpx.AsyncBaseTransport):
        transport = handler  # None: the real network (loopback in the socket test)
    else:
        transport = httpx.MockTransport(handler)
    policy = retry_policy(settings, sleep=clock.sleep, jitter=lambda ceiling: ceiling, clock=clock)
    pacer = Pacer(settings.rate, settings.concurrency, clock=clock, sleep=clock.sleep)
    with tempfile.TemporaryDirectory() as scratch:
        if settings.trace_path is None:
            settings = replace(settings, trace_path=Path(scratch) / "trace.jsonl")
        try:
            async with open_client(
                settings, transport=transport, policy=policy, pacer=pacer
            ) as client:
                yield client
        finally:
            check_traced_requests(settings.trace_path, responses=sandbox)


def traced_requests(trace: Path | None) -> list[dict[str, Any]]:
    """The API exchanges recorded in a trace file (token fetches left out)."""
    if trace is None or not trace.is_file():
        return []
    lines = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line["operation"] != "fetch_token"]


def check_traced_requests(trace: Path | None, *, responses: bool = False) -> int:
    """Validate every request in ``trace`` against the published document; returns the count.

    With ``responses`` every answer that arrived is validated too (successes against the
    operation's schema, errors against the sandbox's envelope); the trace holds them redacted,
    which keeps each masked value a string. Every client test goes through here, so every
    request the client sends in the suite is checked, and every sandbox answer it gets. Without
    the document nothing is checked (tests/test_api_contract.py then skips with a message), except
    under CI, where the calling test fails. Raises ContractViolation.
    """
    if not OPENAPI_PATH.is_file():
        if in_ci(os.environ):
            require_contract()  # fails, naming the path
        return 0
    contract = load_contract(OPENAPI_PATH)
    exchanges = traced_requests(trace)
    for line in exchanges:
        method, path = line["method"], line["path"]
        contract.validate_request(method, path, line["request"])
        if responses and line["status"] is not None:
            contract.validate_response(method, path, line["status"], line["response"])
    return len(exchanges)


def api_path(request: httpx.Request) -> str:
    """The request's path below the project root."""
    path = request.url.path
    assert path.startswith(ROOT), path
    return path[len(ROOT) :]
