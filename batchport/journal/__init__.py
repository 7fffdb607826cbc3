"""The journal: SQLite state that makes ``batchport run`` resumable and submit-once.

One file (``settings.state_path``) holds, per batch: the input rows (spreadsheet row, E.164
number, a hash of the row's data), the plan (orders and their numbers), the submissions and the
API events; and the webhook deliveries received (``batchport.journal.deliveries``).
Portability answers are kept per target (sandbox or project) and reused by later batches while
they are fresh. Every step is one transaction, in WAL mode, so a process killed at
any instant leaves a consistent journal.

A submission moves ``intent`` → ``created`` | ``rejected`` | ``failed``. An ``intent`` (left by a
crash, or by a create the service never confirmed) means the create *may* have reached the
service: the submitter looks the order up by its reference before sending it again. ``failed``
means it provably did not, so it is sent again without a lookup.

The schema is versioned with ``PRAGMA user_version`` and marked with ``PRAGMA application_id``;
a file that is not a batchport journal raises :class:`~batchport.errors.JournalError`.

Text that may quote the service (event details, outcome messages, refusal and portability
reasons) passes through :func:`batchport.redaction.scrub` on its way in, so no secret known to
the process is ever stored.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from batchport.errors import JournalError
from batchport.journal.deliveries import (
    DeliveryRecord,
    DeliveryStore,
    NewDelivery,
    StoredDelivery,
    TrackedNumber,
    TrackedOrder,
)
from batchport.journal.store import owner_alive, process_owner
from batchport.planner import PlannedOrder
from batchport.portability import PortabilityRecord
from batchport.redaction import scrub
from batchport.submit import Submission, SubmissionState

__all__ = [
    "INACTIVE_STATUSES",
    "ActiveNumber",
    "BatchCounts",
    "BatchRecord",
    "Correction",
    "DeliveryRecord",
    "Journal",
    "NewDelivery",
    "NumberRecord",
    "NumberUpdate",
    "StoredDelivery",
    "TrackedNumber",
    "TrackedOrder",
    "open_journal",
    "owner_alive",
    "process_owner",
]

#: The columns of the ``orders`` table that hold a planned order, in the order of its fields.
ORDER_FIELDS = (
    "reference, order_group, user_reference, country, carrier, desired_port_date, "
    "desired_port_time, desired_port_time_zone, on_demand_activation, reseller_name"
)

#: Order or number statuses after which a number is no longer held by an order.
INACTIVE_STATUSES = frozenset({"CANCELED", "PENDING_CANCELATION", "REJECTED", "EXCLUDED"})

# Numbers bound into one ``IN (...)`` query: well under SQLite's limit on host parameters per
# statement (999 before SQLite 3.32). A fact of SQLite, not of the Porting API.
_NUMBERS_PER_QUERY = 500


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
class Correction:
    """A row ``batchport resubmit`` applied: the hash of what the row shows (secrets masked)
    and the file and sheet it was read from, which later rewrites of the result read again."""

    row: int
    visible_hash: str
    source: str
    sheet: str


@dataclass(frozen=True)
class NumberUpdate:
    """What the service now says of one number of an order (``message``: its reason, if any)."""

    phone_number: str
    number_status: str
    foc_date: str
    message: str


@dataclass(frozen=True)
class ActiveNumber:
    """A number this installation already has in an active order of another batch."""

    phone_number: str
    batch_id: str
    reference: str
    order_id: int
    #: The order's status as last known (from the create, or a later read of the order).
    status: str = ""


@dataclass(frozen=True)
class BatchRecord:
    """A batch as journaled: its id, input file, target, and when it started and finished."""

    id: str
    source: str
    target: str
    created_at: datetime
    finished_at: datetime | None
    planned: bool
    #: The sheet ``run`` read ("" for the first sheet with a header, and for a CSV).
    sheet: str = ""
    #: The result workbook ``run`` last wrote for the batch ("" when none was recorded).
    result_path: str = ""


@dataclass(frozen=True)
class BatchCounts:
    """What the journal knows of a batch's rows, orders and numbers.

    ``orders`` are the planned orders; by submission state, ``created`` exist at the service,
    ``rejected`` were refused as a whole, and the rest were not sent or not confirmed (a failed
    or unconfirmed create: running the batch again settles them). ``planned_numbers`` are the
    rows in an order, ``refused_numbers`` those the service refused within their order, and
    ``number_statuses`` counts the last known status of the other numbers of created orders.
    """

    rows: int
    orders: int
    created: int
    rejected: int
    planned_numbers: int
    refused_numbers: int
    number_statuses: Mapping[str, int]

    @property
    def not_sent(self) -> int:
        """Planned orders neither created nor rejected."""
        return self.orders - self.created - self.rejected


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


def open_journal(path: Path) -> Journal:
    """Open (creating if needed) the journal at ``path``; raises JournalError if unusable."""
    return Journal.open(path)


class Journal(DeliveryStore):
    """A batchport journal: batches, plans, submissions, portability answers and events.

    Open it with :func:`open_journal` (or ``Journal.open``) and use it as a context manager.
    """

    # --- batches and rows -----------------------------------------------------------------

    def begin_batch(
        self,
        batch_id: str,
        *,
        source: str,
        target: str,
        rows: Iterable[tuple[int, str, str]],
        now: datetime,
        sheet: str = "",
    ) -> bool:
        """Record a batch, the sheet read and its input rows ``(row, e164, data hash)``; True if
        it is new.

        A batch already recorded (by an earlier run, or a run starting at the same moment) is
        left as it is, and ``rows`` is not read.
        """
        with self._transaction() as db:
            added = db.execute(
                "INSERT OR IGNORE INTO batches (id, source, target, created_at, sheet) "
                "VALUES (?, ?, ?, ?, ?)",
                (batch_id, source, target, now.isoformat(), sheet),
            )
            if added.rowcount == 0:
                return False
            db.executemany(
                "INSERT INTO input_rows (batch_id, row, phone, data_hash) VALUES (?, ?, ?, ?)",
                ((batch_id, row, phone, digest) for row, phone, digest in rows),
            )
        return True

    def input_rows(self, batch_id: str) -> dict[int, tuple[str, str]]:
        """The batch's journaled input rows: spreadsheet row → ``(E.164, data hash)``."""
        rows = self._query(
            "SELECT row, phone, data_hash FROM input_rows WHERE batch_id = ?", (batch_id,)
        )
        return {int(row): (phone, data_hash) for row, phone, data_hash in rows}

    def record_result_path(self, batch_id: str, path: Path) -> None:
        """The result workbook a run of the batch wrote, so later commands rewrite that one."""
        with self._transaction() as db:
            db.execute("UPDATE batches SET result_path = ? WHERE id = ?", (str(path), batch_id))

    def batches(self) -> list[BatchRecord]:
        """Every batch of the journal, newest first (the latest start first)."""
        rows = self._query(
            "SELECT id, source, target, created_at, finished_at, planned, sheet, result_path "
            "FROM batches ORDER BY created_at DESC, rowid DESC"
        )
        return [
            BatchRecord(
                id=batch_id,
                source=source,
                target=target,
                created_at=datetime.fromisoformat(created),
                finished_at=datetime.fromisoformat(finished) if finished else None,
                planned=bool(planned),
                sheet=sheet,
                result_path=result_path,
            )
            for batch_id, source, target, created, finished, planned, sheet, result_path in rows
        ]

    def batch_counts(self, batch_id: str) -> BatchCounts:
        """The counts of one batch (all zero for a batch the journal does not hold)."""
        (rows,) = self._query("SELECT count(*) FROM input_rows WHERE batch_id = ?", (batch_id,))[0]
        orders, created, rejected = self._query(
            "SELECT count(*), coalesce(sum(s.state = 'created'), 0), "
            "coalesce(sum(s.state = 'rejected'), 0) FROM orders o LEFT JOIN submissions s "
            "ON s.batch_id = o.batch_id AND s.reference = o.reference WHERE o.batch_id = ?",
            (batch_id,),
        )[0]
        planned, refused = self._query(
            "SELECT count(*), coalesce(sum(refused), 0) FROM order_numbers WHERE batch_id = ?",
            (batch_id,),
        )[0]
        statuses = self._query(
            "SELECT n.number_status, count(*) FROM order_numbers n JOIN submissions s "
            "ON s.batch_id = n.batch_id AND s.reference = n.reference "
            "WHERE n.batch_id = ? AND s.state = 'created' AND n.refused = 0 "
            "GROUP BY n.number_status ORDER BY n.number_status",
            (batch_id,),
        )
        return BatchCounts(
            rows=rows,
            orders=orders,
            created=created,
            rejected=rejected,
            planned_numbers=planned,
            refused_numbers=refused,
            number_statuses={status or "UNKNOWN": count for status, count in statuses},
        )

    def first_submitted(self, batch_id: str) -> datetime | None:
        """When the batch's first create was sent, or None when none was."""
        rows = self._query(
            "SELECT min(at) FROM events WHERE batch_id = ? AND kind = 'create_intent'",
            (batch_id,),
        )
        first = rows[0][0] if rows else None
        return datetime.fromisoformat(first) if first else None

    def claim_batch(self, batch_id: str, owner: str | None = None) -> None:
        """Mark the batch as being run by ``owner`` (default: this process, ``host:pid``).

        Two runs of one batch at once could both send the same order, so a second claim while
        the first owner is still alive raises JournalError; the claim of a process that died
        (a crash, ``kill -9``) is taken over. Release it with :meth:`release_batch`.
        """
        me = owner or process_owner()
        with self._transaction() as db:
            row = db.execute("SELECT owner FROM batches WHERE id = ?", (batch_id,)).fetchone()
            holder = row[0] if row else None
            if holder and holder != me and owner_alive(holder):
                raise JournalError(
                    f"batch {batch_id} is being run right now by process {holder}; "
                    "wait for it to finish, then run the command again"
                )
            db.execute("UPDATE batches SET owner = ? WHERE id = ?", (me, batch_id))

    def release_batch(self, batch_id: str, owner: str | None = None) -> None:
        """Give up the claim taken with :meth:`claim_batch` (no-op if another owner holds it)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE batches SET owner = NULL WHERE id = ? AND owner = ?",
                (batch_id, owner or process_owner()),
            )

    def finish_batch(self, batch_id: str, now: datetime) -> None:
        """Mark the batch finished (every planned order has an outcome)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE batches SET finished_at = ? WHERE id = ?", (now.isoformat(), batch_id)
            )

    def record_moved(
        self, batch_id: str, source: Path, now: datetime, result: Path | None = None
    ) -> None:
        """The batch's input file now lives at ``source`` (filed away by ``nightly``), and its
        result workbook at ``result`` (None: beside ``source``, where later commands then write
        it). A ``moved`` event keeps the old path."""
        with self._transaction() as db:
            row = db.execute("SELECT source FROM batches WHERE id = ?", (batch_id,)).fetchone()
            if row is None:
                return
            db.execute(
                "UPDATE batches SET source = ?, result_path = ? WHERE id = ?",
                (str(source), "" if result is None else str(result), batch_id),
            )
            _event(db, batch_id, now, "moved", "", f"{row[0]} → {source}")

    # --- portability ----------------------------------------------------------------------

    def cached_portability(
        self,
        target: str,
        numbers: Iterable[str],
        *,
        now: datetime,
        max_age: timedelta | None,
    ) -> dict[str, PortabilityRecord]:
        """Portability answers for ``numbers`` checked against ``target`` within ``max_age``.

        ``max_age=None`` takes every stored answer, however old (for reporting, not deciding).
        """
        oldest = "" if max_age is None else (now - max_age).isoformat()
        found: dict[str, PortabilityRecord] = {}
        for chunk in _chunks(list(numbers), _NUMBERS_PER_QUERY):
            marks = ",".join("?" * len(chunk))
            for phone, portable, carrier, reason in self._query(
                "SELECT phone, portable, carrier, reason FROM portability "
                f"WHERE target = ? AND checked_at >= ? AND phone IN ({marks})",
                (target, oldest, *chunk),
            ):
                found[phone] = PortabilityRecord(phone, bool(portable), carrier, reason)
        return found

    def record_portability(
        self, target: str, records: Iterable[PortabilityRecord], *, now: datetime
    ) -> None:
        """Store (or refresh) portability answers in one transaction."""
        stamp = now.isoformat()
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO portability "
                "(target, phone, portable, carrier, reason, checked_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    (target, r.phone_number, int(r.portable), r.carrier, scrub(r.reason), stamp)
                    for r in records
                ),
            )

    # --- plan -----------------------------------------------------------------------------

    def save_plan(self, batch_id: str, orders: Sequence[PlannedOrder]) -> None:
        """Write the whole plan in one transaction (before any order is sent)."""
        with self._transaction() as db:
            db.executemany(
                f"INSERT INTO orders (batch_id, position, {ORDER_FIELDS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((batch_id, pos, *order_values(order)) for pos, order in enumerate(orders)),
            )
            db.executemany(
                "INSERT INTO order_numbers (batch_id, reference, row, phone) VALUES (?, ?, ?, ?)",
                (
                    (batch_id, order.reference, row, phone)
                    for order in orders
                    for row, phone in zip(order.rows, order.numbers, strict=True)
                ),
            )
            db.execute("UPDATE batches SET planned = 1 WHERE id = ?", (batch_id,))

    def load_plan(self, batch_id: str) -> tuple[PlannedOrder, ...] | None:
        """The saved plan of a batch, or None when it was never planned."""
        if not self._query("SELECT 1 FROM batches WHERE id = ? AND planned = 1", (batch_id,)):
            return None
        members: dict[str, list[tuple[int, str]]] = {}
        for reference, row, phone in self._query(
            "SELECT reference, row, phone FROM order_numbers WHERE batch_id = ? ORDER BY row",
            (batch_id,),
        ):
            members.setdefault(reference, []).append((row, phone))
        orders = []
        for values in self._query(
            f"SELECT {ORDER_FIELDS} FROM orders WHERE batch_id = ? ORDER BY position",
            (batch_id,),
        ):
            numbers = members.get(values[0], [])
            orders.append(planned_from(values, numbers))
        return tuple(orders)

    # --- submissions ----------------------------------------------------------------------

    def submissions(self, batch_id: str) -> dict[str, Submission]:
        """Every submission of the batch, by reference."""
        rows = self._query(
            "SELECT reference, state, order_id, status, attempts, message "
            "FROM submissions WHERE batch_id = ?",
            (batch_id,),
        )
        return {
            ref: Submission(ref, SubmissionState(state), order_id, status, attempts, message)
            for ref, state, order_id, status, attempts, message in rows
        }

    def known_order_ids(self) -> dict[int, tuple[str, str]]:
        """Every order id this journal recorded as created → its ``(batch id, reference)``."""
        rows = self._query(
            "SELECT order_id, batch_id, reference FROM submissions WHERE order_id IS NOT NULL"
        )
        return {int(order_id): (batch, ref) for order_id, batch, ref in rows}

    def record_intent(self, batch_id: str, reference: str, now: datetime) -> None:
        """Before sending a create: from here on the order may exist at the service."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO submissions (batch_id, reference, state, attempts, intent_at) "
                "VALUES (?, ?, 'intent', 1, ?) ON CONFLICT (batch_id, reference) DO UPDATE SET "
                "state = 'intent', attempts = attempts + 1, intent_at = excluded.intent_at, "
                "message = ''",
                (batch_id, reference, now.isoformat()),
            )
            _event(db, batch_id, now, "create_intent", reference, "")

    def record_created(
        self,
        batch_id: str,
        reference: str,
        *,
        order_id: int,
        status: str,
        numbers: Mapping[str, tuple[str, str]],
        now: datetime,
        how: str = "created",
    ) -> None:
        """The order exists with ``order_id``; ``numbers`` maps E.164 → (status, FOC date)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE submissions SET state = 'created', order_id = ?, status = ?, "
                "outcome_at = ?, message = '' WHERE batch_id = ? AND reference = ?",
                (order_id, status, now.isoformat(), batch_id, reference),
            )
            db.executemany(
                "UPDATE order_numbers SET number_status = ?, foc_date = ? "
                "WHERE batch_id = ? AND reference = ? AND phone = ?",
                (
                    (number_status, foc, batch_id, reference, phone)
                    for phone, (number_status, foc) in numbers.items()
                ),
            )
            _event(db, batch_id, now, how, reference, str(order_id))

    def record_refused_numbers(
        self, batch_id: str, reference: str, refused: Mapping[str, str], now: datetime
    ) -> None:
        """Numbers the service refused within an order (E.164 → reason); they are not resent.

        A refusal proves the create was not committed, so the submission becomes ``failed`` in
        the same transaction: a crash before the next send costs no lookup.
        """
        with self._transaction() as db:
            db.execute(
                "UPDATE submissions SET state = 'failed' "
                "WHERE batch_id = ? AND reference = ? AND state = 'intent'",
                (batch_id, reference),
            )
            db.executemany(
                "UPDATE order_numbers SET refused = 1, message = ? "
                "WHERE batch_id = ? AND reference = ? AND phone = ?",
                ((scrub(why), batch_id, reference, phone) for phone, why in refused.items()),
            )
            _event(db, batch_id, now, "numbers_refused", reference, str(len(refused)))

    def record_outcome(
        self, batch_id: str, reference: str, state: SubmissionState, message: str, now: datetime
    ) -> None:
        """End a submission attempt with a message for the rows.

        ``rejected`` closes it; ``failed`` says it was provably not created; ``intent`` says the
        service never confirmed it, so the next run looks it up first.
        """
        message = scrub(message)
        with self._transaction() as db:
            db.execute(
                "INSERT INTO submissions (batch_id, reference, state, attempts, message, "
                "outcome_at) VALUES (?, ?, ?, 0, ?, ?) ON CONFLICT (batch_id, reference) "
                "DO UPDATE SET state = excluded.state, message = excluded.message, "
                "outcome_at = excluded.outcome_at",
                (batch_id, reference, state.value, message, now.isoformat()),
            )
            _event(db, batch_id, now, state.value, reference, message)

    def record_event(
        self, batch_id: str, kind: str, reference: str, detail: str, now: datetime
    ) -> None:
        """Append one API event (lookups, retries, reconciliations) to the batch's history."""
        with self._transaction() as db:
            _event(db, batch_id, now, kind, reference, detail)

    def order_submission(self, order_id: int) -> tuple[str, str] | None:
        """The ``(batch id, reference)`` of the created order ``order_id``; None if unknown."""
        rows = self._query(
            "SELECT batch_id, reference FROM submissions WHERE order_id = ? AND state = 'created' "
            "ORDER BY outcome_at DESC LIMIT 1",
            (order_id,),
        )
        return (rows[0][0], rows[0][1]) if rows else None

    def record_canceled(self, order_id: int, now: datetime) -> bool:
        """The created order ``order_id`` was canceled: its status and its numbers still in
        play become CANCELED (so a later batch may submit them) and a ``canceled`` event is
        appended. Returns False, changing nothing, when the journal has no such order."""
        known = self.order_submission(order_id)
        if known is None:
            return False
        batch_id, reference = known
        inactive = tuple(sorted(INACTIVE_STATUSES))
        marks = ",".join("?" * len(inactive))
        with self._transaction() as db:
            db.execute(
                "UPDATE submissions SET status = 'CANCELED' WHERE batch_id = ? AND reference = ?",
                (batch_id, reference),
            )
            db.execute(
                "UPDATE order_numbers SET number_status = 'CANCELED' WHERE batch_id = ? "
                f"AND reference = ? AND refused = 0 AND number_status NOT IN ({marks})",
                (batch_id, reference, *inactive),
            )
            _event(db, batch_id, now, "canceled", reference, str(order_id))
        return True

    def record_document(
        self, order_id: int, document_id: int, name: str, now: datetime, digest: str = ""
    ) -> bool:
        """A document ``name`` (content hash ``digest``) was attached to the created order
        ``order_id`` as ``document_id``: a ``document`` event (``"<order id> <document id>
        <name>"``, then `` sha256:<digest>`` when given) is appended. Returns False, changing
        nothing, when the journal has no such order."""
        known = self.order_submission(order_id)
        if known is None:
            return False
        batch_id, reference = known
        detail = f"{order_id} {document_id} {name}" + (f" sha256:{digest}" if digest else "")
        with self._transaction() as db:
            _event(db, batch_id, now, "document", reference, detail)
        return True

    def uploaded_documents(self, order_id: int) -> dict[tuple[str, str], int]:
        """The documents journaled for order ``order_id``: ``(name, content hash)`` → the
        document id (the hash is "" for an upload journaled without one)."""
        known = self.order_submission(order_id)
        if known is None:
            return {}
        found: dict[tuple[str, str], int] = {}
        for (detail,) in self._query(
            "SELECT detail FROM events WHERE batch_id = ? AND reference = ? AND kind = 'document'",
            known,
        ):
            order, document, rest = [*detail.split(" ", 2), "", ""][:3]
            name, _, digest = rest.rpartition(" sha256:") if " sha256:" in rest else (rest, "", "")
            if order == str(order_id) and document.isdigit():
                found[(name, digest)] = int(document)
        return found

    def record_activated(
        self, order_id: int, group: str, numbers: Iterable[str], status: str, now: datetime
    ) -> bool:
        """Group ``group`` of the created order ``order_id`` was activated with the service's
        ``status``: an ``activated`` event (``"<order id> <group>: <status>"``) is appended and,
        when ``status`` is SUCCESS, ``numbers`` become ACTIVATED. Returns False, changing
        nothing, when the journal has no such order."""
        known = self.order_submission(order_id)
        if known is None:
            return False
        batch_id, reference = known
        with self._transaction() as db:
            if status == "SUCCESS":
                db.executemany(
                    "UPDATE order_numbers SET number_status = 'ACTIVATED' "
                    "WHERE batch_id = ? AND reference = ? AND phone = ?",
                    ((batch_id, reference, phone) for phone in numbers),
                )
            _event(db, batch_id, now, "activated", reference, f"{order_id} {group}: {status}")
        return True

    def events(self, batch_id: str) -> list[tuple[str, str, str]]:
        """The batch's events as ``(kind, reference, detail)`` in the order they happened."""
        rows = self._query(
            "SELECT kind, reference, detail FROM events WHERE batch_id = ? ORDER BY id",
            (batch_id,),
        )
        return [(kind, ref, detail) for kind, ref, detail in rows]

    def record_tracked(
        self,
        batch_id: str,
        reference: str,
        *,
        status: str,
        numbers: Sequence[NumberUpdate],
        changes: Sequence[tuple[str, str]],
        now: datetime,
        source: str = "track",
    ) -> None:
        """What a later read of a created order learned, in one transaction.

        Sets the submission's order ``status`` and each number's status, FOC date and message
        (scrubbed), and appends one event per ``(kind, detail)`` of ``changes``, its detail
        prefixed with ``source`` (``track: PENDING → CONFIRMED``).
        """
        with self._transaction() as db:
            db.execute(
                "UPDATE submissions SET status = ? WHERE batch_id = ? AND reference = ?",
                (status, batch_id, reference),
            )
            db.executemany(
                "UPDATE order_numbers SET number_status = ?, foc_date = ?, message = ? "
                "WHERE batch_id = ? AND reference = ? AND phone = ? AND refused = 0",
                (
                    (
                        n.number_status,
                        n.foc_date,
                        scrub(n.message),
                        batch_id,
                        reference,
                        n.phone_number,
                    )
                    for n in numbers
                ),
            )
            for kind, detail in changes:
                _event(db, batch_id, now, kind, reference, f"{source}: {detail}")

    def note_counts(self, batch_id: str) -> dict[str, int]:
        """How many notes of each order the journal recorded (``note`` events), by reference."""
        rows = self._query(
            "SELECT reference, count(*) FROM events WHERE batch_id = ? AND kind = 'note' "
            "GROUP BY reference",
            (batch_id,),
        )
        return {reference: int(count) for reference, count in rows}

    def refused_numbers(self, batch_id: str) -> dict[str, set[str]]:
        """The numbers the service refused in the batch, by order reference."""
        refused: dict[str, set[str]] = {}
        for reference, phone in self._query(
            "SELECT reference, phone FROM order_numbers WHERE batch_id = ? AND refused = 1",
            (batch_id,),
        ):
            refused.setdefault(reference, set()).add(phone)
        return refused

    def number_records(self, batch_id: str) -> dict[int, NumberRecord]:
        """Every planned number of the batch, by spreadsheet row."""
        rows = self._query(
            "SELECT row, phone, reference, refused, message, number_status, foc_date "
            "FROM order_numbers WHERE batch_id = ?",
            (batch_id,),
        )
        return {
            row[0]: NumberRecord(row[0], row[1], row[2], bool(row[3]), *row[4:]) for row in rows
        }

    def corrections(self, batch_id: str) -> dict[int, Correction]:
        """Rows ``batchport resubmit`` applied, by spreadsheet row."""
        rows = self._query(
            "SELECT row, visible_hash, source, sheet FROM corrections WHERE batch_id = ?",
            (batch_id,),
        )
        return {int(row): Correction(int(row), *rest) for row, *rest in rows}

    def record_corrections(
        self,
        batch_id: str,
        corrections: Iterable[Correction],
        *,
        reference: str,
        detail: str,
        now: datetime,
    ) -> None:
        """Rows of the batch a resubmit applied, with one ``resubmit`` event for order
        ``reference`` (``detail`` says what was done)."""
        with self._transaction() as db:
            _store_corrections(db, batch_id, corrections, now)
            _event(db, batch_id, now, "resubmit", reference, detail)

    def add_orders(
        self,
        batch_id: str,
        orders: Sequence[PlannedOrder],
        corrections: Iterable[Correction],
        now: datetime,
    ) -> None:
        """Add new orders to the batch's plan for rows that leave their old order, in one
        transaction: each row's number moves to its new order (status and message cleared; a
        ``moved`` event names the old order) and the rows' corrections are recorded."""
        with self._transaction() as db:
            (start,) = db.execute(
                "SELECT coalesce(max(position), -1) + 1 FROM orders WHERE batch_id = ?",
                (batch_id,),
            ).fetchone()
            db.executemany(
                f"INSERT INTO orders (batch_id, position, {ORDER_FIELDS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((batch_id, start + i, *order_values(order)) for i, order in enumerate(orders)),
            )
            for order in orders:
                for row, phone in zip(order.rows, order.numbers, strict=True):
                    old = db.execute(
                        "SELECT reference FROM order_numbers WHERE batch_id = ? AND row = ?",
                        (batch_id, row),
                    ).fetchone()
                    db.execute(
                        "INSERT OR REPLACE INTO order_numbers (batch_id, reference, row, phone) "
                        "VALUES (?, ?, ?, ?)",
                        (batch_id, order.reference, row, phone),
                    )
                    moved = f"{phone} row {row}: from {old[0]}" if old else f"{phone} row {row}"
                    _event(db, batch_id, now, "moved", order.reference, moved)
            _store_corrections(db, batch_id, corrections, now)
            db.execute(
                "UPDATE batches SET planned = 1, finished_at = NULL WHERE id = ?", (batch_id,)
            )

    def active_numbers(
        self, target: str, numbers: Iterable[str], *, exclude_batch: str
    ) -> dict[str, ActiveNumber]:
        """Numbers already in a created, still active order of another batch on ``target``."""
        found: dict[str, ActiveNumber] = {}
        inactive = tuple(sorted(INACTIVE_STATUSES))
        status_marks = ",".join("?" * len(inactive))
        for chunk in _chunks(list(numbers), _NUMBERS_PER_QUERY):
            marks = ",".join("?" * len(chunk))
            for phone, batch, reference, order_id, status in self._query(
                "SELECT n.phone, n.batch_id, n.reference, s.order_id, s.status "
                "FROM order_numbers n "
                "JOIN submissions s ON s.batch_id = n.batch_id AND s.reference = n.reference "
                "JOIN batches b ON b.id = n.batch_id "
                "WHERE b.target = ? AND n.batch_id != ? AND s.state = 'created' "
                f"AND n.refused = 0 AND s.status NOT IN ({status_marks}) "
                f"AND n.number_status NOT IN ({status_marks}) AND n.phone IN ({marks})",
                (target, exclude_batch, *inactive, *inactive, *chunk),
            ):
                found[phone] = ActiveNumber(phone, batch, reference, int(order_id), status)
        return found


def _store_corrections(
    db: sqlite3.Connection, batch_id: str, corrections: Iterable[Correction], now: datetime
) -> None:
    db.executemany(
        "INSERT OR REPLACE INTO corrections (batch_id, row, visible_hash, source, sheet, at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            (batch_id, c.row, c.visible_hash, c.source, c.sheet, now.isoformat())
            for c in corrections
        ),
    )


def _event(
    db: sqlite3.Connection, batch_id: str, now: datetime, kind: str, reference: str, detail: str
) -> None:
    """Append one event; ``detail`` is scrubbed of every secret known to the process."""
    db.execute(
        "INSERT INTO events (batch_id, at, kind, reference, detail) VALUES (?, ?, ?, ?, ?)",
        (batch_id, now.isoformat(), kind, reference, scrub(detail)),
    )


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
