"""Laying out a small worksheet to be read and printed, for ``batchport.report.xlsx``.

A :class:`PageSpec` is a title and :class:`Block` s placed one below the other, or beside the
one before to use a landscape page's width: small tables (a bold heading, a header row, rows
coloured one by one, an optional totals row, a note) and lines of label and text. A block may
carry a bar chart of its rows, placed beside it and referencing its cells. Columns are made
wide enough for every label, and the page prints in landscape on one sheet of paper. Such a
sheet is small, so it is laid out in memory and its cells go through openpyxl's styled cells;
the same guarantees hold as for the fast rows: every text is a text cell (never a formula or
an error value), characters XML cannot carry are dropped, dates become ISO text.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.marker import DataPoint
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from batchport.report.xlsx_rows import fit_cell

__all__ = ["Block", "PageSpec", "safe_cell", "write_page"]

_Sheet = Any  # the openpyxl stubs omit the write-only sheet's page and print attributes

_DEFAULT_WIDTH = 8.43  # a column's width when nothing sets it, in characters
_MIN_WIDTH = 6.0
_GAP_WIDTH = 2.0  # a column no block uses: the gap between blocks side by side
_CHART_WIDTH = 50.0  # characters of column width the chart spans at least
_CHART_ROWS = 9  # rows the chart spans at least, and 2 more for each bar after the first
_TITLE = Font(bold=True, size=14)
_HEADING = Font(bold=True, size=12, color="1F4E78")
_BOLD = Font(bold=True)
_NOTE = Font(italic=True, color="595959")
_HEADER_FILL = PatternFill(start_color="D9D9D9", end_color="D9D9D9", fill_type="solid")
_LINE = Side(style="thin", color="A6A6A6")
_GRID = Border(left=_LINE, right=_LINE, top=_LINE, bottom=_LINE)
_TOTAL = Border(left=_LINE, right=_LINE, top=Side(style="medium", color="404040"), bottom=_LINE)
_RIGHT = Alignment(horizontal="right")
_LEFT = Alignment(horizontal="left")


@dataclass(frozen=True)
class Block:
    """One block of a :class:`PageSpec`: a bold ``heading`` (none when ``""``), then its rows.

    With ``columns``, a table: a header row, then ``rows`` (value sequences, as in a
    ``SheetSpec``), each coloured with its entry in ``fills`` (RGB, ``""`` for none); ``total``
    makes the last row a bold totals row; ``formats`` gives a column position's number format
    (e.g. ``{2: "0.0%"}``). Without ``columns``, lines of label and text: every cell but the last
    is a bold label, and a last cell of text may run on over the empty cells to its right (so
    it does not widen its column). ``note``: an italic line under the rows (e.g. "and 3 more").
    ``chart``: when set, the title of a bar chart of the rows' second column (values) by their
    first (categories), totals row left out, bars coloured like the rows, placed beside the
    block and referencing its cells. ``beside``: start on the same row as the block before, to
    its right (one narrow column apart), instead of below it; the block before may then have
    neither a chart nor text running on.
    """

    heading: str
    rows: Sequence[Sequence[object]]
    columns: Sequence[str] = ()
    fills: Sequence[str] = ()
    total: bool = False
    formats: Mapping[int, str] = field(default_factory=dict)
    note: str = ""
    chart: str = ""
    beside: bool = False


@dataclass(frozen=True)
class PageSpec:
    """A small worksheet for people: a bold ``title`` row, then ``blocks`` one below the other
    (or beside), a blank row apart; every label shown in full; printed landscape on one page.
    """

    name: str
    title: str
    blocks: Sequence[Block]


def safe_cell(sheet: _Sheet, value: object, **style: Any) -> Cell:
    """A write-only cell holding ``value`` that is never a formula or an error value.

    Text (``"=1+2"``, ``"#N/A"`` included) stays text without characters XML cannot carry;
    dates and times become ISO text; numbers stay numbers. ``style``: cell attributes such as
    ``font``, ``fill``, ``border``, ``number_format``.
    """
    cell = WriteOnlyCell(sheet, value=None)
    if isinstance(value, bool) or value is None:
        cell.value = value
    elif isinstance(value, numbers.Integral):
        cell.value = int(value)
    elif isinstance(value, numbers.Real):
        number = float(value)
        cell.value = number if math.isfinite(number) else None
    else:
        text = value.isoformat() if isinstance(value, dt.date | dt.time) else str(value)
        cell.value = fit_cell(ILLEGAL_CHARACTERS_RE.sub("", text))
        cell.data_type = "s"  # a text that looks like a formula or an error stays text
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def write_page(sheet: _Sheet, page: PageSpec) -> None:
    """Lay ``page`` out on the empty write-only ``sheet``: widths, rows, charts, print setup.

    Raises ``ValueError`` when a block is ``beside`` a block with a chart.
    """
    lefts = block_columns(page.blocks)
    widths = column_widths(page.blocks, lefts)
    # A write-only sheet writes its properties, views and columns with its first row.
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.sheet_view.showGridLines = False
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.row_dimensions[1].height = 22  # a write-only row is not measured for its larger font
    grid = _Grid(sheet, widths)
    grid.put(1, 1, safe_cell(sheet, page.title, font=_TITLE), reach=len(page.title) * 1.3)
    top = bottom = 1
    for block, left in zip(page.blocks, lefts, strict=True):
        if left == 0:  # not beside another block: below everything so far, a blank row apart
            top = bottom + 2
        bottom = max(bottom, grid.block(block, top, left + 1))
    for row in range(1, bottom + 1):
        cells = grid.cells.get(row, {})
        sheet.append([cells.get(column) for column in range(1, max(cells, default=0) + 1)])
    _print_on_one_page(sheet, bottom, grid.last_column)


def block_columns(blocks: Sequence[Block]) -> list[int]:
    """The first column (0-based) of each block: 0, or past the block before when beside it.

    Raises ``ValueError`` when a block is beside a block with a chart.
    """
    lefts: list[int] = []
    for number, block in enumerate(blocks):
        if not block.beside or number == 0:
            lefts.append(0)
            continue
        before = blocks[number - 1]
        if before.chart:
            raise ValueError(f"block {block.heading!r} cannot be beside a block with a chart")
        lefts.append(lefts[-1] + _span(before) + 1)
    return lefts


def _span(block: Block) -> int:
    return len(block.columns) or max((len(row) for row in block.rows), default=1)


def column_widths(blocks: Sequence[Block], lefts: Sequence[int] | None = None) -> list[float]:
    """Width in characters of each column the blocks use, enough for its longest value.

    ``lefts``: each block's first column (see :func:`block_columns`; 0 for all when omitted).
    A label or header is widened for its bold face; the free-running last text of a line in a
    block without columns does not count; a column no block uses is a narrow gap.
    """
    widths: list[float | None] = []

    def fit(position: int, value: object, bold: bool) -> None:
        widths.extend([None] * (position + 1 - len(widths)))
        size = round(len(_shown(value)) * (1.15 if bold else 1.0) + 3, 1)
        widths[position] = max(widths[position] or _MIN_WIDTH, size)

    for block, left in zip(blocks, lefts or [0] * len(blocks), strict=True):
        for position, header in enumerate(block.columns):
            fit(left + position, header, bold=True)
        for number, row in enumerate(block.rows, start=1):
            total = block.total and number == len(block.rows)
            for position, value in enumerate(row):
                last = position == len(row) - 1
                if value is None or (not block.columns and last and isinstance(value, str)):
                    continue  # an empty cell, or a text that runs on to the right
                fit(left + position, value, bold=total or (not block.columns and not last))
    return [_GAP_WIDTH if width is None else width for width in widths]


def _shown(value: object) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.1%}"  # the widest a share or a number of seconds is shown
    return str(value)


class _Grid:
    """A page's cells by row and column (1-based), and the last column the page reaches."""

    def __init__(self, sheet: _Sheet, widths: list[float]) -> None:
        self.sheet, self.widths = sheet, widths
        self.cells: dict[int, dict[int, Cell]] = {}
        self.last_column = max(len(widths), 1)

    def put(self, row: int, column: int, cell: Cell, reach: float = 0.0) -> None:
        """Place ``cell``; ``reach``: characters its text runs on for, to the right."""
        self.cells.setdefault(row, {})[column] = cell
        if reach:
            self.last_column = max(self.last_column, self._end_column(column, reach))

    def block(self, block: Block, top: int, left: int) -> int:
        """Place ``block`` from row ``top``, column ``left``; return the last row it uses."""
        row = top
        if block.heading:
            self.put(row, left, safe_cell(self.sheet, block.heading, font=_HEADING))
            row += 1
        if block.columns:
            row = self._table(block, row, left)
        else:
            for values in block.rows:
                self._label_line(values, row, left)
                row += 1
        if block.note:
            note = safe_cell(self.sheet, block.note, font=_NOTE)
            self.put(row, left, note, reach=len(block.note))
            row += 1
        if block.chart and _charted(block):
            row = self._chart(block, top, left, row)
        return row - 1

    def _label_line(self, values: Sequence[object], row: int, left: int) -> None:
        for offset, value in enumerate(values[:-1]):
            self.put(row, left + offset, safe_cell(self.sheet, value, font=_BOLD))
        if values:
            last = values[-1]
            reach = len(last) if isinstance(last, str) else 0.0
            cell = safe_cell(self.sheet, last, alignment=_LEFT)  # a number too, under its text
            self.put(row, left + len(values) - 1, cell, reach=reach)

    def _table(self, block: Block, row: int, left: int) -> int:
        """Place the header and rows of a table from ``row``; return the row after it."""
        if not block.rows:
            return row
        for offset, header in enumerate(block.columns):
            align = _RIGHT if _numeric(block, offset) else Alignment()  # over its numbers
            cell = safe_cell(self.sheet, header, font=_BOLD, fill=_HEADER_FILL, border=_GRID,
                             alignment=align)  # fmt: skip
            self.put(row, left + offset, cell)
        for number, values in enumerate(block.rows, start=1):
            row += 1
            total = block.total and number == len(block.rows)
            style: dict[str, Any] = {"border": _TOTAL if total else _GRID}
            if total:
                style["font"] = _BOLD
            colour = block.fills[number - 1] if number <= len(block.fills) else ""
            if colour:
                style["fill"] = PatternFill(start_color=colour, end_color=colour, fill_type="solid")
            for offset in range(len(block.columns)):
                value = values[offset] if offset < len(values) else None
                formats = (
                    {"number_format": block.formats[offset]} if offset in block.formats else {}
                )
                self.put(row, left + offset, safe_cell(self.sheet, value, **style, **formats))
        return row + 1

    def _chart(self, block: Block, top: int, left: int, after: int) -> int:
        """A bar chart of the block's rows to its right; return the row after block and chart."""
        first = top + (1 if block.heading else 0) + 1  # the first data row
        count = len(block.rows) - (1 if block.total else 0)
        chart = _bar_chart(block.chart, block.fills[:count])
        values = Reference(self.sheet, min_col=left + 1, min_row=first, max_row=first + count - 1)
        labels = Reference(self.sheet, min_col=left, min_row=first, max_row=first + count - 1)
        chart.add_data(values, titles_from_data=False)
        chart.set_categories(labels)
        _colour_bars(chart, block.fills[:count])
        start = left + len(block.columns) + 1  # one column between the table and the chart
        end = self._end_column(start, _CHART_WIDTH)
        bottom = max(after, top + _CHART_ROWS + 2 * (count - 1))
        anchor = TwoCellAnchor()
        anchor._from = AnchorMarker(col=start - 1, row=top - 1)  # markers count from 0
        anchor.to = AnchorMarker(col=end, row=bottom - 1)
        self.sheet.add_chart(chart, anchor)
        self.last_column = max(self.last_column, end)
        return bottom

    def _end_column(self, column: int, reach: float) -> int:
        """The column (1-based) where ``reach`` characters starting in ``column`` end."""
        while True:
            reach -= self.widths[column - 1] if column <= len(self.widths) else _DEFAULT_WIDTH
            if reach <= 0:
                return column
            column += 1


def _bar_chart(title: str, fills: Sequence[str]) -> BarChart:
    chart = BarChart()
    chart.type = "bar"
    chart.title = title
    chart.legend = None
    chart.gapWidth = 40
    chart.x_axis.scaling.orientation = "maxMin"  # categories top-down, as in the table
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.y_axis.majorGridlines = None
    chart.y_axis.numFmt = "0"
    return chart


def _colour_bars(chart: BarChart, fills: Sequence[str]) -> None:
    series = chart.series[0]
    series.dLbls = DataLabelList(
        showVal=True, showSerName=False, showCatName=False, showLegendKey=False, showPercent=False
    )
    for index, colour in enumerate(fills):
        if colour:
            point = DataPoint(idx=index)
            point.graphicalProperties.solidFill = colour
            point.graphicalProperties.line.solidFill = "7F7F7F"
            series.dPt.append(point)


def _numeric(block: Block, offset: int) -> bool:
    """True when every value in the column at ``offset`` is a number (blanks aside)."""
    values = [r[offset] for r in block.rows if offset < len(r) and r[offset] not in (None, "")]
    return bool(values) and all(
        isinstance(v, numbers.Number) and not isinstance(v, bool) for v in values
    )


def _charted(block: Block) -> bool:
    """True when the block has rows to chart (besides its totals row) and a value column."""
    return len(block.columns) >= 2 and len(block.rows) > (1 if block.total else 0)


def _print_on_one_page(sheet: _Sheet, last_row: int, last_column: int) -> None:
    """Print what was written in landscape, scaled to one page (``fitToPage`` is set before)."""
    sheet.print_area = f"A1:{get_column_letter(last_column)}{max(last_row, 1)}"
    setup = sheet.page_setup
    setup.orientation = "landscape"
    setup.paperSize = Worksheet.PAPERSIZE_LETTER  # US and Canada
    setup.fitToWidth = 1
    setup.fitToHeight = 1
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
