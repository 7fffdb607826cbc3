"""The journal's SQLite schema, the records it returns, and planned orders to and from its rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from batchport.planner import PlannedOrder

__all__ = [
    "APPLICATION_ID",
    "INACTIVE_STATUSES",
    "ORDER_FIELDS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "ActiveNumber",
    "NumberRecord",
    "PortabilityRecord",
    "Submission",
    "SubmissionState",
    "is_closed",
    "order_values",
    "planned_from",
]

#: ``PRAGMA application_id`` of a batchport journal ("BPJ1"), so a foreign file is recognised.
APPLICATION_ID = 0x42504A31
SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE batches (
    id          TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    target      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    planned     INTEGER NOT NULL DEFAULT 0,
    finished_at TEXT,
    owner       TEXT
);
CREATE TABLE input_rows (
    batch_id  TEXT NOT NULL REFERENCES batches (id),
    row       INTEGER NOT NULL,
    phone     TEXT NOT NULL,
    data_hash TEXT NOT NULL,
    PRIMARY KEY (batch_id, row)
) WITHOUT ROWID;
CREATE TABLE portability (
    target     TEXT NOT NULL,
    phone      TEXT NOT NULL,
    portable   INTEGER NOT NULL,
    carrier    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    PRIMARY KEY (target, phone)
) WITHOUT ROWID;
CREATE TABLE orders (
    batch_id               TEXT NOT NULL REFERENCES batches (id),
    reference              TEXT NOT NULL,
    position               INTEGER NOT NULL,
    order_group            TEXT NOT NULL,
    user_reference         TEXT NOT NULL,
    country                TEXT NOT NULL,
    carrier                TEXT NOT NULL,
    desired_port_date      TEXT NOT NULL,
    desired_port_time      TEXT NOT NULL,
    desired_port_time_zone TEXT NOT NULL,
    on_demand_activation   INTEGER NOT NULL,
    reseller_name          TEXT NOT NULL,
    PRIMARY KEY (batch_id, reference)
);
CREATE TABLE order_numbers (
    batch_id      TEXT NOT NULL,
    reference     TEXT NOT NULL,
    row           INTEGER NOT NULL,
    phone         TEXT NOT NULL,
    refused       INTEGER NOT NULL DEFAULT 0,
    message       TEXT NOT NULL DEFAULT '',
    number_status TEXT NOT NULL DEFAULT '',
    foc_date      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (batch_id, row),
    FOREIGN KEY (batch_id, reference) REFERENCES orders (batch_id, reference)
);
CREATE INDEX order_numbers_phone ON order_numbers (phone);
CREATE INDEX order_numbers_order ON order_numbers (batch_id, reference, phone);
CREATE TABLE submissions (
    batch_id   TEXT NOT NULL,
    reference  TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('intent', 'created', 'rejected', 'failed')),
    order_id   INTEGER,
    status     TEXT NOT NULL DEFAULT '',
    attempts   INTEGER NOT NULL DEFAULT 0,
    message    TEXT NOT NULL DEFAULT '',
    intent_at  TEXT,
    outcome_at TEXT,
    PRIMARY KEY (batch_id, reference),
    FOREIGN KEY (batch_id, reference) REFERENCES orders (batch_id, reference)
);
CREATE TABLE events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id  TEXT NOT NULL,
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    reference TEXT NOT NULL,
    detail    TEXT NOT NULL
);
CREATE INDEX events_batch ON events (batch_id);
"""

#: The columns of the ``orders`` table that hold a planned order, in the order of its fields.
ORDER_FIELDS = (
    "reference, order_group, user_reference, country, carrier, desired_port_date, "
    "desired_port_time, desired_port_time_zone, on_demand_activation, reseller_name"
)

#: Order or number statuses after which a number is no longer held by an order.
INACTIVE_STATUSES = frozenset({"CANCELED", "PENDING_CANCELATION", "REJECTED", "EXCLUDED"})


class SubmissionState(StrEnum):
    """Where one planned order stands.

    ``intent``: the create may have reached the service (sent, or about to be, with no proof
    either way), so it is looked up by reference before being sent again. ``failed``: proven
    not created (nothing committed), so it is simply sent again. ``created`` and ``rejected``
    are closed: a rerun leaves them alone.
    """

    INTENT = "intent"
    CREATED = "created"
    REJECTED = "rejected"
    FAILED = "failed"


@dataclass(frozen=True)
class PortabilityRecord:
    """A portability answer for one number."""

    phone_number: str
    portable: bool
    carrier: str
    reason: str


@dataclass(frozen=True)
class Submission:
    """The journal's knowledge of one planned order's submission."""

    reference: str
    state: SubmissionState
    order_id: int | None
    status: str
    attempts: int
    message: str

    @property
    def closed(self) -> bool:
        """True when a rerun must leave this order alone (created, or refused for good)."""
        return self.state in (SubmissionState.CREATED, SubmissionState.REJECTED)


def is_closed(submission: Submission | None) -> bool:
    """True when a submission exists and is closed (see :attr:`Submission.closed`)."""
    return submission is not None and submission.closed


@dataclass(frozen=True)
class NumberRecord:
    """One planned number: its order, whether it was refused, and what the service said."""

    row: int
    phone_number: str
    reference: str
    refused: bool
    message: str
    number_status: str
    foc_date: str


@dataclass(frozen=True)
class ActiveNumber:
    """A number this installation already has in an active order of another batch."""

    phone_number: str
    batch_id: str
    reference: str
    order_id: int


def order_values(order: PlannedOrder) -> tuple[object, ...]:
    """The ``orders`` table values of ``order``, in :data:`ORDER_FIELDS` order."""
    return (
        order.reference,
        order.order_group,
        order.user_reference,
        order.country,
        order.carrier,
        order.desired_port_date.isoformat(),
        order.desired_port_time,
        order.desired_port_time_zone,
        int(order.on_demand_activation),
        order.reseller_name,
    )


def planned_from(values: Sequence[Any], numbers: list[tuple[int, str]]) -> PlannedOrder:
    """The planned order from its ``orders`` row and its ``(row, E.164)`` numbers in row order."""
    return PlannedOrder(
        reference=values[0],
        order_group=values[1],
        user_reference=values[2],
        country=values[3],
        carrier=values[4],
        desired_port_date=date.fromisoformat(values[5]),
        desired_port_time=values[6],
        desired_port_time_zone=values[7],
        on_demand_activation=bool(values[8]),
        reseller_name=values[9],
        rows=tuple(row for row, _ in numbers),
        numbers=tuple(phone for _, phone in numbers),
    )
