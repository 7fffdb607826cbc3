"""The webhook receiver: Sinch's porting webhooks move the journal and the result workbooks.

A delivery is a hint, never the truth. The receiver checks the shared secret, reads the body
with a cap, stores the delivery in the journal once (a digest of its canonical JSON recognises a
repeat) and answers 200 at once. Then, in the background, it reads the order the delivery names
from the Porting API and applies what the service says with :func:`track_order`, as ``track``
would for that one order: journal events (``webhook: PENDING → CONFIRMED``) and, once the burst
is over, the batch's result workbook written again. So a delivery that arrives late, twice or
forged by someone who knows the secret can only make batchport read the order again: the
journal follows the service, and a number recorded ``ACTIVATED`` never moves back.

Answers::

    200  stored (or a repeat, stored before); {"stored": bool, "order": id, "applied": how}
    401  wrong or missing secret: nothing read, nothing stored
    400  the body is not a JSON object
    413  the body is over ``max_body`` bytes (counted while reading, not from Content-Length)
    415  the body is declared as something other than JSON
    422  an unknown event type, or no order id
    503  the receiver is not ready, the journal failed, or too many orders wait to be read
         (with Retry-After: the delivery was not stored)

Sinch does not sign porting webhooks, so the secret (``Settings.webhook_secret``) travels in
the URL path (``/sinch/porting/<secret>``: what ``batchport config set --webhook-url`` sends)
or in the ``X-Webhook-Secret`` header (a reverse proxy may add it), and is compared in constant
time. Every log line and stored body is masked: the receiver registers the secret with
:data:`batchport.redaction.SECRETS` (resolving the settings does too).

Reads are coalesced: an order waits in the queue at most once, however many deliveries name
it; a delivery for an order being read marks it to be read once more afterwards; one order is
never read by two workers at once, so reads of one order are applied in the order they were
made. At most ``capacity`` orders wait; beyond that a new order gets 503 (Sinch's retry, or
``batchport track``, catches up). INFERRED: Sinch publishes no retry schedule or expected
answer, so 200 is answered as soon as the delivery is stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import json
import logging
import socket
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from batchport.api import Order, PortingClient
from batchport.errors import ApiError, BatchportError, ConfigError, JournalError
from batchport.journal import Journal, NewDelivery, StoredDelivery, open_journal
from batchport.lifecycle.batch import find_batch
from batchport.lifecycle.result import rewrite_result
from batchport.lifecycle.track import TrackResult, track_order
from batchport.redaction import redact_json, remember, scrub

__all__ = [
    "DEFAULT_PATH",
    "EVENT_TYPES",
    "MAX_DELIVERY_BYTES",
    "NO_SECRET",
    "SECRET_HEADER",
    "Delivery",
    "ReceiverOptions",
    "Refusal",
    "WebhookReceiver",
    "parse_delivery",
    "read_at",
    "receiver_url",
    "serve_webhooks",
]

log = logging.getLogger(__name__)
_T = TypeVar("_T")

#: The five published event types.
EVENT_TYPES = frozenset(
    {
        "ORDER_UPDATED",
        "NUMBERS_ACTIVATED",
        "NUMBERS_CONFIRMED",
        "NUMBERS_REJECTED",
        "NEW_ORDER_NOTE",
    }
)
DEFAULT_PATH = "/sinch/porting"
SECRET_HEADER = "X-Webhook-Secret"
NO_SECRET = (
    "no webhook secret: set BATCHPORT_WEBHOOK_SECRET (or webhook_secret in the config file), "
    "e.g. to the output of python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
)
#: The largest body read. An ORDER_UPDATED of a 500-number order with every end-user field is
#: about 250 KiB; four times that leaves room and still refuses a flood.
MAX_DELIVERY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Delivery:
    """One accepted webhook body: its type, the order it names, its digest and masked JSON."""

    kind: str
    order_id: int
    digest: str
    body: str


@dataclass(frozen=True)
class Refusal:
    """Why a body was refused, with the HTTP status to answer."""

    status: int
    reason: str


def parse_delivery(raw: bytes) -> Delivery | Refusal:
    """Read a webhook body: a :class:`Delivery`, or the :class:`Refusal` to answer.

    The type is ``type`` (or ``event``, its older name); the order is the envelope's
    ``orderId`` (``ORDER_UPDATED`` carries no id in its order), else ``order.id`` as older
    renderings sent it. The digest is SHA-256 of the canonical JSON (sorted keys, no spaces),
    so the same event sent twice, whatever its spacing or key order, has one digest.
    """
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return Refusal(400, "the body is not JSON")
    if not isinstance(data, dict):
        return Refusal(400, "the body is not a JSON object")
    kind = data.get("type", data.get("event"))
    if kind not in EVENT_TYPES:
        shown = str(kind)[:40] if kind is not None else "none"
        return Refusal(422, f"unknown event type {shown!r}")
    order = data.get("order")
    raw_id = data.get("orderId")
    if raw_id is None and isinstance(order, dict):
        raw_id = order.get("id")
    order_id = _order_id(raw_id)
    if order_id is None:
        return Refusal(422, f"{kind} names no order id")
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    body = json.dumps(redact_json(data), sort_keys=True, ensure_ascii=False)
    return Delivery(str(kind), order_id, digest, body)


def _order_id(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value > 0:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value) or None
    return None


def receiver_url(base: str, secret: str) -> str:
    """The URL Sinch should post to: ``base`` (the receiver's public URL, path included) with
    the secret as the last segment of its path; a path already ending in it is kept as it is.
    A query or fragment of ``base`` stays after the path."""
    parts = urlsplit(base)
    path = parts.path.rstrip("/")
    if secret and not path.endswith(f"/{secret}"):
        path = f"{path}/{secret}"
    return urlunsplit(parts._replace(path=path))


@dataclass(frozen=True)
class ReceiverOptions:
    """How the receiver behaves.

    ``path``: where deliveries are posted (the secret may follow it as one more segment);
    ``max_body``: bytes; ``workers``: orders read at once (the client's pacer still limits the
    requests); ``capacity``: orders waiting to be read before new ones get 503; ``read_delay``:
    seconds without a delivery naming an order before it is read, so the deliveries of one
    change (Sinch sends NUMBERS_CONFIRMED and ORDER_UPDATED together) cost one read;
    ``read_within``: seconds after its first delivery an order is read at the latest, however
    long its deliveries go on; ``settle``: seconds without a change before result workbooks are
    written again (at least every ``read_within`` seconds while changes go on); ``drain_timeout``:
    seconds to finish the orders queued when the receiver stops.
    """

    path: str = DEFAULT_PATH
    max_body: int = MAX_DELIVERY_BYTES
    workers: int = 4
    capacity: int = 1000
    read_delay: float = 0.5
    read_within: float = 5.0
    settle: float = 1.0
    drain_timeout: float = 30.0

    def __post_init__(self) -> None:
        if not self.path.startswith("/") or self.path.endswith("/") or "{" in self.path:
            raise ConfigError(
                f"the webhook path must start with / and not end with one: {self.path}"
            )
        if min(self.max_body, self.workers, self.capacity) < 1:
            raise ConfigError("max_body, workers and capacity must be at least 1")
        if min(self.read_delay, self.read_within, self.settle) < 0 or self.drain_timeout <= 0:
            raise ConfigError("read_delay, read_within and settle must be >= 0, drain_timeout > 0")


@dataclass
class _Counts:
    """What the receiver did since it started (logged when it stops)."""

    stored: int = 0
    repeats: int = 0
    refused: int = 0
    reads: int = 0
    failed_reads: int = 0
    workbooks: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass
class _Wait:
    """An order waiting to be read: when its first and latest deliveries came (loop time) and
    the timer that makes it ready (None once it is ready)."""

    first: float
    latest: float
    timer: asyncio.TimerHandle | None = None


#: Deliveries waiting for their commit before new ones get 503: a journal this far behind is
#: stuck, and the sender's retry is better than a growing queue.
MAX_UNCOMMITTED = 2000


class WebhookReceiver:
    """Receives deliveries for the service ``target`` and applies them to ``journal_path``.

    Use as an async context manager (``async with receiver:``), which opens the journal and
    the API client (``client_factory()``, an async context manager yielding a PortingClient)
    and starts the workers; leaving it lets the orders already queued be read, then closes.
    :attr:`app` is the ASGI app (its lifespan does the same for uvicorn). :meth:`idle` waits
    until every queued order was read and every workbook concerned written.

    The event loop only answers requests and reads orders: the journal has one connection for
    the receiver's life, used from one thread of its own, and deliveries are stored by group
    commit (those that arrive while a transaction runs are stored together by the next one,
    each answered once its transaction is committed to disk).
    """

    def __init__(
        self,
        *,
        journal_path: Path,
        target: str,
        secret: str,
        client_factory: Callable[[], contextlib.AbstractAsyncContextManager[PortingClient]],
        options: ReceiverOptions | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not secret:
            raise ConfigError(NO_SECRET)
        remember(secret)  # masked in every log line, whoever built the settings
        self.journal_path = journal_path
        self.target = target
        self.options = options or ReceiverOptions()
        self.counts = _Counts()
        self._secret = secret.encode("utf-8")
        self._client_factory = client_factory
        self._now = clock or (lambda: datetime.now(UTC))
        self._stack: contextlib.AsyncExitStack | None = None
        self._journal: Journal | None = None
        self._journal_thread: ThreadPoolExecutor | None = None
        self._client: PortingClient | None = None
        self._uncommitted: list[tuple[NewDelivery, asyncio.Future[StoredDelivery]]] = []
        self._commit_due = asyncio.Event()
        self._queue: asyncio.Queue[int] = asyncio.Queue()
        self._waiting: dict[int, _Wait] = {}
        self._reading: set[int] = set()
        self._again: set[int] = set()
        self._quiet = asyncio.Event()  # set while no order waits or is being read
        self._quiet.set()
        self._dirty: set[str] = set()
        self._dirty_at = 0.0  # loop time of the latest change to a batch
        self._dirty_event = asyncio.Event()
        self._write_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self.app = self._build_app()

    # -- lifetime -----------------------------------------------------------------------------

    async def __aenter__(self) -> WebhookReceiver:
        stack = contextlib.AsyncExitStack()
        try:
            stack.push_async_callback(self._close_journal)
            await self._open_journal()
            self._client = await stack.enter_async_context(self._client_factory())
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        self._tasks = [
            asyncio.create_task(self._worker(), name=f"webhook-reader-{n}")
            for n in range(self.options.workers)
        ]
        self._tasks.append(asyncio.create_task(self._writer(), name="webhook-workbooks"))
        self._tasks.append(asyncio.create_task(self._committer(), name="webhook-journal"))
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await asyncio.wait_for(self.idle(), self.options.drain_timeout)
        except TimeoutError:
            log.warning(
                "stopped with %d order(s) not read: `batchport track` will catch up",
                len(self._waiting) + len(self._reading),
            )
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            self._tasks = []
            self._abandon()
            self._client = None
            if self._stack is not None:
                await self._stack.aclose()
                self._stack = None
            c = self.counts
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(c.by_kind.items()))
            log.debug(
                "receiver stopped: %d deliveries stored (%s), %d repeats, %d refused, %d orders "
                "read (%d failed), %d result workbooks written",
                c.stored, kinds or "none", c.repeats, c.refused, c.reads, c.failed_reads,
                c.workbooks,
            )  # fmt: skip

    def _abandon(self) -> None:
        """Forget what stopping left undone: timers of waiting orders, uncommitted deliveries
        (their requests get 503: the sender's retry brings them again)."""
        for wait in self._waiting.values():
            if wait.timer is not None:
                wait.timer.cancel()
        self._waiting.clear()
        stopped = JournalError("the receiver stopped before storing the delivery")
        for _, answer in self._uncommitted:
            if not answer.done():
                answer.set_exception(stopped)
        self._uncommitted = []

    async def idle(self) -> None:
        """Wait until no order waits or is being read and every workbook due is written."""
        while True:
            await self._quiet.wait()
            async with self._write_lock:
                await self._write_workbooks()
            if not self._waiting and not self._reading and not self._dirty:
                return

    # -- the journal's thread -----------------------------------------------------------------

    async def _open_journal(self) -> None:
        self._journal_thread = ThreadPoolExecutor(1, thread_name_prefix="webhook-journal")
        journal = await self._in_journal_thread(open_journal, self.journal_path)
        self._journal = journal
        await self._in_journal_thread(journal.sync_every_commit)

    async def _close_journal(self) -> None:
        journal, self._journal = self._journal, None
        if self._journal_thread is None:
            return
        if journal is not None:  # after whatever the thread still runs: one connection
            await self._in_journal_thread(journal.close)
        self._journal_thread.shutdown(wait=False)
        self._journal_thread = None

    async def _in_journal_thread(self, work: Callable[..., _T], *args: Any) -> _T:
        """``work(*args)`` run in the journal's thread (SQLite work never blocks the loop)."""
        assert self._journal_thread is not None
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._journal_thread, work, *args)

    async def _committer(self) -> None:
        """Store the deliveries waiting for a commit, all in one transaction, again and again."""
        while True:
            await self._commit_due.wait()
            self._commit_due.clear()
            batch, self._uncommitted = self._uncommitted, []
            if batch:
                await self._commit(batch)

    async def _commit(
        self, batch: list[tuple[NewDelivery, asyncio.Future[StoredDelivery]]]
    ) -> None:
        """Store ``batch`` in one transaction and answer each; whatever happens, no request is
        left waiting (a failure, or the receiver stopping, answers each with JournalError)."""
        journal = self._journal
        assert journal is not None
        failure: JournalError | None = None
        try:
            stored = await self._in_journal_thread(
                functools.partial(
                    journal.record_deliveries,
                    self.target,
                    [delivery for delivery, _ in batch],
                    now=self._now(),
                )
            )
            for (_, answer), outcome in zip(batch, stored, strict=True):
                if not answer.done():  # its request may have been dropped meanwhile
                    answer.set_result(outcome)
        except JournalError as exc:
            failure = exc
        except Exception as exc:  # a fault of batchport itself: log it, keep receiving
            log.exception("storing %d deliveries failed", len(batch))
            failure = JournalError(f"storing the delivery failed: {type(exc).__name__}")
        finally:
            for _, answer in batch:
                if not answer.done():
                    answer.set_exception(failure or JournalError("the receiver stopped"))

    async def _record(self, delivery: Delivery) -> StoredDelivery:
        """Store ``delivery`` with the next group commit; raises JournalError."""
        if len(self._uncommitted) >= MAX_UNCOMMITTED:
            raise JournalError(f"{MAX_UNCOMMITTED} deliveries already wait to be stored")
        answer: asyncio.Future[StoredDelivery] = asyncio.get_running_loop().create_future()
        new = NewDelivery(delivery.digest, delivery.kind, delivery.order_id, delivery.body)
        self._uncommitted.append((new, answer))
        self._commit_due.set()
        return await answer

    # -- the ASGI app -------------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        path = self.options.path

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            async with self:
                yield

        routes = [
            Route(path, self._receive, methods=["POST"]),
            Route(path + "/{token}", self._receive, methods=["POST"]),
        ]
        return Starlette(routes=routes, lifespan=lifespan)

    async def _receive(self, request: Request) -> Response:
        who = request.client.host if request.client else "?"
        if not self._authorised(request):
            self.counts.refused += 1
            log.warning("refused a delivery from %s: wrong or missing secret (401)", who)
            return Response(status_code=401)
        if self._journal is None:
            return _refuse(who, Refusal(503, "the receiver is not ready"), retry=True)
        raw = await _read_capped(request, self.options.max_body)
        if raw is None:
            self.counts.refused += 1
            why = f"the body is over {self.options.max_body} bytes"
            return _refuse(who, Refusal(413, why))
        declared = request.headers.get("content-type", "application/json")
        if "json" not in declared.lower():
            self.counts.refused += 1
            return _refuse(who, Refusal(415, f"the body is {declared[:60]}, not JSON"))
        parsed = parse_delivery(raw)
        if isinstance(parsed, Refusal):
            self.counts.refused += 1
            return _refuse(who, parsed)
        try:
            return await self._store(parsed)
        except JournalError as exc:  # not stored: the sender's retry will bring it again
            log.warning("a delivery from %s was not stored (503): %s", who, exc)
            why = "the receiver cannot store deliveries right now"
            return _refuse("", Refusal(503, why), retry=True)

    def _authorised(self, request: Request) -> bool:
        given = request.path_params.get("token") or request.headers.get(SECRET_HEADER) or ""
        return hmac.compare_digest(given.encode("utf-8"), self._secret)

    async def _store(self, delivery: Delivery) -> Response:
        order_id = delivery.order_id
        if self._must_wait(order_id):
            log.warning(
                "%s for order %d not stored: %d orders already wait to be read (503)",
                delivery.kind, order_id, len(self._waiting),
            )  # fmt: skip
            return _refuse("", Refusal(503, "too many orders wait to be read"), retry=True)
        stored = await self._record(delivery)
        if not stored.new:
            self.counts.repeats += 1
            log.info("%s for order %d: a repeat, already stored", delivery.kind, order_id)
            return JSONResponse({"stored": False, "order": order_id, "applied": "repeat"})
        self.counts.stored += 1
        self.counts.by_kind[delivery.kind] = self.counts.by_kind.get(delivery.kind, 0) + 1
        if not stored.known:
            log.info(
                "%s for order %d stored; no batch in the journal created that order, so "
                "nothing is applied", delivery.kind, order_id,
            )  # fmt: skip
            return JSONResponse({"stored": True, "order": order_id, "applied": "unknown order"})
        how = self._hint(order_id)
        log.info(
            "%s for order %d (batch %s, %s) stored; the order will be read (%s)",
            delivery.kind, order_id, stored.batch_id, stored.reference, how,
        )  # fmt: skip
        return JSONResponse({"stored": True, "order": order_id, "applied": how})

    # -- reading orders -----------------------------------------------------------------------

    def _must_wait(self, order_id: int) -> bool:
        """Whether a new delivery for ``order_id`` would overflow the queue of orders."""
        if order_id in self._waiting or order_id in self._reading:
            return False
        return len(self._waiting) >= self.options.capacity

    def _hint(self, order_id: int) -> str:
        """Make ``order_id`` wait to be read unless it waits already; say how.

        An order is read once ``read_delay`` seconds pass without a delivery naming it, and
        at most ``read_within`` seconds after the delivery that made it wait: a burst of
        deliveries costs one read however long it lasts, and a steady stream one read per
        ``read_within``.
        """
        loop = asyncio.get_running_loop()
        now = loop.time()
        wait = self._waiting.get(order_id)
        if wait is not None:
            wait.latest = now
            if wait.timer is not None:  # not ready yet: its read moves later
                wait.timer.cancel()
                wait.timer = loop.call_at(self._due(wait), self._ready, order_id)
            return "coalesced"
        if order_id in self._reading:
            self._again.add(order_id)
            return "read again after the read in progress"
        wait = self._waiting[order_id] = _Wait(first=now, latest=now)
        wait.timer = loop.call_at(self._due(wait), self._ready, order_id)
        self._quiet.clear()
        return "queued"

    def _due(self, wait: _Wait) -> float:
        return read_at(wait.first, wait.latest, self.options)

    def _ready(self, order_id: int) -> None:
        wait = self._waiting.get(order_id)
        if wait is not None and wait.timer is not None:
            wait.timer = None
            self._queue.put_nowait(order_id)

    async def _worker(self) -> None:
        while True:
            order_id = await self._queue.get()
            del self._waiting[order_id]
            self._reading.add(order_id)
            try:
                await self._refresh(order_id)
            except BatchportError as exc:  # the journal failed: say so, keep receiving
                log.warning("order %d: not applied: %s", order_id, exc)
            except Exception:  # a fault of batchport itself: log it, keep receiving
                log.exception("order %d: applying it failed", order_id)
            finally:
                self._reading.discard(order_id)
                if order_id in self._again:
                    self._again.discard(order_id)
                    self._hint(order_id)
                if not self._waiting and not self._reading:
                    self._quiet.set()

    async def _refresh(self, order_id: int) -> None:
        """Read the order, apply it, settle the deliveries that asked for it."""
        journal, client = self._journal, self._client
        assert journal is not None and client is not None
        mark = await self._in_journal_thread(journal.last_delivery_id)
        self.counts.reads += 1
        try:
            order = await client.get_order(order_id)
        except ApiError as exc:
            self.counts.failed_reads += 1
            why = f"reading the order failed: {exc}"
            await self._in_journal_thread(
                functools.partial(
                    journal.settle_deliveries, self.target, order_id, up_to=mark,
                    state="failed", detail=why,
                )
            )  # fmt: skip
            log.warning("order %d: %s; `batchport track` will catch up", order_id, scrub(why))
            return
        result = await self._in_journal_thread(self._apply, journal, order, mark, self._now())
        if result is None:
            return
        log.info("order %d read: %s; %s", order_id, order.status.value, _learned(result))
        if result.recorded:
            self._dirty.add(result.batch_id)
            self._dirty_at = asyncio.get_running_loop().time()
            self._dirty_event.set()

    def _apply(
        self, journal: Journal, order: Order, mark: int, now: datetime
    ) -> TrackResult | None:
        """In the journal's thread: record what ``order`` says, settle the deliveries stored up
        to ``mark`` that asked for it."""
        result = track_order(journal, self.target, order, source="webhook", now=now)
        journal.settle_deliveries(self.target, order.id, up_to=mark, state="applied")
        return result

    # -- result workbooks ---------------------------------------------------------------------

    async def _writer(self) -> None:
        """Write the workbooks of changed batches once changes pause for ``settle`` seconds,
        and at least every ``settle_within`` seconds while they go on."""
        loop = asyncio.get_running_loop()
        while True:
            await self._dirty_event.wait()
            first = loop.time()
            while True:
                settle = self.options.settle
                due = min(self._dirty_at + settle, first + max(settle, self.options.read_within))
                if due <= loop.time():
                    break
                await asyncio.sleep(due - loop.time())
            async with self._write_lock:
                await self._write_workbooks()

    async def _write_workbooks(self) -> None:
        """Write again the workbook of each batch changed since the last write."""
        self._dirty_event.clear()
        batches, self._dirty = sorted(self._dirty), set()
        for batch_id in batches:
            try:
                path, warning = await asyncio.to_thread(self._rewrite, batch_id)
            except BatchportError as exc:
                log.warning("batch %s: %s", batch_id, exc)
                continue
            if path is not None:
                self.counts.workbooks += 1
                log.info("batch %s: result workbook written: %s", batch_id, path)
            elif warning:
                log.warning("batch %s: %s", batch_id, warning)

    def _rewrite(self, batch_id: str) -> tuple[Path | None, str | None]:
        # A thread of its own, with a connection of its own: a workbook takes a while to
        # write, and deliveries must not wait for it.
        with open_journal(self.journal_path) as journal:
            batch = find_batch(journal, batch_id)
            figures = {
                "Webhook deliveries stored (receiver)": self.counts.stored,
                "Orders read (receiver)": self.counts.reads,
            }
            return rewrite_result(journal, batch, self._now(), figures)


def read_at(first: float, latest: float, options: ReceiverOptions) -> float:
    """When an order whose first delivery came at ``first`` and latest at ``latest`` (seconds,
    one clock) is read: ``read_delay`` after the latest, but no later than ``read_within``
    after the first (nor earlier than ``read_delay`` after it)."""
    delay = options.read_delay
    return min(latest + delay, first + max(delay, options.read_within))


def _learned(result: TrackResult) -> str:
    """What one read of an order taught the journal, for a log line."""
    if not result.recorded:
        return "nothing new"
    shown = [
        f"{len(result.confirmed)} number(s) newly confirmed" if result.confirmed else "",
        f"{len(result.rejected)} rejected or excluded" if result.rejected else "",
        f"{len(result.notes)} new note(s)" if result.notes else "",
        "order completed" if result.completed else "",
    ]
    details = ", ".join(part for part in shown if part)
    return f"{result.recorded} change(s) recorded" + (f" ({details})" if details else "")


def _refuse(who: str, refusal: Refusal, *, retry: bool = False) -> Response:
    if who:
        log.warning("refused a delivery from %s: %s (%d)", who, refusal.reason, refusal.status)
    headers = {"Retry-After": "5"} if retry else None
    return JSONResponse({"error": refusal.reason}, refusal.status, headers=headers)


async def _read_capped(request: Request, limit: int) -> bytes | None:
    """The body, or None once it grows over ``limit`` bytes (a Content-Length over the limit
    is refused before reading; one under it is not trusted)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def serve_webhooks(
    sock: socket.socket,
    *,
    journal_path: Path,
    target: str,
    secret: str,
    client_factory: Callable[[], contextlib.AbstractAsyncContextManager[PortingClient]],
    options: ReceiverOptions,
) -> WebhookReceiver:
    """Serve a :class:`WebhookReceiver` on the listening ``sock`` until Ctrl-C or SIGTERM.

    Returns the receiver once uvicorn has shut down (its ``counts`` say what it did). Raises
    ConfigError when ``secret`` is empty, JournalError.
    """
    receiver = WebhookReceiver(
        journal_path=journal_path,
        target=target,
        secret=secret,
        client_factory=client_factory,
        options=options,
    )
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        receiver.app,
        host=host,
        port=port,
        lifespan="on",
        access_log=False,  # its lines would show the secret in the path; ours mask it
        log_config=None,  # uvicorn's lines go through batchport's (masking) handlers
    )
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])
    return receiver
