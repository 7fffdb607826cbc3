"""Reading an xlsx workbook: the sheet, the header row and the rows, without pandas.

Kept free of pandas so that parsing can start before pandas and pandera have loaded:
``prefetch`` parses a workbook in a background thread (calamine releases the GIL while it
parses), and :func:`read_workbook` takes that result when the reader gets there. A command that
reads a large workbook saves roughly the import time of the validation stack this way. When
calamine cannot read a file, openpyxl tries it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from batchport.columns import match_header
from batchport.errors import InputError
from batchport.outputs import WORKBOOK_SUFFIXES

__all__ = [
    "PROBE_ROWS",
    "SheetRows",
    "choose_sheet",
    "find_header",
    "no_header",
    "pick_sheet",
    "prefetch",
    "read_workbook",
    "take",
]

log = logging.getLogger(__name__)

#: How many rows from the top are searched for the header row.
PROBE_ROWS = 30

#: (sheet name, index of the header row, every row of the sheet as Python values)
SheetRows = tuple[str, int, Sequence[Sequence[object]]]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

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


def no_header(path: Path) -> InputError:
    """The error for a file in which ``find_header`` finds nothing."""
    return InputError(
        f"{path}: no header row found; the first {PROBE_ROWS} rows need a row that names a "
        "phone number column (e.g. 'Phone Number' or 'TN') and at least one more known column"
    )


def choose_sheet(path: Path, sheet: str | None) -> SheetRows:
    """Parse ``path`` with calamine and pick ``sheet``, or the first sheet with a header.

    Raises ``InputError`` for an unknown sheet name or when no sheet has a header row, and
    ``python_calamine.CalamineError`` when calamine cannot read the file.
    """
    workbook = CalamineWorkbook.from_path(str(path))

    def rows_of(name: str) -> Sequence[Sequence[object]]:
        return workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)

    return pick_sheet(path, list(workbook.sheet_names), sheet, rows_of)


def pick_sheet(
    path: Path,
    names: Sequence[str],
    sheet: str | None,
    rows_of: Callable[[str], Sequence[Sequence[object]]],
) -> SheetRows:
    """Pick ``sheet`` among ``names``, or the first sheet whose rows have a header row.

    ``rows_of`` returns a sheet's rows by name (whichever library reads them). Returns
    ``(name, header index, rows)``; raises ``InputError`` for an unknown sheet name or when no
    sheet has a header row.
    """
    if sheet is not None and sheet not in names:
        raise InputError(f"{path}: no sheet named {sheet!r}; the sheets are {', '.join(names)}")
    for name in [sheet] if sheet is not None else names:
        rows = rows_of(name)
        header_idx = find_header(rows[:PROBE_ROWS])
        if header_idx is not None:
            return name, header_idx, rows
    raise no_header(path)


def prefetch(path: Path, sheet: str | None = None) -> None:
    """Start ``choose_sheet(path, sheet)`` in a background thread if ``path`` is a workbook.

    Returns at once; errors are kept and raised by ``take``. Anything but ``.xlsx``/``.xlsm``
    is ignored, as is a second prefetch of the same file and sheet.
    """
    path = Path(path)
    if path.suffix.lower() not in WORKBOOK_SUFFIXES or not path.is_file():
        return
    key = (path.resolve(), sheet)
    with _lock:
        if key not in _pending:
            _pending[key] = _prefetcher.submit(choose_sheet, path, sheet)


def take(path: Path, sheet: str | None) -> SheetRows | None:
    """The prefetched result for ``path`` and ``sheet`` (waiting for it), or ``None``.

    Raises what ``choose_sheet`` raised in the background. A result is handed out once.
    """
    with _lock:
        future = _pending.pop((Path(path).resolve(), sheet), None)
    return None if future is None else future.result()


def read_workbook(path: Path, sheet: str | None) -> SheetRows:
    """The chosen sheet of the workbook at ``path``: its name, header index and every row.

    Uses a prefetched parse when there is one, calamine otherwise, and openpyxl when calamine
    cannot read the file. Blank cells are ``""``. Raises ``InputError`` for a password-protected
    or old-format file, an unknown sheet, a workbook neither library reads, or no header row.
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
    except CalamineError as exc:
        log.debug("calamine failed on %s, trying openpyxl", path, exc_info=True)
        return read_with_openpyxl(path, sheet, exc)


def read_with_openpyxl(path: Path, sheet: str | None, cause: Exception) -> SheetRows:
    """:func:`read_workbook` through openpyxl, for a file calamine could not read (``cause``)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise InputError(f"{path}: cannot be read as an .xlsx workbook ({cause})") from exc

    def rows_of(name: str) -> list[list[object]]:
        return [
            ["" if v is None else v for v in r] for r in workbook[name].iter_rows(values_only=True)
        ]

    try:
        return pick_sheet(path, workbook.sheetnames, sheet, rows_of)
    finally:
        workbook.close()
