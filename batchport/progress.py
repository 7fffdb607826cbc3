"""Progress reporting: the library tells a ``Progress`` what happens; the CLI renders it.

The pipeline never prints. It calls ``start`` when a stage begins (with the amount of work),
``advance`` as work finishes and ``note`` for a line worth showing a person. The CLI supplies
a rich progress display on a terminal and plain log lines otherwise; :class:`NullProgress`
ignores everything (the library default).
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["NullProgress", "Progress"]


class Progress(Protocol):
    """Receives stage progress from :func:`batchport.pipeline.run_batch`."""

    def start(self, stage: str, total: int) -> None:
        """A stage begins; ``total`` counts its units of work (numbers, orders)."""

    def advance(self, stage: str, amount: int = 1) -> None:
        """``amount`` units of ``stage`` finished."""

    def note(self, message: str) -> None:
        """A line worth showing a person (already free of secrets)."""


class NullProgress:
    """A ``Progress`` that ignores everything."""

    def start(self, stage: str, total: int) -> None:
        """Ignore the start of a stage."""

    def advance(self, stage: str, amount: int = 1) -> None:
        """Ignore progress."""

    def note(self, message: str) -> None:
        """Ignore the message."""
