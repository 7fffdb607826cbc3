"""Retries: the exact backoff sequence, Retry-After, the deadline, and the create-once rule."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_fakes import VirtualClock, base_settings, fake_client, run
from test_api_client import ORDER_JSON, sample_order

from batchport.api import RetryPolicy
from batchport.api.errors import RetryableStatus
from batchport.errors import AmbiguousCreateError, ApiRejected, RetriesExhausted


def busy() -> RetryableStatus:
    return RetryableStatus("op failed with HTTP 503", status=503, operation="op", retry_after=None)


def test_backoff_sequence_with_list_append_as_sleep() -> None:
    waits: list[float] = []
    policy = RetryPolicy(
        max_attempts=6,
        base_delay=0.5,
        max_delay=4.0,
        sleep=waits.append,
        jitter=lambda ceiling: ceiling,
    )
    attempts = 0

    async def always_busy() -> None:
        nonlocal attempts
        attempts += 1
        raise busy()

    with pytest.raises(RetriesExhausted) as caught:
        run(policy.call("op", always_busy))
    assert waits == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert attempts == 6
    assert caught.value.status == 503
    assert isinstance(caught.value.__cause__, RetryableStatus)


def test_full_jitter_draws_below_the_exponential_ceiling() -> None:
    ceilings: list[float] = []

    def jitter(ceiling: float) -> float:
        ceilings.append(ceiling)
        return ceiling / 4

    waits: list[float] = []
    policy = RetryPolicy(max_attempts=4, sleep=waits.append, jitter=jitter)

    async def fails() -> None:
        raise busy()

    with pytest.raises(RetriesExhausted):
        run(policy.call("op", fails))
    assert ceilings[: len(waits)] == [0.5, 1.0, 2.0]
    assert waits == [0.125, 0.25, 0.5]


def test_default_jitter_is_a_random_draw_below_each_ceiling() -> None:
    draws: list[list[float]] = []
    for _ in range(50):
        waits: list[float] = []
        policy = RetryPolicy(max_attempts=5, base_delay=0.5, max_delay=3.0, sleep=waits.append)

        async def fails() -> None:
            raise busy()

        with pytest.raises(RetriesExhausted):
            run(policy.call("op", fails))
        draws.append(waits)
    ceilings = [0.5, 1.0, 2.0, 3.0]
    assert all(len(waits) == 4 for waits in draws)
    assert all(0 <= w <= c for waits in draws for w, c in zip(waits, ceilings, strict=True))
    assert all(len({waits[n] for waits in draws}) > 40 for n in range(4))  # drawn, not fixed
    assert max(waits[3] for waits in draws) > 2.0  # the last ceiling is max_delay, not 2.0


def test_deadline_stops_before_a_wait_that_would_pass_it() -> None:
    clock = VirtualClock()
    policy = RetryPolicy(
        max_attempts=10,
        deadline=3.0,
        sleep=clock.sleep,
        clock=clock,
        jitter=lambda ceiling: ceiling,
    )

    async def fails() -> None:
        raise busy()

    with pytest.raises(RetriesExhausted, match="3 attempt"):
        run(policy.call("op", fails))
    assert clock.sleeps == [0.5, 1.0]


def test_success_after_failures_returns_the_value() -> None:
    waits: list[float] = []
    outcomes: list[Callable[[], Any]] = [busy, busy]
    policy = RetryPolicy(sleep=waits.append, jitter=lambda ceiling: ceiling)

    async def flaky() -> str:
        if outcomes:
            raise outcomes.pop(0)()
        return "done"

    assert run(policy.call("op", flaky)) == "done"
    assert waits == [0.5, 1.0]


def sequence_handler(
    *steps: httpx.Response | type[Exception],
) -> Callable[[httpx.Request], httpx.Response]:
    queue = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        step = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(step, type):
            raise step("simulated", request=request)  # type: ignore[call-arg]
        return step

    return handler


def run_op(
    tmp_path: Path, handler: Any, op: Callable[[Any], Any], **settings: Any
) -> tuple[Any, int, VirtualClock]:
    clock = VirtualClock()
    calls = 0

    async def go() -> Any:
        nonlocal calls
        async with fake_client(handler, base_settings(tmp_path, **settings), clock) as client:
            try:
                return await op(client)
            finally:
                calls = client.calls

    try:
        result: Any = run(go())
    except Exception as exc:  # the tests assert on the raised error
        result = exc
    return result, calls, clock


def test_retry_after_seconds_is_honoured_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    handler = sequence_handler(
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={})
    )
    with caplog.at_level(logging.INFO, logger="batchport.api"):
        _, calls, clock = run_op(tmp_path, handler, lambda c: c.get_configuration())
    assert calls == 2
    assert 7.0 in clock.sleeps
    retries = [r for r in caplog.records if r.getMessage().startswith("Retrying")]
    assert len(retries) == 1 and retries[0].levelno == logging.INFO
    assert retries[0].getMessage().startswith("Retrying get_configuration in 7.00 seconds as it")
    assert "HTTP 429" in retries[0].getMessage()


def test_retry_after_http_date_is_honoured(tmp_path: Path) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    handler = sequence_handler(
        httpx.Response(503, headers={"Retry-After": later}), httpx.Response(200, json={})
    )
    _, calls, clock = run_op(tmp_path, handler, lambda c: c.get_configuration())
    assert calls == 2
    assert any(27 <= wait <= 30 for wait in clock.sleeps)


@pytest.mark.parametrize(
    "failure", [httpx.ReadError, httpx.ConnectError, httpx.RemoteProtocolError]
)
def test_reads_are_retried_after_transport_failures(
    tmp_path: Path, failure: type[Exception]
) -> None:
    handler = sequence_handler(failure, httpx.Response(200, json={"id": 4, "status": "PENDING"}))
    order, calls, _ = run_op(tmp_path, handler, lambda c: c.get_order(4))
    assert order.id == 4 and calls == 2


def test_rejections_are_not_retried(tmp_path: Path) -> None:
    handler = sequence_handler(httpx.Response(422, json={"message": "bad"}))
    error, calls, clock = run_op(tmp_path, handler, lambda c: c.get_order(4))
    assert isinstance(error, ApiRejected) and calls == 1 and clock.sleeps == []


def test_persistent_5xx_on_reads_exhausts_the_attempts(tmp_path: Path) -> None:
    handler = sequence_handler(httpx.Response(502))
    error, calls, _ = run_op(tmp_path, handler, lambda c: c.get_order(4), max_attempts=3)
    assert isinstance(error, RetriesExhausted) and calls == 3


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(500),
        httpx.Response(503),
        httpx.ReadTimeout,
        httpx.RemoteProtocolError,
        httpx.ReadError,
        httpx.WriteTimeout,
    ],
    ids=["500", "503", "read-timeout", "dropped", "read-error", "write-timeout"],
)
def test_create_is_ambiguous_after_the_request_was_sent(tmp_path: Path, failure: Any) -> None:
    handler = sequence_handler(failure, httpx.Response(201, json=ORDER_JSON))
    error, calls, _ = run_op(tmp_path, handler, lambda c: c.create_order(sample_order("ref-9")))
    assert isinstance(error, AmbiguousCreateError)
    assert calls == 1
    assert "ref-9" in error.message and "look it up" in error.message


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(429, headers={"Retry-After": "2"}), httpx.ConnectError, httpx.ConnectTimeout],
    ids=["429", "connect-error", "connect-timeout"],
)
def test_create_is_retried_when_nothing_was_committed(tmp_path: Path, failure: Any) -> None:
    handler = sequence_handler(failure, httpx.Response(201, json=ORDER_JSON))
    order, calls, _ = run_op(tmp_path, handler, lambda c: c.create_order(sample_order()))
    assert order.id == 897867 and calls == 2


def test_create_throttled_until_exhausted_is_not_ambiguous(tmp_path: Path) -> None:
    handler = sequence_handler(httpx.Response(429))
    error, calls, _ = run_op(
        tmp_path, handler, lambda c: c.create_order(sample_order()), max_attempts=3
    )
    assert type(error) is RetriesExhausted and calls == 3


def test_create_rejection_is_raised_as_is(tmp_path: Path) -> None:
    handler = sequence_handler(httpx.Response(422, json={"message": "number not portable"}))
    error, calls, _ = run_op(tmp_path, handler, lambda c: c.create_order(sample_order()))
    assert isinstance(error, ApiRejected) and "not portable" in error.message and calls == 1


def test_notes_are_not_resent_after_a_5xx(tmp_path: Path) -> None:
    handler = sequence_handler(
        httpx.Response(500), httpx.Response(200, json={"id": 1, "note": "x"})
    )
    error, calls, _ = run_op(tmp_path, handler, lambda c: c.add_note(4, "x"))
    assert isinstance(error, RetryableStatus) and calls == 1


@pytest.mark.parametrize(
    "answer",
    [httpx.Response(201, content=b"<html>created</html>"), httpx.Response(201, json={})],
    ids=["unreadable", "no-id"],
)
def test_create_answered_without_a_usable_order_is_ambiguous(tmp_path: Path, answer: Any) -> None:
    handler = sequence_handler(answer)
    error, calls, _ = run_op(tmp_path, handler, lambda c: c.create_order(sample_order("ref-3")))
    assert isinstance(error, AmbiguousCreateError) and calls == 1
    assert "ref-3" in error.message and error.status == 201
