"""Bad days: rate limiting, latency, random 5xx, dropped connections, ambiguous creates."""

from __future__ import annotations

import httpx
import pytest
from api_fakes import VirtualClock
from sandbox_harness import API, harness, order_body, portable, quiet

pytestmark = pytest.mark.anyio

CONFIG = f"{API}/configuration"


async def test_rate_limit_answers_429_with_retry_after_and_refills() -> None:
    clock = VirtualClock()
    async with harness(quiet(rate_limit=2.0, burst=3, monotonic=clock)) as h:
        first = [(await h.call("GET", CONFIG)).status_code for _ in range(4)]
        limited = await h.call("GET", CONFIG)
        other_project = await h.call("GET", "/v1/projects/proj-b/configuration")
        clock.now += 0.5
        refilled = await h.call("GET", CONFIG)
        stats = (await h.call("GET", "/_sandbox/stats")).json()
    assert first == [404, 404, 404, 429]
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert limited.json()["status"] == "RESOURCE_EXHAUSTED"
    assert other_project.status_code == 404
    assert refilled.status_code == 404
    assert stats["faults"]["rateLimited"] == 2


async def test_rate_limit_is_on_by_default() -> None:
    from batchport.sandbox import SandboxConfig

    config = SandboxConfig()
    assert config.rate_limit == 50.0 and config.bucket_size == 50.0


async def test_latency_and_jitter_go_through_the_injected_sleep() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with harness(quiet(latency_ms=200, jitter_ms=100, sleep=sleep)) as h:
        for _ in range(3):
            await h.call("GET", CONFIG)
    assert len(waits) == 3
    assert all(0.2 <= w <= 0.3 for w in waits) and len(set(waits)) == 3


async def test_random_server_errors_are_seeded() -> None:
    async def statuses() -> list[int]:
        async with harness(quiet(fault_rate=0.5, seed=11)) as h:
            return [(await h.call("GET", CONFIG)).status_code for _ in range(12)]

    first = await statuses()
    assert first == await statuses()
    assert {500, 404} <= set(first) and set(first) <= {404, 500, 503}


async def test_dropped_connection_is_a_transport_error() -> None:
    async with harness(quiet(drop_rate=1.0)) as h:
        with pytest.raises(httpx.TransportError):
            await h.client.get(CONFIG)
        stats = (await h.call("GET", "/_sandbox/stats")).json()
    assert stats["faults"]["dropped"] == 1


async def test_ambiguous_create_commits_the_order_but_fails_the_reply() -> None:
    numbers = portable(12)
    async with harness(quiet(ambiguous_rate=1.0, seed=5)) as h:
        outcomes = []
        for i in range(6):
            body = order_body(numbers[2 * i : 2 * i + 2], customerOrderReference=f"amb-{i}")
            try:
                reply = await h.client.post(f"{API}/orders/portIns", json=body)
                outcomes.append(reply.status_code)
            except httpx.RemoteProtocolError:
                outcomes.append("drop")
        listed = await h.call(
            "GET", f"{API}/orders/portIns", params={"customerOrderReference": "amb-3"}
        )
        stats = (await h.call("GET", "/_sandbox/stats")).json()
    assert set(outcomes) == {500, "drop"}
    assert listed.json()["totalItems"] == 1
    assert stats["ordersCreated"] == 6 and stats["faults"]["ambiguousCreates"] == 6
