"""Reading an xlsx workbook: the sheet, the header row and the rows, without pandas.

Kept free of pandas so that parsing can start before pandas and pandera have loaded:
``prefetch`` parses a workbook in a background thread (calamine releases the GIL while it
parses), and :func:`read_workbook` takes that result when the reader gets there. A command that
reads a large workbook saves roughly the import time of the validation stack this way. When
calamine cannot read a file, openpyxl tries it; any failure of either is one ``InputError``.

Before either reader sees a file, :mod:`batchport.intake.archive` checks its zip directory
(decompression bombs) and scans the chosen sheet's XML (a cell far beyond the data; hidden
sheets and rows, merged ranges, formulas never calculated, Excel error values), so that the
rows delivered are what a person sees in Excel and the rest is reported.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook

from batchport.columns import match_header
from batchport.errors import InputError
from batchport.intake.archive import (
    Archive,
    CellMark,
    SheetScan,
    column_letters,
    open_archive,
    scan_sheet,
    unreadable,
)
from batchport.outputs import WORKBOOK_SUFFIXES

__all__ = [
    "PROBE_ROWS",
    "SheetRows",
    "choose_sheet",
    "find_header",
    "no_header",
    "parsing",
    "pick_sheet",
    "prefetch",
    "read_workbook",
    "take",
]

log = logging.getLogger(__name__)

#: How many rows from the top are searched for the header row.
PROBE_ROWS = 30

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class SheetRows:
    """The sheet chosen in a workbook, read.

    ``name``: the sheet; ``header_index``: the 0-based index of its header row in ``rows``;
    ``rows``: every row from row 1 as Python values (blank cells ``""``), Excel error values as
    their text (``#N/A``) and a merged range's value in every row it covers; ``marks``: what the
    sheet's XML says that the values do not (hidden rows, formulas never calculated, filled
    merged cells), rows below the header only; ``hidden_sheets``: the hidden sheets passed over
    while looking for the first visible one (none when a sheet was asked for by name).
    """

    name: str
    header_index: int
    rows: Sequence[Sequence[object]]
    marks: tuple[CellMark, ...] = ()
    hidden_sheets: tuple[str, ...] = ()


_pending: dict[tuple[Path, str | None], Future[SheetRows]] = {}
_lock = threading.Lock()
_prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="batchport-prefetch")


def find_header(rows: Sequence[Sequence[object]]) -> int | None:
    """Index of the first row naming a phone column and one more known column, or ``None``."""
    for idx, row in enumerate(rows):
        keys = [match_header(str(cell)) for cell in row if str(cell).strip()]
        if "phoneNumber" in keys and sum(k is not None for k in keys) >= 2:
            return idx
    return None


def no_header(path: Path, hidden: Sequence[str] = ()) -> InputError:
    """The error for a file in which ``find_header`` finds nothing (``hidden``: sheets unread)."""
    unread = ""
    if hidden:
        names = ", ".join(repr(n) for n in hidden)
        unread = f" in a visible sheet (hidden sheets not read: {names}; name one with --sheet)"
    return InputError(
        f"{path}: no header row found{unread}; the first {PROBE_ROWS} rows need a row that "
        "names a phone number column (e.g. 'Phone Number' or 'TN') and at least one more known "
        "column"
    )


def choose_sheet(
    path: Path, sheet: str | None, scanned: Callable[[], None] | None = None
) -> SheetRows:
    """Check the archive of ``path``, parse it with calamine and pick ``sheet`` or the first
    visible sheet with a header. ``scanned`` is called after each sheet's scan, before its parse.

    Raises ``InputError`` for a decompression bomb, a sheet reaching far beyond its data, an
    unknown sheet name or when no sheet has a header row; whatever calamine raises when it
    cannot read the file.
    """
    archive = open_archive(path)
    workbook = CalamineWorkbook.from_path(str(path))

    def rows_of(name: str) -> Sequence[Sequence[object]]:
        return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)

    return pick_sheet(archive, sheet, rows_of, scanned)


def pick_sheet(
    archive: Archive,
    sheet: str | None,
    rows_of: Callable[[str], Sequence[Sequence[object]]],
    scanned: Callable[[], None] | None = None,
) -> SheetRows:
    """Pick ``sheet`` in ``archive``, or the first visible sheet whose rows have a header row.

    Each sheet's XML is scanned (:func:`~batchport.intake.archive.scan_sheet`) before
    ``rows_of`` (whichever library reads them) returns its rows by name; ``scanned`` is called
    between the two. Raises ``InputError`` for an unknown sheet name, a sheet reaching far
    beyond its data, or when no sheet has a header row.
    """
    names = [part.name for part in archive.sheets]
    if sheet is not None and sheet not in names:
        raise InputError(
            f"{archive.path}: no sheet named {sheet!r}; the sheets are {', '.join(names)}"
        )
    hidden = () if sheet else tuple(p.name for p in archive.sheets if not p.visible)
    for name in [sheet] if sheet is not None else [n for n in names if n not in hidden]:
        scan = scan_sheet(archive, name)  # before a reader allocates the sheet's cells
        if scanned is not None:
            scanned()
        rows = rows_of(name)
        header_idx = find_header(rows[:PROBE_ROWS])
        if header_idx is not None:
            marks = apply_scan(rows, header_idx + 1, scan)
            return SheetRows(name, header_idx, rows, marks, hidden)
    raise no_header(archive.path, hidden)


def apply_scan(
    rows: Sequence[Sequence[object]], header_row: int, scan: SheetScan
) -> tuple[CellMark, ...]:
    """Make ``rows`` show what a person sees and return the marks below ``header_row``.

    ``rows`` (lists, from row 1) are changed in place: an Excel error value replaces the blank
    a reader gave for it, and a merged range's value is put into the first column of every
    row the range covers. Returns a mark for each hidden or filtered-out row, each formula
    without a saved value and each cell filled from a merged range.
    """
    if scan == _NOTHING:
        return ()
    for (row, column), text in scan.errors.items():
        _put(rows, row, column, text)
    marks = [CellMark(r, -1, "row_hidden") for r in sorted(scan.hidden_rows) if r > header_row]
    marks += [
        CellMark(r, -1, "row_filtered_out") for r in sorted(scan.filtered_rows) if r > header_row
    ]
    marks += [
        CellMark(row, column, "formula_not_calculated")
        for row, column in sorted(scan.uncalculated)
        if row > header_row
    ]
    # Merged ranges never overlap in a file Excel wrote; the budget keeps a file whose ranges
    # overlap from costing more than one pass over the cells that exist.
    budget = len(rows) * max(len(rows[0]), 1) if rows else 0
    for first, column, last, last_column in scan.merged:
        value = _cell(rows, first, column)
        span = range(max(first + 1, header_row + 1), min(last, len(rows)) + 1)
        budget -= len(span)
        if value == "" or budget < 0:
            continue
        where = f"{column_letters(column)}{first}:{column_letters(last_column)}{last}"
        for row in span:
            if _put(rows, row, column, value):
                marks.append(CellMark(row, column, "merged_cell_filled", where))
    return tuple(marks)


_NOTHING = SheetScan()


def _cell(rows: Sequence[Sequence[object]], row: int, column: int) -> object:
    if 1 <= row <= len(rows) and column < len(rows[row - 1]):
        value = rows[row - 1][column]
        return "" if value is None else value
    return ""


def _put(rows: Sequence[Sequence[object]], row: int, column: int, value: object) -> bool:
    # Only a cell the reader gave as blank is written: what it read is never overwritten.
    target = rows[row - 1] if 1 <= row <= len(rows) else None
    if not isinstance(target, list) or _cell(rows, row, column) != "":
        return False
    if column >= len(target):
        target.extend([""] * (column + 1 - len(target)))
    target[column] = value
    return True


def prefetch(path: Path, sheet: str | None = None) -> None:
    """Start ``choose_sheet(path, sheet)`` in a background thread if ``path`` is a workbook.

    Returns once the sheet's XML has been scanned, while calamine parses it; errors are kept and
    raised by ``take``. The scan runs Python code and the parse does not: waiting for the scan
    lets it finish at full speed instead of sharing the interpreter with the caller's imports,
    and the parse, which is longer, then runs beside them. Anything but ``.xlsx``/``.xlsm`` is
    ignored, as is a second prefetch of the same file and sheet.
    """
    path = Path(path)
    if path.suffix.lower() not in WORKBOOK_SUFFIXES or not path.is_file():
        return
    key = (path.resolve(), sheet)
    scanned = threading.Event()
    with _lock:
        if key in _pending:
            return
        future = _prefetcher.submit(choose_sheet, path, sheet, scanned.set)
        _pending[key] = future
    future.add_done_callback(lambda _done: scanned.set())  # failed before its first parse
    scanned.wait()


def parsing(path: Path, sheet: str | None = None) -> bool:
    """True while a :func:`prefetch` of ``path`` and ``sheet`` is still being parsed.

    A caller with work of its own to do before it needs the rows (loading what it will use)
    can do it in that time: the parse runs in calamine's own code, off the interpreter lock.
    """
    with _lock:
        future = _pending.get((Path(path).resolve(), sheet))
    return future is not None and not future.done()


def take(path: Path, sheet: str | None) -> SheetRows | None:
    """The prefetched result for ``path`` and ``sheet`` (waiting for it), or ``None``.

    Raises what ``choose_sheet`` raised in the background. A result is handed out once.
    """
    with _lock:
        future = _pending.pop((Path(path).resolve(), sheet), None)
    return None if future is None else future.result()


def read_workbook(path: Path, sheet: str | None) -> SheetRows:
    """The chosen sheet of the workbook at ``path``, read.

    Uses a prefetched parse when there is one, calamine otherwise, and openpyxl when calamine
    cannot read the file. Raises ``InputError`` (one line) for a password-protected or
    old-format file, a decompression bomb, a sheet reaching far beyond its data, an unknown
    sheet, a workbook neither library reads, or no header row.
    """
    with path.open("rb") as handle:
        magic = handle.read(len(_OLE_MAGIC))
    if magic == _OLE_MAGIC:
        raise InputError(
            f"{path}: the workbook is password-protected or in an old format; "
            "save an unprotected .xlsx copy and try again"
        )
    # calamine directly rather than through pandas.read_excel: one parse of the sheet instead of
    # two, and the cells keep their Excel types (number, date) so the repairs can report them.
    try:
        return take(path, sheet) or choose_sheet(path, sheet)
    except InputError:
        raise
    except Exception as exc:  # calamine's own errors and any other failure of its parse
        log.debug("calamine failed on %s, trying openpyxl", path, exc_info=True)
        return read_with_openpyxl(path, sheet, exc)


def read_with_openpyxl(path: Path, sheet: str | None, cause: Exception) -> SheetRows:
    """:func:`read_workbook` through openpyxl, for a file calamine could not read (``cause``).

    Raises ``InputError``, one line naming ``cause``, for any failure of openpyxl.
    """
    from openpyxl import load_workbook

    archive = open_archive(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise unreadable(path, cause) from exc

    def rows_of(name: str) -> list[list[object]]:
        return [
            ["" if v is None else v for v in r] for r in workbook[name].iter_rows(values_only=True)
        ]

    try:
        return pick_sheet(archive, sheet, rows_of)
    except InputError:
        raise
    except Exception as exc:  # e.g. a shared-string index out of range, found while reading
        raise unreadable(path, f"{cause}; then {type(exc).__name__}: {exc}") from exc
    finally:
        workbook.close()
