"""Small ``batchport run`` inputs, sandbox helpers and a progress recorder shared by the stage,
pipeline and CLI tests."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TypeVar

import httpx

from batchport.api import Order, PortingClient
from batchport.connection import open_client, sandbox_transport
from batchport.pipeline import RunResult, run_batch
from batchport.planner import PlannedOrder
from batchport.sandbox import BASE_URL
from batchport.settings import Settings, resolve_settings

T = TypeVar("T")

HEADER = (
    "Phone Number", "End User Name", "Street Number", "Street Name", "City", "State", "ZIP",
    "Port-Out PIN", "Account Number", "Reseller Name", "Customer Order Reference", "Notes",
)  # fmt: skip


def us_row(last4: int, *, npa: str = "212", notes: str = "", ref: str = "") -> list[str]:
    """A clean US row for (NPA) 555-<last4>."""
    return [
        f"({npa}) 555-{last4:04d}", "Acme Dental LLC", "350", "Fifth Ave", "New York", "NY",
        "10118", "4321", "8001234567", "", ref, notes,
    ]  # fmt: skip


def ca_row(last4: int, reseller: str = "Fido") -> list[str]:
    """A clean Canadian (Toronto) row with a reseller name."""
    return [
        f"416-555-{last4:04d}", "Maple Widgets Inc", "100", "King St W", "Toronto", "ON",
        "M5X 1A9", "", "77712345", reseller, "", "",
    ]  # fmt: skip


def write_input(path: Path, rows: list[list[str]]) -> Path:
    """Write ``rows`` under :data:`HEADER` as a CSV file and return its path."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def write_scenario(path: Path, not_portable: Mapping[str, str] | None = None) -> Path:
    """A sandbox scenario: (212) 555 numbers from Verizon Wireless, (416) 555 from Rogers
    Wireless, and ``not_portable`` numbers (E.164 → reason) not portable; returns ``path``."""
    entries: list[dict[str, object]] = [
        {"match": "+1212555", "carrier": "Verizon Wireless", "portable": True},
        {"match": "+1416555", "carrier": "Rogers Wireless", "portable": True},
    ]
    for number, reason in (not_portable or {}).items():
        entries.append({"match": number, "portable": False, "reason": reason})
    path.write_text(json.dumps({"numbers": entries}))
    return path


def sandbox_settings(tmp_path: Path, options: str = "", **fields: object) -> Settings:
    """Settings for an in-process sandbox whose journal and state live in ``tmp_path``."""
    settings = resolve_settings(
        {"sandbox": True, "state_path": tmp_path / "state" / "journal.sqlite"}, env={}
    )
    return replace(settings, sandbox_options=options, **fields)  # type: ignore[arg-type]


def sandbox_orders(settings: Settings) -> list[Order]:
    """Every order the sandbox holds (full orders, with their numbers)."""

    async def fetch() -> list[Order]:
        async with open_client(replace(settings, sandbox_options="")) as client:
            summaries = [order async for order in client.iter_orders()]
            return [await client.get_order(order.id) for order in summaries]

    return asyncio.run(fetch())


def planned_order(reference: str, rows: tuple[int, ...], **fields: object) -> PlannedOrder:
    """A planned US order of ``rows`` (numbers +1212555<row>), for journal and submit tests."""
    order = PlannedOrder(
        reference=reference,
        order_group="",
        user_reference="",
        country="US",
        carrier="Verizon",
        desired_port_date=date(2026, 12, 4),
        desired_port_time="",
        desired_port_time_zone="",
        on_demand_activation=False,
        reseller_name="",
        rows=rows,
        numbers=tuple(f"+1212555{row:04d}" for row in rows),
    )
    return replace(order, **fields)  # type: ignore[arg-type]


class ProgressRecorder:
    """A ``batchport.progress.Progress`` that keeps each call as ``(call, stage or message, n)``."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, int]] = []

    def start(self, stage: str, total: int) -> None:
        self.events.append(("start", stage, total))

    def advance(self, stage: str, amount: int = 1) -> None:
        self.events.append(("advance", stage, amount))

    def note(self, message: str) -> None:
        self.events.append(("note", message, 0))


def lifecycle_settings(tmp_path: Path) -> Settings:
    """Sandbox settings for the lifecycle tests: the scenario's carriers, no random rejections
    or exclusions, no rate limit."""
    scenario = write_scenario(tmp_path / "scenario.json")
    options = f"scenario={scenario},reject_rate=0,exclude_rate=0,rate_limit=off"
    return sandbox_settings(tmp_path, options)


def submit_rows(settings: Settings, path: Path, rows: list[list[str]]) -> RunResult:
    """Run ``rows`` (written to ``path``) as a batch against the sandbox of ``settings``."""
    return run_batch(write_input(path, rows), settings)


def with_client(settings: Settings, call: Callable[[PortingClient], Awaitable[T]]) -> T:
    """Await ``call`` on a client of ``settings`` and return what it returns."""

    async def session() -> T:
        async with open_client(settings) as client:
            return await call(client)

    return asyncio.run(session())


def advance_sandbox(settings: Settings, days: int) -> None:
    """Move the clock of the sandbox of ``settings`` (kept in its state file) by ``days``."""

    async def advance() -> None:
        transport = sandbox_transport(settings)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
            reply = await http.post("/_sandbox/clock/advance", json={"days": days})
            reply.raise_for_status()

    asyncio.run(advance())
