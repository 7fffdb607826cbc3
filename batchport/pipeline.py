"""``batchport run`` as a library call: spreadsheet in, orders created once, every row reported.

Stages, each its own module: read and validate (:mod:`batchport.validation`) → numbers already
in an active order of an earlier batch (:mod:`batchport.journal`) → portability
(:mod:`batchport.portability`) → plan (:mod:`batchport.planner`) → *dry run stops here* →
submit (:mod:`batchport.submit`) → result workbook (:mod:`batchport.report.result`).

The batch id is derived from the input file's bytes, the sheet and the target (sandbox or
project), so running the same command again resumes the same batch: its journaled plan is
reused, closed orders are not touched, and rows outside the plan are not checked again (their
journaled answers are reported; no call can change a saved plan). No click, no print: progress
goes to a :class:`~batchport.progress.Progress`, the outcome comes back as a :class:`RunResult`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import signal
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pandas as pd

from batchport.api import RetryPolicy
from batchport.connection import open_client
from batchport.errors import ConfigError, InputError
from batchport.intake import require_input
from batchport.journal import Journal, open_journal
from batchport.lifecycle.track import refresh_orders
from batchport.outputs import (
    create_private,
    output_path,
    refuse_clobbering,
    require_writable,
)
from batchport.planner import PlannedOrder, plan_orders
from batchport.portability import PortabilityRecord, check_numbers
from batchport.progress import NullProgress, Progress
from batchport.report.outcomes import FINE_OUTCOMES, OrderSummary, Outcome, RunRecords
from batchport.report.result import ResultInfo, is_real_result, write_result
from batchport.settings import Settings
from batchport.submit import submit_orders
from batchport.validation import Validation, validate_file

if TYPE_CHECKING:
    from batchport.ops.nightly import CycleServices

__all__ = [
    "PlanPreview",
    "RunResult",
    "batch_id_for",
    "cycle_services",
    "default_result_path",
    "run_batch",
    "target_of",
]


@dataclass(frozen=True)
class PlanPreview:
    """What is about to be submitted, for a person to confirm."""

    target: str
    orders: tuple[PlannedOrder, ...]

    @property
    def numbers(self) -> int:
        """Numbers in the orders still to send."""
        return sum(len(order.rows) for order in self.orders)


@dataclass(frozen=True)
class RunResult:
    """What a run did: enough for the JSON summary, the exit code and the next step."""

    batch_id: str
    source: Path
    result_path: Path
    rows: int
    outcomes: Mapping[str, int]
    orders: tuple[OrderSummary, ...]
    api_calls: int
    seconds: float
    dry_run: bool = False
    interrupted: bool = False
    declined: bool = False
    stages: Mapping[str, float] = field(default_factory=dict)
    #: Creates sent by this run (0 when a rerun found every order already submitted).
    sent: int = 0
    #: When the batch's first create was sent, by this run or an earlier one.
    first_submitted: datetime | None = None
    #: Findings of the input by severity: ``{"errors": n, "warnings": n, "infos": n}``.
    findings: Mapping[str, int] = field(default_factory=dict)

    @property
    def nothing_sent_again(self) -> bool:
        """True for a rerun of a batch submitted earlier that sent nothing now."""
        return self.sent == 0 and self.first_submitted is not None

    @property
    def needs_attention(self) -> bool:
        """True when some row ended in an outcome the user must act on."""
        return any(count for name, count in self.outcomes.items() if name not in FINE_OUTCOMES)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` summary object."""
        return {
            "batch": self.batch_id,
            "result": str(self.result_path),
            "rows": self.rows,
            "outcomes": dict(self.outcomes),
            "findings": dict(self.findings),
            "orders": [
                {
                    "reference": order.reference,
                    "id": order.id,
                    "numbers": order.numbers,
                    "carrier": order.carrier,
                    "status": order.status,
                }
                for order in self.orders
            ],
            "sent": self.sent,
            "first_submitted": self.first_submitted.isoformat() if self.first_submitted else None,
            "api_calls": self.api_calls,
            "seconds": round(self.seconds, 3),
            "stages": {name: round(seconds, 3) for name, seconds in self.stages.items()},
        }


def default_result_path(source: Path) -> Path:
    """``<input stem>.result.xlsx`` beside the input (see :func:`batchport.outputs.output_path`)."""
    return output_path(source, "result")


def batch_id_for(source: Path, sheet: str | None, target: str) -> str:
    """A batch id from the file's bytes, the sheet and the target (16 hex characters)."""
    return _batch_id(_file_hash(source), sheet, target)


def _file_hash(source: Path) -> Any:
    """The SHA-256 state after every byte of ``source`` (a ``hashlib`` object)."""
    digest = hashlib.sha256()
    with source.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest


def _batch_id(file_hash: Any, sheet: str | None, target: str) -> str:
    digest = file_hash.copy()
    digest.update(f"\x00{sheet or ''}\x00{target}".encode())
    return str(digest.hexdigest()[:16])


def target_of(settings: Settings) -> str:
    """Where orders go: ``sandbox`` or the service root and project."""
    if settings.sandbox:
        return "sandbox"
    return f"{settings.porting_url.rstrip('/')}/projects/{settings.project_id}"


def cycle_services(settings: Settings) -> CycleServices:
    """What the nightly cycle (``batchport.ops.nightly``) needs from the top, for ``settings``:
    ``run`` of one file, the batch id a file gets, and an API client."""
    from batchport.ops.nightly import CycleServices  # only the nightly cycle needs ops

    target = target_of(settings)
    return CycleServices(
        journal_path=settings.state_path,
        target=target,
        run_file=lambda path: run_batch(path, settings),
        batch_id_of=lambda path: batch_id_for(path, None, target),
        connect=lambda: open_client(settings),
    )


def run_batch(
    path: Path,
    settings: Settings,
    *,
    sheet: str | None = None,
    dry_run: bool = False,
    out: Path | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    retry_policy: RetryPolicy | None = None,
    today: date | None = None,
    clock: Callable[[], datetime] | None = None,
    progress: Progress | None = None,
    confirm: Callable[[PlanPreview], bool] | None = None,
) -> RunResult:
    """Run one batch end to end and write its result workbook.

    ``transport`` replaces the network and ``retry_policy`` the retry policy built from settings
    (tests, benchmarks: e.g. a policy whose sleep does not wait); ``today`` and ``clock``
    replace the dates; ``confirm`` is asked before anything is submitted (return False to stop).
    Returns a :class:`RunResult`. Raises ``InputError`` (a missing, unusable or changing file, or
    rows that no longer match their journaled batch), ``ConfigError`` (missing credentials, or an
    output that would clobber a file or cannot be written: checked before the input is read),
    ``JournalError`` and ``ApiError`` when the run as a whole fails, and ``BatchportError`` when
    the workbook cannot be written; everything journaled until then is kept, so the same command
    resumes.
    """
    started = time.monotonic()
    now = clock or (lambda: datetime.now(UTC))
    day = today or now().date()
    report = progress or NullProgress()
    result_path = _check_files(path, out or default_result_path(path), settings)
    report.start("validate", 1)
    stages = _StageTimer()
    target = target_of(settings)
    with stages.timing("validate"):
        validation, file_hash = _read_once(path, sheet, day)
    report.advance("validate")
    batch_id = _batch_id(file_hash, sheet, target)
    with open_journal(settings.state_path) as journal:
        with stages.timing("journal"):
            rows = validation.row_hashes()
            new = journal.begin_batch(
                batch_id,
                source=str(path.resolve()),
                target=target,
                rows=rows,
                now=now(),
                sheet=sheet or "",
            )
            if not new:
                _refuse_changed_rows(journal, batch_id, path, rows)
            run = _Run(
                settings=settings,
                journal=journal,
                batch_id=batch_id,
                target=target,
                validation=validation,
                clock=now,
                progress=report,
                dry_run=dry_run,
                today=day,
                stages=stages,
            )
        records = run.execute(transport, retry_policy, confirm)
        first_submitted = journal.first_submitted(batch_id)
    result_path = _beside_a_real_result(result_path, dry_run=records.dry_run)
    info = ResultInfo(
        source=path,
        batch_id=batch_id,
        when=now(),
        target=target,
        dry_run=dry_run,
        sent=run.creates,
        first_submitted=first_submitted,
    )
    stats = {**run.stats(), "Duration (s)": round(time.monotonic() - started, 1)}
    report.start("write", 1)
    with stages.timing("report"):
        outcomes, orders = write_result(result_path, validation, records, info, stats)
    if not records.dry_run:
        with open_journal(settings.state_path) as journal:
            journal.record_result_path(batch_id, result_path.resolve())
    report.advance("write")
    return RunResult(
        batch_id=batch_id,
        source=path,
        result_path=result_path,
        rows=len(validation.rows),
        outcomes={outcome.value: outcomes.get(outcome.value, 0) for outcome in Outcome},
        orders=orders,
        api_calls=run.api_calls,
        seconds=time.monotonic() - started,
        dry_run=dry_run,
        interrupted=run.interrupted,
        declined=run.declined,
        stages=dict(stages.seconds),
        sent=run.creates,
        first_submitted=first_submitted,
        findings={k: validation.counts[k] for k in ("errors", "warnings", "infos")},
    )


def _read_once(path: Path, sheet: str | None, today: date) -> tuple[Validation, Any]:
    """The validation of ``path`` and the hash of the very bytes it read.

    Raises InputError when the file changed while it was read (the hash before and after
    differ), so that a batch id never names bytes other than those parsed.
    """
    before = _file_hash(path)
    validation = validate_file(path, sheet=sheet, today=today)
    if _file_hash(path).digest() != before.digest():
        raise InputError(
            f"{path} changed while batchport read it; nothing was sent: run the same command "
            "again once the file is complete"
        )
    return validation, before


def _beside_a_real_result(path: Path, *, dry_run: bool) -> Path:
    """Where a result goes: a plan never replaces the result of a run that submitted."""
    if dry_run and is_real_result(path):
        return path.with_name(f"{path.stem}.dry-run.xlsx")
    return path


def _check_files(source: Path, result: Path, settings: Settings) -> Path:
    """``result``, once no output would clobber another file and it can be written.

    Checked before anything is read or sent. Raises InputError for a missing input and
    ConfigError for clobbering or an unwritable result.
    """
    require_input(source)
    refuse_clobbering(
        source,
        {
            "the result workbook (--out)": result,
            "the trace (--trace)": settings.trace_path,
            "the journal (--state)": settings.state_path,
            "the sandbox's state": settings.sandbox_state_path if settings.sandbox else None,
        },
    )
    require_writable(result, "the result workbook")
    if settings.trace_path is not None:
        try:
            create_private(settings.trace_path)
        except OSError as exc:
            raise ConfigError(
                f"cannot write the trace file {settings.trace_path}: {exc.strerror or exc}; "
                "choose another --trace"
            ) from exc
    return result


def _refuse_changed_rows(
    journal: Journal, batch_id: str, source: Path, rows: list[tuple[int, str, str]]
) -> None:
    """Raise InputError when the rows read now differ from those journaled for the batch."""
    journaled = journal.input_rows(batch_id)
    changed = [row for row, phone, data in rows if journaled.get(row) != (phone, data)]
    changed += [row for row in journaled.keys() - {row for row, _, _ in rows}]
    if changed:
        raise InputError(
            f"the rows read from {source} differ from those journaled for batch {batch_id} "
            f"({len(changed)} rows, first row {min(changed)}): the file, or how it is read, "
            "changed; nothing was sent. Put the rows to send in a new file: numbers already "
            "submitted are recognised and skipped"
        )


class _Run:
    """The API phase of one batch and what it learned."""

    def __init__(
        self,
        *,
        settings: Settings,
        journal: Journal,
        batch_id: str,
        target: str,
        validation: Validation,
        clock: Callable[[], datetime],
        progress: Progress,
        dry_run: bool,
        today: date,
        stages: _StageTimer,
    ) -> None:
        self.settings, self.journal, self.batch_id = settings, journal, batch_id
        self.target, self.clock = target, clock
        self.progress, self.dry_run, self.today = progress, dry_run, today
        valid = validation.rows.drop(index=list(validation.error_rows), errors="ignore")
        self.valid = valid
        self.plan: tuple[PlannedOrder, ...] = journal.load_plan(batch_id) or ()
        self.plan_saved = bool(self.plan)
        self.active = journal.active_numbers(
            target, valid["phoneNumber"].astype(str).tolist(), exclude_batch=batch_id
        )
        self.portability: dict[str, PortabilityRecord] = {}
        self.api_calls = 0
        self.interrupted = self.declined = False
        self.creates = self.lookups = 0
        self.stages = stages

    def execute(
        self,
        transport: httpx.AsyncBaseTransport | None,
        policy: RetryPolicy | None,
        confirm: Callable[[PlanPreview], bool] | None,
    ) -> RunRecords:
        """Claim the batch, run the API phase, release the claim; return what is known."""
        self.journal.claim_batch(self.batch_id)
        try:
            asyncio.run(self._api_phase(transport, policy, confirm))
            with self.stages.timing("report"):
                return self.records()
        finally:
            self.journal.release_batch(self.batch_id)

    async def _api_phase(
        self,
        transport: httpx.AsyncBaseTransport | None,
        policy: RetryPolicy | None,
        confirm: Callable[[PlanPreview], bool] | None,
    ) -> None:
        if not self.plan_saved and self.active:
            async with open_client(self.settings, transport=transport, policy=policy) as client:
                try:
                    await self._refresh_active(client)
                finally:
                    self.api_calls += client.calls
        # Plain set lookups, for the reason given in _make_plan.
        known = {number for order in self.plan for number in order.numbers} | self.active.keys()
        phones = self.valid["phoneNumber"].astype(str).tolist()
        outside = [phone not in known for phone in phones]
        unplanned = self.valid.loc[pd.Series(outside, index=self.valid.index, dtype=bool)]
        numbers = [phone for phone, out in zip(phones, outside, strict=True) if out]
        if self.plan_saved:
            self.portability = self.journal.cached_portability(
                self.target, numbers, now=self.clock(), max_age=None
            )
        open_orders = self._open_orders()
        if (self.plan_saved or not numbers) and (self.dry_run or not open_orders):
            return  # nothing to check, nothing to send: no client, no token request
        async with open_client(self.settings, transport=transport, policy=policy) as client:
            try:
                if not self.plan_saved:
                    await self._check_and_plan(client, unplanned, numbers)
                    open_orders = self.plan
                if self.dry_run or not open_orders:
                    return
                if confirm is not None and not confirm(PlanPreview(self.target, open_orders)):
                    self.declined = True
                    return
                with self.stages.timing("plan"):
                    if not self.plan_saved:
                        self.journal.save_plan(self.batch_id, self.plan)
                        self.plan_saved = True
                with self.stages.timing("submit"):
                    await self._submit(client)
            finally:
                self.api_calls += client.calls

    async def _refresh_active(self, client: Any) -> None:
        """Read once each order that holds a number of this file, so that an order rejected,
        excluded or canceled since it was last read frees its numbers before they are refused
        as ``already_in_order`` (one GET per order, not per number; changes are journaled)."""
        held = {a.order_id: (a.batch_id, a.reference) for a in self.active.values()}
        await refresh_orders(
            client, self.journal, held, source="run", now=self.clock(), missing_ok=True
        )
        self.active = self.journal.active_numbers(
            self.target, list(self.active), exclude_batch=self.batch_id
        )

    async def _check_and_plan(
        self, client: Any, unplanned: pd.DataFrame, numbers: list[str]
    ) -> None:
        with self.stages.timing("portability"):
            self.portability = await check_numbers(
                client,
                numbers,
                journal=self.journal,
                target=self.target,
                chunk_size=self.settings.portability_chunk,
                clock=self.clock,
                progress=self.progress,
            )
        with self.stages.timing("plan"):
            self.plan = self._make_plan(unplanned)

    def _open_orders(self) -> tuple[PlannedOrder, ...]:
        closed = {ref for ref, sub in self.journal.submissions(self.batch_id).items() if sub.closed}
        return tuple(order for order in self.plan if order.reference not in closed)

    def _make_plan(self, checked: pd.DataFrame) -> tuple[PlannedOrder, ...]:
        # One pass over plain lists: Series.isin with a large set costs about half a second per
        # 100k rows, while the API sits idle until the plan is saved.
        answers = [self.portability.get(n) for n in checked["phoneNumber"].astype(str).tolist()]
        portable = [answer is not None and answer.portable for answer in answers]
        rows = checked[portable].copy()
        rows["carrier"] = [a.carrier for a, ok in zip(answers, portable, strict=True) if a and ok]
        return plan_orders(
            rows,
            batch_id=self.batch_id,
            today=self.today,
            max_per_order=self.settings.max_per_order,
        )

    async def _submit(self, client: Any) -> None:
        stop = asyncio.Event()
        with _stop_on_interrupt(stop, self.progress):
            report = await submit_orders(
                client,
                self.plan,
                self.valid,
                journal=self.journal,
                batch_id=self.batch_id,
                clock=self.clock,
                concurrency=self.settings.concurrency,
                stop=stop,
                progress=self.progress,
            )
        self.interrupted = report.interrupted
        self.creates, self.lookups = report.creates, report.lookups
        if not report.interrupted and not self._open_orders():
            self.journal.finish_batch(self.batch_id, self.clock())

    def records(self) -> RunRecords:
        """What the run knows about every row, for the outcomes."""
        return RunRecords(
            active=self.active,
            portability=self.portability,
            plan=self.plan,
            numbers=self.journal.number_records(self.batch_id),
            submissions=self.journal.submissions(self.batch_id),
            dry_run=self.dry_run or self.declined,
            plan_saved=self.plan_saved,
        )

    def stats(self) -> dict[str, object]:
        """API figures for the Summary sheet."""
        return {
            "API calls": self.api_calls,
            "Creates sent": self.creates,
            "Lookups by reference": self.lookups,
        }


class _StageTimer:
    """Seconds spent per stage, added up when a stage is timed more than once."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def timing(self, stage: str) -> Iterator[None]:
        """Add the time spent inside the block to ``stage`` (also when the block raises)."""
        started = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - started
            self.seconds[stage] = self.seconds.get(stage, 0.0) + elapsed


@contextlib.contextmanager
def _stop_on_interrupt(stop: asyncio.Event, progress: Progress) -> Iterator[None]:
    """First Ctrl-C sets ``stop`` (orders in flight finish); a second one aborts at once."""
    loop = asyncio.get_running_loop()

    def first_interrupt() -> None:
        progress.note("Stopping after the orders in flight; press Ctrl-C again to abort.")
        stop.set()
        loop.remove_signal_handler(signal.SIGINT)

    try:
        loop.add_signal_handler(signal.SIGINT, first_interrupt)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)
