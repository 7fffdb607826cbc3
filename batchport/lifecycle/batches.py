"""The batches in the journal, newest first, with what each one needs next.

:func:`list_batches` reads the journal only: it never creates one (a path with no journal has
no batches) and never calls the API, so the number statuses it shows are the last ones the
journal learned.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batchport.journal import BatchCounts, BatchRecord, open_journal

__all__ = ["BatchSummary", "list_batches"]

#: Number statuses after which the service will not port the number in its order.
_LOST_STATUSES = ("REJECTED", "EXCLUDED")


@dataclass(frozen=True)
class BatchSummary:
    """One batch: its record, its counts, and the reasons it needs attention (none: fine)."""

    record: BatchRecord
    counts: BatchCounts

    @property
    def attention(self) -> list[str]:
        """What needs doing, one plain sentence per reason; empty when nothing does."""
        counts, reasons = self.counts, []
        if not self.record.planned:
            reasons.append("nothing submitted yet (a dry run, or not confirmed): run it to submit")
        if counts.not_sent:
            reasons.append(
                f"{counts.not_sent} order(s) not sent or not confirmed: run the same command again"
            )
        if counts.rejected:
            reasons.append(f"{counts.rejected} order(s) rejected: see the result workbook")
        if counts.refused_numbers:
            reasons.append(
                f"{counts.refused_numbers} number(s) refused by the service: correct those rows "
                "and run them in a new file"
            )
        lost = sum(counts.number_statuses.get(status, 0) for status in _LOST_STATUSES)
        if lost:
            reasons.append(f"{lost} number(s) rejected or excluded by the losing carrier")
        return reasons

    def to_json(self) -> dict[str, Any]:
        """The batch as one object of the ``--json`` array."""
        record, counts = self.record, self.counts
        return {
            "batch": record.id,
            "source": record.source,
            "target": record.target,
            "created": record.created_at.isoformat(),
            "finished": record.finished_at.isoformat() if record.finished_at else None,
            "rows": counts.rows,
            "orders": {
                "planned": counts.orders,
                "created": counts.created,
                "rejected": counts.rejected,
                "not_sent": counts.not_sent,
            },
            "numbers": {
                "planned": counts.planned_numbers,
                "refused": counts.refused_numbers,
                "statuses": dict(counts.number_statuses),
            },
            "needs_attention": bool(self.attention),
            "attention": self.attention,
        }


def list_batches(journal_path: Path) -> list[BatchSummary]:
    """Every batch of the journal at ``journal_path``, newest first; [] when there is none.

    Raises JournalError when the file is not a usable journal.
    """
    if not journal_path.exists():
        return []
    with open_journal(journal_path) as journal:
        return [
            BatchSummary(record, journal.batch_counts(record.id)) for record in journal.batches()
        ]
