"""The journal's webhook deliveries: each stored once, and what became of it.

A delivery is stored under a digest of its canonical JSON per target (the service a receiver
reads), so a repeated delivery is recognised and stored once. Its ``state`` moves ``received``
→ ``applied`` (the order was read again and the journal updated) or ``failed`` (the order could
not be read); a delivery naming an order that no batch of the target created is stored as
``unknown_order`` and nothing is applied. Bodies are stored with secret fields masked.

:class:`DeliveryStore` adds these queries, and :meth:`DeliveryStore.tracked_order` (what the
journal holds of one created order), to :class:`~batchport.journal.store.JournalStore`;
:class:`batchport.journal.Journal` builds on it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from batchport.errors import JournalError
from batchport.journal.store import JournalStore
from batchport.redaction import scrub

__all__ = [
    "DeliveryRecord",
    "DeliveryStore",
    "NewDelivery",
    "StoredDelivery",
    "TrackedNumber",
    "TrackedOrder",
]


@dataclass(frozen=True)
class StoredDelivery:
    """The answer to storing a delivery: whether it was new, and the batch order it names.

    ``batch_id`` and ``reference`` are None when no batch of the target created the order.
    """

    new: bool
    batch_id: str | None
    reference: str | None

    @property
    def known(self) -> bool:
        """Whether a batch of the target created the order the delivery names."""
        return self.batch_id is not None


@dataclass(frozen=True)
class NewDelivery:
    """A delivery to store: its digest (what recognises a repeat), type, order and body."""

    digest: str
    kind: str
    order_id: int
    body: str


@dataclass(frozen=True)
class DeliveryRecord:
    """One stored delivery, as the journal holds it."""

    id: int
    received_at: datetime
    kind: str
    order_id: int
    batch_id: str | None
    reference: str | None
    state: str
    detail: str
    body: str


@dataclass(frozen=True)
class TrackedNumber:
    """A number of a created order as the journal last recorded it."""

    phone_number: str
    number_status: str
    foc_date: str
    message: str


@dataclass(frozen=True)
class TrackedOrder:
    """What the journal holds of one created order: enough to compare a fresh read with it.

    ``zone`` is the planned desired port time zone; ``notes_seen`` counts its ``note`` events.
    """

    batch_id: str
    reference: str
    order_id: int
    status: str
    zone: str
    numbers: dict[str, TrackedNumber]
    notes_seen: int


# The batch and reference of an order created on a target (order ids of two targets may meet).
_ORDER_OF = (
    "SELECT s.batch_id, s.reference FROM submissions s JOIN batches b ON b.id = s.batch_id "
    "WHERE b.target = ? AND s.order_id = ? AND s.state = 'created' "
    "ORDER BY s.outcome_at DESC LIMIT 1"
)


class DeliveryStore(JournalStore):
    """Queries on webhook deliveries and on single created orders."""

    def order_of(self, target: str, order_id: int) -> tuple[str, str] | None:
        """The ``(batch id, reference)`` of the order ``order_id`` created on ``target``."""
        rows = self._query(_ORDER_OF, (target, order_id))
        return (rows[0][0], rows[0][1]) if rows else None

    def record_delivery(
        self, target: str, digest: str, *, kind: str, order_id: int, body: str, now: datetime
    ) -> StoredDelivery:
        """Store a delivery once per ``(target, digest)``, in one transaction.

        ``body`` is stored as given after :func:`~batchport.redaction.scrub` (mask its secret
        fields first). A repeat stores nothing and returns ``new=False``.
        """
        (stored,) = self.record_deliveries(
            target, [NewDelivery(digest, kind, order_id, body)], now=now
        )
        return stored

    def record_deliveries(
        self, target: str, deliveries: Sequence[NewDelivery], *, now: datetime
    ) -> list[StoredDelivery]:
        """Store each of ``deliveries`` once per ``(target, digest)``, all in one transaction
        (a group commit: one sync to disk for many); one answer per delivery, in their order.

        A delivery repeating one stored before, or one earlier in ``deliveries``, stores
        nothing and is answered ``new=False``. Raises JournalError, and then none is stored.
        """
        answers = []
        with self._transaction() as db:
            for delivery in deliveries:
                found = db.execute(_ORDER_OF, (target, delivery.order_id)).fetchone()
                batch_id, reference = found if found else (None, None)
                added = db.execute(
                    "INSERT OR IGNORE INTO deliveries (target, digest, received_at, kind, "
                    "order_id, batch_id, reference, state, body) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        target,
                        delivery.digest,
                        now.isoformat(),
                        delivery.kind,
                        delivery.order_id,
                        batch_id,
                        reference,
                        "received" if found else "unknown_order",
                        scrub(delivery.body),
                    ),
                )
                answers.append(StoredDelivery(added.rowcount == 1, batch_id, reference))
        return answers

    def sync_every_commit(self) -> None:
        """Make each commit of this connection wait until it is on disk (``synchronous=FULL``):
        a delivery answered as stored then survives a power cut, not only a crash of
        batchport. Costly per transaction, cheap with :meth:`record_deliveries`."""
        try:
            self._db.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise JournalError(f"the journal {self.path} failed: {exc}") from exc

    def last_delivery_id(self) -> int:
        """The id of the latest stored delivery (0 when none): a mark for
        :meth:`settle_deliveries`."""
        rows = self._query("SELECT coalesce(max(rowid), 0) FROM deliveries")
        return int(rows[0][0])

    def settle_deliveries(
        self, target: str, order_id: int, *, up_to: int, state: str, detail: str = ""
    ) -> int:
        """Mark the ``received`` deliveries of ``order_id`` stored up to id ``up_to`` as
        ``state`` (``applied`` or ``failed``) with ``detail``; returns how many changed."""
        with self._transaction() as db:
            changed = db.execute(
                "UPDATE deliveries SET state = ?, detail = ? WHERE target = ? AND order_id = ? "
                "AND state = 'received' AND rowid <= ?",
                (state, scrub(detail), target, order_id, up_to),
            )
        return int(changed.rowcount)

    def deliveries(self, target: str) -> list[DeliveryRecord]:
        """Every delivery stored for ``target``, in the order they arrived."""
        rows = self._query(
            "SELECT rowid, received_at, kind, order_id, batch_id, reference, state, detail, body "
            "FROM deliveries WHERE target = ? ORDER BY rowid",
            (target,),
        )
        return [
            DeliveryRecord(
                id=row[0],
                received_at=datetime.fromisoformat(row[1]),
                kind=row[2],
                order_id=int(row[3]),
                batch_id=row[4],
                reference=row[5],
                state=row[6],
                detail=row[7],
                body=row[8],
            )
            for row in rows
        ]

    def tracked_order(self, target: str, order_id: int) -> TrackedOrder | None:
        """What the journal holds of the order ``order_id`` created on ``target``; None when
        no batch of ``target`` created it. Numbers the service refused are left out."""
        known = self.order_of(target, order_id)
        if known is None:
            return None
        batch_id, reference = known
        (status, zone) = self._query(
            "SELECT s.status, o.desired_port_time_zone FROM submissions s JOIN orders o "
            "ON o.batch_id = s.batch_id AND o.reference = s.reference "
            "WHERE s.batch_id = ? AND s.reference = ?",
            (batch_id, reference),
        )[0]
        numbers = {
            phone: TrackedNumber(phone, number_status, foc_date, message)
            for phone, number_status, foc_date, message in self._query(
                "SELECT phone, number_status, foc_date, message FROM order_numbers "
                "WHERE batch_id = ? AND reference = ? AND refused = 0",
                (batch_id, reference),
            )
        }
        (notes,) = self._query(
            "SELECT count(*) FROM events WHERE batch_id = ? AND reference = ? AND kind = 'note'",
            (batch_id, reference),
        )[0]
        return TrackedOrder(batch_id, reference, order_id, status, zone, numbers, int(notes))
