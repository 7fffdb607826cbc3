"""Bad days on demand: rate limiting, latency, random 5xx, dropped connections, crashes.

Every random choice comes from one ``random.Random(seed)``, so a given sequence of requests
meets the same faults on every run.
"""

from __future__ import annotations

import math
import os
import random
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from batchport.sandbox.config import SandboxConfig

__all__ = ["DroppedConnection", "DroppedResponse", "Faults", "RateLimiter", "crash"]


class DroppedConnection(Exception):
    """Raised mid-reply to make the connection die; the transport turns it into a drop."""


class DroppedResponse(Response):
    """A reply that announces a body, sends part of it and then dies.

    Over a socket the client sees the connection close mid-body (uvicorn aborts it when the app
    raises after the reply has started); in process, ``asgi_transport`` turns the exception
    into ``httpx.RemoteProtocolError``.
    """

    def __init__(self) -> None:
        super().__init__(status_code=200, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"512")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"id":', "more_body": True})
        raise DroppedConnection("sandbox dropped the connection on purpose")


class RateLimiter:
    """A token bucket per project: ``rate`` tokens a second, holding at most ``size``.

    ``take(project)`` returns ``None`` when the request may go on, else the whole seconds to
    wait (for ``Retry-After``). INFERRED: Sinch publishes no rate or ``Retry-After`` header.
    """

    def __init__(self, rate: float, size: float, monotonic: Callable[[], float]) -> None:
        self.rate = rate
        self.size = size
        self._monotonic = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, project: str) -> int | None:
        """Spend one token for ``project``, or say how long until one is available."""
        now = self._monotonic()
        tokens, then = self._buckets.get(project, (self.size, now))
        tokens = min(self.size, tokens + (now - then) * self.rate)
        if tokens >= 1.0:
            self._buckets[project] = (tokens - 1.0, now)
            return None
        self._buckets[project] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) / self.rate))


class Faults:
    """Seeded decisions for latency, 5xx, drops and ambiguous creates; counts what it injects."""

    def __init__(self, config: SandboxConfig, counts: dict[str, int]) -> None:
        self.config = config
        self.counts = counts
        self._random = random.Random(config.seed)
        self._sleep: Callable[[float], Awaitable[Any]] = config.sleep

    async def delay(self) -> None:
        """Wait the configured latency plus a seeded jitter (through the injectable sleep)."""
        config = self.config
        if config.latency_ms or config.jitter_ms:
            jitter = self._random.uniform(0, config.jitter_ms) if config.jitter_ms else 0.0
            await self._sleep((config.latency_ms + jitter) / 1000)

    def _roll(self, rate: float, counter: str) -> bool:
        if rate <= 0.0 or self._random.random() >= rate:
            return False
        self.counts[counter] += 1
        return True

    def server_error(self) -> bool:
        """Whether this request fails with a random 5xx before doing anything."""
        return self._roll(self.config.fault_rate, "serverErrors")

    def drop(self) -> bool:
        """Whether this request's connection is dropped before doing anything."""
        return self._roll(self.config.drop_rate, "dropped")

    def ambiguous(self) -> str | None:
        """For a committed create: ``"error"`` (reply 500), ``"drop"`` or ``None`` (reply)."""
        if not self._roll(self.config.ambiguous_rate, "ambiguousCreates"):
            return None
        return "drop" if self._random.random() < 0.5 else "error"

    def status_for_error(self) -> int:
        """Which 5xx a random fault answers with."""
        return 503 if self._random.random() < 0.3 else 500


def crash() -> None:
    """Kill this process at once, as a power cut would (used by crash-safety tests)."""
    os.kill(os.getpid(), signal.SIGKILL)
