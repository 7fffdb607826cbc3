"""Reading a customer's spreadsheet (xlsx or csv) into a table of text, row numbers preserved.

``read_table`` finds the sheet and the header row (even below title rows), matches headers to
canonical column keys, turns every cell into text, repairs what Excel damaged (reported as
warnings) and drops fully blank rows. The table's index is the spreadsheet row number, so a
finding on index 7 is on row 7 as Excel shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
from openpyxl.utils import get_column_letter

from batchport.columns import COLUMNS, RESULT_COLUMNS, match_header
from batchport.errors import InputError
from batchport.findings import Finding, concat_frames, empty_frame, to_findings
from batchport.intake import require_input
from batchport.intake.csv import read_csv
from batchport.intake.repairs import repair_column
from batchport.intake.text import clean_text
from batchport.intake.workbook import read_workbook
from batchport.outputs import TEXT_SUFFIXES, WORKBOOK_SUFFIXES

__all__ = ["Table", "frame_of_rows", "read_table"]

_KNOWN_KEYS = frozenset(c.key for c in COLUMNS)


@dataclass(frozen=True, eq=False)  # frames inside: compared by identity
class Table:
    """The input as text.

    ``frame``: every cell text (``""`` when blank), index = spreadsheet row number (named
    ``row``), columns = canonical keys for recognised headers, the original header otherwise.
    ``headers`` maps each column to the header text the user wrote. ``repairs`` is the finding
    frame behind ``findings`` (the reader's repairs, all warnings). ``results``: the leading
    result columns of a result workbook's Rows sheet read back as input
    (:data:`~batchport.columns.RESULT_COLUMNS`, as text on the same index), set aside rather
    than read as input columns; empty (no columns) for any other input.
    """

    frame: pd.DataFrame
    headers: dict[str, str]
    source: Path
    sheet: str | None
    header_row: int
    repairs: pd.DataFrame = field(default_factory=empty_frame, repr=False, compare=False)
    results: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)

    @cached_property
    def findings(self) -> tuple[Finding, ...]:
        """The repairs made while reading, as warnings, sorted by row then column."""
        return to_findings(self.repairs)


def read_table(path: Path, *, sheet: str | None = None) -> Table:
    """Read an ``.xlsx`` or ``.csv`` file into a ``Table`` of text.

    ``sheet`` picks a worksheet by name; otherwise the first sheet with a recognisable header is
    used (``sheet`` is ignored for CSV). Raises ``InputError`` with a one-line message when the
    file is missing, unreadable, empty, password-protected, has no header row or no data.
    """
    path = Path(path)
    require_input(path)
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    legacy_rows: tuple[int, ...] = ()
    if suffix in WORKBOOK_SUFFIXES:
        sheet_name, header_idx, rows = read_workbook(path, sheet)
        raw = frame_of_rows(rows[header_idx:])
    elif suffix in TEXT_SUFFIXES:
        text = read_csv(path)
        sheet_name, header_idx, raw = None, text.header_index, text.frame
        legacy_rows = text.legacy_lines
    elif suffix == ".xls":
        raise InputError(f"{path}: old .xls workbooks are not supported; save it as .xlsx")
    else:
        raise InputError(f"{path}: unsupported file type {suffix!r}; use .xlsx or .csv")
    return _build_table(path, sheet_name, header_idx, raw, legacy_rows)


def frame_of_rows(rows: Sequence[Sequence[object]]) -> pd.DataFrame:
    """A frame of the workbook rows, the header first, short rows padded with ``""``."""
    frame = pd.DataFrame(rows, dtype=object)
    return frame.where(frame.notna(), "")  # short rows from the openpyxl fallback


def _name_columns(header_cells: Sequence[object]) -> tuple[list[str], dict[str, str]]:
    names: list[str] = []
    headers: dict[str, str] = {}
    for position, cell in enumerate(header_cells):
        text = " ".join(str(cell).split())
        key = match_header(text) if text else None
        name = key if key is not None and key not in headers else text
        if not name:
            name = f"Column {get_column_letter(position + 1)}"
        while name in headers:
            name = f"{name} ({position + 1})"
        names.append(name)
        headers[name] = text or name
    return names, headers


def result_prefix(header_cells: Sequence[object]) -> int:
    """How many leading headers are the result columns of a result workbook's Rows sheet.

    0 unless the header row starts with at least ``Source row`` and ``Outcome``, in order.
    """
    count = 0
    for cell, expected in zip(header_cells, RESULT_COLUMNS, strict=False):
        if " ".join(str(cell).split()) != expected:
            break
        count += 1
    return count if count >= 2 else 0


def _build_table(
    path: Path,
    sheet: str | None,
    header_idx: int,
    raw: pd.DataFrame,
    legacy_rows: tuple[int, ...] = (),
) -> Table:
    leading = result_prefix(raw.iloc[0].tolist())
    results = raw.iloc[1:, :leading].astype(str).where(raw.iloc[1:, :leading].notna(), "")
    results.columns = pd.Index([str(cell) for cell in raw.iloc[0, :leading]])
    raw = raw.iloc[:, leading:]
    header_cells = raw.iloc[0].tolist()
    names, headers = _name_columns(header_cells)
    body = raw.iloc[1:]
    body.columns = pd.Index(names)
    body.index = pd.RangeIndex(header_idx + 2, header_idx + 2 + len(body), name="row")
    columns: dict[str, pd.Series] = {}
    frames = []
    for name in names:
        text, repairs = repair_column(
            body[name].rename(name), name if name in _KNOWN_KEYS else None
        )
        columns[name] = text
        frames.append(repairs)
    frame, text_findings = clean_text(pd.DataFrame(columns, index=body.index), legacy_rows)
    frames.append(text_findings)
    blank_header = [n for n in names if not headers[n].strip() or n.startswith("Column ")]
    frame = frame.drop(columns=[n for n in blank_header if not frame[n].str.len().any()])
    headers = {n: headers[n] for n in frame.columns}
    filled = (frame != "").any(axis=1)
    frame = frame[filled]
    if frame.empty:
        raise InputError(f"{path}: no data rows under the header on row {header_idx + 1}")
    repairs = concat_frames(frames, sort=True)
    repairs = repairs[repairs["row"].isin(frame.index)].reset_index(drop=True)
    results.index = body.index
    return Table(frame, headers, path, sheet, header_idx + 1, repairs, results.loc[frame.index])
