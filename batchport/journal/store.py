"""The journal's SQLite connection: opening it safely, its schema, and one transaction per step.

:class:`JournalStore` checks that a file is a batchport journal (``PRAGMA application_id``) of a
schema this version knows (``PRAGMA user_version``), creates the schema in a new file, turns on
WAL, and offers ``_transaction`` / ``_query`` that turn SQLite failures into
:class:`~batchport.errors.JournalError`. :func:`process_owner` and :func:`owner_alive` name the
process that holds a batch and tell whether it still runs. :class:`batchport.journal.Journal`
builds on it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from batchport.errors import JournalError
from batchport.journal.schema import APPLICATION_ID, MIGRATIONS, SCHEMA, SCHEMA_VERSION

__all__ = ["JournalStore", "owner_alive", "process_owner"]


#: What to do about a file at the journal's path that is not a journal; it is never replaced.
_NOT_REPLACED = (
    "it is left as it is, since a new journal there would lose track of the orders already "
    "created: restore the journal, or point --state or BATCHPORT_STATE at another file"
)


class JournalStore:
    """One SQLite connection to a batchport journal, opened safely. Use as a context manager."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Self:
        """Open or create the journal file; raises JournalError naming the file when unusable.

        A new journal is created readable by its owner only (0600): it holds customer data. An
        empty file at ``path`` is refused rather than taken for a new journal, since a journal
        started afresh there would lose track of the orders already created.
        """
        if path.is_file() and path.stat().st_size == 0:
            raise JournalError(f"{path} is empty, not a batchport journal; {_NOT_REPLACED}")
        try:
            if not path.exists():
                _create(path)
            connection = sqlite3.connect(path, isolation_level=None, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"cannot open the journal {path}: {exc}") from exc
        journal = cls(connection, path)
        try:
            journal._prepare()
        except sqlite3.DatabaseError as exc:
            connection.close()
            raise JournalError(
                f"{path} is not a usable batchport journal ({exc}); {_NOT_REPLACED}"
            ) from exc
        except JournalError:
            connection.close()
            raise
        return journal

    def _prepare(self) -> None:
        app_id = self._db.execute("PRAGMA application_id").fetchone()[0]
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        tables = self._db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if app_id != APPLICATION_ID and (app_id != 0 or tables):
            raise JournalError(
                f"{self.path} is an SQLite file that batchport did not create; {_NOT_REPLACED}"
            )
        if version > SCHEMA_VERSION:
            raise JournalError(
                f"the journal {self.path} was written by a newer batchport "
                f"(schema {version}, this one knows {SCHEMA_VERSION}); upgrade batchport"
            )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        if version == 0:
            with self._transaction():
                self._create_schema()
        elif version < SCHEMA_VERSION:
            with self._transaction() as db:
                for step in range(version + 1, SCHEMA_VERSION + 1):
                    _run_script(db, MIGRATIONS[step])
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _create_schema(self) -> None:
        _write_schema(self._db)

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise JournalError(f"the journal {self.path} failed: {exc}") from exc

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise JournalError(f"the journal {self.path} failed: {exc}") from exc


def _create(path: Path) -> None:
    """Create a journal at ``path`` whole: schema written aside, then linked into place.

    A crash at any instant leaves either no file at ``path`` or a complete empty journal, never
    an empty file; the file is readable by its owner only (0600). Another process creating the
    same journal at the same moment wins harmlessly.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
    os.close(handle)
    temp = Path(name)
    try:
        with contextlib.closing(sqlite3.connect(temp, isolation_level=None)) as db:
            _write_schema(db)
        with contextlib.suppress(FileExistsError):
            os.link(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _write_schema(db: sqlite3.Connection) -> None:
    _run_script(db, SCHEMA)
    db.execute(f"PRAGMA application_id={APPLICATION_ID}")
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Run each statement of ``script`` inside the caller's transaction (no executescript,
    which would commit it)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def process_owner() -> str:
    """This process as a batch owner: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_alive(owner: str) -> bool:
    """Whether ``host:pid`` names a live process of this host.

    An owner on another host counts as gone: a journal is a local SQLite file, and a container
    restarted after a crash gets a new host name, so trusting foreign claims would lock the
    batch for good.
    """
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, but someone else's
        return True
    return True
