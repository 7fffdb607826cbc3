"""Validation of an input file: read, normalise, check; every problem found at once.

``validate_file`` is the library entry point behind ``batchport validate`` and the first stage
of ``batchport run``. No click, no printing: it returns a ``Validation`` that the CLI renders
and the report writes.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TextIO

import pandas as pd

from batchport.findings import Finding, Severity, concat_frames, to_findings
from batchport.intake import Table, read_table
from batchport.validation.checks import check_rows
from batchport.validation.cross_row import check_across_rows
from batchport.validation.normalise import normalise

__all__ = ["Validation", "validate_file", "validate_table"]


@dataclass(frozen=True, eq=False)  # frames inside: compared by identity
class Validation:
    """The outcome of validating one table.

    ``table``: the input as read (original text, for pass-through). ``rows``: normalised rows on
    the same index (canonical columns plus ``country``; E.164 numbers, ISO dates, HH:MM:SS
    times, codes for states and enums, ``onDemandActivation`` as bool, blank cells ``""``).
    ``findings_frame``: every finding as a frame, sorted by row then column. ``error_rows``:
    the row numbers with at least one error.
    """

    table: Table
    rows: pd.DataFrame
    findings_frame: pd.DataFrame = field(repr=False)
    error_rows: frozenset[int]

    @cached_property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding (repairs, normalisation, rules), sorted by row then column."""
        return to_findings(self.findings_frame)

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

    @property
    def warnings(self) -> int:
        """How many warning findings there are."""
        return int((self.findings_frame["severity"] == Severity.WARNING.value).sum())

    @property
    def counts(self) -> dict[str, int]:
        """``rows``, ``valid``, ``invalid`` and ``warnings`` in one mapping."""
        return {
            "rows": self.row_count,
            "valid": self.valid,
            "invalid": self.invalid,
            "warnings": self.warnings,
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

    def top_problems(self, limit: int = 5) -> list[tuple[str, str, int]]:
        """The most frequent ``(code, severity, count)``, errors before warnings."""
        pairs = Counter(
            zip(self.findings_frame["code"], self.findings_frame["severity"], strict=True)
        )
        ranked = sorted(pairs.items(), key=lambda kv: (kv[0][1] != "error", -kv[1], kv[0][0]))
        return [(code, sev, count) for (code, sev), count in ranked[:limit]]

    def write_json(self, out: TextIO, chunk: int = 50_000) -> None:
        """Write the JSON contract of ``batchport validate --json`` to ``out``, in one line.

        ``{"rows", "valid", "invalid", "warnings", "findings": [{"row", "column", "code",
        "severity", "message"}, ...]}``. The findings are encoded by pandas' C JSON writer in
        chunks of ``chunk``: a million-row file can carry a million findings, and the whole
        text must never sit in memory twice.
        """
        head = json.dumps(self.counts)
        out.write(head[:-1] + ', "findings": [')
        frame = self.findings_frame[["row", "column", "code", "severity", "message"]]
        for start in range(0, len(frame), chunk):
            if start:
                out.write(",")
            text = frame.iloc[start : start + chunk].to_json(orient="records", force_ascii=False)
            out.write(text[1:-1])
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
    frame = concat_frames(
        [
            table.repairs,
            norm.findings,
            check_rows(norm, table.frame, today),
            check_across_rows(norm.rows, table.frame),
        ],
        sort=True,
    )
    frame = table.screen(frame)
    errors = frame.loc[frame["severity"] == Severity.ERROR.value, "row"]
    return Validation(table, norm.rows, frame, frozenset(int(r) for r in errors.unique()))
