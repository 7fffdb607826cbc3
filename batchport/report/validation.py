"""The validation workbook: every input row with its status, and every finding.

``write_validation_report`` writes two sheets through ``batchport.report.xlsx``:

- ``Rows``: the input rows in input order, each with its spreadsheet row number, a status
  (``invalid``, ``warnings`` or ``valid``), its errors and its warnings (one column each,
  wrapped and top-aligned, so every line shows in Excel and LibreOffice alike), what batchport
  changed (``Header: read → sent``), then the input columns exactly as read (unknown columns
  included; PINs and account numbers masked);
- ``Findings``: one line per finding (row, column, header, code, severity, message, value as
  read, value sent), errors first, info hidden behind the autofilter when anything worse exists.

Both have a frozen header, an autofilter and colouring by status or severity.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from batchport.errors import BatchportError
from batchport.findings import Severity
from batchport.intake import require_input
from batchport.outputs import output_path, refuse_clobbering, require_writable
from batchport.validation import Validation, validate_file

if TYPE_CHECKING:
    from batchport.report.xlsx import SheetSpec

__all__ = [
    "default_report_path",
    "load_writer",
    "validate_and_report",
    "write_validation_report",
]

_ROW_HEADERS = ("Row", "Status", "Errors", "Warnings", "Changed by batchport")
_ROW_WIDTHS = (7, 9, 50, 45, 40)
_ROW_MESSAGE_JOINERS = ((Severity.ERROR, "\n"), (Severity.WARNING, "\n"), (Severity.INFO, "; "))


def default_report_path(source: Path) -> Path:
    """``<input stem>.validation.xlsx`` beside the input (see ``batchport.outputs``)."""
    return output_path(source, "validation")


def validate_and_report(
    source: Path, *, sheet: str | None = None, out: Path | None = None, write: bool = True
) -> tuple[Validation, Path | None]:
    """Validate ``source`` and write its validation workbook: ``batchport validate`` in one call.

    The workbook goes to ``out``, else :func:`default_report_path`; ``write=False`` writes none.
    Returns the validation and the workbook's path (None when none was written). Raises
    ``InputError`` when the input cannot be used and ``BatchportError`` naming the workbook when
    it cannot be written; ``ConfigError`` before reading anything when the workbook would replace
    the input or its folder cannot take it.
    """
    require_input(source)
    report = out or default_report_path(source)
    if write:
        refuse_clobbering(source, {"the validation workbook": report})
        require_writable(report, "the validation workbook")
    validation = validate_file(source, sheet=sheet)
    if not write:
        return validation, None
    try:
        write_validation_report(validation, report)
    except OSError as exc:
        raise BatchportError(
            f"cannot write the validation workbook {report}: {exc.strerror or exc}"
        ) from exc
    return validation, report


def load_writer() -> None:
    """Import what :func:`write_validation_report` uses (openpyxl and the sheet builders, about a
    quarter of a second) now rather than when it first runs: while a workbook still parses."""
    import_module("batchport.report.sheets")
    import_module("batchport.report.xlsx")


def write_validation_report(validation: Validation, path: Path) -> Path:
    """Write the validation workbook for ``validation`` to ``path`` (atomically); return ``path``.

    Raises ``OSError`` when ``path`` cannot be written.
    """
    # Imported here, not above: openpyxl and the sheet builders cost a quarter of a second that
    # ``validate --no-report`` never needs.
    from batchport.report.sheets import finding_headers, findings_sheet
    from batchport.report.xlsx import write_workbook

    headers = finding_headers(validation)
    sheets = [_rows_sheet(validation, headers), findings_sheet(validation, headers)]
    return write_workbook(path, sheets, private=True, subject="batchport validation")


def _rows_sheet(validation: Validation, finding_headers: pd.Series) -> SheetSpec:
    from batchport.report.sheets import input_columns, zip_rows
    from batchport.report.xlsx import FILL_ERROR, FILL_OK, FILL_WARNING, SheetSpec

    fills = {"invalid": FILL_ERROR, "warnings": FILL_WARNING, "valid": FILL_OK}
    frame = validation.table.frame
    status = _row_status(validation)
    messages = _row_messages(validation, finding_headers)
    columns = [status, *messages, *(frame[name] for name in frame.columns)]
    rows = zip_rows(frame.index.to_series(), columns)
    headers, masked = input_columns(validation.table, _ROW_HEADERS)
    # A message column no row uses stays narrow: the input columns start sooner.
    widths = list(_ROW_WIDTHS)
    for position, texts in enumerate(messages, start=2):
        if not (texts != "").any():
            widths[position] = len(_ROW_HEADERS[position]) + 2
    return SheetSpec("Rows", headers, rows, widths=widths, masked_columns=masked,
                     fill_column="Status", fills=fills,
                     wrapped=("Errors", "Warnings"))  # fmt: skip


def _row_status(validation: Validation) -> pd.Series:
    """``invalid`` for a row with an error, ``warnings`` for one with a warning, else ``valid``."""
    index = validation.rows.index
    frame = validation.findings_frame
    status = pd.Series("valid", index=index, dtype="str")
    warned = frame.loc[frame["severity"] == Severity.WARNING.value, "row"].unique()
    status[status.index.isin(warned)] = "warnings"
    status[status.index.isin(list(validation.error_rows))] = "invalid"
    return status


def _row_messages(validation: Validation, finding_headers: pd.Series) -> list[pd.Series]:
    """Each row's errors, warnings and changes, one text per severity, aligned to the rows.

    Errors and warnings are ``Header: message`` lines (the cells wrap); a change is
    ``Header: read → sent`` and the changes of a row share one line, so that rows with no
    error or warning stay one line high.
    """
    index = validation.rows.index
    frame = validation.findings_frame.assign(header=finding_headers, message=validation.messages)
    texts = []
    for severity, joiner in _ROW_MESSAGE_JOINERS:
        part = frame[frame["severity"] == severity.value]
        if part.empty:
            texts.append(pd.Series("", index=index, dtype="str"))
            continue
        said = part["message"]
        if severity is Severity.INFO:
            shown = part["value"] + " \u2192 " + part["sent"]
            said = shown.where(part["sent"] != "", said)
        lines = part["header"] + ": " + said
        joined = lines.groupby(part["row"].to_numpy()).agg(joiner.join)
        texts.append(joined.reindex(index).fillna("").astype("str"))
    return texts
