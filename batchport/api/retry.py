"""The retry policy: which failures are sent again, how long to wait, and when to give up.

A :class:`RetryPolicy` is plain configuration turned into a tenacity ``AsyncRetrying`` for each
call. Waits are tenacity's ``wait_random_exponential``: full jitter, a random wait between 0
and ``base_delay * 2**(attempt-1)`` capped at ``max_delay``, except that a ``Retry-After`` from
the service is honoured as given (:class:`WaitRetryAfter`). Retrying stops at ``max_attempts``
or when the next wait would pass ``deadline`` seconds since the first attempt
(:class:`StopBeforeDeadline`). Each retry is logged at INFO by tenacity's ``before_sleep_log``.
``sleep``, ``jitter`` and ``clock`` are injectable so tests see the exact waits without waiting.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    before_sleep_log,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
    wait_random_exponential,
)
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from batchport.api.errors import RetryableStatus
from batchport.errors import RetriesExhausted, TransientApiError

__all__ = ["RetryPolicy", "StopBeforeDeadline", "WaitRetryAfter", "is_transient"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


def is_transient(exc: BaseException) -> bool:
    """True for failures where sending the same request again may succeed."""
    return isinstance(exc, TransientApiError)


class WaitRetryAfter(wait_base):
    """The service's ``Retry-After`` when the failure carries one, else the ``fallback`` wait."""

    def __init__(self, fallback: wait_base) -> None:
        self.fallback = fallback

    def __call__(self, retry_state: RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(exc, RetryableStatus) and exc.retry_after is not None:
            return exc.retry_after
        return self.fallback(retry_state)


class StopBeforeDeadline(stop_base):
    """Stop when the next wait would end more than ``deadline`` seconds after creation.

    tenacity's own ``stop_before_delay`` reads ``time.monotonic`` itself; this one reads the
    injected ``clock``, so tests move time without waiting.
    """

    def __init__(self, deadline: float, clock: Callable[[], float]) -> None:
        self.deadline = deadline
        self.clock = clock
        self.started = clock()

    def __call__(self, retry_state: RetryCallState) -> bool:
        upcoming = retry_state.upcoming_sleep or 0.0
        return self.clock() - self.started + upcoming > self.deadline


class _Jittered(wait_base):
    """``jitter`` applied to the ceiling ``ceiling`` gives: full jitter with a chosen draw."""

    def __init__(self, ceiling: wait_base, jitter: Callable[[float], float]) -> None:
        self.ceiling = ceiling
        self.jitter = jitter

    def __call__(self, retry_state: RetryCallState) -> float:
        return self.jitter(self.ceiling(retry_state))


@dataclass(frozen=True)
class RetryPolicy:
    """How one call is retried (``batchport.connection.retry_policy`` builds a run's).

    ``jitter`` is None for tenacity's random draw; tests pass a function of the ceiling
    (``lambda ceiling: ceiling``) to see the exact backoff sequence.
    """

    max_attempts: int = 5
    deadline: float = 120.0
    base_delay: float = 0.5
    max_delay: float = 30.0
    sleep: Callable[[float], object] = field(default=asyncio.sleep, compare=False)
    jitter: Callable[[float], float] | None = field(default=None, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    def backoff(self) -> wait_base:
        """The wait when no Retry-After came: at most ``min(max_delay, base_delay*2**(n-1))``."""
        if self.jitter is None:
            return wait_random_exponential(multiplier=self.base_delay, max=self.max_delay)
        ceiling = wait_exponential(multiplier=self.base_delay, max=self.max_delay)
        return _Jittered(ceiling, self.jitter)

    async def _sleep(self, seconds: float) -> None:
        result = self.sleep(seconds)
        if inspect.isawaitable(result):
            await result

    def _retrying(
        self, operation: str, retryable: Callable[[BaseException], bool] = is_transient
    ) -> AsyncRetrying:
        """A fresh tenacity ``AsyncRetrying`` for one call of ``operation`` (named in the log)."""
        return AsyncRetrying(
            sleep=self._sleep,
            stop=stop_after_attempt(self.max_attempts)
            | StopBeforeDeadline(self.deadline, self.clock),
            wait=WaitRetryAfter(self.backoff()),
            retry=retry_if_exception(retryable),
            before_sleep=before_sleep_log(logger, logging.INFO, sec_format="%.2f"),
            name=operation,
        )

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
        try:
            # Iterating (rather than calling the AsyncRetrying with ``attempt``) makes tenacity
            # name the operation in its log line instead of the closure's qualified name.
            async for trying in self._retrying(operation, retryable):
                with trying:
                    result = await attempt()
        except RetryError as gave_up:
            last = gave_up.last_attempt.exception()
            tries = gave_up.last_attempt.attempt_number
            status = last.status if isinstance(last, TransientApiError) else None
            raise RetriesExhausted(
                f"{operation}: gave up after {tries} attempt(s): {last}",
                status=status,
                operation=operation,
            ) from last
        return result
