"""The files a command writes: named beside their input, never over an input or each other,
readable by their owner only when they hold customer data, and known writable before anything
is sent.

- :func:`output_path`: ``<input stem>.<kind>.xlsx`` beside the input; when another input with
  the same stem lies beside it (``x.csv`` and ``x.xlsx``), the one that is not ``.xlsx`` keeps
  its suffix (``x.csv.result.xlsx``) so the two never share a result.
- :func:`refuse_clobbering`: the input, the result or report workbook, the trace, the journal
  and the sandbox's state must be different files (resolved paths, and ``samefile`` so links
  and hard links count).
- :func:`require_writable`: the folder exists and a file can be created in it.
- :func:`create_private`: create a file readable and writable by its owner only (0600) before
  a library opens it (SQLite and the trace append to what exists; they keep its mode).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from batchport.errors import ConfigError

__all__ = [
    "INPUT_SUFFIXES",
    "TEXT_SUFFIXES",
    "WORKBOOK_SUFFIXES",
    "create_private",
    "output_path",
    "refuse_clobbering",
    "require_writable",
]

#: Suffixes batchport reads as a workbook, and as delimited text.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
#: Every suffix batchport reads as input.
INPUT_SUFFIXES = WORKBOOK_SUFFIXES + TEXT_SUFFIXES


def output_path(source: Path, kind: str) -> Path:
    """Where the ``kind`` workbook (``result``, ``validation``) of ``source`` goes by default.

    An ``.xlsx`` input always gives ``<stem>.<kind>.xlsx``; any other input keeps its suffix
    (``x.csv.result.xlsx``) when an input of the same stem lies beside it, so two inputs of one
    stem never share a workbook.
    """
    siblings = [
        source.with_suffix(suffix)
        for suffix in INPUT_SUFFIXES
        if suffix != source.suffix.lower() and source.with_suffix(suffix).is_file()
    ]
    plain = source.suffix.lower() == ".xlsx" or not siblings
    stem = source.stem if plain else source.name
    return source.with_name(f"{stem}.{kind}.xlsx")


def refuse_clobbering(source: Path, outputs: Mapping[str, Path | None]) -> None:
    """Raise ConfigError when two of ``source`` and ``outputs`` name the same file.

    ``outputs`` maps what a person calls each file (``--out``, ``--trace``, ``--state``, "the
    sandbox state") to its path; ``None`` entries are ignored. The input is called INPUT.
    """
    named = [("the input file", source), *((name, path) for name, path in outputs.items() if path)]
    for index, (name, path) in enumerate(named):
        for other_name, other in named[:index]:
            if _same_file(path, other):
                raise ConfigError(
                    f"{name} and {other_name} are the same file ({path}): writing one would "
                    f"destroy the other; choose another path for {name}"
                )


def _same_file(one: Path, other: Path) -> bool:
    if one.expanduser().resolve() == other.expanduser().resolve():
        return True
    with contextlib.suppress(OSError):
        return one.exists() and other.exists() and one.samefile(other)
    return False


def require_writable(path: Path, what: str, *, suffix: str = ".xlsx") -> None:
    """Raise ConfigError unless ``path`` ends in ``suffix`` and can be written there.

    Writable means its folder exists and takes a new file, and an existing file is not
    read-only. ``what`` names the file in the message (e.g. "the result workbook").
    """
    if suffix and path.suffix.lower() != suffix:
        raise ConfigError(
            f"{what} {path} must be an {suffix} file: batchport writes {suffix} workbooks; "
            f"choose a name ending in {suffix}"
        )
    folder = path.parent
    if not folder.is_dir():
        raise ConfigError(
            f"the folder of {what} {path} does not exist; create it or choose another path"
        )
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".batchport-probe-"):
            pass
    except OSError as exc:
        raise ConfigError(
            f"cannot write {what} {path}: {exc.strerror or exc}; choose another path"
        ) from exc
    if path.exists() and not os.access(path, os.W_OK):
        raise ConfigError(f"cannot write {what} {path}: it is read-only; choose another path")


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist yet (its folder too).

    A folder it creates is the owner's only (0700). An existing file is left as it is.
    Raises OSError when the folder cannot be created.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
