"""The lock that keeps two nightly cycles on one journal from overlapping.

:class:`CycleLock` holds an exclusive ``flock`` on a lock file beside the journal for as long
as the cycle runs. The kernel releases an ``flock`` when its holder dies, however it dies (a
crash, ``kill -9``, the machine's OOM killer), so a lock left by a dead process is never
"stale": the next cycle simply gets it. The lock file also names its holder (``host:pid`` and
when it started) so a second cycle can say who is running, and a cycle that takes over a
file naming a process that is gone says so.

Why not the ``filelock`` package: it truncates the lock file on every attempt, even one that
fails, so a contender would wipe the name of the holder it should report. The lock file stays
in place after a cycle (removing it while another process waits on it would let a third one
lock a new file beside it). ``flock`` is local: on NFS, use a lock file on a local disk
(``lock_path``).
"""

from __future__ import annotations

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from batchport.errors import BatchportError
from batchport.journal import owner_alive, process_owner

__all__ = ["CycleLock", "LockBusy", "LockHolder", "lock_path_for"]


class LockBusy(BatchportError):
    """Another cycle holds the lock; the message names it and what to do."""


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or last held) a lock: ``host:pid`` and when it took the lock (UTC)."""

    owner: str
    since: str

    def describe(self) -> str:
        """``process host:pid, since <time>`` for a message."""
        return f"process {self.owner}, since {self.since}" if self.since else self.owner


def lock_path_for(journal_path: Path) -> Path:
    """The lock file of cycles on the journal at ``journal_path``: beside it."""
    return journal_path.with_name(f"{journal_path.name}.nightly.lock")


class CycleLock:
    """An exclusive, non-blocking lock on ``path`` for one cycle; a context manager.

    ``acquire`` raises :class:`LockBusy` at once when another process (or another
    ``CycleLock`` in this one) holds it. ``taken_over`` is the holder the file named when the
    lock was taken although that process is gone (a cycle that died), else None.
    """

    def __init__(self, path: Path, *, owner: str | None = None) -> None:
        self.path = path
        self.owner = owner or process_owner()
        self.taken_over: LockHolder | None = None
        self._fd: int | None = None

    def acquire(self, now: datetime | None = None) -> None:
        """Take the lock and write this process into the file.

        Raises LockBusy when it is held, and BatchportError when the file cannot be created.
        """
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # as the journal's
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise BatchportError(
                f"cannot create the lock file {self.path}: {exc.strerror or exc}"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            who = holder.describe() if holder else "another process"
            raise LockBusy(
                f"another nightly cycle holds the lock {self.path} ({who}); this one exits "
                "without doing anything. If that cycle hangs, stop it; its lock goes with it"
            ) from None
        previous = _read_holder(fd)
        if previous and previous.owner != self.owner and not owner_alive(previous.owner):
            self.taken_over = previous
        _write_holder(fd, LockHolder(self.owner, (now or datetime.now(UTC)).isoformat()))
        self._fd = fd

    def release(self) -> None:
        """Give the lock up (the file stays); a no-op when not held."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)  # a holder named in the file is one that did not finish
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> CycleLock:
        self.acquire()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> LockHolder | None:
    """The holder named in the lock file, or None when it names none (empty, foreign)."""
    os.lseek(fd, 0, os.SEEK_SET)
    raw = os.read(fd, 4096)
    try:
        data: Any = json.loads(raw.decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("owner"), str):
        return None
    return LockHolder(data["owner"], str(data.get("since", "")))


def _write_holder(fd: int, holder: LockHolder) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, json.dumps({"owner": holder.owner, "since": holder.since}).encode())
