"""The validation workbook: every input row with its status, and every finding.

``write_validation_report`` writes two sheets through ``batchport.workbook``:

- ``Rows``: the input rows in input order, each with its spreadsheet row number, a status
  (``invalid``, ``warnings`` or ``valid``), its messages, then the input columns exactly as read
  (unknown columns included; PINs and account numbers masked);
- ``Findings``: one line per finding (row, column, code, severity, message, value).

Both have a frozen header, an autofilter and error/warning colouring.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from batchport.columns import SECRET_KEYS, column
from batchport.intake import Table
from batchport.validation import Validation
from batchport.workbook import FILL_ERROR, FILL_OK, FILL_WARNING, SheetSpec, write_workbook

__all__ = ["default_report_path", "findings_sheet", "input_columns", "write_validation_report"]

_STATUS_FILLS = {"invalid": FILL_ERROR, "warnings": FILL_WARNING, "valid": FILL_OK}
_SEVERITY_FILLS = {"error": FILL_ERROR, "warning": FILL_WARNING}
_ROW_HEADERS = ("Row", "Status", "Messages")
_FINDING_HEADERS = ("Row", "Column", "Header", "Code", "Severity", "Message", "Value")


def default_report_path(source: Path) -> Path:
    """``<input stem>.validation.xlsx`` beside the input."""
    return source.with_name(f"{source.stem}.validation.xlsx")


def write_validation_report(validation: Validation, path: Path) -> Path:
    """Write the validation workbook for ``validation`` to ``path`` (atomically); return ``path``.

    Raises ``OSError`` when ``path`` cannot be written.
    """
    headers = _finding_headers(validation)
    return write_workbook(
        path, [_rows_sheet(validation, headers), findings_sheet(validation, headers)]
    )


def _finding_headers(validation: Validation) -> pd.Series:
    """The header each finding's column has in the input (or in the spec), aligned to findings."""
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


def input_columns(table: Table, leading: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """Headers for a sheet of ``leading`` columns followed by every input column, as written.

    Returns the headers (made unique with a ``(2)``-style suffix where the input repeats one)
    and the map of masked columns (header → secret field) for ``SheetSpec.masked_columns``.
    """
    headers = _unique([*leading, *(table.headers.get(n, n) for n in table.frame.columns)])
    masked = {
        headers[len(leading) + i]: name
        for i, name in enumerate(table.frame.columns)
        if name in SECRET_KEYS
    }
    return headers, masked


def _rows_sheet(validation: Validation, finding_headers: pd.Series) -> SheetSpec:
    frame = validation.table.frame
    status, messages = _row_status(validation, finding_headers)
    columns = [status, messages, *(frame[name] for name in frame.columns)]
    rows = _zip_rows(frame.index.tolist(), [c.tolist() for c in columns])
    headers, masked = input_columns(validation.table, _ROW_HEADERS)
    return SheetSpec("Rows", headers, rows, masked_columns=masked,
                     fill_column="Status", fills=_STATUS_FILLS)  # fmt: skip


def _row_status(validation: Validation, finding_headers: pd.Series) -> tuple[pd.Series, pd.Series]:
    index = validation.rows.index
    frame = validation.findings_frame
    status = pd.Series("valid", index=index, dtype="str")
    warned = frame.loc[frame["severity"] == "warning", "row"].unique()
    status[status.index.isin(warned)] = "warnings"
    status[status.index.isin(list(validation.error_rows))] = "invalid"
    if frame.empty:
        return status, pd.Series("", index=index, dtype="str")
    frame = frame.sort_values(["row", "severity"], kind="stable")  # errors before warnings
    headers = finding_headers.reindex(frame.index)
    lines = frame["severity"].str.upper() + " " + headers + ": " + frame["message"]
    joined = lines.groupby(frame["row"].to_numpy()).agg("\n".join)
    return status, joined.reindex(index).fillna("").astype("str")


def findings_sheet(validation: Validation, finding_headers: pd.Series | None = None) -> SheetSpec:
    """The ``Findings`` sheet: one line per finding, as ``validate`` and ``run`` both write it.

    ``finding_headers`` (the input header of each finding's column) is worked out when not given.
    """
    if finding_headers is None:
        finding_headers = _finding_headers(validation)
    frame = validation.findings_frame
    columns = [frame["column"].tolist(), finding_headers.tolist()]
    columns += [frame[n].tolist() for n in ("code", "severity", "message", "value")]
    rows = _zip_rows(frame["row"].astype("int64").tolist(), columns)
    return SheetSpec("Findings", _FINDING_HEADERS, rows,
                     fill_column="Severity", fills=_SEVERITY_FILLS)  # fmt: skip


def _zip_rows(
    first: Sequence[object], columns: Sequence[Sequence[object]]
) -> Iterator[tuple[object, ...]]:
    # zip over plain lists: far faster than DataFrame.itertuples on pandas 3.
    return zip(first, *columns, strict=True)


def _unique(headers: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for header in headers:
        count = seen.get(header, 0)
        seen[header] = count + 1
        result.append(header if count == 0 else f"{header} ({count + 1})")
    return result
