"""The submission stage: create every planned order exactly once.

For each order: journal the intent, send the create, journal the order id. The journal decides
whether a lookup is needed first: only when it cannot prove that the order was never sent (an
intent without an outcome, left by a crash, or a create that ended ambiguously) is the order
looked up by its ``customerOrderReference``; a lookup the journal makes unnecessary is never
spent. A found order is adopted only if this journal does not give it to another order and it
holds nothing but numbers of this planned order. Orders already closed in the journal are not
touched.

When the service refuses an order because of some of its numbers (field violations on
``phoneNumbers[i]…``, for instance numbers already in another active order), those numbers are
journaled as refused with the service's reason and the order is sent again without them.

Orders run concurrently (``concurrency`` workers; the client paces the calls). When ``stop`` is
set (Ctrl-C), workers finish the order in hand and take no new one, so the journal stays
consistent and a rerun resumes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import pandas as pd

from batchport.api.client import refused_numbers
from batchport.api.requests import OrderRequest
from batchport.api.responses import Order
from batchport.errors import AmbiguousCreateError, ApiRejected, TransientApiError
from batchport.planner import PlannedOrder
from batchport.progress import NullProgress, Progress
from batchport.redaction import remember, scrub
from batchport.submit.requests import build_order_request

__all__ = [
    "MAX_TRIES",
    "OrderService",
    "Submission",
    "SubmissionState",
    "SubmitJournal",
    "SubmitReport",
    "is_closed",
    "submit_orders",
]

#: Creates of one order (after refusals or unconfirmed creates) before this run gives up on it.
MAX_TRIES = 6

#: Why an order stays ``intent`` after :data:`MAX_TRIES` creates the service never confirmed.
_UNCONFIRMED = (
    "the service never confirmed the create; run the same command again (it looks the order "
    "up by its reference before sending it again)"
)

#: Why an order is left for the next run after :data:`MAX_TRIES` partial refusals.
_KEPT_REFUSING = (
    "the service kept refusing numbers of this order; run the same command again to send the "
    "rest (refused numbers are not sent again)"
)

#: Why an order is not sent when none of its rows validates any more.
_NO_VALID_ROW = (
    "no row of this order validates any more (see each row's findings); correct the rows and "
    "run them in a new file"
)


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


class OrderService(Protocol):
    """The part of ``PortingClient`` this stage uses."""

    async def create_order(self, order: OrderRequest) -> Order: ...

    async def find_orders_by_reference(self, reference: str) -> list[Order]: ...


class SubmitJournal(Protocol):
    """The part of ``batchport.journal.Journal`` this stage uses."""

    def submissions(self, batch_id: str) -> dict[str, Submission]: ...

    def known_order_ids(self) -> dict[int, tuple[str, str]]: ...

    def refused_numbers(self, batch_id: str) -> dict[str, set[str]]: ...

    def record_intent(self, batch_id: str, reference: str, now: datetime) -> None: ...

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
    ) -> None: ...

    def record_refused_numbers(
        self, batch_id: str, reference: str, refused: Mapping[str, str], now: datetime
    ) -> None: ...

    def record_outcome(
        self, batch_id: str, reference: str, state: SubmissionState, message: str, now: datetime
    ) -> None: ...

    def record_event(
        self, batch_id: str, kind: str, reference: str, detail: str, now: datetime
    ) -> None: ...


@dataclass
class SubmitReport:
    """What the stage did: API calls by kind, and whether it stopped early."""

    creates: int = 0
    lookups: int = 0
    interrupted: bool = False


@dataclass(frozen=True)
class _Context:
    client: OrderService
    journal: SubmitJournal
    batch_id: str
    rows: pd.DataFrame
    clock: Callable[[], datetime]
    report: SubmitReport
    known_ids: dict[int, tuple[str, str]]
    refused: dict[str, set[str]]


async def submit_orders(
    client: OrderService,
    orders: Sequence[PlannedOrder],
    rows: pd.DataFrame,
    *,
    journal: SubmitJournal,
    batch_id: str,
    clock: Callable[[], datetime],
    concurrency: int = 4,
    stop: asyncio.Event | None = None,
    progress: Progress | None = None,
) -> SubmitReport:
    """Create every order of ``orders`` that the journal does not show as closed.

    ``rows`` are the normalised rows (index = spreadsheet row) holding every planned row.
    Returns a :class:`SubmitReport`; per-order problems are journaled outcomes, not exceptions.
    Raises ``AuthError`` and other non-recoverable ``ApiError`` s from the client, after the
    workers in flight have finished their current order.
    """
    progress = progress or NullProgress()
    report = SubmitReport()
    refused = journal.refused_numbers(batch_id)
    ctx = _Context(
        client, journal, batch_id, rows, clock, report, journal.known_order_ids(), refused
    )
    done = journal.submissions(batch_id)
    todo = [order for order in orders if not is_closed(done.get(order.reference))]
    progress.start("submit", len(orders))
    progress.advance("submit", len(orders) - len(todo))
    queue: asyncio.Queue[PlannedOrder] = asyncio.Queue()
    for order in todo:
        queue.put_nowait(order)
    halt = stop or asyncio.Event()
    failure: list[BaseException] = []

    async def worker() -> None:
        while not queue.empty() and not halt.is_set() and not failure:
            order = queue.get_nowait()
            try:
                await _submit_one(ctx, order, done.get(order.reference))
            except Exception as exc:  # any other error ends the run once workers settle
                failure.append(exc)
                return
            progress.advance("submit")

    workers = max(1, min(concurrency, len(todo) or 1))
    await asyncio.gather(*(worker() for _ in range(workers)))
    if failure:
        raise failure[0]
    report.interrupted = halt.is_set() and not queue.empty()
    return report


async def _submit_one(ctx: _Context, order: PlannedOrder, previous: Submission | None) -> None:
    # Only an intent (a crash mid-create, or a create never confirmed) may have left an order at
    # the service; a failed submission was proven not committed, so it needs no lookup.
    maybe_sent = previous is not None and previous.state is SubmissionState.INTENT
    refused = set(ctx.refused.get(order.reference, ()))
    # A planned row that no longer validates (its date has passed since the plan was saved) is
    # not sent; its own findings say why, and the rest of the order goes on.
    invalid = {
        n for row, n in zip(order.rows, order.numbers, strict=True) if row not in ctx.rows.index
    }
    for _ in range(MAX_TRIES):
        if maybe_sent and await _adopt_existing(ctx, order):
            return
        remaining = [number for number in order.numbers if number not in refused | invalid]
        if not remaining and not refused:
            _close(ctx, order, SubmissionState.FAILED, _NO_VALID_ROW)
            return
        if not remaining:
            _close(ctx, order, SubmissionState.REJECTED, "the service refused every number")
            return
        request = build_order_request(order, ctx.rows, skip=tuple(refused | invalid))
        _remember_secrets(request)
        ctx.journal.record_intent(ctx.batch_id, order.reference, ctx.clock())
        try:
            ctx.report.creates += 1
            created = await ctx.client.create_order(request)
        except AmbiguousCreateError as exc:
            ctx.journal.record_event(
                ctx.batch_id, "create_ambiguous", order.reference, exc.message, ctx.clock()
            )
            maybe_sent = True
            continue
        except ApiRejected as exc:
            newly = _refused_numbers(exc, request)
            if not newly:
                text = scrub(_rejection_text(exc))
                _close(ctx, order, SubmissionState.REJECTED, text)
                return
            ctx.journal.record_refused_numbers(ctx.batch_id, order.reference, newly, ctx.clock())
            refused |= set(newly)
            maybe_sent = False
            continue
        except TransientApiError as exc:
            text = scrub(f"{exc.message}; run the same command again")
            _close(ctx, order, SubmissionState.FAILED, text)
            return
        _record(ctx, order, created, how="created")
        return
    if maybe_sent:
        _close(ctx, order, SubmissionState.INTENT, _UNCONFIRMED)
    else:
        _close(ctx, order, SubmissionState.FAILED, _KEPT_REFUSING)


async def _adopt_existing(ctx: _Context, order: PlannedOrder) -> bool:
    ctx.report.lookups += 1
    mine = (ctx.batch_id, order.reference)
    planned = set(order.numbers)
    found = await ctx.client.find_orders_by_reference(order.reference)
    # The same reference may name an order of another batch (a user reference used twice) or
    # one made outside batchport: adopt only what can only have come from this planned order.
    ours = sorted(
        (
            item
            for item in found
            if ctx.known_ids.get(item.id, mine) == mine
            and {number.phone_number for number in item.phone_numbers} <= planned
        ),
        key=lambda item: item.id,
    )
    detail = ",".join(str(item.id) for item in ours) or "none"
    ctx.journal.record_event(ctx.batch_id, "lookup", order.reference, detail, ctx.clock())
    if not ours:
        return False
    _record(ctx, order, ours[0], how="adopted")
    return True


def _record(ctx: _Context, order: PlannedOrder, created: Order, *, how: str) -> None:
    numbers = {
        number.phone_number: (
            str(number.status),
            number.foc_date.isoformat() if number.foc_date else "",
        )
        for number in created.phone_numbers
    }
    ctx.known_ids[created.id] = (ctx.batch_id, order.reference)
    ctx.journal.record_created(
        ctx.batch_id,
        order.reference,
        order_id=created.id,
        status=str(created.status),
        numbers=numbers,
        now=ctx.clock(),
        how=how,
    )


def _close(ctx: _Context, order: PlannedOrder, state: SubmissionState, message: str) -> None:
    ctx.journal.record_outcome(ctx.batch_id, order.reference, state, message, ctx.clock())


def _refused_numbers(exc: ApiRejected, request: OrderRequest) -> dict[str, str]:
    """E.164 → reason for each number a field violation points at (by path or by its text)."""
    numbers = [number.phoneNumber for number in request.phone_numbers]
    refused = refused_numbers(exc.violations, numbers)
    return {
        number: scrub("; ".join(f"{v.field.split('.', 1)[-1]}: {v.description}" for v in found))
        for number, found in refused.items()
    }


def _remember_secrets(request: OrderRequest) -> None:
    """Register the request's PINs and account numbers, which the service may quote back.

    Every text of this stage bound for the journal and the workbook then goes through
    :func:`~batchport.redaction.scrub` (the journal scrubs it again on its way in).
    """
    remember(*(secret for number in request.phone_numbers for secret in number.secrets))


def _rejection_text(exc: ApiRejected) -> str:
    details = "; ".join(f"{v.field}: {v.description}" for v in exc.violations)
    return f"{exc.message} ({details})" if details else exc.message
