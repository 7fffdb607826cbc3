"""One unattended cycle: run what landed in the inbox, track, activate, write the digest.

:func:`run_nightly` takes the cycle's lock (:mod:`batchport.ops.lock`), pings the health check
(:mod:`batchport.ops.ping`) and runs :func:`run_cycle`:

1. **Inbox.** Each file at the top of the inbox, oldest first, is one of:

   - *ignored*: hidden files (``.DS_Store``, ``.~lock.x.xlsx#``) and batchport's own outputs
     (``x.result.xlsx``, ``x.csv.note.txt``), never taken as input;
   - *not settled*: modified less than ``settle_seconds`` ago (default 60), or named like a
     file still being written (``~$x.xlsx`` office lock files, ``.part``, ``.tmp``,
     ``.crdownload``): left for the next cycle. A file that changes
     while it is read (its size or modification time differ from the scan's) is left too;
     ``run`` itself refuses a file whose bytes change under it;
   - *not a spreadsheet* (a suffix batchport does not read) or *unusable* (``run`` raises
     InputError: unreadable, no header row, …): moved to ``failed/`` with a note saying why;
   - *seen before*: its batch id (a hash of its bytes and the target, as ``run`` derives it) is
     a finished batch of the journal: not submitted again, moved to ``done/`` with a note
     naming that batch. A batch left unfinished (a crash, a failed create) is run again, which
     resumes it: ``run`` creates each order once;
   - otherwise it is run as a batch (``pipeline.run_batch``, handed in by the top) and moved
     with its result workbook to ``done/`` when every row ended well, or to ``failed/`` with a
     note when some rows need attention; when rows failed to submit (``failed`` outcome) it
     stays in the inbox and the next cycle resumes it. A run that fails as a whole (the API,
     the journal) leaves the file where it is and fails the cycle.

   Names never collide: a file whose name is taken in ``done/`` or ``failed/`` gets ``-2``,
   ``-3``… The journal learns where each batch's input went, so ``track`` rewrites its result
   workbook there.
2. **Track** every open order of every batch of the target (``lifecycle.track``).
3. **Activate** (when asked) the ready groups of open on-demand orders (``lifecycle.activate``).
4. **Digest** (:mod:`batchport.ops.digest`) written to its workbook.

The cycle's exit code: 1 when a step failed, 3 when something needs a person (a file filed in
``failed/``, rejected numbers awaiting a fix, unanswered notes, stalled orders, an activation
the service refused), else 0.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from batchport.api import PortingClient
from batchport.errors import (
    EXIT_ATTENTION,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    BatchportError,
    InputError,
)
from batchport.journal import open_journal
from batchport.lifecycle.activate import ActivationResult, ReadyGroup, activate_groups
from batchport.lifecycle.batch import is_open
from batchport.lifecycle.track import TrackResult, track_open_batches
from batchport.ops.digest import Digest, digest_journal, refuse_foreign
from batchport.ops.lock import CycleLock, LockHolder, lock_path_for
from batchport.ops.ping import Pinger
from batchport.outputs import INPUT_SUFFIXES, output_path
from batchport.report.outcomes import FINE_OUTCOMES, Outcome

__all__ = [
    "SETTLE_SECONDS",
    "BatchRun",
    "CycleResult",
    "CycleServices",
    "FileOutcome",
    "FileStatus",
    "Folders",
    "run_cycle",
    "run_nightly",
]

log = logging.getLogger(__name__)

#: Seconds since its last modification after which a file counts as completely written.
SETTLE_SECONDS = 60.0
#: Names of files still being written or not meant as input (office lock files, downloads).
_UNSETTLED_PREFIXES = ("~$",)
_UNSETTLED_SUFFIXES = (".part", ".partial", ".tmp", ".crdownload", ".download", "~", "#")
#: Files batchport itself writes beside an input: never taken as input.
_OWN_OUTPUTS = (".result.xlsx", ".result.dry-run.xlsx", ".validation.xlsx", ".note.txt")


class BatchRun(Protocol):
    """What the cycle reads of a run (``pipeline.RunResult`` has it)."""

    @property
    def batch_id(self) -> str: ...
    @property
    def result_path(self) -> Path: ...
    @property
    def rows(self) -> int: ...
    @property
    def outcomes(self) -> Mapping[str, int]: ...


@dataclass(frozen=True)
class CycleServices:
    """What the cycle needs from the top, which resolves settings.

    ``run_file`` runs one file as a batch and writes its result workbook beside it
    (``pipeline.run_batch``); ``batch_id_of`` is the id that run would give the file
    (``pipeline.batch_id_for``); ``connect`` opens an API client (``connection.open_client``).
    """

    journal_path: Path
    target: str
    run_file: Callable[[Path], BatchRun]
    batch_id_of: Callable[[Path], str]
    connect: Callable[[], AbstractAsyncContextManager[PortingClient]]


@dataclass(frozen=True)
class Folders:
    """The inbox, where its files are filed, and the digest workbook."""

    inbox: Path
    done: Path
    failed: Path
    digest: Path

    @classmethod
    def under(
        cls,
        inbox: Path,
        done: Path | None = None,
        failed: Path | None = None,
        digest: Path | None = None,
    ) -> Folders:
        """Defaults: ``inbox/done``, ``inbox/failed`` and ``inbox/digest/digest.xlsx``."""
        return cls(
            inbox,
            done or inbox / "done",
            failed or inbox / "failed",
            digest or inbox / "digest" / "digest.xlsx",
        )


class FileStatus(StrEnum):
    """What the cycle did with one file of the inbox."""

    DONE = "done"  # run, every row fine: in done/ with its result workbook
    ATTENTION = "attention"  # run, some rows need a person: in failed/ with workbook and note
    UNUSABLE = "unusable"  # not a spreadsheet or unreadable: in failed/ with a note
    SEEN = "seen"  # same content as a finished batch: in done/ with a note, nothing sent
    RETRY = "retry"  # some creates failed: left in the inbox, the next cycle resumes it
    WAITING = "waiting"  # still being written: left for the next cycle
    ERROR = "error"  # the run failed as a whole: left in the inbox


@dataclass(frozen=True)
class FileOutcome:
    """One inbox file: what happened, where it went and why."""

    name: str
    status: FileStatus
    message: str
    moved_to: Path | None = None
    result: Path | None = None
    note: Path | None = None
    batch_id: str | None = None
    outcomes: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The file as one object of the ``--json`` summary."""
        return {
            "file": self.name,
            "status": self.status.value,
            "message": self.message,
            "moved_to": _text(self.moved_to),
            "result": _text(self.result),
            "note": _text(self.note),
            "batch": self.batch_id,
            "outcomes": dict(self.outcomes),
        }


@dataclass(frozen=True)
class CycleResult:
    """What one cycle did, what needs a person, and what failed."""

    started: datetime
    files: tuple[FileOutcome, ...] = ()
    tracked: tuple[TrackResult, ...] = ()
    activation: ActivationResult | None = None
    digest: Digest | None = None
    digest_path: Path | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    lock_taken_over: LockHolder | None = None
    pings: tuple[str, ...] = ()

    @property
    def attention(self) -> list[str]:
        """Why a person is needed, one reason per line (empty: nobody is)."""
        reasons = []
        filed = [f.name for f in self.files if f.status is FileStatus.ATTENTION]
        if filed:
            reasons.append(f"{len(filed)} file(s) with rows to correct: {', '.join(filed)}")
        unusable = [f.name for f in self.files if f.status is FileStatus.UNUSABLE]
        if unusable:
            reasons.append(f"{len(unusable)} file(s) not usable: {', '.join(unusable)}")
        retry = [f.name for f in self.files if f.status is FileStatus.RETRY]
        if retry:
            reasons.append(f"{len(retry)} file(s) with orders not sent yet: {', '.join(retry)}")
        if self.activation is not None and self.activation.needs_attention:
            reasons.append("the service did not activate every group it was asked to")
        if self.digest is not None:
            reasons += self.digest.attention
        return reasons

    @property
    def exit_code(self) -> int:
        """1 when a step failed, 3 when something needs a person, else 0."""
        if self.errors:
            return EXIT_FAILED
        return EXIT_ATTENTION if self.attention else EXIT_OK

    def to_json(self) -> dict[str, Any]:
        """The one ``--json`` summary object."""
        return {
            "started": self.started.isoformat(),
            "seconds": round(self.seconds, 3),
            "exit_code": self.exit_code,
            "files": [item.to_json() for item in self.files],
            "tracked": [_tracked_json(item) for item in self.tracked],
            "activation": self.activation.to_json() if self.activation else None,
            "digest": self.digest.to_json() if self.digest else None,
            "digest_workbook": _text(self.digest_path),
            "attention": self.attention,
            "errors": list(self.errors),
            "warnings": list(self.warnings),
            "lock_taken_over": self.lock_taken_over.owner if self.lock_taken_over else None,
            "pings": list(self.pings),
        }


def _text(path: Path | None) -> str | None:
    return str(path) if path is not None else None


def _tracked_json(result: TrackResult) -> dict[str, Any]:
    return {
        "batch": result.batch_id,
        "orders_read": result.orders_read,
        "confirmed": len(result.confirmed),
        "rejected": len(result.rejected),
        "notes": len(result.notes),
        "completed": len(result.completed),
        "result": _text(result.result),
    }


def run_nightly(
    folders: Folders,
    services: CycleServices,
    *,
    ping_url: str | None = None,
    lock_path: Path | None = None,
    **options: Any,
) -> CycleResult:
    """Take the lock, ping the start, run :func:`run_cycle`, ping the end.

    ``options`` go to :func:`run_cycle`. The lock file defaults to one beside the journal
    (:func:`~batchport.ops.lock.lock_path_for`). Raises LockBusy, without pinging, when
    another cycle holds the lock; a cycle that raises (a fault of batchport) pings ``/1``
    first.
    """
    lock = CycleLock(lock_path or lock_path_for(services.journal_path))
    lock.acquire()
    pinger = Pinger(ping_url)
    try:
        if lock.taken_over:
            log.warning(
                "took over the lock %s left by %s, which is no longer running",
                lock.path,
                lock.taken_over.describe(),
            )
        pinger.start()
        try:
            result = run_cycle(folders, services, **options)
        except KeyboardInterrupt:
            pinger.finish(EXIT_INTERRUPTED)
            raise
        except BaseException:
            pinger.finish(EXIT_FAILED)
            raise
        pinger.finish(result.exit_code)
        return replace(result, lock_taken_over=lock.taken_over, pings=tuple(pinger.sent))
    finally:
        lock.release()


def run_cycle(
    folders: Folders,
    services: CycleServices,
    *,
    activate: bool = False,
    confirm: Callable[[Sequence[ReadyGroup]], bool] | None = None,
    settle_seconds: float = SETTLE_SECONDS,
    digest_days: int = 7,
    own_authors: Sequence[str] = (),
    clock: Callable[[], datetime] | None = None,
) -> CycleResult:
    """One cycle over ``folders`` (the steps in the module docstring), without the lock.

    ``confirm`` is asked before activating (None: activate without asking); ``own_authors``
    are the note authors that are this installation (its key id), so the digest tells the
    service's notes from answers. Raises ConfigError when the digest path is not an ``.xlsx``
    or names a file that is not a digest, and BatchportError when the inbox cannot be read,
    both before any work; a step that fails later is in ``errors``, and the cycle goes on.
    """
    refuse_foreign(folders.digest)  # a wrong digest path fails the cycle before any work
    now = clock or (lambda: datetime.now(UTC))
    started, begun = now(), time.monotonic()
    log.info("nightly cycle started: inbox %s, target %s", folders.inbox, services.target)
    files = tuple(_take_inbox(folders, services, settle_seconds, now))
    errors = [f"{item.name}: {item.message}" for item in files if item.status is FileStatus.ERROR]
    result = CycleResult(started=started, files=files, errors=tuple(errors))
    if services.journal_path.exists():
        result = _journal_steps(
            result, folders, services, activate, confirm, digest_days, own_authors, now
        )
    else:
        log.info("no journal at %s yet: nothing to track", services.journal_path)
    for warning in result.warnings:
        log.warning("%s", warning)
    result = replace(result, seconds=time.monotonic() - begun)
    log.info("nightly cycle ended with exit code %d", result.exit_code)
    return result


def _journal_steps(
    result: CycleResult,
    folders: Folders,
    services: CycleServices,
    activate: bool,
    confirm: Callable[[Sequence[ReadyGroup]], bool] | None,
    days: int,
    own_authors: Sequence[str],
    now: Callable[[], datetime],
) -> CycleResult:
    """Steps 2 to 4 (track, activate, digest) added to ``result``; a failed step is an error."""
    errors = list(result.errors)
    tracked: list[TrackResult] = []
    activation: ActivationResult | None = None
    try:
        tracked, activation = asyncio.run(_lifecycle(services, activate, confirm, now))
    except BatchportError as exc:
        log.error("tracking failed: %s", exc)
        errors.append(f"track: {exc}")
    warnings = [item.warning for item in tracked if item.warning]
    warnings += list(activation.warnings) if activation else []
    digest = None
    try:
        digest = digest_journal(
            services.journal_path,
            target=services.target,
            days=days,
            out=folders.digest,
            now=now(),
            own_authors=own_authors,
        )
        log.info("digest written: %s", folders.digest)
    except BatchportError as exc:
        log.error("the digest failed: %s", exc)
        errors.append(f"digest: {exc}")
    return replace(
        result,
        tracked=tuple(tracked),
        activation=activation,
        digest=digest,
        digest_path=folders.digest if digest is not None else None,
        errors=tuple(errors),
        warnings=tuple(warnings),
    )


# --- step 1: the inbox ----------------------------------------------------------------------


def _take_inbox(
    folders: Folders, services: CycleServices, settle: float, now: Callable[[], datetime]
) -> list[FileOutcome]:
    if not folders.inbox.is_dir():
        raise BatchportError(f"the inbox {folders.inbox} is not a folder; create it or fix --inbox")
    try:
        entries = [path for path in folders.inbox.iterdir() if path.is_file()]
    except OSError as exc:
        raise BatchportError(f"cannot read the inbox {folders.inbox}: {exc.strerror}") from exc
    candidates = sorted(
        (path for path in entries if _may_be_input(path.name)),
        key=lambda path: (path.stat().st_mtime, path.name),
    )
    outcomes = []
    for path in candidates:
        outcome = _take_file(path, folders, services, settle, now)
        level = logging.WARNING if outcome.status is FileStatus.ERROR else logging.INFO
        log.log(level, "%s: %s (%s)", path.name, outcome.message, outcome.status.value)
        outcomes.append(outcome)
    return outcomes


def _may_be_input(name: str) -> bool:
    """False for hidden files (``.DS_Store``, ``.~lock.x.xlsx#``) and batchport's own outputs."""
    return not name.startswith(".") and not name.lower().endswith(_OWN_OUTPUTS)


def _take_file(
    path: Path,
    folders: Folders,
    services: CycleServices,
    settle: float,
    now: Callable[[], datetime],
) -> FileOutcome:
    name = path.name
    scanned = path.stat()
    age = now().timestamp() - scanned.st_mtime
    if name.startswith(_UNSETTLED_PREFIXES) or name.lower().endswith(_UNSETTLED_SUFFIXES):
        return FileOutcome(name, FileStatus.WAITING, "named like a file still being written")
    if age < settle:
        return FileOutcome(
            name, FileStatus.WAITING, f"modified {max(age, 0):.0f} s ago: left for the next cycle"
        )
    if path.suffix.lower() not in INPUT_SUFFIXES:
        why = (
            f"not a spreadsheet: batchport reads {', '.join(INPUT_SUFFIXES)} files, "
            f"and this one ends in {path.suffix or '(no suffix)'}"
        )
        return _file_away(path, folders.failed, FileStatus.UNUSABLE, why, services, now)
    try:
        batch_id = services.batch_id_of(path)
        if _changed(path, scanned):
            return FileOutcome(name, FileStatus.WAITING, "changed while it was read: left")
        seen = _finished_batch(services.journal_path, batch_id)
        if seen is not None:
            why = f"same content as batch {batch_id}, {seen}: not submitted again"
            return _file_away(path, folders.done, FileStatus.SEEN, why, services, now, batch_id)
        run = services.run_file(path)
    except InputError as exc:
        if _changed(path, scanned):
            return FileOutcome(name, FileStatus.WAITING, "changed while it was read: left")
        return _file_away(path, folders.failed, FileStatus.UNUSABLE, str(exc), services, now)
    except (BatchportError, OSError) as exc:
        return FileOutcome(name, FileStatus.ERROR, f"the run failed, the file stays: {exc}")
    return _file_run(path, run, folders, services, now)


def _changed(path: Path, scanned: os.stat_result) -> bool:
    try:
        current = path.stat()
    except OSError:
        return True
    return (current.st_size, current.st_mtime_ns) != (scanned.st_size, scanned.st_mtime_ns)


def _finished_batch(journal_path: Path, batch_id: str) -> str | None:
    """``run on <date> from <file>`` when the journal holds ``batch_id`` finished, else None."""
    if not journal_path.exists():
        return None
    with open_journal(journal_path) as journal:
        for batch in journal.batches():
            if batch.id == batch_id and batch.finished_at is not None:
                return f"run on {batch.created_at:%Y-%m-%d %H:%M} UTC from {batch.source}"
    return None


def _file_run(
    path: Path,
    run: BatchRun,
    folders: Folders,
    services: CycleServices,
    now: Callable[[], datetime],
) -> FileOutcome:
    outcomes = {name: count for name, count in run.outcomes.items() if count}
    counts = ", ".join(f"{name} {count}" for name, count in outcomes.items())
    fine = sum(count for name, count in outcomes.items() if name in FINE_OUTCOMES)
    if outcomes.get(Outcome.FAILED.value):
        return FileOutcome(
            path.name,
            FileStatus.RETRY,
            f"batch {run.batch_id}: {outcomes[Outcome.FAILED.value]} row(s) not submitted yet "
            f"({counts}); it stays in the inbox and the next cycle resumes it",
            result=run.result_path,
            batch_id=run.batch_id,
            outcomes=outcomes,
        )
    if fine == run.rows:
        why = f"batch {run.batch_id}: every row fine ({counts})"
        status, folder = FileStatus.DONE, folders.done
    else:
        why = (
            f"batch {run.batch_id} ran: {run.rows - fine} of {run.rows} row(s) need attention "
            f"({counts}); the other rows were submitted. The result workbook beside this file "
            "says what to correct in each (column Message): put the corrected rows in a new "
            "file in the inbox"
        )
        status, folder = FileStatus.ATTENTION, folders.failed
    return _file_away(
        path, folder, status, why, services, now, run.batch_id, run.result_path, outcomes
    )


def _file_away(
    path: Path,
    folder: Path,
    status: FileStatus,
    why: str,
    services: CycleServices,
    now: Callable[[], datetime],
    batch_id: str | None = None,
    result: Path | None = None,
    outcomes: Mapping[str, int] | None = None,
) -> FileOutcome:
    """Move ``path`` (and its result workbook) into ``folder``; a note unless DONE."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = _free_name(folder, path.name)
        shutil.move(path, target)
        moved_result = None
        if result is not None and result.is_file():
            moved_result = output_path(target, "result")
            shutil.move(result, moved_result)
        note = None
        if status is not FileStatus.DONE:
            note = target.with_name(f"{target.name}.note.txt")
            note.write_text(f"{now():%Y-%m-%d %H:%M} UTC, {path.name}: {why}\n", encoding="utf-8")
        if batch_id is not None and status is not FileStatus.SEEN:
            with open_journal(services.journal_path) as journal:
                journal.record_moved(batch_id, target, now(), moved_result)
    except (OSError, BatchportError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        why = f"{why}; then it could not be filed in {folder}: {reason}"
        return FileOutcome(path.name, FileStatus.ERROR, why, batch_id=batch_id)
    return FileOutcome(
        path.name, status, why, target, moved_result, note, batch_id, dict(outcomes or {})
    )


def _free_name(folder: Path, name: str) -> Path:
    """``folder/name``, or ``folder/<stem>-2<suffix>``… when a file of that stem is there."""
    path = Path(name)
    stem, suffix = path.stem, path.suffix
    candidate, number = stem, 1
    while any(folder.glob(f"{glob.escape(candidate)}.*")) or (folder / candidate).exists():
        number += 1
        candidate = f"{stem}-{number}"
    return folder / f"{candidate}{suffix}"


# --- steps 2 and 3: track, activate ---------------------------------------------------------


async def _lifecycle(
    services: CycleServices,
    activate: bool,
    confirm: Callable[[Sequence[ReadyGroup]], bool] | None,
    now: Callable[[], datetime],
) -> tuple[list[TrackResult], ActivationResult | None]:
    async with services.connect() as client:
        tracked = await track_open_batches(
            client, services.journal_path, target=services.target, clock=now
        )
        for item in tracked:
            log.info(
                "tracked batch %s: %d order(s) read, %d confirmed, %d rejected, %d note(s)",
                item.batch_id,
                item.orders_read,
                len(item.confirmed),
                len(item.rejected),
                len(item.notes),
            )
        if not activate:
            return tracked, None
        order_ids = _open_on_demand_orders(services.journal_path, services.target)
        if not order_ids:
            log.info("no open on-demand order to activate")
            return tracked, None
        activation = await activate_groups(
            client,
            order_ids,
            services.journal_path,
            confirm=confirm,
            today=now().date(),
            now=now,
        )
        for outcome in activation.activated:
            log.info("order %d group %s: %s", outcome.order_id, outcome.group, outcome.status)
        return tracked, activation


def _open_on_demand_orders(journal_path: Path, target: str) -> list[int]:
    """Created orders with on-demand activation, not closed, of ``target``'s batches."""
    ids: list[int] = []
    with open_journal(journal_path) as journal:
        for batch in reversed(journal.batches()):
            if batch.target != target:
                continue
            plan = journal.load_plan(batch.id) or ()
            on_demand = {order.reference for order in plan if order.on_demand_activation}
            ids += [
                sub.order_id
                for ref, sub in sorted(journal.submissions(batch.id).items())
                if ref in on_demand and sub.order_id is not None and is_open(sub)
            ]
    return ids
