"""The retry policy: which failures are sent again, how long to wait, and when to give up.

A :class:`RetryPolicy` is plain configuration turned into a tenacity ``AsyncRetrying`` for each
call. Waits are exponential with full jitter (a random wait between 0 and
``base_delay * 2**(attempt-1)``, capped at ``max_delay``), except that a ``Retry-After`` from
the service is honoured as given. Retrying stops at ``max_attempts`` or when the next wait would
pass ``deadline`` seconds since the first attempt. ``sleep``, ``jitter`` and ``clock`` are
injectable so tests see the exact waits without waiting.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, RetryError, retry_if_exception

from batchport.api.errors import RetryableStatus
from batchport.errors import RetriesExhausted, TransientApiError

__all__ = ["RetryPolicy", "full_jitter", "is_transient"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


def full_jitter(ceiling: float) -> float:
    """A uniformly random wait between 0 and ``ceiling`` seconds."""
    return random.uniform(0.0, ceiling)


def is_transient(exc: BaseException) -> bool:
    """True for failures where sending the same request again may succeed."""
    return isinstance(exc, TransientApiError)


@dataclass(frozen=True)
class RetryPolicy:
    """How one call is retried (``batchport.connection.retry_policy`` builds a run's)."""

    max_attempts: int = 5
    deadline: float = 120.0
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Callable[[float], object] = field(default=asyncio.sleep, compare=False)
    jitter: Callable[[float], float] = field(default=full_jitter, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (1-based) when no Retry-After came."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return self.jitter(ceiling)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableStatus) and exc.retry_after is not None:
            return exc.retry_after
        return self.backoff(state.attempt_number)

    async def _sleep(self, seconds: float) -> None:
        result = self.sleep(seconds)
        if inspect.isawaitable(result):
            await result

    async def call(
        self,
        operation: str,
        attempt: Callable[[], Awaitable[T]],
        *,
        retryable: Callable[[BaseException], bool] = is_transient,
    ) -> T:
        """Run ``attempt`` until it succeeds or the policy gives up.

        Failures for which ``retryable`` is false are raised at once, unchanged. Raises
        RetriesExhausted (chained to the last failure) when attempts or time run out.
        """
        started = self.clock()

        def stop(state: RetryCallState) -> bool:
            if state.attempt_number >= self.max_attempts:
                return True
            upcoming = state.upcoming_sleep or 0.0
            return self.clock() - started + upcoming > self.deadline

        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            logger.info(
                "%s: retrying in %.2f s after attempt %d failed: %s",
                operation,
                state.upcoming_sleep,
                state.attempt_number,
                exc,
            )

        retrying = AsyncRetrying(
            sleep=self._sleep,
            stop=stop,
            wait=self._wait,
            retry=retry_if_exception(retryable),
            before_sleep=log_retry,
        )
        try:
            return await retrying(attempt)
        except RetryError as gave_up:
            last = gave_up.last_attempt.exception()
            tries = gave_up.last_attempt.attempt_number
            status = last.status if isinstance(last, TransientApiError) else None
            raise RetriesExhausted(
                f"{operation}: gave up after {tries} attempt(s): {last}",
                status=status,
                operation=operation,
            ) from last
