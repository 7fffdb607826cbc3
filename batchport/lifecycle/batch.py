"""The batch a lifecycle command works on, as the journal recorded it.

Lifecycle commands never create a journal (an empty one would only hide a wrong ``--state``):
:func:`existing_journal` opens the one there is. :func:`find_batch` picks a batch by id, or the
most recent; :func:`created_orders` lists the orders it created. Each refusal is a ConfigError
that says what to do instead.
"""

from __future__ import annotations

from pathlib import Path

from batchport.errors import ConfigError
from batchport.journal import BatchRecord, Journal, open_journal
from batchport.submit import Submission, SubmissionState

__all__ = [
    "CLOSED_ORDER_STATUSES",
    "batch_order_ids",
    "created_orders",
    "existing_journal",
    "find_batch",
    "is_open",
    "open_order_ids",
]

#: Order statuses after which an order changes no more.
CLOSED_ORDER_STATUSES = frozenset({"COMPLETED", "CANCELED"})


def is_open(submission: Submission) -> bool:
    """Whether ``submission`` created its order and that order is not yet ``COMPLETED`` or
    ``CANCELED`` (callers still test ``order_id``, which this cannot narrow for the types)."""
    return (
        submission.state is SubmissionState.CREATED
        and submission.status not in CLOSED_ORDER_STATUSES
    )


def existing_journal(path: Path) -> Journal:
    """The journal at ``path``, opened; ConfigError when there is none."""
    if not path.exists():
        raise ConfigError(
            f"no journal at {path}: run a batch first (batchport run), or give the right --state"
        )
    return open_journal(path)


def find_batch(journal: Journal, batch_id: str | None, target: str | None = None) -> BatchRecord:
    """Batch ``batch_id``, or when None the most recent (of ``target`` when given, so that
    ``--sandbox`` finds the latest sandbox batch); ConfigError when there is none."""
    batches = journal.batches()
    if not batches:
        raise ConfigError("the journal has no batches: run a batch first (batchport run)")
    if batch_id is None:
        mine = [record for record in batches if target is None or record.target == target]
        if not mine:
            raise ConfigError(f"the journal has no batch run against {target}")
        return mine[0]
    for record in batches:
        if record.id == batch_id:
            return record
    raise ConfigError(f"no batch {batch_id} in the journal; `batchport batches` lists them")


def created_orders(journal: Journal, batch_id: str) -> dict[str, int]:
    """The orders batch ``batch_id`` created, reference → order id, in reference order.

    Raises ConfigError when the batch created none.
    """
    created = {
        reference: sub.order_id
        for reference, sub in sorted(journal.submissions(batch_id).items())
        if sub.order_id is not None
    }
    if not created:
        raise ConfigError(f"batch {batch_id} created no order")
    return created


def batch_order_ids(journal_path: Path, batch_id: str | None) -> tuple[str, list[int]]:
    """Batch ``batch_id`` (the most recent when None) and the ids of the orders it created.

    Raises ConfigError for no journal, no such batch, or a batch that created no order.
    """
    with existing_journal(journal_path) as journal:
        batch = find_batch(journal, batch_id)
        return batch.id, sorted(created_orders(journal, batch.id).values())


def open_order_ids(journal_path: Path, target: str) -> list[int]:
    """The ids of every order the journal's batches run against ``target`` created and last
    saw open (not COMPLETED or CANCELED), in id order (``--all-open``).

    Raises ConfigError for no journal, or when no such order is open.
    """
    with existing_journal(journal_path) as journal:
        found = sorted(
            sub.order_id
            for batch in journal.batches()
            if batch.target == target
            for sub in journal.submissions(batch.id).values()
            if sub.order_id is not None and is_open(sub)
        )
    if not found:
        raise ConfigError(f"no open order in the journal {journal_path} for {target}")
    return found
