"""Findings: one problem in one cell of the input, found before anything is sent.

A ``Finding`` is plain data so that every later stage (planner, pipeline, result workbook) can
import it without pulling in pandera. Codes are stable snake_case identifiers; messages are for
people and say how to fix the problem.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Finding", "Severity"]


class Severity(enum.StrEnum):
    """How bad a finding is: an ``error`` stops the row, a ``warning`` only informs."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One problem found in the input.

    ``row`` is the spreadsheet row number as Excel shows it, ``column`` the canonical column key
    (or the header of an unknown column), ``code`` a stable snake_case identifier such as
    ``duplicate_number``, ``message`` plain language that says how to fix it and ``value`` the
    offending cell text (port-out PINs and account numbers already masked).
    """

    row: int
    column: str
    code: str
    severity: Severity
    message: str
    value: str = ""

    @property
    def is_error(self) -> bool:
        """True when this finding keeps its row from being submitted."""
        return self.severity is Severity.ERROR
