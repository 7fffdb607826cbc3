"""Serialising worksheet rows straight to SpreadsheetML, for ``batchport.report.xlsx``.

openpyxl spends about 8 µs per cell binding and writing a cell object; a validation or result
workbook of 100k rows has millions of cells. Rows here become XML text directly, with the same
guarantees: every text is an inline string (so never a formula or an error value), characters
XML cannot carry are dropped, a text longer than a cell can hold is cut with a visible marker
(:func:`fit_cell`), empty cells are not written, secrets are masked first.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import IO

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from batchport.redaction import mask_field

__all__ = ["CELL_LIMIT", "fit_cell", "write_rows"]

_LINE_HEIGHT = 15.0  # points: one line of the default 11-point font
_MAX_HEIGHT = 409.0  # the tallest row Excel allows
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
#: The most characters (UTF-16 code units) one Excel cell holds; longer text makes Excel
#: "repair" the workbook and drop the cell.
CELL_LIMIT = 32_767


def fit_cell(text: str) -> str:
    """``text`` when a workbook cell can hold it, else its start and a marker saying it was cut.

    >>> fit_cell("x" * 40_000)[-40:]
    '… [cut: the value has 40,000 characters]'
    """
    if len(text) <= CELL_LIMIT // 2:  # cheap pre-test: even all-astral text fits
        return text
    units = len(text.encode("utf-16-le")) // 2
    if units <= CELL_LIMIT:
        return text
    marker = f"… [cut: the value has {len(text):,} characters]"
    keep = CELL_LIMIT - len(marker)
    start = text[:keep]
    excess = len(start.encode("utf-16-le")) // 2 - keep  # characters Excel counts twice
    return (start[: len(start) - excess] if excess > 0 else start) + marker


def _text(value: str) -> str:
    if not value.isprintable():  # cheap pre-test: most text has no control characters
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return fit_cell(value).translate(_ESCAPES)


def _cell(ref: str, value: object) -> str:
    kind = value.__class__
    if kind is str:
        text = _text(value)  # type: ignore[arg-type]
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    if kind is bool:
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'  # type: ignore[call-overload]
    if kind is int or isinstance(value, numbers.Integral):
        return f'<c r="{ref}" t="n"><v>{int(value)}</v></c>'  # type: ignore[call-overload]
    if isinstance(value, numbers.Real):
        number = float(value)
        return f'<c r="{ref}" t="n"><v>{number!r}</v></c>' if math.isfinite(number) else ""
    if isinstance(value, dt.date | dt.time):
        return _cell(ref, value.isoformat())
    return _cell(ref, str(value))


def write_rows(
    out: IO[str],
    rows: Iterable[Sequence[object]],
    width: int,
    masks: Mapping[int, str],
    first_row: int = 2,
    *,
    styles: Sequence[int] = (),
    hide: tuple[int, Collection[object]] | None = None,
    wrap: Mapping[int, float] | None = None,
) -> int:
    """Write ``rows`` as ``<row>`` elements numbered from ``first_row``; return how many.

    ``width`` columns are written at most; ``masks`` maps a column position to the secret
    field whose masking applies to it. ``None``, ``""`` and NaN cells are left out; numbers
    (numpy's included) stay numbers, dates and times become ISO text, anything else text.
    ``styles``: the style id of each column's cells (none when empty). ``hide``: a column
    position and the values of it that make a row hidden. ``wrap``: the positions of wrapped
    columns and their widths in characters; a row whose wrapped text needs more than one line
    gets a height for all of it (LibreOffice does not fit a row to wrapped text on opening).
    """
    letters = [get_column_letter(i + 1) for i in range(width)]
    # A style goes into the cell as an attribute after the reference: r="A2" s="3".
    suffixes = [f'" s="{style}' for style in styles][:width]
    suffixes += [""] * (width - len(suffixes))
    count = 0
    for count, values in enumerate(rows, start=1):
        number = str(first_row + count - 1)
        row = list(values)[:width]
        for position, key in masks.items():
            if position < len(row):
                row[position] = mask_field(key, row[position])
        cells = "".join(
            _cell(letter + number + suffix, value)
            for letter, suffix, value in zip(letters, suffixes, row, strict=False)
            if value is not None and value != ""
        )
        hidden = hide is not None and hide[0] < len(row) and row[hide[0]] in hide[1]
        lines = _lines(row, wrap) if wrap else 1
        attributes = ' hidden="1"' if hidden else ""
        if lines > 1:
            height = min(lines * _LINE_HEIGHT, _MAX_HEIGHT)
            attributes += f' ht="{height:g}" customHeight="1"'
        out.write(f'<row r="{number}"{attributes}>{cells}</row>')
    return count


def _lines(row: Sequence[object], wrap: Mapping[int, float]) -> int:
    """How many lines the tallest wrapped cell of ``row`` takes at its column's width."""
    most = 1
    for position, width in wrap.items():
        value = row[position] if position < len(row) else None
        if not isinstance(value, str) or not value:
            continue
        # A width counts digits of the default font. Average text is narrower, but a wrap
        # wastes the end of each line and LibreOffice may substitute a wider font: one
        # character per width unit, less two for the margins, never cuts a line off (a row a
        # little too tall costs less than a message that loses its end).
        per_line = max(int(width) - 2, 8)
        lines = sum(max(1, -(-len(line) // per_line)) for line in value.split("\n"))
        most = max(most, lines)
    return most
