"""Safe, fast xlsx writing shared by every workbook batchport writes.

One small API: describe each sheet with a ``SheetSpec`` and call ``write_workbook``. Sheets are
streamed with openpyxl's write-only mode (fast with lxml installed), with a bold frozen header,
an autofilter, column widths, and row colours chosen by the value of one column (done with
conditional formatting, so colouring costs nothing per cell). Guarantees:

- no cell is ever a formula or an error value: text such as ``=HYPERLINK(...)`` or ``#N/A`` is
  written as a text cell, and characters XML cannot carry are dropped;
- columns named in ``masked_columns`` are masked with ``batchport.redaction`` before writing;
- the file appears atomically: it is written to a temporary file in the same directory and moved
  into place with ``os.replace``, so a crash never leaves a half-written workbook.

Example::

    write_workbook(Path("out.xlsx"), [
        SheetSpec("Findings", ["Row", "Severity", "Message"], rows,
                  fill_column="Severity", fills={"error": FILL_ERROR}),
    ])
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from batchport.redaction import mask_field

__all__ = [
    "FILL_ERROR",
    "FILL_OK",
    "FILL_WARNING",
    "SheetSpec",
    "atomic_path",
    "make_reproducible",
    "write_workbook",
]

#: Background colours (RGB hex) for severities and outcomes.
FILL_ERROR = "F8CBAD"
FILL_WARNING = "FFE699"
FILL_OK = "C6EFCE"
_MAX_WIDTH = 60
_WIDTH_SAMPLE = 200
_ERRORS = frozenset(ERROR_CODES)
# The openpyxl stubs omit the write-only sheet's dimensions, filter and formatting attributes.
_Sheet = Any


@dataclass(frozen=True)
class SheetSpec:
    """One worksheet to write.

    ``columns``: header texts. ``rows``: an iterable of value sequences (str, int, float, bool,
    date; ``None`` or ``""`` for an empty cell), consumed once. ``widths``: column widths in
    characters (guessed from the header and the first rows when empty). ``masked_columns``:
    header text → secret field key (e.g. ``"accountNum"``), whose values are masked as that
    field. ``fill_column`` / ``fills``: the header whose value colours the whole row, and the
    value → RGB colour map.
    """

    name: str
    columns: Sequence[str]
    rows: Iterable[Sequence[object]]
    widths: Sequence[float] = ()
    masked_columns: Mapping[str, str] = field(default_factory=dict)
    fill_column: str | None = None
    fills: Mapping[str, str] = field(default_factory=dict)
    text_columns: Collection[str] = ()


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds.

    Raises whatever the block raises, after removing the temporary file.
    """
    path = Path(path)
    handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)


def write_workbook(path: Path, sheets: Sequence[SheetSpec]) -> Path:
    """Write ``sheets`` to ``path`` atomically and return ``path``.

    Raises ``OSError`` when the directory is not writable; never leaves a partial file behind.
    """
    with atomic_path(path) as temp:  # fails before any work when the folder is not writable
        workbook = Workbook(write_only=True)
        try:
            for spec in sheets:
                _write_sheet(workbook.create_sheet(spec.name[:31]), spec)
        except BaseException:
            _discard(workbook)
            raise
        workbook.save(temp)
    return Path(path)


def _discard(workbook: Workbook) -> None:
    # Close the streams of a workbook that will never be saved, so nothing dangles.
    for sheet in workbook.worksheets:
        if isinstance(sheet, WriteOnlyWorksheet) and not sheet.closed:
            with contextlib.suppress(Exception):
                sheet.close()


def _write_sheet(sheet: _Sheet, spec: SheetSpec) -> None:
    rows = iter(spec.rows)
    head = [list(r) for _, r in zip(range(_WIDTH_SAMPLE), rows, strict=False)]
    widths = list(spec.widths) or _guess_widths(spec.columns, head)
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_header_cell(sheet, text) for text in spec.columns])
    masks = {spec.columns.index(h): key for h, key in spec.masked_columns.items()}
    count = 0
    for values in _chain(head, rows):
        sheet.append(_safe_row(sheet, values, masks))
        count += 1
    last = get_column_letter(max(len(spec.columns), 1))
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    if spec.fill_column is not None and spec.fills and count:
        _add_fills(sheet, spec, last, count + 1)


def _chain(
    head: list[list[object]], rest: Iterator[Sequence[object]]
) -> Iterator[Sequence[object]]:
    yield from head
    yield from rest


def _header_cell(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    cell = _text_cell(sheet, text)
    cell.font = Font(bold=True)
    return cell


def _text_cell(sheet: WriteOnlyWorksheet, text: str) -> Cell:
    cell = WriteOnlyCell(sheet, value=None)
    cell.value = ILLEGAL_CHARACTERS_RE.sub("", text)
    cell.data_type = "s"  # written as text even when it looks like a formula or error code
    return cell


def _safe_row(
    sheet: WriteOnlyWorksheet, values: Sequence[object], masks: Mapping[int, str]
) -> list[object]:
    row = list(values)
    for position, key in masks.items():
        if position < len(row):
            row[position] = mask_field(key, row[position])
    for position, value in enumerate(row):
        if value.__class__ is not str:
            continue
        if not value:
            row[position] = None  # an empty cell is not written at all
        elif (value[0] in "=#" or not value.isprintable()) and _unsafe(value):
            # isprintable() is a cheap pre-test that clears most text of control characters.
            row[position] = _text_cell(sheet, value)
    return row


def _unsafe(value: str) -> bool:
    return value[0] == "=" or value in _ERRORS or bool(ILLEGAL_CHARACTERS_RE.search(value))


def _guess_widths(columns: Sequence[str], head: list[list[object]]) -> list[float]:
    widths = []
    for position, header in enumerate(columns):
        longest = max([len(str(r[position])) for r in head if position < len(r)] + [0])
        widths.append(float(min(max(len(header) + 2, longest + 1, 6), _MAX_WIDTH)))
    return widths


def _add_fills(sheet: _Sheet, spec: SheetSpec, last: str, last_row: int) -> None:
    assert spec.fill_column is not None
    letter = get_column_letter(list(spec.columns).index(spec.fill_column) + 1)
    area = f"A2:{last}{last_row}"
    for value, colour in spec.fills.items():
        literal = value.replace('"', '""')
        fill = PatternFill(start_color=colour, end_color=colour, fill_type="solid")
        rule = FormulaRule(formula=[f'${letter}2="{literal}"'], fill=fill)  # type: ignore[no-untyped-call]
        sheet.conditional_formatting.add(area, rule)


def make_reproducible(path: Path, stamp: datetime) -> None:
    """Rewrite the xlsx at ``path`` so identical content gives identical bytes.

    Sets every zip entry's time and the document's created/modified properties to ``stamp``
    (openpyxl stamps the save time otherwise). Raises ``OSError`` / ``zipfile.BadZipFile``.
    """
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with atomic_path(path) as temp, zipfile.ZipFile(temp, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = _stamp_core(data.decode("utf-8"), iso).encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)


def _stamp_core(xml: str, iso: str) -> str:
    import re

    for tag in ("dcterms:created", "dcterms:modified"):
        xml = re.sub(rf"(<{tag}[^>]*>)[^<]*(</{tag}>)", rf"\g<1>{iso}\g<2>", xml)
    return xml
