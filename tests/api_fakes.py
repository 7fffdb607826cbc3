"""Test helpers for the API client tests: a virtual clock and a client over a handler function."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import httpx

from batchport.api import Pacer, PortingClient, RetryPolicy, open_client
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
    handler: Handler | httpx.AsyncBaseTransport,
    settings: Settings,
    clock: VirtualClock | None = None,
) -> AsyncIterator[PortingClient]:
    """A client over ``handler`` whose retry waits and pacing run on ``clock``."""
    clock = clock or VirtualClock()
    transport = (
        handler if isinstance(handler, httpx.AsyncBaseTransport) else httpx.MockTransport(handler)
    )
    policy = RetryPolicy.from_settings(
        settings, sleep=clock.sleep, jitter=lambda ceiling: ceiling, clock=clock
    )
    pacer = Pacer(settings.rate, settings.concurrency, clock=clock, sleep=clock.sleep)
    async with open_client(settings, transport=transport, policy=policy, pacer=pacer) as client:
        yield client


def api_path(request: httpx.Request) -> str:
    """The request's path below the project root."""
    path = request.url.path
    assert path.startswith(ROOT), path
    return path[len(ROOT) :]
