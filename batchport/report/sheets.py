"""Sheet builders that the validation and result workbooks share.

- :func:`input_columns`: the headers of a sheet that shows leading columns, then every input
  column as the user wrote it, and which of them hold secrets (masked when written);
- :func:`findings_sheet`: the ``Findings`` sheet, one line per finding, errors first;
- :func:`zip_rows`: sheet rows from plain column lists, the fast way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pandas as pd

from batchport.columns import COLUMNS, SECRET_KEYS, column, looks_secret
from batchport.findings import Severity
from batchport.intake import Table
from batchport.report.xlsx import FILL_ERROR, FILL_INFO, FILL_WARNING, SheetSpec
from batchport.validation import Validation

__all__ = ["finding_headers", "findings_sheet", "input_columns", "zip_rows"]

_KNOWN_KEYS = frozenset(c.key for c in COLUMNS)
#: How an unknown column that looks secret is masked: completely, like a port-out PIN.
_UNKNOWN_SECRET = "existingPortOutPin"
_SEVERITY_FILLS = {"error": FILL_ERROR, "warning": FILL_WARNING, "info": FILL_INFO}
_SEVERITY_RANK = {s.value: rank for rank, s in enumerate(Severity)}
_FINDING_HEADERS = ("Row", "Column", "Header", "Code", "Severity", "Message", "Value", "Sent as")
_FINDING_WIDTHS = (7, 22, 24, 30, 9, 70, 24, 24)


def input_columns(table: Table, leading: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Headers for a sheet of ``leading`` columns followed by every input column, as written.

    Returns the headers (made unique with a ``(2)``-style suffix where the input repeats one)
    and the map of masked columns (header → secret field) for ``SheetSpec.masked_columns``:
    the secret columns, and unknown columns whose header looks secret (masked whole).
    """
    headers = _unique([*leading, *(table.headers.get(n, n) for n in table.frame.columns)])
    masked = {
        headers[len(leading) + i]: name if name in SECRET_KEYS else _UNKNOWN_SECRET
        for i, name in enumerate(table.frame.columns)
        if name in SECRET_KEYS or (name not in _KNOWN_KEYS and looks_secret(name))
    }
    return headers, masked


def findings_sheet(validation: Validation, headers: pd.Series | None = None) -> SheetSpec:
    """The ``Findings`` sheet: one line per finding, as ``validate`` and ``run`` both write it.

    Errors first, then warnings, then info, each by row; ``Value`` is the cell as read and
    ``Sent as`` the value batchport sends in its place (both masked in secret columns).
    Messages wrap. When there are errors or warnings, the info lines start hidden behind the
    autofilter on ``Severity`` (tick ``info`` in its list to show them). ``headers`` (see
    :func:`finding_headers`) is worked out when not given.
    """
    if headers is None:
        headers = finding_headers(validation)
    frame = validation.findings_frame.assign(header=headers, message=validation.messages)
    rank = frame["severity"].map(_SEVERITY_RANK)
    frame = frame.iloc[rank.argsort(kind="stable")]  # the frame is already in row order
    names = ("column", "header", "code", "severity", "message", "value", "sent")
    rows = zip_rows(frame["row"].astype("int64"), [frame[n] for n in names])
    info = Severity.INFO.value
    hidden = ("Severity", frozenset({info})) if (rank < _SEVERITY_RANK[info]).any() else None
    return SheetSpec("Findings", _FINDING_HEADERS, rows, widths=_FINDING_WIDTHS,
                     fill_column="Severity", fills=_SEVERITY_FILLS,
                     wrapped=("Message",), hidden=hidden)  # fmt: skip


def finding_headers(validation: Validation) -> pd.Series:
    """The header each finding's column has in the input (or in the spec), aligned to findings.

    Returns a text Series with the index of ``validation.findings_frame``.
    """
    keys = validation.findings_frame["column"]
    return keys.map({key: _header_of(validation, key) for key in keys.unique()}).astype("str")


def _header_of(validation: Validation, key: str) -> str:
    headers = validation.table.headers
    if key in headers:
        return headers[key]
    try:
        return column(key).header
    except KeyError:
        return key


def zip_rows(
    first: pd.Series | Sequence[object],
    columns: Sequence[pd.Series | Sequence[object]],
    chunk: int = 50_000,
) -> Iterator[tuple[object, ...]]:
    """Rows of ``first`` followed by one value of each of ``columns`` (equal lengths).

    Series are turned into plain lists ``chunk`` rows at a time: a sheet of a million rows
    never holds all its cells as Python objects at once (that took over a gigabyte).
    """
    # zip over plain lists: far faster than DataFrame.itertuples on pandas 3.
    for start in range(0, len(first), chunk):
        stop = start + chunk
        plain = [_plain(values, start, stop) for values in (first, *columns)]
        yield from zip(*plain, strict=True)


def _plain(values: pd.Series | Sequence[object], start: int, stop: int) -> list[object]:
    if isinstance(values, pd.Series):
        return values.iloc[start:stop].tolist()
    return list(values[start:stop])


def _unique(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for header in headers:
        count = seen.get(header, 0)
        seen[header] = count + 1
        result.append(header if count == 0 else f"{header} ({count + 1})")
    return result
