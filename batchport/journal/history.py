"""The journal's history across batches, as tables for reports (read only).

:func:`number_history` gives one row per planned number of every batch on a target, with its
order, losing carrier, submission and last known status; :func:`event_history` every event of
those batches. The digest (``batchport.ops.digest``) computes the port calendar and the carrier
figures from them, vectorised; nothing here writes.
"""

from __future__ import annotations

import pandas as pd

from batchport.journal import Journal

__all__ = ["NUMBER_COLUMNS", "event_history", "number_history"]

#: The columns of :func:`number_history`, in order.
NUMBER_COLUMNS = (
    "batch_id", "source", "reference", "carrier", "on_demand", "row", "phone", "refused",
    "message", "number_status", "foc_date", "state", "order_id", "order_status", "submitted_at",
)  # fmt: skip


def number_history(journal: Journal, target: str) -> pd.DataFrame:
    """Every planned number of the batches run against ``target``, one row each.

    ``submitted_at`` is when the order's create was confirmed (UTC, a Timestamp; NaT when it
    was not created); ``state`` the submission's state ('' when none was sent); ``order_id``
    0 when none. Raises JournalError when the journal cannot be read.
    """
    rows = journal._query(
        "SELECT n.batch_id, b.source, n.reference, o.carrier, o.on_demand_activation, n.row, "
        "n.phone, n.refused, n.message, n.number_status, n.foc_date, "
        "coalesce(s.state, ''), coalesce(s.order_id, 0), coalesce(s.status, ''), s.outcome_at "
        "FROM order_numbers n JOIN batches b ON b.id = n.batch_id "
        "JOIN orders o ON o.batch_id = n.batch_id AND o.reference = n.reference "
        "LEFT JOIN submissions s ON s.batch_id = n.batch_id AND s.reference = n.reference "
        "WHERE b.target = ? ORDER BY b.created_at, n.batch_id, n.row",
        (target,),
    )
    frame = pd.DataFrame(rows, columns=list(NUMBER_COLUMNS))
    frame["refused"] = frame["refused"].astype(bool)
    frame["on_demand"] = frame["on_demand"].astype(bool)
    frame["order_id"] = frame["order_id"].astype("int64")
    frame["submitted_at"] = _timestamps(frame["submitted_at"])
    return frame


def event_history(journal: Journal, target: str) -> pd.DataFrame:
    """Every event of the batches run against ``target``: ``batch_id``, ``reference``, ``at``
    (UTC Timestamp), ``kind`` and ``detail``, oldest first."""
    rows = journal._query(
        "SELECT e.batch_id, e.reference, e.at, e.kind, e.detail FROM events e "
        "JOIN batches b ON b.id = e.batch_id WHERE b.target = ? ORDER BY e.id",
        (target,),
    )
    frame = pd.DataFrame(rows, columns=["batch_id", "reference", "at", "kind", "detail"])
    frame["at"] = _timestamps(frame["at"])
    return frame


def _timestamps(values: pd.Series) -> pd.Series:
    """ISO 8601 texts (some None) as UTC Timestamps."""
    return pd.to_datetime(values.replace("", None), utc=True, format="ISO8601")
