"""Pacing: the rate limit and concurrency cap shared by all callers, slowing on 429."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from api_fakes import VirtualClock, base_settings, fake_client, run

from batchport.api import Pacer


def test_starts_are_spaced_by_the_rate_and_capped_by_concurrency() -> None:
    clock = VirtualClock()
    starts: list[float] = []

    async def go() -> Pacer:
        pacer = Pacer(rate=5.0, concurrency=3, clock=lambda: 0.0, sleep=clock.sleep)

        async def one() -> None:
            async with pacer.slot():
                starts.append(len(starts))
                for _ in range(3):
                    await asyncio.sleep(0)

        await asyncio.gather(*(one() for _ in range(10)))
        return pacer

    pacer = run(go())
    # The clock stands still, so each caller waits exactly its reserved offset: k / rate.
    assert sorted(clock.sleeps) == pytest.approx([0.2 * k for k in range(1, 10)])
    assert len(starts) == 10
    assert pacer.max_in_flight == 3
    assert pacer.in_flight == 0


def test_no_wait_when_requests_are_already_spaced() -> None:
    clock = VirtualClock()
    pacer = Pacer(rate=2.0, concurrency=1, clock=clock, sleep=clock.sleep)

    async def go() -> None:
        for _ in range(3):
            async with pacer.slot():
                pass
            clock.now += 1.0

    run(go())
    assert clock.sleeps == []


def test_429_halves_the_rate_pauses_everyone_and_recovers_to_just_under_it() -> None:
    clock = VirtualClock()
    pacer = Pacer(rate=10.0, concurrency=2, clock=clock, sleep=clock.sleep)
    pacer.throttled(retry_after=3.0)
    assert pacer.rate == 5.0
    assert pacer.ceiling == pytest.approx(9.0)  # 90 % of the rate that drew the 429

    async def go() -> None:
        async with pacer.slot():
            pass

    run(go())
    assert clock.sleeps == [3.0]
    pacer.succeeded()
    assert pacer.rate == 5.5
    for _ in range(7):
        pacer.succeeded()
    assert pacer.rate == pytest.approx(9.0)  # quick recovery stops at the ceiling


def test_above_the_ceiling_the_pace_creeps_back_to_the_configured_rate() -> None:
    clock = VirtualClock()
    pacer = Pacer(rate=10.0, concurrency=1, clock=clock, sleep=clock.sleep)
    pacer.throttled(retry_after=1.0)
    for _ in range(8):  # 5.0 → 9.0 in steps of 0.5
        pacer.succeeded()
    assert pacer.rate == pytest.approx(9.0)
    pacer.succeeded()
    assert pacer.rate == pytest.approx(9.0 * 1.0005)
    for _ in range(199):
        pacer.succeeded()
    assert 9.0 * 1.1 < pacer.rate < 9.0 * 1.11  # about 1 % per 20 calls
    for _ in range(1000):
        pacer.succeeded()
    assert pacer.rate == pacer.ceiling == 10.0


def test_429s_of_requests_already_in_flight_slow_the_pace_once() -> None:
    clock = VirtualClock()
    pacer = Pacer(rate=40.0, concurrency=8, clock=clock, sleep=clock.sleep)
    for _ in range(6):  # the bucket ran dry: every request in flight comes back 429
        pacer.throttled(retry_after=1.0)
        clock.now += 0.05
    assert pacer.rate == 20.0 and pacer.ceiling == pytest.approx(36.0)
    clock.now = 1.2  # after the pause, a new 429 is a new signal
    pacer.throttled(retry_after=1.0)
    assert pacer.rate == 10.0 and pacer.ceiling == pytest.approx(18.0)


def test_a_later_429_in_flight_does_not_stretch_the_episode() -> None:
    clock = VirtualClock()
    pacer = Pacer(rate=40.0, concurrency=8, clock=clock, sleep=clock.sleep)
    pacer.throttled(retry_after=1.0)
    clock.now = 0.9
    pacer.throttled(retry_after=1.0)  # same episode: the pause grows, the rate stays
    assert pacer.rate == 20.0
    clock.now = 1.05
    pacer.throttled(retry_after=1.0)
    assert pacer.rate == 10.0


def test_repeated_429s_stop_at_the_floor() -> None:
    clock = VirtualClock()
    pacer = Pacer(rate=10.0, concurrency=1, clock=clock, sleep=clock.sleep)
    for _ in range(20):
        pacer.throttled()
        clock.now += 5.0
    assert pacer.rate == pacer.min_rate == 0.5
    assert pacer.ceiling == 0.5


def test_invalid_pacer_arguments() -> None:
    with pytest.raises(ValueError):
        Pacer(rate=0, concurrency=1)
    with pytest.raises(ValueError):
        Pacer(rate=1, concurrency=0)


def test_client_keeps_concurrency_under_the_cap_and_slows_on_429(tmp_path: Path) -> None:
    in_flight = 0
    peak = 0
    throttled_once = False

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak, throttled_once
        in_flight += 1
        peak = max(peak, in_flight)
        for _ in range(5):
            await asyncio.sleep(0)
        in_flight -= 1
        if not throttled_once:
            throttled_once = True
            return httpx.Response(429)
        return httpx.Response(200, json={"phoneNumbers": []})

    async def go() -> tuple[int, float]:
        settings = base_settings(tmp_path, concurrency=3, rate=100.0)
        async with fake_client(httpx.MockTransport(handler), settings) as client:
            await asyncio.gather(*(client.check_portability(["+12125550143"]) for _ in range(8)))
            return client.calls, client.pacer.rate

    calls, rate = run(go())
    assert peak == 3
    assert calls == 9
    assert 50.0 < rate < 100.0  # halved by the 429, partly recovered by 8 successes
