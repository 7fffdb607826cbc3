"""Intake: a customer's spreadsheet (xlsx or csv) read into a table of text, row numbers kept.

- ``table``: :func:`read_table` and :class:`Table`, the stage's entry point;
- ``workbook``: the sheet and header row of an xlsx, parsed with calamine (openpyxl as the
  fallback), free of pandas so that ``prefetch`` can start before pandas has loaded;
- ``csv``: delimited text, its delimiter and header row;
- ``repairs``: what Excel did to the cells (numbers, dates, lost zeros), undone and reported.

``read_table`` and ``Table`` are imported on first use (PEP 562), so importing
``batchport.intake.workbook`` to prefetch does not load pandas.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Any

from batchport.errors import InputError

if TYPE_CHECKING:
    from batchport.intake.table import Table, read_table

__all__ = ["Table", "read_table", "require_input"]
_LAZY = ("Table", "read_table")


def require_input(path: Path) -> None:
    """Raise InputError when ``path`` is not a file to read (every command says it alike)."""
    if not Path(path).is_file():
        raise InputError(f"{path}: no such file; give the path of an .xlsx or .csv file")


def __getattr__(name: str) -> Any:
    """Import ``read_table`` or ``Table`` from ``batchport.intake.table`` on first use."""
    if name not in _LAZY:
        raise AttributeError(f"module 'batchport.intake' has no attribute {name!r}")
    value = getattr(import_module("batchport.intake.table"), name)
    globals()[name] = value
    return value
