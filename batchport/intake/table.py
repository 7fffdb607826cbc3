"""Reading a customer's spreadsheet (xlsx or csv) into a table of text, row numbers preserved.

``read_table`` finds the sheet and the header row (even below title rows), matches headers to
canonical column keys, turns every cell into text, repairs what Excel damaged (reported as
warnings) and drops fully blank rows. The table's index is the spreadsheet row number, so a
finding on index 7 is on row 7 as Excel shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import pandas as pd

from batchport.columns import COLUMNS, RESULT_COLUMNS, match_header
from batchport.errors import InputError
from batchport.findings import CODES, Finding, concat_frames, empty_frame, frame_of, to_findings
from batchport.intake import require_input
from batchport.intake.archive import CellMark, column_letters
from batchport.intake.csv import read_csv
from batchport.intake.repairs import repair_column
from batchport.intake.text import clean_text
from batchport.intake.workbook import read_workbook
from batchport.outputs import TEXT_SUFFIXES, WORKBOOK_SUFFIXES

__all__ = ["Table", "frame_of_rows", "read_table", "table_of_rows"]

_KNOWN_KEYS = frozenset(c.key for c in COLUMNS)


@dataclass(frozen=True, eq=False)  # frames inside: compared by identity
class Table:
    """The input as text.

    ``frame``: every cell text (``""`` when blank), index = spreadsheet row number (named
    ``row``), columns = canonical keys for recognised headers, the original header otherwise.
    ``headers`` maps each column to the header text the user wrote. ``repairs`` is the finding
    frame behind ``findings``: the reader's repairs and what the sheet's XML showed (hidden rows
    and sheets, merged cells, formulas never calculated). ``results``: the leading result
    columns of a result workbook's Rows sheet read back as input
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
        """What the reader found and repaired, sorted by row then column."""
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
    if suffix in WORKBOOK_SUFFIXES:
        read = read_workbook(path, sheet)
        table = table_of_rows(
            path, read.rows, sheet=read.name, header_index=read.header_index, marks=read.marks
        )
        return _with_hidden_sheets(table, read.hidden_sheets)
    if suffix in TEXT_SUFFIXES:
        text = read_csv(path)
        return _build_table(path, None, text.header_index, text.frame, text.legacy_lines)
    if suffix == ".xls":
        raise InputError(f"{path}: old .xls workbooks are not supported; save it as .xlsx")
    raise InputError(f"{path}: unsupported file type {suffix!r}; use .xlsx or .csv")


def table_of_rows(
    source: Path,
    rows: Sequence[Sequence[object]],
    *,
    sheet: str | None = None,
    header_index: int = 0,
    marks: Sequence[CellMark] = (),
) -> Table:
    """A ``Table`` of workbook ``rows`` as a reader gives them (see ``read_table``).

    ``rows``: every row from row 1 (str, int, float, bool, date and time cells; blank ``""``),
    the header at ``header_index``; ``marks``: what the sheet's XML showed. ``source`` and
    ``sheet`` are only named in the table and its errors. Raises ``InputError`` when no row
    under the header holds data.
    """
    raw = frame_of_rows(rows[header_index:])
    return _build_table(source, sheet, header_index, raw, marks=marks)


def frame_of_rows(rows: Sequence[Sequence[object]]) -> pd.DataFrame:
    """A frame of the workbook rows, the header first, short rows padded with ``""``."""
    frame = pd.DataFrame(rows, dtype=object)
    if len(set(map(len, rows))) <= 1:
        return frame  # the readers give blank cells as "": only padding makes a None
    return frame.where(frame.notna(), "")  # e.g. a row a merged range reached beyond the rest


def _name_columns(header_cells: Sequence[object]) -> tuple[list[str], dict[str, str]]:
    names: list[str] = []
    headers: dict[str, str] = {}
    for position, cell in enumerate(header_cells):
        text = " ".join(str(cell).split())
        key = match_header(text) if text else None
        name = key if key is not None and key not in headers else text
        if not name:
            name = f"Column {column_letters(position)}"
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
    marks: Sequence[CellMark] = (),
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
    frame = frame[_filled(frame)]
    if frame.empty:
        raise InputError(f"{path}: no data rows under the header on row {header_idx + 1}")
    frames += _mark_frames(marks, names, frame, skipped=leading)
    repairs = concat_frames(frames, sort=True)
    repairs = repairs[repairs["row"].isin(frame.index)].reset_index(drop=True)
    results.index = body.index
    return Table(frame, headers, path, sheet, header_idx + 1, repairs, results.loc[frame.index])


def _filled(frame: pd.DataFrame) -> pd.Series:
    # The known columns were tidied by the repairs; a cell of spaces in another column (a
    # stray space far below the data) does not make a row either.
    known = [n for n in frame.columns if n in _KNOWN_KEYS]
    filled = (frame[known] != "").any(axis=1)
    for name in (n for n in frame.columns if n not in _KNOWN_KEYS):
        filled |= frame[name].str.strip() != ""
    return filled


def _mark_frames(
    marks: Sequence[CellMark], names: Sequence[str], frame: pd.DataFrame, *, skipped: int = 0
) -> list[pd.DataFrame]:
    """A finding frame per kind of mark the sheet scan left on rows of ``frame``.

    ``names`` are the names of the sheet's columns after the first ``skipped`` (a result
    workbook's result columns, set aside); a mark on one of those is not reported.

    A mark on a whole row is reported on its phone number; a filled merged cell shows the
    value now sent, and its message names the merged range (kept in the mark's ``value``).
    """
    groups: dict[tuple[str, str], dict[int, str]] = {}
    for mark in marks:
        if mark.column < 0:
            name = "phoneNumber"
        elif 0 <= mark.column - skipped < len(names) and names[mark.column - skipped] in frame:
            name = names[mark.column - skipped]
        else:
            continue  # a column without header or data: nothing of it is read
        if mark.row in frame.index:
            groups.setdefault((mark.code, name), {})[mark.row] = mark.value
    frames = []
    for (code, name), found in groups.items():
        rows = pd.Index(sorted(found), name="row")
        mask = pd.Series(True, index=rows)
        values = frame.loc[rows, name]
        if code == "merged_cell_filled":
            advice = CODES[code].message
            said = pd.Series(
                [advice.replace("a merged range", f"the merged range {found[r]}") for r in rows],
                index=rows,
            )
            frames.append(frame_of(mask, name, code, message=said, sent=values))
        else:
            frames.append(frame_of(mask, name, code, values=values))
    return frames


def _with_hidden_sheets(table: Table, hidden: Sequence[str]) -> Table:
    if not hidden:
        return table
    at = pd.Series(True, index=pd.Index([table.header_row], name="row"))
    notes = [
        frame_of(
            at,
            "",
            "hidden_sheet_skipped",
            message=f"The workbook's hidden sheet {name!r} was not read; this sheet "
            f"({table.sheet!r}), the first visible one with a header, was. Delete the hidden "
            "sheet if it is outdated, or name the sheet to read with --sheet.",
        )
        for name in hidden
    ]
    repairs = concat_frames([*notes, table.repairs])
    return replace(table, repairs=repairs)
