"""Safe, fast xlsx writing shared by every workbook batchport writes.

One small API: describe each sheet with a ``SheetSpec`` and call ``write_workbook``. openpyxl's
write-only mode (with lxml) lays out each sheet: a bold frozen header, an autofilter, column
widths, and row colours chosen by the value of one column (conditional formatting, so colouring
costs nothing per cell); the data rows are streamed as XML by ``batchport.report.xlsx_rows``,
several times faster than openpyxl's per-cell path. A small sheet meant for reading and printing
(a summary: titled tables, coloured rows, a chart) is a ``PageSpec`` of ``Block`` s instead,
laid out by ``batchport.report.xlsx_page``. Guarantees:

- no cell is ever a formula or an error value: every text, ``=HYPERLINK(...)`` or ``#N/A``
  included, is written as a text cell, and characters XML cannot carry are dropped; dates are
  written as ISO text;
- columns named in ``masked_columns`` are masked with ``batchport.redaction`` before writing;
- the file appears atomically: it is written to a temporary file in the same directory and moved
  into place with ``os.replace``, so a crash never leaves a half-written workbook;
- no worksheet holds more than Excel can open: a ``SheetSpec`` with more than
  :data:`SHEET_DATA_ROWS` rows continues in worksheets named ``"<name> (2)"``, ``"<name> (3)"``,
  …, each framed like the first (header, frozen pane, widths, filter, colours).

Example::

    write_workbook(Path("out.xlsx"), [
        SheetSpec("Findings", ["Row", "Severity", "Message"], rows,
                  fill_column="Severity", fills={"error": FILL_ERROR}),
    ])
"""

from __future__ import annotations

import contextlib
import html
import itertools
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from batchport.report.xlsx_page import Block, PageSpec, safe_cell, write_page
from batchport.report.xlsx_rows import write_rows

__all__ = [
    "FILL_ERROR",
    "FILL_INFO",
    "FILL_OK",
    "FILL_WARNING",
    "SHEET_DATA_ROWS",
    "Block",
    "PageSpec",
    "SheetSpec",
    "atomic_path",
    "make_reproducible",
    "part_name",
    "workbook_subject",
    "write_workbook",
]

#: Background colours (RGB hex) for severities and outcomes.
FILL_ERROR = "F8CBAD"
FILL_WARNING = "FFE699"
FILL_OK = "C6EFCE"
FILL_INFO = "DDEBF7"
#: The most data rows one worksheet takes: Excel's 1,048,576 rows per sheet less the header.
#: A ``SheetSpec`` with more continues in further worksheets.
SHEET_DATA_ROWS = 1_048_575
_NAME_LENGTH = 31  # the longest sheet name Excel accepts
_MAX_WIDTH = 60
_WIDTH_SAMPLE = 200
_ZIP64_FROM = 1 << 30  # sheet parts this large need ZIP64 headers, decided before writing
_SHEET_PART = re.compile(r"xl/worksheets/sheet(\d+)\.xml")
# The openpyxl stubs omit the write-only sheet's dimensions, filter and formatting attributes.
_Sheet = Any


@dataclass(frozen=True)
class SheetSpec:
    """One worksheet to write.

    ``columns``: header texts. ``rows``: an iterable of value sequences (str, int, float, bool,
    date; ``None`` or ``""`` for an empty cell), consumed once. ``widths``: the widths of the
    first columns in characters (the others guessed from the header and the first rows).
    ``masked_columns``: header text → secret field key (e.g. ``"accountNum"``), whose values
    are masked as that field. ``fill_column`` / ``fills``: the header whose value colours the
    whole row, and the value → RGB colour map. ``wrapped``: headers of columns whose text
    wraps (each line of a message on its own line); when any is given every cell is aligned to
    the top, so a tall row reads from its first line. ``hidden``: a header and the values of it
    whose rows start hidden behind the autofilter (Excel and LibreOffice both show the filter
    on that column and bring the rows back when it is cleared).
    ``cell_fills``: single cells to colour over their row's colour, ``(data row position from 0,
    column position from 0)`` → RGB colour.

    Rows past :data:`SHEET_DATA_ROWS` continue in worksheets named ``"<name> (2)"``,
    ``"<name> (3)"``, … (the name cut so that it and the suffix fit Excel's 31 characters), each
    with the same header, frozen pane, widths (the first part's), wrapping, ``hidden`` filter
    and colouring; the autofilter and row colours cover that part's rows, and ``cell_fills``
    positions count across all parts (position 1,048,575 is the first row of part 2).
    """

    name: str
    columns: Sequence[str]
    rows: Iterable[Sequence[object]]
    widths: Sequence[float] = ()
    masked_columns: Mapping[str, str] = field(default_factory=dict)
    fill_column: str | None = None
    fills: Mapping[str, str] = field(default_factory=dict)
    wrapped: Sequence[str] = ()
    hidden: tuple[str, frozenset[str]] | None = None
    cell_fills: Mapping[tuple[int, int], str] = field(default_factory=dict)


@contextlib.contextmanager
def atomic_path(path: Path, *, private: bool = False) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` only if the block succeeds.

    The temporary file is readable by its owner only while it is written; the finished file
    keeps that (0600) when ``private`` (it holds customer data), else it gets the usual mode
    (0666 less the umask). Raises whatever the block raises, after removing the temporary file.
    """
    path = Path(path)
    handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    temp = Path(name)
    try:
        yield temp
        if not private:
            temp.chmod(0o666 & ~_umask())
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is put straight back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_workbook(
    path: Path,
    sheets: Sequence[SheetSpec | PageSpec],
    *,
    private: bool = False,
    subject: str = "",
) -> Path:
    """Write ``sheets`` to ``path`` atomically and return ``path``.

    ``private`` keeps the file readable by its owner only (see :func:`atomic_path`);
    ``subject`` goes into the document properties (``dc:subject``), where
    :func:`workbook_subject` reads it back.

    openpyxl (write-only) lays out the package, styles, views, filters and colouring; the data
    rows are serialised by ``batchport.report.xlsx_rows`` and spliced into each sheet's XML,
    which is several times faster than openpyxl's per-cell path. A ``PageSpec`` is laid out
    whole by ``batchport.report.xlsx_page``. A ``SheetSpec`` with more than
    :data:`SHEET_DATA_ROWS` rows becomes several worksheets, ``"<name> (2)"`` onwards, right
    after its first (see :class:`SheetSpec`); its rows are still consumed once, as they come.
    Raises ``OSError`` when the folder is not writable; never leaves a partial file behind.
    """
    with (
        atomic_path(path, private=private) as temp,  # fails at once if the folder is read-only
        tempfile.TemporaryDirectory(dir=Path(path).parent) as scratch,
    ):
        workbook = Workbook(write_only=True)
        workbook.properties.subject = subject or None
        # One entry per worksheet, in the order they are created: sheet N's XML is sheetN.xml.
        bodies: list[Path | None] = []
        for spec in sheets:
            if isinstance(spec, PageSpec):
                write_page(workbook.create_sheet(spec.name[:_NAME_LENGTH]), spec)
                bodies.append(None)  # written whole, nothing to splice
                continue
            bodies += _write_sheets(workbook, spec, Path(scratch) / f"rows{len(bodies) + 1}")
        layout = Path(scratch) / "layout.xlsx"
        workbook.save(layout)
        _splice(layout, bodies, temp)
    return Path(path)


def _write_sheets(workbook: Workbook, spec: SheetSpec, stem: Path) -> list[Path]:
    """Lay out ``spec`` as one worksheet, or as several when its rows run past
    :data:`SHEET_DATA_ROWS`; return each part's body (``<stem>-<part>.xml``), in sheet order.

    The rows are read once, a part at a time; one row is read ahead to know whether another
    part is needed, so a spec of exactly the limit makes one sheet and an empty spec one sheet
    with just its header.
    """
    rows = iter(spec.rows)
    head = [list(r) for r in itertools.islice(rows, _WIDTH_SAMPLE)]
    widths = [*spec.widths, *_guess_widths(spec.columns, head)[len(spec.widths) :]]
    remaining: Iterator[Sequence[object]] | None = _chain(head, rows)
    bodies: list[Path] = []
    start = 0  # the data row position (from 0, across all parts) of this part's first row
    while remaining is not None:
        sheet = workbook.create_sheet(part_name(spec.name, len(bodies) + 1))
        body = stem.with_name(f"{stem.name}-{len(bodies) + 1}.xml")
        part = itertools.islice(remaining, SHEET_DATA_ROWS)
        count = _write_body(body, spec, part, widths, _cell_styles(sheet, spec))
        _write_frame(sheet, spec, count, widths, _part_fills(spec.cell_fills, start, count))
        bodies.append(body)
        start += count
        remaining = _peek(remaining)
    return bodies


def part_name(name: str, part: int) -> str:
    """The name of part ``part`` (from 1) of a sheet named ``name``, cut to fit Excel.

    The rule by which a sheet's rows past :data:`SHEET_DATA_ROWS` continue, which readers of
    the workbooks batchport wrote use to find the parts again.

    >>> part_name("Findings", 1), part_name("Findings", 2), part_name("F" * 31, 10)
    ('Findings', 'Findings (2)', 'FFFFFFFFFFFFFFFFFFFFFFFFFF (10)')
    """
    if part == 1:
        return name[:_NAME_LENGTH]
    suffix = f" ({part})"
    return name[: _NAME_LENGTH - len(suffix)].rstrip() + suffix


def _peek(rows: Iterator[Sequence[object]]) -> Iterator[Sequence[object]] | None:
    """``rows`` as it was, or ``None`` when it has nothing left (its first row is read ahead)."""
    for first in rows:
        return itertools.chain([first], rows)
    return None


def _part_fills(
    cell_fills: Mapping[tuple[int, int], str], start: int, count: int
) -> dict[tuple[int, int], str]:
    """The ``cell_fills`` on data rows ``start`` to ``start + count - 1``, from ``start`` on."""
    return {
        (row - start, column): colour
        for (row, column), colour in cell_fills.items()
        if start <= row < start + count
    }


def _write_body(
    body: Path,
    spec: SheetSpec,
    rows: Iterator[Sequence[object]],
    widths: list[float],
    styles: list[int],
) -> int:
    """Write ``rows`` as one sheet's ``<row>`` elements into ``body``; return how many."""
    headers = list(spec.columns)
    masks = {headers.index(h): key for h, key in spec.masked_columns.items()}
    hide = None
    if spec.hidden is not None:
        hide = (headers.index(spec.hidden[0]), spec.hidden[1])
    wrap = {headers.index(h): widths[headers.index(h)] for h in spec.wrapped}
    with body.open("w", encoding="utf-8", newline="") as out:
        return write_rows(out, rows, len(spec.columns), masks, styles=styles, hide=hide,
                          wrap=wrap)  # fmt: skip


def _cell_styles(sheet: _Sheet, spec: SheetSpec) -> list[int]:
    """The style id of each column's cells: top-aligned, wrapped in ``spec.wrapped``.

    Empty when the sheet has no wrapped column (cells keep the default style). The styles are
    registered with the workbook through a cell that is never written.
    """
    if not spec.wrapped:
        return []
    top, wrap = (WriteOnlyCell(sheet) for _ in range(2))
    top.alignment = Alignment(vertical="top")
    wrap.alignment = Alignment(vertical="top", wrap_text=True)
    return [wrap.style_id if h in spec.wrapped else top.style_id for h in spec.columns]


def _write_frame(
    sheet: _Sheet,
    spec: SheetSpec,
    count: int,
    widths: list[float],
    cell_fills: Mapping[tuple[int, int], str],
) -> None:
    """Header, frozen pane, widths, filter and colouring of a sheet of ``count`` data rows;
    ``cell_fills`` are this sheet's own, by its data row position from 0."""
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_header_cell(sheet, text) for text in spec.columns])
    last = get_column_letter(max(len(spec.columns), 1))
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    if cell_fills and count:
        _add_cell_fills(sheet, cell_fills)  # first: the earlier rule wins over the row's colour
    if spec.hidden is not None:
        header, hidden = spec.hidden
        shown = sorted(set(spec.fills) - hidden)
        sheet.auto_filter.add_filter_column(list(spec.columns).index(header), shown)
    if spec.fill_column is not None and spec.fills and count:
        _add_fills(sheet, spec, last, count + 1)


def _splice(layout: Path, bodies: list[Path | None], target: Path) -> None:
    """Copy ``layout`` to ``target``, putting each body's rows into its sheet's ``sheetData``."""
    with (
        zipfile.ZipFile(layout) as source,
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            match = _SHEET_PART.fullmatch(info.filename)
            body = None if match is None else bodies[int(match.group(1)) - 1]
            if body is None:
                out.writestr(info, data)
                continue
            head, tail = data.decode("utf-8").rsplit("</sheetData>", 1)
            part = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            part.compress_type = zipfile.ZIP_DEFLATED
            large = body.stat().st_size > _ZIP64_FROM
            with out.open(part, "w", force_zip64=large) as stream:
                stream.write(head.encode("utf-8"))
                with body.open("rb") as rows:
                    shutil.copyfileobj(rows, stream, 1 << 20)
                stream.write(("</sheetData>" + tail).encode("utf-8"))


def _header_cell(sheet: _Sheet, text: str) -> Cell:
    return safe_cell(sheet, text, font=Font(bold=True))  # a header like a formula stays text


def _chain(
    head: list[list[object]], rest: Iterator[Sequence[object]]
) -> Iterator[Sequence[object]]:
    yield from head
    yield from rest


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


def _add_cell_fills(sheet: _Sheet, cell_fills: Mapping[tuple[int, int], str]) -> None:
    by_colour: dict[str, list[str]] = {}
    for (row, column), colour in sorted(cell_fills.items()):
        by_colour.setdefault(colour, []).append(f"{get_column_letter(column + 1)}{row + 2}")
    for colour, cells in by_colour.items():
        fill = PatternFill(start_color=colour, end_color=colour, fill_type="solid")
        rule = FormulaRule(formula=["TRUE"], fill=fill)  # type: ignore[no-untyped-call]
        sheet.conditional_formatting.add(" ".join(cells), rule)


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
    for tag in ("dcterms:created", "dcterms:modified"):
        xml = re.sub(rf"(<{tag}[^>]*>)[^<]*(</{tag}>)", rf"\g<1>{iso}\g<2>", xml)
    return xml


def workbook_subject(path: Path) -> str:
    """The ``dc:subject`` property of the workbook at ``path`` ("" when none or unreadable)."""
    try:
        with zipfile.ZipFile(path) as package:
            core = package.read("docProps/core.xml").decode("utf-8", errors="replace")
    except (OSError, KeyError, zipfile.BadZipFile):
        return ""
    match = re.search(r"<dc:subject\b[^>]*>([^<]*)</dc:subject>", core)
    return html.unescape(match.group(1)) if match else ""
