"""Small ``batchport run`` inputs, sandbox helpers and a progress recorder shared by the stage,
pipeline and CLI tests."""

from __future__ import annotations

import asyncio
import csv
import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path

from batchport.api import Order
from batchport.connection import open_client
from batchport.planner import PlannedOrder
from batchport.settings import Settings, resolve_settings

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
