"""A batch's rows as corrected by the user: a corrected file laid over the batch's input.

The user fixes rows in a copy of the input or, typically, in the result workbook's ``Rows``
sheet, whose leading result columns the reader sets aside (their ``Source row`` names the
batch's row; without it rows are matched by phone number). Port-out PINs and account numbers
are masked in the result workbook, so a masked cell means "unchanged": it keeps the value the
service holds, and a value typed over the mask is a new one.

A result sheet of more rows than Excel holds was written in parts, ``Rows``, ``Rows (2)``,
``Rows (3)``, … (:func:`~batchport.report.xlsx.part_name`): when no sheet is named, a result
sheet read (one with ``Source row``) is read with each part that follows it, as one corrected
file, and each row remembers the part it came from; a named sheet is read alone. A sheet named
as the next part that has no ``Source row``, or repeats rows of the parts before it (Excel
names a copied sheet ``Rows (2)`` too, and a copy may be outdated), is an error that says so.

A row changed when what it shows (every input cell, secrets masked) differs from what it showed
when it was last sent, or when a secret was typed anew. What a row showed is a hash: for a row
never corrected, that of the batch's input (which must still read as journaled); for a row a
resubmit applied, the hash the journal recorded then (:class:`~batchport.journal.Correction`).

:func:`corrected_rows` reads a corrected file against the batch; :func:`current_validation`
gives the batch's rows as they stand (the input with every applied correction laid over it),
which the result workbook shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from batchport.columns import SECRET_KEYS
from batchport.errors import ConfigError, InputError
from batchport.intake import Table, read_table
from batchport.intake.archive import open_archive
from batchport.journal import BatchRecord, Correction, Journal
from batchport.redaction import MASK
from batchport.report.xlsx import part_name
from batchport.validation import Validation, validate_file, validate_table

__all__ = [
    "CorrectedRows",
    "batch_input",
    "corrected_rows",
    "current_validation",
    "visible_hashes",
]

_SOURCE_ROW = "Source row"


@dataclass(frozen=True, eq=False)  # frames inside: compared by identity
class CorrectedRows:
    """A corrected file read against its batch.

    ``validation``: the batch's rows with every corrected row laid over them (index = the
    batch's spreadsheet rows; masked secrets keep the input's value). ``changed``: the rows that
    changed, each with the correction to record once it is applied. ``masked``: per changed
    row, the secret columns left masked (their value is the one the service holds).
    ``unmatched``: rows of the corrected file that are not rows of the batch, ``(file row,
    why)``; when several parts of a result sheet were read, ``why`` names the row's sheet.
    ``file_rows``: batch row → the row of the corrected file it was read from, on the sheet
    ``file_sheets`` names (``""`` for a CSV).
    """

    validation: Validation
    changed: dict[int, Correction]
    masked: dict[int, frozenset[str]]
    unmatched: list[tuple[int, str]] = field(default_factory=list)
    file_rows: dict[int, int] = field(default_factory=dict)
    file_sheets: dict[int, str] = field(default_factory=dict)


def visible_hashes(frame: pd.DataFrame) -> dict[int, str]:
    """Row → hash of what the row shows: every cell as text, secret cells masked (16 hex)."""
    shown = frame.astype(str).copy()
    for key in SECRET_KEYS & set(shown.columns):
        shown[key] = shown[key].where(shown[key].str.strip() == "", MASK)
    hashes = pd.util.hash_pandas_object(shown, index=False).tolist()
    return {int(row): f"{value:016x}" for row, value in zip(shown.index, hashes, strict=True)}


def batch_input(journal: Journal, batch: BatchRecord, today: date) -> Validation:
    """The batch's input file, validated; ConfigError when it is gone or reads differently
    from the rows journaled for the batch (corrections are compared with it)."""
    source = Path(batch.source)
    if not source.is_file():
        raise ConfigError(
            f"the input of batch {batch.id}, {source}, is gone: later commands read it again "
            "(corrections are compared with it); put it back where it was"
        )
    try:
        validation = validate_file(source, sheet=batch.sheet or None, today=today)
    except InputError as exc:
        raise ConfigError(f"the input of batch {batch.id} cannot be read: {exc}") from exc
    read = {row: (phone, data) for row, phone, data in validation.row_hashes()}
    if read != journal.input_rows(batch.id):
        raise ConfigError(
            f"the input of batch {batch.id}, {source}, changed since the batch was run: later "
            "commands read it as it was; put the original back (corrections go in the result "
            "workbook or a copy)"
        )
    return validation


def corrected_rows(
    path: Path,
    *,
    sheet: str | None,
    original: Validation,
    applied: Mapping[int, Correction],
    today: date,
) -> CorrectedRows:
    """Read the corrected file ``path`` against the batch whose input is ``original`` and
    whose applied corrections are ``applied``.

    ``sheet`` is read alone. Without it, the first visible sheet with a header is read (as
    ``read_table`` picks it) and, when it is a result sheet (it has ``Source row``) of a
    workbook that also holds its parts ``"<sheet> (2)"``, ``"<sheet> (3)"``, …, they are read
    too, as one file: a row takes its values from the part it is in, and its ``Correction``
    names that part's sheet. Raises InputError when a sheet cannot be read, and when a sheet
    named as the next part has no ``Source row`` or repeats one of the parts before it.
    """
    tables = _read_parts(path, sheet)
    file_rows: dict[int, int] = {}
    file_sheets: dict[int, str] = {}
    from_table: dict[int, Table] = {}
    unmatched: list[tuple[int, str]] = []
    for table in tables:
        found, missed = _match_rows(table, original)
        file_rows.update(found)
        file_sheets.update(dict.fromkeys(found, table.sheet or ""))
        from_table.update(dict.fromkeys(found, table))
        if len(tables) > 1:  # a row number alone is ambiguous across the parts
            missed = [(file_row, f"on sheet {table.sheet!r}, {why}") for file_row, why in missed]
        unmatched += missed
    base = original.table.frame
    merged = base.copy()
    masked: dict[int, frozenset[str]] = {}
    typed: set[int] = set()
    for row, file_row in file_rows.items():
        table = from_table[row]
        values = table.frame.loc[file_row]
        hidden = set()
        for column in base.columns:
            if column not in table.frame.columns:
                continue
            value = str(values[column])
            if column in SECRET_KEYS and value.startswith(MASK):
                hidden.add(column)
                continue
            if column in SECRET_KEYS and (row in applied or value != base.at[row, column]):
                typed.add(row)
            merged.at[row, column] = value
        masked[row] = frozenset(hidden)
    shown = visible_hashes(merged.loc[list(file_rows)])
    before = visible_hashes(base.loc[[row for row in file_rows if row not in applied]])
    before.update({row: applied[row].visible_hash for row in file_rows if row in applied})
    changed = {
        row: Correction(row, digest, str(path), file_sheets[row])
        for row, digest in shown.items()
        if digest != before[row] or row in typed
    }
    validation = _revalidate(original, merged, set(changed), today)
    masked = {row: masked[row] for row in changed}
    return CorrectedRows(validation, changed, masked, unmatched, file_rows, file_sheets)


def _read_parts(path: Path, sheet: str | None) -> list[Table]:
    """The table of ``sheet`` of ``path`` (see ``read_table``); without ``sheet``, the first
    sheet with a header followed by its parts when it is a result sheet (see
    :func:`corrected_rows`). Raises InputError as ``read_table`` does, and when a sheet named
    as the next part is none."""
    first = read_table(path, sheet=sheet)
    seen = _source_rows(first)
    if sheet is not None or first.sheet is None or seen is None:
        return [first]
    names = {part.name for part in open_archive(path).sheets}
    tables = [first]
    while (name := part_name(first.sheet, len(tables) + 1)) in names:
        table = read_table(path, sheet=name)
        rows = _source_rows(table)
        if rows is None or rows & seen:
            why = (
                "has no Source row column"
                if rows is None
                else "repeats rows of the sheets before it"
            )
            raise InputError(
                f"{path}: sheet {name!r} is named as part {len(tables) + 1} of sheet "
                f"{first.sheet!r}, but it {why}, as a copy of it would: delete or rename that "
                f"sheet, or name the one sheet to read with --sheet"
            )
        tables.append(table)
        seen |= rows
    return tables


def _source_rows(table: Table) -> set[str] | None:
    """The filled ``Source row`` cells of a result sheet's table, as whole numbers; ``None``
    when the table has no ``Source row`` (it is no result sheet)."""
    keys = _source_keys(table)
    return None if keys is None else {key for key in keys if key}


def _source_keys(table: Table) -> list[str] | None:
    """Each row's ``Source row`` cell as a whole number, in row order; ``None`` without one."""
    if _SOURCE_ROW not in table.results.columns:
        return None
    return [_whole(str(text)) for text in table.results[_SOURCE_ROW].tolist()]


def current_validation(journal: Journal, batch: BatchRecord, today: date) -> Validation:
    """The batch's rows as they stand: its input with the rows of every applied correction
    read again from the file and sheet it came from (for a result sheet read in parts, the
    part the row was in) and laid over it. A correction whose file is gone
    or no longer shows that row as applied is left out (the input's row is shown).

    Raises ConfigError as :func:`batch_input` does.
    """
    original = batch_input(journal, batch, today)
    applied = journal.corrections(batch.id)
    if not applied:
        return original
    merged = original.table.frame.copy()
    laid: set[int] = set()
    for (source, sheet), rows in _by_file(applied).items():
        try:
            table = read_table(Path(source), sheet=sheet or None)
        except InputError:
            continue
        file_rows, _ = _match_rows(table, original)
        candidate = merged.copy()
        for row in rows:
            if row in file_rows:
                for column in merged.columns.intersection(table.frame.columns):
                    value = str(table.frame.at[file_rows[row], column])
                    if not (column in SECRET_KEYS and value.startswith(MASK)):
                        candidate.at[row, column] = value
        shown = visible_hashes(candidate.loc[[row for row in rows if row in file_rows]])
        for row, digest in shown.items():
            if digest == applied[row].visible_hash:
                merged.loc[row] = candidate.loc[row]
                laid.add(row)
    return _revalidate(original, merged, laid, today) if laid else original


def _by_file(applied: Mapping[int, Correction]) -> dict[tuple[str, str], list[int]]:
    files: dict[tuple[str, str], list[int]] = {}
    for correction in applied.values():
        files.setdefault((correction.source, correction.sheet), []).append(correction.row)
    return files


def _match_rows(table: Table, original: Validation) -> tuple[dict[int, int], list[tuple[int, str]]]:
    """Batch row → row of ``table``, by the ``Source row`` column of a result workbook, else
    by phone number; and the rows of ``table`` matching no row of the batch, with why."""
    file_rows = [int(row) for row in table.frame.index.tolist()]
    by_key: dict[str, int]
    keys = _source_keys(table)
    if keys is not None:
        by_key = {str(row): int(row) for row in original.rows.index.tolist()}
        why = "Source row {} is no row of the batch"
    else:
        keys = validate_table(table).rows["phoneNumber"].astype(str).tolist()
        phones = original.rows["phoneNumber"].astype(str).tolist()
        by_key = dict(zip(phones, (int(row) for row in original.rows.index.tolist()), strict=True))
        why = "{} is not a number of the batch"
    found: dict[int, int] = {}
    unmatched: list[tuple[int, str]] = []
    for file_row, key in zip(file_rows, keys, strict=True):
        row = by_key.get(key)
        if row is None:
            unmatched.append((file_row, why.format(key or "(blank)")))
        else:
            found[row] = file_row
    return found, unmatched


def _whole(text: str) -> str:
    """A row number as text: ``"7"`` for a cell read as ``7``, ``7.0`` or `` 7 ``."""
    text = text.strip()
    try:
        number = float(text)
    except ValueError:
        return text
    return str(int(number)) if number.is_integer() else text


def _revalidate(
    original: Validation, merged: pd.DataFrame, rows: set[int], today: date
) -> Validation:
    """``original``'s table with ``merged`` as its cells, validated again; the reader's repairs
    of the rows in ``rows`` (which now come from another file) are dropped."""
    repairs = original.table.repairs
    repairs = repairs[~repairs["row"].isin(rows)].reset_index(drop=True)
    table = Table(
        merged,
        original.table.headers,
        original.table.source,
        original.table.sheet,
        original.table.header_row,
        repairs,
    )
    return validate_table(table, today=today)
