"""Validation of an input file: read, normalise, check; every problem found at once.

``validate_file`` is the library entry point behind ``batchport validate`` and the first stage
of ``batchport run``. No click, no printing: it returns a ``Validation`` that the CLI renders
and the report writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from batchport.findings import (
    Finding,
    Severity,
    concat_frames,
    json_records,
    masked_values,
    to_findings,
)
from batchport.intake import Table, read_table
from batchport.validation.checks import check_rows
from batchport.validation.cross_row import check_across_rows
from batchport.validation.examples import find_example_rows
from batchport.validation.normalise import normalise
from batchport.validation.unused import unused_columns

__all__ = ["CodeGroup", "Validation", "validate_file", "validate_table"]


@dataclass(frozen=True)
class CodeGroup:
    """The findings of one code: its severity, on how many rows, and the first few rows."""

    code: str
    severity: Severity
    rows: int
    first_rows: tuple[int, ...]


@dataclass(frozen=True, eq=False)  # frames inside: compared by identity
class Validation:
    """The outcome of validating one table.

    ``table``: the input as read (original text, for pass-through). ``rows``: normalised rows on
    the same index (canonical columns plus ``country``; E.164 numbers, ISO dates, HH:MM:SS
    times, codes for states and enums, ``onDemandActivation`` as bool, blank cells ``""``).
    ``findings_frame``: every finding as a frame, sorted by row then column; a finding about a
    changed value has in ``sent`` the value the request carries (``messages`` adds the value as
    read and that value to its advice). ``error_rows``: the row numbers with at least one
    error.
    """

    table: Table
    rows: pd.DataFrame
    findings_frame: pd.DataFrame = field(repr=False)
    error_rows: frozenset[int]

    @cached_property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding (repairs, normalisation, rules), sorted by row then column, each with
        its message as a person reads it (see :attr:`messages`)."""
        return to_findings(self.findings_frame.assign(message=self.messages))

    @cached_property
    def messages(self) -> pd.Series:
        """Each finding's message as a person reads it, aligned with ``findings_frame``.

        A finding about a changed value ends with the value as read and the value sent
        (``… Read “new york”, will send “NY”.``); the frame keeps the bare advice, and
        ``value`` and ``sent`` apart, which is what ``--json`` writes.
        """
        frame = self.findings_frame
        messages = frame["message"].to_numpy(dtype=object, copy=True)
        changed = (frame["sent"] != "").to_numpy()
        if changed.any():
            values, sent = frame["value"].to_numpy()[changed], frame["sent"].to_numpy()[changed]
            messages[changed] = _told(messages[changed], values, sent)
        return pd.Series(messages, index=frame.index, dtype=object)

    @property
    def row_count(self) -> int:
        """How many data rows the input has (blank rows not counted)."""
        return len(self.rows)

    @property
    def invalid(self) -> int:
        """How many rows have at least one error."""
        return len(self.error_rows)

    @property
    def valid(self) -> int:
        """How many rows have no error (they may have warnings)."""
        return self.row_count - self.invalid

    @cached_property
    def severity_counts(self) -> dict[str, int]:
        """How many findings of each severity: ``{"error": n, "warning": n, "info": n}``."""
        counted = self.findings_frame["severity"].value_counts()
        return {s.value: int(counted.get(s.value, 0)) for s in Severity}

    @property
    def errors(self) -> int:
        """How many error findings there are (a row can have several)."""
        return self.severity_counts[Severity.ERROR.value]

    @property
    def warnings(self) -> int:
        """How many warning findings there are: things a person should look at."""
        return self.severity_counts[Severity.WARNING.value]

    @property
    def infos(self) -> int:
        """How many info findings there are: values batchport changed in a way that is sure."""
        return self.severity_counts[Severity.INFO.value]

    @property
    def counts(self) -> dict[str, int]:
        """``rows``, ``valid``, ``invalid``, ``errors``, ``warnings`` and ``infos`` in one map."""
        return {
            "rows": self.row_count,
            "valid": self.valid,
            "invalid": self.invalid,
            "errors": self.errors,
            "warnings": self.warnings,
            "infos": self.infos,
        }

    def row_hashes(self) -> list[tuple[int, str, str]]:
        """``(spreadsheet row, E.164, hash of the row's text)`` of every row, in input order.

        The journal keeps these for a batch, so a later read of the same file can be compared
        with what was planned (16 hex characters of pandas' stable row hash, all cells).
        """
        hashes = pd.util.hash_pandas_object(self.table.frame, index=False).tolist()
        phones = self.rows["phoneNumber"].astype(str).tolist()
        rows = self.rows.index.tolist()
        return [
            (int(row), phone, f"{value:016x}")
            for row, phone, value in zip(rows, phones, hashes, strict=True)
        ]

    def code_groups(self, examples: int = 5) -> list[CodeGroup]:
        """Every finding code that occurred, with its rows: errors first, then warnings, then
        info, and within a severity the codes on most rows first (then by code).

        ``examples`` row numbers (the first in the file) are kept per code.
        """
        frame = self.findings_frame[["code", "severity", "row"]]
        if frame.empty:
            return []
        groups = []
        for (code, severity), rows in frame.groupby(["code", "severity"], sort=False)["row"]:
            firsts = rows.unique()  # in file order: the frame is sorted by row
            first = tuple(int(r) for r in firsts[:examples])
            groups.append(CodeGroup(str(code), Severity(str(severity)), len(firsts), first))
        rank = {s: i for i, s in enumerate(Severity)}
        return sorted(groups, key=lambda g: (rank[g.severity], -g.rows, g.code))

    def write_json(self, out: TextIO, chunk: int = 50_000) -> None:
        """Write the JSON contract of ``batchport validate --json`` to ``out``, in one line.

        ``{"rows", "valid", "invalid", "errors", "warnings", "infos", "findings": [{"row",
        "column", "code", "severity", "message", "value", "sent"}, ...]}``: ``message`` is the
        advice, ``value`` the cell as read and ``sent`` what is sent in its place. The findings
        are encoded (:func:`~batchport.findings.json_records`) and written in chunks of
        ``chunk``: a million-row file can carry a million findings, and the whole text must
        never sit in memory twice.
        """
        head = json.dumps(self.counts)
        out.write(head[:-1] + ', "findings": [')
        frame = self.findings_frame
        for start in range(0, len(frame), chunk):
            if start:
                out.write(",")
            out.write(json_records(frame.iloc[start : start + chunk]))
        out.write("]}")


def validate_file(path: Path, *, sheet: str | None = None, today: date | None = None) -> Validation:
    """Read ``path`` (xlsx or csv) and validate every row.

    ``sheet`` picks a worksheet; ``today`` fixes the date the date rules compare against
    (defaults to the local date). Raises ``InputError`` when the file cannot be used at all;
    problems in rows are findings, never exceptions.
    """
    return validate_table(read_table(path, sheet=sheet), today=today)


def validate_table(table: Table, *, today: date | None = None) -> Validation:
    """Normalise and validate a table already read; see ``validate_file``."""
    today = today or date.today()
    norm = normalise(table.frame)
    read = [table.repairs, norm.findings, unused_columns(table)]
    checks = [
        check_rows(norm, table.frame, today),
        check_across_rows(norm.rows, table.frame),
        find_example_rows(norm.rows, table.frame),
    ]
    frame = concat_frames([*read, *_beside_refusals(checks, read)], sort=True)
    frame = _final_sent(frame, norm.rows)
    errors = frame.loc[frame["severity"] == Severity.ERROR.value, "row"]
    return Validation(table, norm.rows, frame, frozenset(int(r) for r in errors.unique()))


def _final_sent(frame: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``sent`` naming the value the request carries.

    A stage fills ``sent`` with its own output, but a later stage may change the value again
    (a phone stored as a number is then written in E.164): ``sent`` becomes the normalised
    value, masked in secret columns, wherever the normalised rows have one.
    """
    changed = (frame["sent"] != "").to_numpy()
    if not changed.any():
        return frame
    sent = frame["sent"].to_numpy(dtype=object, copy=True)
    columns, numbers = frame["column"].to_numpy(dtype=object), frame["row"].to_numpy()
    for key in pd.unique(columns[changed]):
        if key not in rows.columns or rows[key].dtype == bool:
            continue
        hit = changed & (columns == key)
        final = rows[key].reindex(numbers[hit]).fillna("").astype("str").reset_index(drop=True)
        final_sent = masked_values(str(key), final).to_numpy(dtype=object)
        sent[hit] = np.where(final_sent != "", final_sent, sent[hit])
    return frame.assign(sent=pd.Series(sent, index=frame.index, dtype="str"))


def _told(messages: np.ndarray, values: np.ndarray, sent: np.ndarray) -> list[str]:
    """Each message followed by its value as read and the value sent."""
    # One pass of f-strings over plain lists: a file can carry a finding like this on every
    # cell, and this is several times faster than pandas' or Arrow's string kernels here.
    same = (values == sent).tolist()
    read, final = _cut(values.tolist()), _cut(sent.tolist())
    return [
        f"{m} Will send \u201c{s}\u201d."
        if unchanged
        else f"{m} Read \u201c{v}\u201d, will send \u201c{s}\u201d."
        for m, v, s, unchanged in zip(messages.tolist(), read, final, same, strict=True)
    ]


def _cut(texts: list[str], limit: int = 60) -> list[str]:
    """``texts`` each cut to ``limit`` characters with an … (for a message)."""
    return [t if len(t) <= limit else t[: limit - 1] + "\u2026" for t in texts]


def _beside_refusals(checks: list[pd.DataFrame], read: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """``checks`` without the findings on cells that reading already refused with an error.

    A PIN of ``N/A`` is one error (a placeholder), not also "missing"; a phone number whose
    digits Excel cut is one error, not also "malformed".
    """
    refused = [f.loc[f["severity"] == Severity.ERROR.value, ["row", "column"]] for f in read]
    cells = pd.concat([r for r in refused if len(r)] or [refused[0]])
    if cells.empty:
        return checks
    known = pd.MultiIndex.from_frame(cells)
    return [f[~pd.MultiIndex.from_frame(f[["row", "column"]]).isin(known)] for f in checks]
