"""The client against the sandbox: in process (every operation, then faults) and over a socket."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_fakes import VirtualClock, fake_client, run, traced_requests

from batchport.api import (
    EndUser,
    NumberRequest,
    Order,
    OrderRequest,
    OrderStatus,
    PortingClient,
    PortingConfiguration,
    PortOutInfo,
    VoiceConfiguration,
)
from batchport.errors import AmbiguousCreateError
from batchport.sandbox import SandboxConfig, asgi_transport, create_app
from batchport.sandbox.serve import build_server
from batchport.settings import Settings, resolve_settings

TODAY = date(2026, 12, 1)
END_USER = EndUser("Acme Corp", "12", "Main", "New York", "NY", "10001", streetType="St")
CANDIDATES = [f"+1212555{n:04d}" for n in range(100, 160)]


def sandbox_settings(tmp_path: Path, **changes: Any) -> Settings:
    settings = resolve_settings(
        {"sandbox": True, "state_path": tmp_path / "journal.sqlite"}, env={}
    )
    return replace(settings, trace_path=tmp_path / "trace.jsonl", rate=1000.0, **changes)


def order_for(numbers: list[str], reference: str, *, on_demand: bool = False) -> OrderRequest:
    return OrderRequest(
        desired_port_date=TODAY + timedelta(days=7),
        phone_numbers=tuple(
            NumberRequest(
                number,
                END_USER,
                PortOutInfo(existingPortOutPin="8642", accountNum="ACCT-99812345"),
                voiceConfiguration=VoiceConfiguration("RTC", appId="app-1"),
            )
            for number in numbers
        ),
        desired_port_time="10:00:00",
        desired_port_time_zone="US/Eastern",
        customer_order_reference=reference,
        on_demand_activation=on_demand,
    )


@asynccontextmanager
async def in_process(
    tmp_path: Path, clock: VirtualClock, **config: Any
) -> AsyncIterator[tuple[PortingClient, httpx.AsyncClient]]:
    """A client on the in-process sandbox, plus a raw client for its admin endpoints."""
    sandbox = SandboxConfig(
        today=TODAY, reject_rate=0.0, exclude_rate=0.0, monotonic=clock, sleep=clock.sleep, **config
    )
    transport = asgi_transport(create_app(sandbox))
    settings = sandbox_settings(tmp_path, max_attempts=12, retry_deadline=600.0)
    async with (
        fake_client(transport, settings, clock, sandbox=True) as client,
        httpx.AsyncClient(transport=transport, base_url="http://sandbox.local") as admin,
    ):
        yield client, admin


async def portable(client: PortingClient, count: int) -> list[str]:
    results = await client.check_portability(CANDIDATES)
    numbers = [r.phone_number for r in results if r.portable]
    assert len(numbers) >= count
    return numbers[:count]


async def every_operation(client: PortingClient, admin: httpx.AsyncClient) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    config = PortingConfiguration(
        contact_email="ops@example.com",
        contact_name="Ops",
        default_port_time="09:00:00",
        default_port_time_zone="US/Central",
    )
    seen["created_config"] = await client.create_configuration(config)
    seen["updated_config"] = await client.update_configuration(
        replace(config, contact_name="Ops 2")
    )
    seen["config"] = await client.get_configuration()
    first, second, third = await portable(client, 3)
    order = await client.create_order(order_for([first, second], "ref-main", on_demand=True))
    seen["created"] = order
    seen["updated"] = await client.update_order(
        order.id,
        replace(
            order_for([first, second], "ref-main", on_demand=True), desired_port_time="11:00:00"
        ),
    )
    seen["note"] = await client.add_note(order.id, "LOA attached")
    document = await client.upload_document(order.id, "loa.pdf", b"%PDF-1.4 loa", "LOA")
    seen["document"] = await client.get_document(order.id, document.id)
    seen["page"] = await client.list_orders(page=1, page_size=1)
    other = await client.create_order(order_for([third], "ref-other"))
    await client.cancel_order(other.id)
    seen["cancelled"] = await client.get_order(other.id)
    seen["found"] = await client.find_orders_by_reference("ref-main")
    advanced = await admin.post("/_sandbox/clock/advance", json={"days": 30})
    assert advanced.status_code == 200
    seen["confirmed"] = await client.get_order(order.id)
    groups = await client.available_activations(order.id)
    seen["groups"] = groups
    seen["activated"] = await client.activate(order.id, [groups[0].phone_number_group])
    seen["activated_rest"] = await client.activate(order.id)
    seen["final"] = await client.get_order(order.id)
    return seen


def test_every_operation_in_process(tmp_path: Path) -> None:
    async def go() -> dict[str, Any]:
        async with in_process(tmp_path, VirtualClock()) as (client, admin):
            return await every_operation(client, admin)

    seen = run(go())
    assert (
        seen["config"].contact_name == "Ops 2"
        and seen["config"].default_port_time_zone == "US/Central"
    )
    created: Order = seen["created"]
    assert created.status is OrderStatus.PENDING and len(created.phone_numbers) == 2
    assert all(n.country_code == "US" and n.phone_number_group for n in created.phone_numbers)
    assert seen["note"].note == "LOA attached"
    assert seen["document"].content == b"%PDF-1.4 loa"
    assert seen["page"].total_items == 1 and seen["page"].orders[0].id == created.id
    assert seen["cancelled"].status is OrderStatus.CANCELED
    assert [o.id for o in seen["found"]] == [created.id]
    confirmed: Order = seen["confirmed"]
    assert all(
        n.foc_date is not None and n.foc_date >= created.desired_port_date
        for n in confirmed.phone_numbers
    )
    assert seen["groups"] and all(g.phone_numbers for g in seen["groups"])
    assert seen["activated"][0].phone_number_group == seen["groups"][0].phone_number_group
    assert seen["final"].status is OrderStatus.COMPLETED
    operations = {line["operation"] for line in traced_requests(tmp_path / "trace.jsonl")}
    assert len(operations) == 14, sorted(operations)


async def submit_once(client: PortingClient, order: OrderRequest) -> Order:
    """Create, reconciling by reference whenever the outcome is ambiguous."""
    while True:
        try:
            return await client.create_order(order)
        except AmbiguousCreateError:
            found = await client.find_orders_by_reference(order.customer_order_reference)
            if found:
                return found[0]


async def submit_batch(client: PortingClient, count: int) -> list[Order]:
    numbers = await portable(client, count)
    orders = [order_for([number], f"batch-{i}") for i, number in enumerate(numbers)]
    return list(await asyncio.gather(*(submit_once(client, order) for order in orders)))


def assert_one_order_per_reference(created: list[Order], listed: list[Order], count: int) -> None:
    assert sorted(o.customer_order_reference for o in listed) == sorted(
        f"batch-{i}" for i in range(count)
    )
    assert sorted(o.id for o in created) == sorted(o.id for o in listed)


def test_faults_in_process_never_create_twice(tmp_path: Path) -> None:
    count = 12

    async def go() -> tuple[list[Order], list[Order], dict[str, Any], int]:
        faults = {
            "seed": 11,
            "fault_rate": 0.15,
            "drop_rate": 0.1,
            "ambiguous_rate": 0.4,
            "rate_limit": 4.0,
        }
        async with in_process(tmp_path, VirtualClock(), **faults) as (client, admin):
            created = await submit_batch(client, count)
            listed = [order async for order in client.iter_orders(page_size=5)]
            stats = (await admin.get("/_sandbox/stats")).json()
            return created, listed, stats, client.calls

    created, listed, stats, calls = run(go())
    assert_one_order_per_reference(created, listed, count)
    injected = stats["faults"]
    assert injected["ambiguousCreates"] > 0 and injected["rateLimited"] > 0
    assert injected["serverErrors"] + injected["dropped"] > 0
    assert calls > count


@pytest.mark.slow
def test_over_a_socket_with_faults_and_a_rate_limit(tmp_path: Path) -> None:
    count = 8
    clock = VirtualClock()
    config = SandboxConfig(
        today=TODAY,
        seed=5,
        reject_rate=0.0,
        fault_rate=0.1,
        drop_rate=0.1,
        ambiguous_rate=0.3,
        rate_limit=3.0,
        monotonic=clock,
        sleep=clock.sleep,
    )

    async def go() -> tuple[list[Order], list[Order], dict[str, Any]]:
        server = build_server(config, "127.0.0.1", 0)
        serving = asyncio.create_task(server.serve())
        # uvicorn offers only a flag; yielding to the loop until it is set waits for no time.
        while not server.started and not serving.done():  # noqa: ASYNC110
            await asyncio.sleep(0)
        assert server.started, "the sandbox server did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        root = f"http://127.0.0.1:{port}"
        settings = Settings(
            project_id="sandbox-project",
            key_id="sandbox",
            key_secret="sandbox",
            porting_url=root,
            auth_url=f"{root}/oauth2/token",
            rate=1000.0,
            max_attempts=12,
            retry_deadline=600.0,
            timeout=10.0,
            state_path=tmp_path / "journal.sqlite",
        )
        try:
            async with fake_client(None, settings, clock, sandbox=True) as client:
                created = await submit_batch(client, count)
                listed = [order async for order in client.iter_orders()]
            async with httpx.AsyncClient(base_url=root) as admin:
                stats = (await admin.get("/_sandbox/stats")).json()
        finally:
            server.should_exit = True
            await serving
        return created, listed, stats

    created, listed, stats = run(go())
    assert_one_order_per_reference(created, listed, count)
    assert stats["faults"]["rateLimited"] > 0
    assert stats["faults"]["dropped"] + stats["faults"]["ambiguousCreates"] > 0
