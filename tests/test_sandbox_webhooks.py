"""Webhooks: the five published types reach a receiver, failed deliveries are retried."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sandbox_harness import API, TODAY, harness, order_body, portable, quiet

from batchport.sandbox.webhooks import delivery_url

pytestmark = pytest.mark.anyio

NUMBERS = portable(3)


async def test_all_five_event_types_are_delivered() -> None:
    async with harness(quiet(reject_rate=0.5)) as h:
        await h.hook_to_receiver()
        order = await h.create(order_body(NUMBERS))
        await h.call("POST", f"{API}/orders/portIns/{order['id']}/notes", json={"note": "hello"})
        await h.advance(30)
    types = set(h.receiver.types())
    assert {"NEW_ORDER_NOTE", "ORDER_UPDATED", "NUMBERS_CONFIRMED", "NUMBERS_ACTIVATED"} <= types
    assert "NUMBERS_REJECTED" in types
    assert all(b["orderId"] == str(order["id"]) for b in h.receiver.bodies)
    note = next(b for b in h.receiver.bodies if b["type"] == "NEW_ORDER_NOTE")
    assert note == {"type": "NEW_ORDER_NOTE", "orderId": str(order["id"]), "note": "hello"}


async def test_order_updated_on_full_update_and_cancel_carries_no_id() -> None:
    async with harness() as h:
        await h.hook_to_receiver()
        order = await h.create(order_body(NUMBERS[:1]))
        path = f"{API}/orders/portIns/{order['id']}"
        await h.call("PUT", path, json=order_body(NUMBERS[1:2]))
        await h.call("DELETE", path)
    updates = [b for b in h.receiver.bodies if b["type"] == "ORDER_UPDATED"]
    assert [u["order"]["status"] for u in updates] == ["PENDING", "CANCELED"]
    assert all("id" not in u["order"] for u in updates)


async def test_failed_delivery_is_retried_with_backoff() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with harness(quiet(sleep=sleep), fail_first=2) as h:
        await h.hook_to_receiver()
        order = await h.create(order_body(NUMBERS[:1]))
        await h.call("POST", f"{API}/orders/portIns/{order['id']}/notes", json={"note": "x"})
        stats = (await h.call("GET", "/_sandbox/stats")).json()["webhooks"]
    assert waits == [0.5, 1.0]
    assert h.receiver.types() == ["NEW_ORDER_NOTE"]
    assert stats == {"attempts": 3, "delivered": 1, "failed": 0}


async def test_delivery_gives_up_after_the_attempts() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with harness(quiet(sleep=sleep, webhook_attempts=3), fail_first=10) as h:
        await h.hook_to_receiver()
        order = await h.create(order_body(NUMBERS[:1]))
        reply = await h.call(
            "POST", f"{API}/orders/portIns/{order['id']}/notes", json={"note": "x"}
        )
        stats = (await h.call("GET", "/_sandbox/stats")).json()["webhooks"]
    assert reply.status_code == 200
    assert waits == [0.5, 1.0] and h.receiver.bodies == []
    assert stats == {"attempts": 3, "delivered": 0, "failed": 1}


async def test_no_webhook_without_a_configured_url() -> None:
    async with harness() as h:
        order = await h.create(order_body(NUMBERS[:1]))
        await h.call("POST", f"{API}/orders/portIns/{order['id']}/notes", json={"note": "x"})
        await h.advance(30)
    assert h.receiver.hits == 0


def test_url_without_scheme_is_https() -> None:
    assert delivery_url("my.callback.server/hook") == "https://my.callback.server/hook"
    assert delivery_url("http://127.0.0.1:9/x") == "http://127.0.0.1:9/x"


@pytest.mark.parametrize("request_kind", ["unknown-order", "ambiguous-create"])
async def test_events_that_fell_due_are_delivered_even_when_the_request_fails(
    tmp_path: Path, request_kind: str
) -> None:
    state = tmp_path / "sandbox.sqlite"
    async with harness(quiet(state_path=state)) as h:
        await h.hook_to_receiver()
        await h.create(order_body(NUMBERS[:2]))
    # A day later (a restart, or midnight) the carriers' answers fall due on the next request.
    later = quiet(state_path=state, today=TODAY + timedelta(days=1), ambiguous_rate=1.0)
    async with harness(later) as h:
        if request_kind == "unknown-order":
            reply = await h.call("GET", f"{API}/orders/portIns/1")
            assert reply.status_code == 404
        else:
            body = order_body(NUMBERS[2:3], customerOrderReference="second")
            try:
                reply = await h.client.post(f"{API}/orders/portIns", json=body)
                assert reply.status_code == 500
            except httpx.RemoteProtocolError:
                pass
    assert "NUMBERS_CONFIRMED" in h.receiver.types()
    assert "ORDER_UPDATED" in h.receiver.types()
