"""What happened to a batch's orders since they were created: read them, record the changes.

:func:`track_batch` reads every created, not yet closed order of a batch from the service,
compares each number's status, FOC date and reason, and the order's status and notes, with what
the journal holds, records each change as an event (source ``track``) and stores the new
values. The batch's result workbook is then written again from the journal, so it shows the
current truth; when the batch's input file is gone or reads differently, that step is skipped
with a warning and the changes are still recorded.

A ``focDate`` is a UTC date-time; it is shown as the local date and time in the order's
desired port time zone (daylight saving time included), so an evening port in ``US/Pacific``
does not show as the next day.

:func:`track_order` does the same for one order already read (the webhook receiver reads an
order when a delivery names it); the caller rewrites the workbook. A number recorded
``ACTIVATED`` is ported: a read that shows it otherwise (a stale answer) changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from batchport.api import Order, OrderNumber, PortingClient
from batchport.errors import ApiRejected, ConfigError
from batchport.journal import BatchRecord, Journal, NumberRecord, NumberUpdate, TrackedNumber
from batchport.lifecycle.batch import existing_journal, find_batch, is_open
from batchport.lifecycle.result import rewrite_result
from batchport.submit import SubmissionState

_log = logging.getLogger(__name__)

__all__ = [
    "Completed",
    "Confirmed",
    "NewNote",
    "Rejected",
    "TrackResult",
    "local_foc",
    "open_batches",
    "record_order",
    "refresh_orders",
    "track_batch",
    "track_open_batches",
    "track_order",
    "track_orders",
]

#: Number statuses after which the number will not be ported in its order.
LOST_STATUSES = frozenset({"REJECTED", "EXCLUDED"})
#: A number in this status was ported; no later read moves it back.
FINAL_STATUS = "ACTIVATED"
#: Orders read at once; the client's pacer still limits the requests in flight.
_ORDERS_AT_ONCE = 50


@dataclass(frozen=True)
class Confirmed:
    """A number newly confirmed, with its FOC as local date and time in the port time zone."""

    reference: str
    order_id: int
    phone_number: str
    foc: str

    def to_json(self) -> dict[str, Any]:
        """The number as one object of the ``--json`` output."""
        return {"reference": self.reference, "order_id": self.order_id,
                "phone_number": self.phone_number, "foc": self.foc}  # fmt: skip


@dataclass(frozen=True)
class Rejected:
    """A number newly rejected or excluded by the losing carrier, with its reason."""

    reference: str
    order_id: int
    phone_number: str
    status: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The number as one object of the ``--json`` output."""
        return {"reference": self.reference, "order_id": self.order_id,
                "phone_number": self.phone_number, "status": self.status,
                "reason": self.reason}  # fmt: skip


@dataclass(frozen=True)
class NewNote:
    """A note on an order the journal had not seen: when (UTC), who, and the text."""

    reference: str
    order_id: int
    created: str
    author: str
    text: str

    def to_json(self) -> dict[str, Any]:
        """The note as one object of the ``--json`` output."""
        return {"reference": self.reference, "order_id": self.order_id,
                "created": self.created, "author": self.author, "note": self.text}  # fmt: skip


@dataclass(frozen=True)
class Completed:
    """An order that newly reached COMPLETED."""

    reference: str
    order_id: int

    def to_json(self) -> dict[str, Any]:
        """The order as one object of the ``--json`` output."""
        return {"reference": self.reference, "order_id": self.order_id}


@dataclass(frozen=True)
class TrackResult:
    """What one track learned of a batch, and where its result workbook was written.

    ``result`` is None when the workbook was not written; ``warning`` then says why (it is
    also None when the batch has no orders to show). ``attention``: some number of the batch
    is rejected or excluded. ``recorded``: how many changes the journal recorded (events),
    shown above or not (a FOC moved, a number activated, an order's status).
    """

    batch_id: str
    orders_read: int
    confirmed: list[Confirmed] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    notes: list[NewNote] = field(default_factory=list)
    completed: list[Completed] = field(default_factory=list)
    result: Path | None = None
    warning: str | None = None
    attention: bool = False
    recorded: int = 0

    @property
    def changed(self) -> bool:
        """Whether anything shown changed since the last track."""
        return bool(self.confirmed or self.rejected or self.notes or self.completed)

    def to_json(self) -> dict[str, Any]:
        """The whole result as the one ``--json`` object."""
        return {
            "batch": self.batch_id,
            "orders_read": self.orders_read,
            "confirmed": [item.to_json() for item in self.confirmed],
            "rejected": [item.to_json() for item in self.rejected],
            "notes": [item.to_json() for item in self.notes],
            "completed": [item.to_json() for item in self.completed],
            "result": str(self.result) if self.result else None,
            "warning": self.warning,
            "needs_attention": self.attention,
        }


def local_foc(number: OrderNumber, zone: str) -> str:
    """The FOC of ``number`` as ``YYYY-MM-DD HH:MM <zone>`` in the port time zone ``zone``.

    A FOC given as a plain date, or a zone zoneinfo does not know, gives what is known: the
    date, or the UTC time marked ``UTC``; no FOC gives "".
    """
    if number.foc_at is None:
        return number.foc_date.isoformat() if number.foc_date else ""
    try:
        local = number.foc_at.astimezone(ZoneInfo(zone))
    except (ZoneInfoNotFoundError, ValueError):
        return f"{number.foc_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    return f"{local:%Y-%m-%d %H:%M} {zone}"


async def track_batch(
    client: PortingClient,
    journal_path: Path,
    *,
    target: str,
    batch_id: str | None = None,
    clock: Callable[[], datetime] | None = None,
) -> TrackResult:
    """Read the batch's open orders, record what changed, rewrite its result workbook.

    ``batch_id`` defaults to the journal's most recent batch; ``target`` is the service the
    client talks to (as the journal names it), which must be the batch's own. Raises
    ConfigError for no batch, an unknown one or one of another target, JournalError, the
    client's ApiErrors, and BatchportError when the workbook cannot be written (the changes
    are recorded by then).
    """
    now = clock or (lambda: datetime.now(UTC))
    with existing_journal(journal_path) as journal:
        batch = find_batch(journal, batch_id, target)
        _require_target(batch, target)
        return await _track(client, journal, batch, None, now)


async def track_orders(
    client: PortingClient,
    journal_path: Path,
    *,
    target: str,
    order_ids: Sequence[int] = (),
    clock: Callable[[], datetime] | None = None,
) -> list[TrackResult]:
    """Track the orders ``order_ids`` of the journal, or with none given every open order of
    every batch run against ``target`` (``--all-open``): one :class:`TrackResult` per batch
    concerned, newest batch first, each batch's result workbook rewritten.

    An order given is read even when the journal shows it closed. Raises ConfigError for an
    order id the journal does not hold (nothing is read then) or one of another target, and
    what :func:`track_batch` raises.
    """
    now = clock or (lambda: datetime.now(UTC))
    with existing_journal(journal_path) as journal:
        known = journal.known_order_ids()
        unknown = [order_id for order_id in order_ids if order_id not in known]
        if unknown:
            raise ConfigError(
                f"order {unknown[0]} is not in the journal {journal_path}: batchport tracks "
                "the orders it created (`batchport orders` lists every order of the project)"
            )
        wanted: dict[str, set[str]] = {}
        for order_id in order_ids:
            batch_id, reference = known[order_id]
            wanted.setdefault(batch_id, set()).add(reference)
        results = []
        for batch in journal.batches():
            if order_ids and batch.id not in wanted:
                continue
            if not order_ids and (batch.target != target or not batch.planned):
                continue
            _require_target(batch, target)
            references = wanted.get(batch.id)
            results.append(await _track(client, journal, batch, references, now))
    return results


def _require_target(batch: BatchRecord, target: str) -> None:
    if batch.target != target:
        raise ConfigError(
            f"batch {batch.id} was run against {batch.target}, not {target}: track it with "
            "the same target (--sandbox, or the same project)"
        )


async def _track(
    client: PortingClient,
    journal: Journal,
    batch: BatchRecord,
    references: set[str] | None,
    now: Callable[[], datetime],
) -> TrackResult:
    """Track the batch's open orders (or exactly the orders ``references``), as
    :func:`track_batch` describes."""
    plan = journal.load_plan(batch.id) or ()
    zones = {order.reference: order.desired_port_time_zone for order in plan}
    submissions = journal.submissions(batch.id)
    wanted = [
        (ref, sub.order_id)
        for ref, sub in sorted(submissions.items())
        if sub.order_id is not None
        and (
            sub.state is SubmissionState.CREATED and ref in references
            if references is not None
            else is_open(sub)
        )
    ]
    orders = await _read_orders(client, [order_id for _, order_id in wanted])
    result = TrackResult(batch_id=batch.id, orders_read=len(orders))
    numbers = _numbers_by_order(journal.number_records(batch.id))
    seen_notes = journal.note_counts(batch.id)
    for (reference, _), order in zip(wanted, orders, strict=True):
        _compare(
            journal,
            batch.id,
            reference,
            order,
            old_status=submissions[reference].status,
            numbers=numbers.get(reference, {}),
            seen_notes=seen_notes.get(reference, 0),
            zone=order.desired_port_time_zone or zones.get(reference, ""),
            result=result,
            now=now(),
        )
    statuses = journal.batch_counts(batch.id).number_statuses
    attention = any(statuses.get(status, 0) for status in LOST_STATUSES)
    path, warning = (None, None)
    if plan:
        path, warning = rewrite_result(journal, batch, now(), {"API calls (track)": client.calls})
    return replace(result, result=path, warning=warning, attention=attention)


def open_batches(journal: Journal, target: str) -> list[str]:
    """The batches run against ``target`` that still have a created order not yet
    ``COMPLETED`` or ``CANCELED``, oldest first."""
    return [
        batch.id
        for batch in reversed(journal.batches())
        if batch.target == target
        and any(
            sub.order_id is not None and is_open(sub)
            for sub in journal.submissions(batch.id).values()
        )
    ]


async def track_open_batches(
    client: PortingClient,
    journal_path: Path,
    *,
    target: str,
    clock: Callable[[], datetime] | None = None,
) -> list[TrackResult]:
    """:func:`track_batch` for every batch of ``target`` with an open order, oldest first.

    Raises what :func:`track_batch` raises; the batches tracked before a failure keep what
    they recorded.
    """
    with existing_journal(journal_path) as journal:
        batch_ids = open_batches(journal, target)
    return [
        await track_batch(client, journal_path, target=target, batch_id=batch_id, clock=clock)
        for batch_id in batch_ids
    ]


def track_order(
    journal: Journal, target: str, order: Order, *, source: str, now: datetime
) -> TrackResult | None:
    """Compare ``order``, just read from ``target``, with the journal and record what changed.

    Events are recorded with ``source`` (``webhook: PENDING → CONFIRMED``). Returns what
    changed (``orders_read`` 1; ``attention``: a number of this order is rejected or
    excluded), or None, recording nothing, when no batch of ``target`` created the order.
    The result workbook is not written: see :func:`~batchport.lifecycle.result.rewrite_result`.
    Raises JournalError.
    """
    known = journal.tracked_order(target, order.id)
    if known is None:
        return None
    result = TrackResult(batch_id=known.batch_id, orders_read=1)
    recorded = _compare(
        journal,
        known.batch_id,
        known.reference,
        order,
        old_status=known.status,
        numbers=known.numbers,
        seen_notes=known.notes_seen,
        zone=order.desired_port_time_zone or known.zone,
        result=result,
        now=now,
        source=source,
    )
    after = journal.tracked_order(target, order.id)
    lost = after is not None and any(
        number.number_status in LOST_STATUSES for number in after.numbers.values()
    )
    return replace(result, attention=lost, recorded=recorded)


async def refresh_orders(
    client: PortingClient,
    journal: Journal,
    orders: Mapping[int, tuple[str, str]],
    *,
    source: str,
    now: datetime,
    missing_ok: bool = False,
) -> dict[int, Order]:
    """Read each order of ``orders`` (order id → its batch id and reference) once and record
    what changed as :func:`track_batch` does, the events marked ``source``; returns each order
    as the service gave it, by id. With ``missing_ok`` an order the service no longer knows
    (404) is left out, and the journal keeps what it knew of it; otherwise, like every other
    failure, it raises the client's ApiError."""
    ids = sorted(orders)
    read: dict[int, Order] = {}
    for start in range(0, len(ids), _ORDERS_AT_ONCE):
        chunk = ids[start : start + _ORDERS_AT_ONCE]
        found = await asyncio.gather(*(_get_order(client, i, missing_ok) for i in chunk))
        read.update((order.id, order) for order in found if order is not None)
    for order_id, order in read.items():
        batch_id, reference = orders[order_id]
        record_order(journal, batch_id, reference, order, source=source, now=now)
    return read


async def _get_order(client: PortingClient, order_id: int, missing_ok: bool) -> Order | None:
    try:
        return await client.get_order(order_id)
    except ApiRejected as exc:
        if missing_ok and exc.status == 404:
            _log.warning("order %s is not found at the service; the journal keeps it", order_id)
            return None
        raise


def record_order(
    journal: Journal, batch_id: str, reference: str, order: Order, *, source: str, now: datetime
) -> None:
    """Record what ``order`` (as just read or written) changed of the journal's order
    ``reference`` of batch ``batch_id``, as :func:`track_batch` does, events marked ``source``."""
    numbers = _numbers_by_order(journal.number_records(batch_id)).get(reference, {})
    _compare(
        journal,
        batch_id,
        reference,
        order,
        old_status=journal.submissions(batch_id)[reference].status,
        numbers=numbers,
        seen_notes=journal.note_counts(batch_id).get(reference, 0),
        zone=order.desired_port_time_zone,
        result=TrackResult(batch_id=batch_id, orders_read=1),
        now=now,
        source=source,
    )


async def _read_orders(client: PortingClient, order_ids: Sequence[int]) -> list[Order]:
    orders: list[Order] = []
    for start in range(0, len(order_ids), _ORDERS_AT_ONCE):
        chunk = order_ids[start : start + _ORDERS_AT_ONCE]
        orders += await asyncio.gather(*(client.get_order(order_id) for order_id in chunk))
    return orders


def _numbers_by_order(records: dict[int, NumberRecord]) -> dict[str, dict[str, NumberRecord]]:
    by_order: dict[str, dict[str, NumberRecord]] = {}
    for record in records.values():
        if not record.refused:
            by_order.setdefault(record.reference, {})[record.phone_number] = record
    return by_order


def _compare(
    journal: Journal,
    batch_id: str,
    reference: str,
    order: Order,
    *,
    old_status: str,
    numbers: Mapping[str, NumberRecord | TrackedNumber],
    seen_notes: int,
    zone: str,
    result: TrackResult,
    now: datetime,
    source: str = "track",
) -> int:
    """Compare one order with the journal, add what is new to ``result``, record it.

    Returns how many changes were recorded (events; numbers updated alone count one).
    """
    updates: list[NumberUpdate] = []
    changes: list[tuple[str, str]] = []
    for number in order.phone_numbers:
        known = numbers.get(number.phone_number)
        if known is None:
            continue
        status = number.status.value
        if known.number_status == FINAL_STATUS and status != FINAL_STATUS:
            continue
        lost = status in LOST_STATUSES
        reason = (number.reject_reason or number.exclusion_reason) if lost else ""
        foc = local_foc(number, zone)
        message = reason or known.message
        if (status, foc, message) == (known.number_status, known.foc_date, known.message):
            continue
        updates.append(NumberUpdate(number.phone_number, status, foc, message))
        if status != known.number_status:
            detail = f"{number.phone_number} {known.number_status or '?'} → {status}"
            changes.append(("number_status", f"{detail}: {reason}" if reason else detail))
            if status == "CONFIRMED":
                result.confirmed.append(Confirmed(reference, order.id, number.phone_number, foc))
            elif status in LOST_STATUSES:
                result.rejected.append(
                    Rejected(reference, order.id, number.phone_number, status, reason)
                )
        if foc != known.foc_date:
            detail = f"{number.phone_number} {known.foc_date or '-'} → {foc or '-'}"
            changes.append(("foc_date", detail))
    status = order.status.value
    if status != old_status:
        changes.append(("order_status", f"{old_status or '?'} → {status}"))
        if status == "COMPLETED":
            result.completed.append(Completed(reference, order.id))
    notes = sorted(order.notes, key=lambda note: note.created_time)[seen_notes:]
    for note in notes:
        changes.append(("note", f"{note.created_time} {note.created_by}: {note.note}"))
        result.notes.append(
            NewNote(reference, order.id, note.created_time, note.created_by, note.note)
        )
    if updates or changes:
        journal.record_tracked(
            batch_id,
            reference,
            status=status,
            numbers=updates,
            changes=changes,
            now=now,
            source=source,
        )
    return len(changes) or int(bool(updates))
