"""Client-side pacing shared by every caller of one client: a rate limit and a concurrency cap.

Requests are spaced at least ``1 / rate`` seconds apart (start times are reserved in arrival
order) and at most ``concurrency`` run at once. A 429 halves the current rate, down to a floor,
and pauses everyone for the service's ``Retry-After``; each success after that wins back a
twentieth of the configured rate, so the pace recovers over a few dozen calls instead of
bouncing straight back into the limit.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

__all__ = ["Pacer"]

_RECOVERY_STEPS = 20


class Pacer:
    """Rate limiter plus concurrency cap.

    ``rate`` is requests per second (> 0), ``concurrency`` the most requests in flight.
    ``clock`` and ``sleep`` are injectable for tests; ``min_rate`` is the floor a run of 429s
    can push the rate down to.
    """

    def __init__(
        self,
        rate: float,
        concurrency: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = asyncio.sleep,
        min_rate: float | None = None,
    ) -> None:
        if rate <= 0 or concurrency < 1:
            raise ValueError("rate must be > 0 and concurrency >= 1")
        self.target_rate = rate
        self.rate = rate
        self.min_rate = min_rate if min_rate is not None else min(rate, 0.5)
        self.concurrency = concurrency
        self.in_flight = 0
        self.max_in_flight = 0
        self._clock = clock
        self._sleep = sleep
        self._next_start = float("-inf")
        self._slots = asyncio.Semaphore(concurrency)

    def _reserve(self) -> float:
        """Reserve the next start time; returns how long the caller must wait for it."""
        now = self._clock()
        start = max(now, self._next_start)
        self._next_start = start + 1.0 / self.rate
        return start - now

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Wait for a free slot and the next start time, then hold the slot while in the block."""
        async with self._slots:
            delay = self._reserve()
            if delay > 0:
                result = self._sleep(delay)
                if inspect.isawaitable(result):
                    await result
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                yield
            finally:
                self.in_flight -= 1

    def throttled(self, retry_after: float | None = None) -> None:
        """The service said 429: halve the rate and hold new starts back for ``retry_after``."""
        self.rate = max(self.min_rate, self.rate / 2)
        pause = retry_after if retry_after is not None else 1.0 / self.rate
        self._next_start = max(self._next_start, self._clock() + pause)

    def succeeded(self) -> None:
        """A request went through: win back part of the configured rate."""
        if self.rate < self.target_rate:
            self.rate = min(self.target_rate, self.rate + self.target_rate / _RECOVERY_STEPS)
