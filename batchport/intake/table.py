"""Reading a customer's spreadsheet (xlsx or csv) into a table of text, row numbers preserved.

``read_table`` finds the sheet and the header row (even below title rows), matches headers to
canonical column keys, turns every cell into text, repairs what Excel damaged (reported as
warnings) and drops fully blank rows. The table's index is the spreadsheet row number, so a
finding on index 7 is on row 7 as Excel shows it.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
from python_calamine import CalamineError

from batchport import sheets
from batchport.columns import COLUMNS, match_header
from batchport.errors import InputError
from batchport.findings import Finding, concat_frames, empty_frame, to_findings
from batchport.repairs import repair_column

__all__ = ["Table", "read_table"]

log = logging.getLogger(__name__)

_EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_CSV_SUFFIXES = frozenset({".csv", ".txt", ".tsv"})
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BOM = b"\xef\xbb\xbf"
_KNOWN_KEYS = frozenset(c.key for c in COLUMNS)


@dataclass(frozen=True, eq=False)  # frames inside: compared by identity
class Table:
    """The input as text.

    ``frame``: every cell text (``""`` when blank), index = spreadsheet row number (named
    ``row``), columns = canonical keys for recognised headers, the original header otherwise.
    ``headers`` maps each column to the header text the user wrote. ``repairs`` is the finding
    frame behind ``findings`` (the reader's repairs, all warnings).
    """

    frame: pd.DataFrame
    headers: dict[str, str]
    source: Path
    sheet: str | None
    header_row: int
    repairs: pd.DataFrame = field(default_factory=empty_frame, repr=False, compare=False)

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
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    if suffix in _EXCEL_SUFFIXES:
        sheet_name, header_idx, raw = _read_excel(path, sheet)
    elif suffix in _CSV_SUFFIXES:
        sheet_name, (header_idx, raw) = None, _read_csv(path)
    elif suffix == ".xls":
        raise InputError(f"{path}: old .xls workbooks are not supported; save it as .xlsx")
    else:
        raise InputError(f"{path}: unsupported file type {suffix!r}; use .xlsx or .csv")
    return _build_table(path, sheet_name, header_idx, raw)


# --- xlsx -----------------------------------------------------------------------------------


def _read_excel(path: Path, sheet: str | None) -> tuple[str, int, pd.DataFrame]:
    with path.open("rb") as handle:
        magic = handle.read(len(_OLE_MAGIC))
    if magic == _OLE_MAGIC:
        raise InputError(
            f"{path}: the workbook is password-protected or in an old format; "
            "save an unprotected .xlsx copy and try again"
        )
    # calamine directly rather than through pandas.read_excel: one parse of the sheet instead of
    # two, the cells keep their Excel types (number, date) so the repairs can report them, and
    # the parse may already have run in the background (see batchport.sheets.prefetch).
    try:
        name, header_idx, rows = sheets.take(path, sheet) or sheets.choose_sheet(path, sheet)
    except CalamineError as exc:
        log.debug("calamine failed on %s, trying openpyxl", path, exc_info=True)
        return _read_excel_openpyxl(path, sheet, exc)
    return name, header_idx, _frame_of_rows(rows[header_idx:])


def _frame_of_rows(rows: Sequence[Sequence[object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, dtype=object)
    return frame.where(frame.notna(), "")  # short rows from the openpyxl fallback


def _read_excel_openpyxl(
    path: Path, sheet: str | None, cause: Exception
) -> tuple[str, int, pd.DataFrame]:
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
        name, header_idx, rows = sheets.pick_sheet(path, workbook.sheetnames, sheet, rows_of)
    finally:
        workbook.close()
    return name, header_idx, _frame_of_rows(rows[header_idx:])


# --- csv ------------------------------------------------------------------------------------


def _read_csv(path: Path) -> tuple[int, pd.DataFrame]:
    data = path.read_bytes()
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if not _is_utf8(data):
        data = data.decode("cp1252", errors="replace").encode("utf-8")
    if not data.strip():
        raise InputError(f"{path}: the file is empty")
    head = data[:65536].decode("utf-8", errors="replace").splitlines()[: sheets.PROBE_ROWS]
    delimiter, header_idx = _sniff_csv(path, head)
    return header_idx, _parse_csv(path, data, delimiter, header_idx)


def _is_utf8(data: bytes) -> bool:
    # Chunk by chunk, so checking a large file never holds a second, decoded copy of it.
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), 1 << 22):
            decoder.decode(data[start : start + (1 << 22)])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _sniff_csv(path: Path, head: list[str]) -> tuple[str, int]:
    best: tuple[int, str, int] | None = None
    for delimiter in (",", ";", "\t", "|"):
        rows = list(csv.reader(head, delimiter=delimiter))
        header_idx = sheets.find_header(rows)
        if header_idx is not None:
            score = sum(match_header(str(c)) is not None for c in rows[header_idx])
            if best is None or (score, -header_idx) > (best[0], -best[2]):
                best = (score, delimiter, header_idx)
    if best is None:
        raise sheets.no_header(path)
    return best[1], best[2]


def _parse_csv(path: Path, data: bytes, delimiter: str, header_idx: int) -> pd.DataFrame:
    try:
        # pyarrow cannot keep blank lines (row numbers would shift) or ragged rows.
        if b"\n\n" in data or b"\r\n\r\n" in data:
            raise ValueError("blank lines")
        frame = pd.read_csv(
            io.BytesIO(data), engine="pyarrow", sep=delimiter, header=None, dtype=str,
            keep_default_na=False, skiprows=header_idx,
        )  # fmt: skip
    except (ValueError, pd.errors.ParserError):
        frame = _parse_csv_slowly(path, data, delimiter, header_idx)
    return frame.fillna("")


def _parse_csv_slowly(path: Path, data: bytes, delimiter: str, header_idx: int) -> pd.DataFrame:
    try:
        return pd.read_csv(
            io.BytesIO(data), engine="python", sep=delimiter, header=None, dtype=str,
            keep_default_na=False, skiprows=header_idx, skip_blank_lines=False, na_filter=False,
        )  # fmt: skip
    except (ValueError, csv.Error) as exc:  # pandas' ParserError is a ValueError
        # A row wider than the header: most often a value holding an unquoted delimiter.
        raise InputError(
            f"{path}: {exc}; put quotes around a value that contains {delimiter!r}, "
            "or give the extra column a header"
        ) from exc


# --- shared ---------------------------------------------------------------------------------


def _column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, rem = divmod(position - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _name_columns(header_cells: Sequence[object]) -> tuple[list[str], dict[str, str]]:
    names: list[str] = []
    headers: dict[str, str] = {}
    for position, cell in enumerate(header_cells):
        text = " ".join(str(cell).split())
        key = match_header(text) if text else None
        name = key if key is not None and key not in headers else text
        if not name:
            name = f"Column {_column_letter(position)}"
        while name in headers:
            name = f"{name} ({position + 1})"
        names.append(name)
        headers[name] = text or name
    return names, headers


def _build_table(path: Path, sheet: str | None, header_idx: int, raw: pd.DataFrame) -> Table:
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
    frame = pd.DataFrame(columns, index=body.index)
    blank_header = [n for n in names if not headers[n].strip() or n.startswith("Column ")]
    frame = frame.drop(columns=[n for n in blank_header if not frame[n].str.len().any()])
    headers = {n: headers[n] for n in frame.columns}
    filled = (frame != "").any(axis=1)
    frame = frame[filled]
    if frame.empty:
        raise InputError(f"{path}: no data rows under the header on row {header_idx + 1}")
    repairs = concat_frames(frames, sort=True)
    repairs = repairs[repairs["row"].isin(frame.index)].reset_index(drop=True)
    return Table(frame, headers, path, sheet, header_idx + 1, repairs)
