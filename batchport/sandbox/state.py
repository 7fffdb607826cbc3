"""The sandbox's memory: orders, configurations and documents per project, optionally in SQLite.

Everything lives in dictionaries; with a ``state_path`` each mutating request also writes what it
changed in one SQLite transaction (WAL mode), so a later process reopening the file sees the
same orders, ids and clock. Indexes keep requests O(numbers in the request):
``(project, number) → order id`` for numbers still in play (PENDING or CONFIRMED, in a PENDING
or CONFIRMED order), ``(project, number) → every order id`` for the list filter, and the set of
numbers already ported in (ACTIVATED in any project's order), which are no longer portable.
"""

from __future__ import annotations

import heapq
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from batchport.errors import JournalError
from batchport.outputs import create_private

__all__ = ["ACTIVE_STATUSES", "OrderRecord", "Store"]

ACTIVE_STATUSES = frozenset({"PENDING", "CONFIRMED"})
FIRST_ORDER_ID = 890001

_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    project TEXT NOT NULL, id INTEGER NOT NULL, data TEXT NOT NULL, PRIMARY KEY (project, id));
CREATE TABLE IF NOT EXISTS configurations (project TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    project TEXT NOT NULL, id INTEGER NOT NULL, order_id INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (project, id));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass
class OrderRecord:
    """One order: its API body (``id`` included) and the sandbox's private plan per group.

    ``plans`` maps a ``phoneNumberGroup`` name to what the losing carrier will do and when.
    """

    project: str
    id: int
    body: dict[str, Any]
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)
    indexed: set[str] = field(default_factory=set)

    @property
    def status(self) -> str:
        """The order status (``PENDING`` ...)."""
        return str(self.body["status"])

    def to_json(self) -> str:
        """The record as stored in SQLite."""
        return json.dumps({"order": self.body, "plans": self.plans}, separators=(",", ":"))


class Store:
    """All sandbox state, in memory, mirrored to SQLite when ``path`` is given.

    Raises ``JournalError`` when the file cannot be opened or read.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.orders: dict[tuple[str, int], OrderRecord] = {}
        self.project_orders: dict[str, list[int]] = {}
        self.active: dict[tuple[str, str], int] = {}
        self.history: dict[tuple[str, str], list[int]] = {}
        self.ported: set[str] = set()
        self.configurations: dict[str, dict[str, Any]] = {}
        self.documents: dict[tuple[str, int], dict[str, Any]] = {}
        self.counters = {"order": FIRST_ORDER_ID, "note": 1, "document": 1}
        self.clock_days = 0
        self.due: list[tuple[str, str, int]] = []
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._open(path)

    # -- ids and indexes -------------------------------------------------------------------------

    def next_id(self, kind: str) -> int:
        """A fresh id for ``order``, ``note`` or ``document`` (saved with the next write)."""
        value = self.counters[kind]
        self.counters[kind] = value + 1
        return value

    def add(self, record: OrderRecord) -> None:
        """Register a new order and index its numbers."""
        self.orders[(record.project, record.id)] = record
        self.project_orders.setdefault(record.project, []).append(record.id)
        for entry in record.body["phoneNumbers"]:
            self.history.setdefault((record.project, entry["phoneNumber"]), []).append(record.id)
        self.reindex(record)

    def replace_numbers(self, record: OrderRecord, old_numbers: Iterable[str]) -> None:
        """Refresh the history index after a full update changed the order's numbers."""
        for number in old_numbers:
            ids = self.history.get((record.project, number), [])
            if record.id in ids:
                ids.remove(record.id)
        for entry in record.body["phoneNumbers"]:
            self.history.setdefault((record.project, entry["phoneNumber"]), []).append(record.id)
        self.reindex(record)

    def reindex(self, record: OrderRecord) -> None:
        """Point the active index at this order for exactly its numbers still in play, and
        add its ACTIVATED numbers to ``ported`` (they live on Sinch now, whatever the project)."""
        self.ported.update(
            e["phoneNumber"] for e in record.body["phoneNumbers"] if e["status"] == "ACTIVATED"
        )
        for number in record.indexed:
            if self.active.get((record.project, number)) == record.id:
                del self.active[(record.project, number)]
        record.indexed = set()
        if record.status not in ACTIVE_STATUSES:
            return
        for entry in record.body["phoneNumbers"]:
            if entry["status"] in ACTIVE_STATUSES:
                self.active[(record.project, entry["phoneNumber"])] = record.id
                record.indexed.add(entry["phoneNumber"])

    def schedule(self, record: OrderRecord, on: str | None) -> None:
        """Remember that ``record`` has something due on the ISO date ``on`` (None: nothing).

        Orders loaded from the file are not scheduled here: the owner asks the lifecycle.
        """
        if on is not None:
            heapq.heappush(self.due, (on, record.project, record.id))

    def pop_due(self, today: str) -> list[OrderRecord]:
        """Orders with something due on or before ``today`` (each once)."""
        found: dict[tuple[str, int], OrderRecord] = {}
        while self.due and self.due[0][0] <= today:
            _, project, order_id = heapq.heappop(self.due)
            record = self.orders.get((project, order_id))
            if record is not None:
                found[(project, order_id)] = record
        return list(found.values())

    # -- persistence -----------------------------------------------------------------------------

    def save(
        self,
        orders: Iterable[OrderRecord] = (),
        configuration: str | None = None,
        document: tuple[str, int] | None = None,
    ) -> None:
        """Write what one request changed, and the counters and clock, in one transaction."""
        if self._db is None:
            return
        db = self._db
        with db:
            db.executemany(
                "INSERT OR REPLACE INTO orders (project, id, data) VALUES (?, ?, ?)",
                [(r.project, r.id, r.to_json()) for r in orders],
            )
            if configuration is not None:
                db.execute(
                    "INSERT OR REPLACE INTO configurations (project, data) VALUES (?, ?)",
                    (configuration, json.dumps(self.configurations[configuration])),
                )
            if document is not None:
                doc = self.documents[document]
                db.execute(
                    "INSERT OR REPLACE INTO documents (project, id, order_id, data) "
                    "VALUES (?, ?, ?, ?)",
                    (document[0], document[1], doc["orderId"], json.dumps(doc)),
                )
            meta = {**{f"next_{k}": str(v) for k, v in self.counters.items()}}
            meta["clock_days"] = str(self.clock_days)
            db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", meta.items())

    def close(self) -> None:
        """Close the SQLite file, if any."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def _open(self, path: Path) -> None:
        try:
            create_private(Path(path))  # it holds the orders' end users and PINs
            db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            db.isolation_level = "DEFERRED"
            self._load(db)
        except (OSError, sqlite3.Error, ValueError, KeyError) as exc:
            raise JournalError(f"cannot open sandbox state {path}: {exc}") from None
        self._db = db

    def _load(self, db: sqlite3.Connection) -> None:
        for key, value in db.execute("SELECT key, value FROM meta"):
            if key == "clock_days":
                self.clock_days = int(value)
            elif key.startswith("next_"):
                self.counters[key.removeprefix("next_")] = int(value)
        for project, data in db.execute("SELECT project, data FROM configurations"):
            self.configurations[project] = json.loads(data)
        for project, doc_id, data in db.execute("SELECT project, id, data FROM documents"):
            self.documents[(project, doc_id)] = json.loads(data)
        for project, order_id, data in db.execute(
            "SELECT project, id, data FROM orders ORDER BY id"
        ):
            stored = json.loads(data)
            self.add(OrderRecord(project, order_id, stored["order"], stored["plans"]))
