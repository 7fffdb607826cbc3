"""Client-side pacing shared by every caller of one client: a rate limit and a concurrency cap.

Requests are spaced at least ``1 / rate`` seconds apart (start times are reserved in arrival
order) and at most ``concurrency`` run at once. A 429 halves the current rate, down to a floor,
and pauses everyone for the service's ``Retry-After``. The 429s that requests already in flight
bring back in the same second are one signal, not several: they do not halve the rate again.

After a 429 the pace climbs back quickly (a twentieth of the configured rate per success) but
only to 90 % of the rate that drew it; above that it creeps up by 0.05 % per success (about 1 %
per 20 calls). A client configured faster than the service allows thus settles just under the
service's limit within a few 429s, instead of bouncing back into it every second and paying a
``Retry-After`` pause each time; a limit that rises again is found by the slow climb.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

__all__ = ["Pacer"]

_RECOVERY_STEPS = 20
#: Share of the rate that drew a 429 up to which the pace recovers quickly.
_CEILING_SHARE = 0.9
#: Above that ceiling, each success raises it by this share.
_PROBE_SHARE = 0.0005
#: 429s arriving this long after the one that slowed the pace (or within its pause) belong to it.
_EPISODE_SECONDS = 1.0


class Pacer:
    """Rate limiter plus concurrency cap.

    ``rate`` is requests per second (> 0), ``concurrency`` the most requests in flight.
    ``clock`` and ``sleep`` are injectable for tests; ``min_rate`` is the floor a run of 429s
    can push the rate down to. ``ceiling`` is the rate the pace recovers to quickly: the
    configured rate until a 429 lowers it.
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
        self.ceiling = rate
        self.min_rate = min_rate if min_rate is not None else min(rate, 0.5)
        self.concurrency = concurrency
        self.in_flight = 0
        self.max_in_flight = 0
        self._clock = clock
        self._sleep = sleep
        self._next_start = float("-inf")
        self._episode_end = float("-inf")
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
        """The service said 429: hold new starts back for ``retry_after`` (else one interval).

        The first 429 of an episode also halves the rate and lowers the ceiling to 90 % of the
        rate that drew it; later 429s of the same episode only extend the pause.
        """
        now = self._clock()
        first = now >= self._episode_end
        if first:
            self.ceiling = max(self.min_rate, self.rate * _CEILING_SHARE)
            self.rate = max(self.min_rate, self.rate / 2)
        pause = retry_after if retry_after is not None else 1.0 / self.rate
        self._next_start = max(self._next_start, now + pause)
        if first:  # only the first 429 opens an episode, so later traffic can signal again
            self._episode_end = now + max(pause, _EPISODE_SECONDS)

    def succeeded(self) -> None:
        """A request went through: win back part of the rate, slowly beyond the ceiling."""
        if self.rate < self.ceiling:
            self.rate = min(self.ceiling, self.rate + self.target_rate / _RECOVERY_STEPS)
        elif self.ceiling < self.target_rate:
            self.ceiling = min(self.target_rate, self.ceiling * (1 + _PROBE_SHARE))
            self.rate = self.ceiling
