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
from collections.abc import Iterable, Mapping, Sequence
from typing import IO

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from batchport.redaction import mask_field

__all__ = ["CELL_LIMIT", "fit_cell", "write_rows"]

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
) -> int:
    """Write ``rows`` as ``<row>`` elements numbered from ``first_row``; return how many.

    ``width`` columns are written at most; ``masks`` maps a column position to the secret
    field whose masking applies to it. ``None``, ``""`` and NaN cells are left out; numbers
    (numpy's included) stay numbers, dates and times become ISO text, anything else text.
    """
    letters = [get_column_letter(i + 1) for i in range(width)]
    count = 0
    for count, values in enumerate(rows, start=1):
        number = str(first_row + count - 1)
        row = list(values)[:width]
        for position, key in masks.items():
            if position < len(row):
                row[position] = mask_field(key, row[position])
        cells = "".join(
            _cell(letter + number, value)
            for letter, value in zip(letters, row, strict=False)
            if value is not None and value != ""
        )
        out.write(f'<row r="{number}">{cells}</row>')
    return count
