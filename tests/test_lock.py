"""``batchport.ops.lock``: one cycle at a time, a dead holder's lock taken over, with real
processes (no sleeps: each side waits for the other's line)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from batchport.errors import BatchportError
from batchport.ops.lock import CycleLock, LockBusy, lock_path_for

HOLD = """
import sys
from pathlib import Path
from batchport.ops.lock import CycleLock
lock = CycleLock(Path(sys.argv[1]))
lock.acquire()
print("locked", flush=True)
if sys.argv[2] == "die":
    import os, signal
    os.kill(os.getpid(), signal.SIGKILL)
sys.stdin.readline()
lock.release()
"""


def _holder(path: Path, how: str) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path), how],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "locked"
    return child


def test_the_lock_file_lies_beside_the_journal(tmp_path: Path) -> None:
    assert lock_path_for(tmp_path / "journal.sqlite") == tmp_path / "journal.sqlite.nightly.lock"


def test_a_second_holder_is_refused_with_the_first_ones_name(tmp_path: Path) -> None:
    path = tmp_path / "cycle.lock"
    first = CycleLock(path, owner="host-a:101")
    first.acquire(datetime(2026, 12, 3, 2, 0, tzinfo=UTC))
    with pytest.raises(LockBusy) as refused:
        CycleLock(path, owner="host-a:202").acquire()
    message = str(refused.value)
    assert "another nightly cycle holds the lock" in message
    assert "process host-a:101, since 2026-12-03T02:00:00+00:00" in message
    assert str(path) in message
    first.release()
    second = CycleLock(path, owner="host-a:202")
    second.acquire()
    assert second.taken_over is None  # released cleanly: nothing to take over
    second.release()


def test_a_live_process_holds_the_lock_until_it_ends(tmp_path: Path) -> None:
    path = tmp_path / "cycle.lock"
    child = _holder(path, "hold")
    try:
        with pytest.raises(LockBusy, match=f"{socket.gethostname()}:{child.pid}"):
            CycleLock(path).acquire()
    finally:
        assert child.stdin is not None
        child.stdin.write("\n")
        child.stdin.flush()
        child.wait(timeout=30)
    with CycleLock(path) as lock:
        assert lock.taken_over is None


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    path = tmp_path / "cycle.lock"
    child = _holder(path, "die")
    assert child.wait(timeout=30) == -signal.SIGKILL
    left = json.loads(path.read_text())
    assert left["owner"] == f"{socket.gethostname()}:{child.pid}"  # the dead holder's mark
    lock = CycleLock(path)
    lock.acquire()
    try:
        assert lock.taken_over is not None
        assert lock.taken_over.owner == f"{socket.gethostname()}:{child.pid}"
        assert json.loads(path.read_text())["owner"] == f"{socket.gethostname()}:{os.getpid()}"
    finally:
        lock.release()
    assert path.read_text() == ""


def test_a_lock_file_that_cannot_be_created_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(BatchportError, match="cannot create the lock file"):
        CycleLock(blocker / "cycle.lock").acquire()
