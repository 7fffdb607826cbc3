"""``batchport resubmit``: apply a batch's corrected rows, and only those.

The user corrects rows, typically in the result workbook's ``Rows`` sheet (see
:mod:`batchport.lifecycle.corrected` for how a corrected file is read and what counts as
changed). Each changed row is applied according to where its number stands, learned by reading
each order concerned once (what the read shows is journaled, as ``track`` would):

* in a PENDING order → that order is **replaced by a full update** (PUT): the order as the
  service holds it, every number and field kept, with the changed numbers' details replaced
  (a PIN left masked keeps the service's value);
* rejected, excluded or canceled, refused by the service, or never in an order → the rows go
  into **new orders**, planned as ``run`` plans them (after a portability check) and created
  exactly once by :func:`batchport.submit.submit_orders` (journal intent → created; a create
  whose outcome is unknown is looked up by its reference before it is sent again, and a rerun
  of the same command resumes them); the rows move to their new order in the journal;
* in an order past PENDING (CONFIRMED, COMPLETED) → not applied: the API changes only PENDING
  orders; the row says so.

Rows that did not change are not touched. ``dry_run`` reads the orders but sends nothing and
records nothing. Every applied change is journaled (``resubmit``, ``moved`` and the create
events) and the batch's result workbook is written again, showing the corrected rows.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from batchport.api import Order, OrderStatus, PortingClient
from batchport.columns import SECRET_KEYS, column
from batchport.errors import ConfigError
from batchport.journal import (
    INACTIVE_STATUSES,
    BatchRecord,
    Journal,
    NumberRecord,
)
from batchport.lifecycle.batch import existing_journal, find_batch
from batchport.lifecycle.corrected import CorrectedRows, batch_input, corrected_rows
from batchport.lifecycle.result import rewrite_result
from batchport.lifecycle.track import record_order, refresh_orders
from batchport.limits import MAX_NUMBERS_PER_ORDER
from batchport.planner import MAX_REFERENCE_LENGTH, PlannedOrder, plan_orders
from batchport.portability import check_numbers
from batchport.submit import SubmissionState, is_closed, submit_orders
from batchport.submit.requests import NUMBER_PREFIX, number_request

__all__ = ["ResubmitResult", "RowChange", "resubmit_batch"]

#: Top-level fields of an order that the service writes and a full update does not send.
SERVICE_FIELDS = frozenset({"id", "status", "notes", "documents", "createdDate"})
#: Columns whose value all the numbers of an order share (a number's change cannot move them).
ORDER_KEYS = ("desiredPortDate", "desiredPortTime", "desiredPortTimeZone", "onDemandActivation",
              "resellerName")  # fmt: skip
#: The parts of a number's entry that a row's columns make (what a full update replaces).
_NUMBER_PARTS = ("endUser", "portOutInfo", "voiceConfiguration", "smsConfiguration", "features")


@dataclass(frozen=True)
class RowChange:
    """What resubmit did (or, in a dry run, would do) with one changed row.

    ``action``: ``updated`` (its PENDING order replaced), ``new_order`` (into a new order),
    or ``not_applied`` (``message`` says why and what to do).
    """

    row: int
    file_row: int
    phone_number: str
    action: str
    reference: str = ""
    order_id: int | None = None
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        """The change as one object of the ``--json`` output."""
        return {"row": self.row, "file_row": self.file_row, "phone_number": self.phone_number,
                "action": self.action, "reference": self.reference, "order_id": self.order_id,
                "message": self.message}  # fmt: skip


@dataclass(frozen=True)
class ResubmitResult:
    """What one resubmit found and did.

    ``unchanged``: rows of the corrected file equal to what was sent. ``unmatched``: rows of
    the corrected file that are not rows of the batch, ``(file row, why)``. ``updated``: ids of
    the orders replaced; ``created``: references of the new orders with their ids (None when
    not created: a dry run, or a create that failed). ``result`` is the rewritten workbook, or
    None with ``warning`` saying why.
    """

    batch_id: str
    corrected: Path
    dry_run: bool
    changes: list[RowChange] = field(default_factory=list)
    unchanged: int = 0
    unmatched: list[tuple[int, str]] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)
    created: dict[str, int | None] = field(default_factory=dict)
    result: Path | None = None
    warning: str | None = None

    @property
    def needs_attention(self) -> bool:
        """Some changed row was not applied, or a new order was not created."""
        failed = not self.dry_run and any(order_id is None for order_id in self.created.values())
        return failed or any(change.action == "not_applied" for change in self.changes)

    def to_json(self) -> dict[str, Any]:
        """The whole result as the one ``--json`` object."""
        return {
            "batch": self.batch_id,
            "corrected": str(self.corrected),
            "dry_run": self.dry_run,
            "changes": [change.to_json() for change in self.changes],
            "unchanged": self.unchanged,
            "unmatched": [{"file_row": row, "why": why} for row, why in self.unmatched],
            "updated_orders": self.updated,
            "new_orders": [{"reference": ref, "id": oid} for ref, oid in self.created.items()],
            "result": str(self.result) if self.result else None,
            "warning": self.warning,
            "needs_attention": self.needs_attention,
        }


async def resubmit_batch(
    client: PortingClient,
    journal_path: Path,
    corrected: Path,
    *,
    target: str,
    batch_id: str | None = None,
    sheet: str | None = None,
    dry_run: bool = False,
    max_per_order: int = MAX_NUMBERS_PER_ORDER,
    concurrency: int = 4,
    clock: Callable[[], datetime] | None = None,
    today: date | None = None,
) -> ResubmitResult:
    """Apply the rows of ``corrected`` that changed to batch ``batch_id`` (default: the most
    recent), as the module docstring describes; ``sheet`` picks the corrected file's sheet.

    Raises ConfigError for no journal, no such batch, a batch of another target or whose input
    is gone or changed; InputError for an unreadable corrected file; the client's ApiErrors
    (what was applied until then is journaled: run the same command again); BatchportError
    when the workbook cannot be written.
    """
    now = clock or (lambda: datetime.now(UTC))
    day = today or now().date()
    with existing_journal(journal_path) as journal:
        batch = find_batch(journal, batch_id, target)
        if batch.target != target:
            raise ConfigError(
                f"batch {batch.id} was run against {batch.target}, not {target}: resubmit it "
                "with the same target (--sandbox, or the same project)"
            )
        original = batch_input(journal, batch, day)
        rows = corrected_rows(
            corrected, sheet=sheet, original=original, applied=journal.corrections(batch.id),
            today=day,
        )  # fmt: skip
        work = _Resubmit(client, journal, batch, rows, dry_run=dry_run, now=now, today=day)
        await work.apply(max_per_order=max_per_order, concurrency=concurrency)
        result = ResubmitResult(
            batch_id=batch.id,
            corrected=corrected,
            dry_run=dry_run,
            changes=sorted(work.changes, key=lambda change: change.row),
            unchanged=len(rows.file_rows) - len(rows.changed),
            unmatched=rows.unmatched,
            updated=sorted(work.updated),
            created=work.created,
        )
        if dry_run or not (work.updated or work.created or work.refreshed):
            return result
        # The rows as applied: a change that was not applied is not shown as if it were.
        path, warning = rewrite_result(
            journal, batch, now(), {"API calls (resubmit)": client.calls}
        )
    return replace(result, result=path, warning=warning)


class _Resubmit:
    """The changed rows of one corrected file, applied to one batch."""

    def __init__(
        self,
        client: PortingClient,
        journal: Journal,
        batch: BatchRecord,
        rows: CorrectedRows,
        *,
        dry_run: bool,
        now: Callable[[], datetime],
        today: date,
    ) -> None:
        self.client, self.journal, self.batch, self.rows = client, journal, batch, rows
        self.dry_run, self.now, self.today = dry_run, now, today
        self.numbers: dict[int, NumberRecord] = journal.number_records(batch.id)
        self.changes: list[RowChange] = []
        self.updated: list[int] = []
        self.created: dict[str, int | None] = {}
        self.refreshed = False
        self.frame = rows.validation.rows.copy()

    def phone(self, row: int) -> str:
        return str(self.frame.at[row, "phoneNumber"])

    def change(self, row: int, action: str, **values: Any) -> None:
        file_row = self.rows.file_rows.get(row, row)
        self.changes.append(RowChange(row, file_row, self.phone(row), action, **values))

    async def apply(self, *, max_per_order: int, concurrency: int) -> None:
        """Sort the changed rows by where their number stands, then apply each group."""
        to_new: list[int] = []
        in_orders: dict[int, list[int]] = {}
        findings = self.rows.validation.findings_frame
        errors = findings[findings["severity"] == "error"].groupby("row")["message"]
        messages = errors.agg(" ".join).to_dict()
        submissions = self.journal.submissions(self.batch.id)
        for row in sorted(self.rows.changed):
            record = self.numbers.get(row)
            submission = submissions.get(record.reference) if record else None
            if row in self.rows.validation.error_rows:
                self.change(row, "not_applied", message=f"Not sent: {messages.get(row, '')}")
            elif (
                record is None
                or record.refused
                or (submission is not None and submission.state is SubmissionState.REJECTED)
            ):
                to_new.append(row)
            elif submission is None or submission.order_id is None:
                self.change(row, "not_applied", reference=record.reference, message=_NOT_YET)
            else:
                in_orders.setdefault(submission.order_id, []).append(row)
        old_orders = await self._read(in_orders)
        for order_id, order_rows in sorted(in_orders.items()):
            order = old_orders[order_id]
            pending = []
            for row in order_rows:
                entry = _entry(order, self.phone(row))
                status = str(entry.get("status", "")) if entry else ""
                if order.status is OrderStatus.CANCELED or status in INACTIVE_STATUSES:
                    to_new.append(row)
                elif order.status is OrderStatus.PENDING and (shared := self._shared(row, order)):
                    self.change(row, "not_applied", reference=self.numbers[row].reference,
                                order_id=order_id, message=shared)  # fmt: skip
                elif order.status is OrderStatus.PENDING:
                    pending.append(row)
                else:
                    self.change(row, "not_applied", reference=self.numbers[row].reference,
                                order_id=order_id, message=_past_pending(order))  # fmt: skip
            if pending:
                await self._update(order, pending)
        if to_new:
            await self._new_orders(sorted(to_new), old_orders, max_per_order, concurrency)
        await self._resume(concurrency)

    def _shared(self, row: int, order: Order) -> str:
        """Why a changed row cannot go into its PENDING order by itself: it changes a field
        all the order's numbers share (the schedule, on-demand activation, the reseller name),
        which the order keeps; "" when it changes none."""
        values = self.frame.loc[row]
        changed = []
        for key in ORDER_KEYS:
            place = column(key).api.split(".")
            held: Any = order.raw
            for part in place:
                held = held.get(part) if isinstance(held, Mapping) else None
            wanted = values.get(key)
            if key == "onDemandActivation":
                differs = bool(wanted) != bool(held)
            else:
                differs = str(wanted or "") not in ("", str(held or ""))
            if differs:
                changed.append(column(key).header)
        if not changed:
            return ""
        return (
            f"Not applied: {' / '.join(changed)} is shared by every number of order "
            f"{order.id}, and this row alone cannot change it; correct only the number's own "
            f"details, or cancel the order (batchport cancel {order.id}) and run its rows in a "
            "new file with batchport run."
        )

    async def _read(self, in_orders: Mapping[int, list[int]]) -> dict[int, Order]:
        """Each order holding a changed row, read once; what it shows is journaled (except in
        a dry run, which records nothing)."""
        if not in_orders:
            return {}
        held = {
            order_id: (self.batch.id, self.numbers[rows[0]].reference)
            for order_id, rows in in_orders.items()
        }
        if self.dry_run:
            ids = sorted(held)
            return {order_id: await self.client.get_order(order_id) for order_id in ids}
        self.refreshed = True
        return await refresh_orders(
            self.client, self.journal, held, source="resubmit", now=self.now()
        )

    async def _update(self, order: Order, rows: list[int]) -> None:
        """Replace the PENDING ``order`` with the changed numbers' new details (a full PUT)."""
        reference = self.numbers[rows[0]].reference
        body = full_update(order, {self.phone(row): self._number_json(row, order) for row in rows})
        kept = len(order.phone_numbers) - len(rows)
        text = f"Full update of order {order.id}; its {kept} other number(s) kept as they are"
        for row in rows:
            self.change(row, "updated", reference=reference, order_id=order.id, message=text)
        if self.dry_run:
            return
        written = await self.client.update_order(order.id, body)
        self.updated.append(order.id)
        detail = (
            f"{order.id} updated (full PUT): {', '.join(self.phone(row) for row in rows)} "
            f"changed, {kept} other number(s) kept"
        )
        corrections = [self.rows.changed[row] for row in rows]
        self.journal.record_corrections(
            self.batch.id, corrections, reference=reference, detail=detail, now=self.now()
        )
        record_order(
            self.journal, self.batch.id, reference, written, source="resubmit", now=self.now()
        )

    def _number_json(self, row: int, order: Order | None) -> dict[str, Any]:
        """The number's part of a request from its corrected row; a secret left masked takes
        the value ``order`` (the number's order at the service) holds, when it holds one."""
        entry = _entry(order, self.phone(row)) if order is not None else None
        held = entry.get("portOutInfo") if entry else None
        record = self.frame.loc[row].to_dict()
        for key in self.rows.masked.get(row, frozenset()):
            name = column(key).api.rpartition(".")[2]
            if isinstance(held, Mapping) and held.get(name):
                record[key] = str(held[name])
        return number_request(record).to_json()

    async def _new_orders(
        self,
        rows: list[int],
        old_orders: Mapping[int, Order],
        max_per_order: int,
        concurrency: int,
    ) -> None:
        """Check, plan and create new orders for ``rows`` (exactly once, as ``run`` does)."""
        holders = {row: old_orders.get(self._order_id(row) or -1) for row in rows}
        frame = self.frame.loc[rows].copy()
        for row in rows:
            number = self._number_json(row, holders[row])
            for key in SECRET_KEYS:
                name = column(key).api.removeprefix(NUMBER_PREFIX).split(".")
                frame.at[row, key] = str(number.get(name[0], {}).get(name[1], ""))
        answers = await check_numbers(
            self.client,
            frame["phoneNumber"].astype(str).tolist(),
            journal=self.journal,
            target=self.batch.target,
            clock=self.now,
        )
        portable = []
        for row in rows:
            answer = answers.get(self.phone(row))
            if answer is None or not answer.portable:
                why = answer.reason if answer else "the service gave no portability answer"
                self.change(row, "not_applied", message=f"Not portable: {why}")
            else:
                portable.append(row)
        if not portable:
            return
        planned = frame.loc[portable].copy()
        planned["carrier"] = [answers[self.phone(row)].carrier for row in portable]
        orders = self._plan(planned, max_per_order)
        for order in orders:
            for row in order.rows:
                self.change(row, "new_order", reference=order.reference,
                            message=_leaving(holders[row]))  # fmt: skip
            self.created[order.reference] = None
        if self.dry_run:
            return
        corrections = [self.rows.changed[row] for row in portable]
        self.journal.add_orders(self.batch.id, orders, corrections, self.now())
        self.frame.loc[portable] = frame.loc[portable]
        await self._submit(orders, concurrency)

    def _order_id(self, row: int) -> int | None:
        record = self.numbers.get(row)
        if record is None:
            return None
        submission = self.journal.submissions(self.batch.id).get(record.reference)
        return submission.order_id if submission else None

    def _plan(self, rows: pd.DataFrame, max_per_order: int) -> tuple[PlannedOrder, ...]:
        """``run``'s plan of ``rows``, under references no order of the batch has yet."""
        taken = {order.reference for order in self.journal.load_plan(self.batch.id) or ()}
        seed = f"{self.batch.id}:resubmit:{len(taken)}:{','.join(map(str, rows.index))}"
        plan_id = hashlib.sha256(seed.encode()).hexdigest()[:16]
        orders = plan_orders(rows, batch_id=plan_id, today=self.today, max_per_order=max_per_order)
        unique = []
        for order in orders:
            reference, attempt = order.reference, 1
            while reference in taken:
                attempt += 1
                suffix = f"-R{attempt}"
                reference = order.reference[: MAX_REFERENCE_LENGTH - len(suffix)] + suffix
            taken.add(reference)
            unique.append(replace(order, reference=reference))
        return tuple(unique)

    async def _submit(self, orders: tuple[PlannedOrder, ...], concurrency: int) -> None:
        await submit_orders(
            self.client,
            orders,
            self.frame,
            journal=self.journal,
            batch_id=self.batch.id,
            clock=self.now,
            concurrency=concurrency,
        )
        submissions = self.journal.submissions(self.batch.id)
        for order in orders:
            submission = submissions.get(order.reference)
            created = submission is not None and submission.state is SubmissionState.CREATED
            self.created[order.reference] = submission.order_id if created and submission else None

    async def _resume(self, concurrency: int) -> None:
        """Orders an earlier resubmit planned but did not close (interrupted, or a create
        whose outcome was unknown) are sent now, exactly once, when their rows are here."""
        if self.dry_run:
            return
        submissions = self.journal.submissions(self.batch.id)
        applied = self.journal.corrections(self.batch.id)
        unfinished = [
            order
            for order in self.journal.load_plan(self.batch.id) or ()
            if order.reference not in self.created
            and not is_closed(submissions.get(order.reference))
            and order.rows
            and all(row in applied and row in self.frame.index for row in order.rows)
        ]
        if unfinished:
            await self._submit(tuple(unfinished), concurrency)


def full_update(order: Order, numbers: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The body of a full update (PUT) of ``order``: the order as the service sent it, less
    the fields the service writes, with the entries of the numbers in ``numbers`` (E.164 → the
    number's request part) replaced. Every other number and field is kept as it is.
    """
    body = {
        key: copy.deepcopy(value) for key, value in order.raw.items() if key not in SERVICE_FIELDS
    }
    entries = []
    for entry in body.get("phoneNumbers") or []:
        new = numbers.get(str(entry.get("phoneNumber", ""))) if isinstance(entry, dict) else None
        if new is not None:
            entry = {key: value for key, value in entry.items() if key not in _NUMBER_PARTS}
            entry.update(copy.deepcopy(dict(new)))
        entries.append(entry)
    body["phoneNumbers"] = entries
    return body


def _entry(order: Order | None, phone: str) -> dict[str, Any] | None:
    """The raw entry of ``phone`` in ``order``, or None."""
    if order is None:
        return None
    for entry in order.raw.get("phoneNumbers") or []:
        if isinstance(entry, dict) and entry.get("phoneNumber") == phone:
            return entry
    return None


def _leaving(order: Order | None) -> str:
    """Where a number going into a new order was until now."""
    if order is None:
        return "Not in an order before (never sent, or refused by the service)"
    return f"Leaves order {order.id} ({order.status.value})"


def _past_pending(order: Order) -> str:
    return (
        f"Not applied: order {order.customer_order_reference} (id {order.id}) is "
        f"{order.status.value}, and the Porting API changes only PENDING orders: ask Sinch in a "
        f"note (batchport notes {order.id} --add TEXT)."
    )


_NOT_YET = (
    "Not applied: its order was not created yet; run the batch again first (batchport run with "
    "the same file), then resubmit."
)
