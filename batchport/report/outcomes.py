"""What happened to every input row, and to every order: pure, from the run's records.

Every input data row ends with exactly one :class:`Outcome` from a closed set, and a message
that says what went wrong and what to do next. The result workbook and the JSON summary are
both built from :func:`row_outcomes` and :func:`order_summaries`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import pandas as pd

from batchport.journal import ActiveNumber, NumberRecord
from batchport.planner import PlannedOrder
from batchport.portability import PortabilityRecord
from batchport.submit import Submission, SubmissionState, is_closed

__all__ = [
    "FINE_OUTCOMES",
    "ROW_COLUMNS",
    "OrderSummary",
    "Outcome",
    "RunRecords",
    "order_summaries",
    "row_outcomes",
]


class Outcome(StrEnum):
    """The closed set of row outcomes in the result workbook."""

    INVALID = "invalid"
    DUPLICATE = "duplicate"
    NOT_PORTABLE = "not_portable"
    ALREADY_IN_ORDER = "already_in_order"
    PLANNED = "planned"
    SUBMITTED = "submitted"
    REJECTED = "rejected"
    FAILED = "failed"


#: Outcomes that need nothing more from the user.
FINE_OUTCOMES = frozenset({Outcome.ALREADY_IN_ORDER, Outcome.PLANNED, Outcome.SUBMITTED})

#: The leading columns of the result's ``Rows`` sheet, in order.
ROW_COLUMNS = (
    "Source row",
    "Outcome",
    "E.164",
    "Country",
    "Carrier",
    "Order reference",
    "Order ID",
    "Number status",
    "FOC date",
    "Message",
)

_NOT_REACHED = "Not processed: the run stopped before this row. Run the same command again."
_SUBMITTED = "Submitted. The losing carrier answers with a FOC date or a rejection."
_PLANNED = "Planned, not submitted: run the same command without --dry-run (and confirm)."
# Rerunning the same file never resends what the service refused, so the next step is a new file.
_IN_NEW_FILE = (
    "Correct what it names (or free the number from the order that holds it), then run the row "
    "in a new file; numbers already submitted there are recognised and skipped."
)
_UNPLANNED = (
    "Not in this batch's orders: it had no portability answer when they were planned. Run the "
    "row in a new file; numbers already submitted there are recognised and skipped."
)
_NO_ANSWER = "The service gave no portability answer for this number: run the same command again."
_NOT_PORTABLE = "Check the number with its current carrier, then run it again in a new file."


@dataclass(frozen=True)
class RunRecords:
    """Everything the run learned, as the outcome builders need it."""

    active: Mapping[str, ActiveNumber]
    portability: Mapping[str, PortabilityRecord]
    plan: Sequence[PlannedOrder]
    numbers: Mapping[int, NumberRecord]
    submissions: Mapping[str, Submission]
    #: Nothing is sent in this run (``--dry-run``, or the plan was not confirmed): orders not
    #: yet closed show as planned.
    dry_run: bool
    #: The plan is in the journal: rerunning the same file sends no row outside it.
    plan_saved: bool = False


@dataclass(frozen=True)
class OrderSummary:
    """One order of the run, as the Orders sheet and the JSON summary show it."""

    reference: str
    id: int | None
    status: str
    numbers: int
    carrier: str
    country: str
    schedule: str
    message: str


def row_outcomes(
    rows: pd.DataFrame,
    findings: pd.DataFrame,
    error_rows: Iterable[int],
    records: RunRecords,
) -> pd.DataFrame:
    """One row per input row (same index, same order) with the :data:`ROW_COLUMNS`.

    ``rows`` is the normalised frame (``phoneNumber``, ``country``); ``findings`` the
    validation's findings frame (``row``, ``code``, ``severity``, ``message``) and
    ``error_rows`` its rows with errors.
    """
    errors = set(error_rows)
    failing = findings[findings["severity"] == "error"]
    by_row = failing.groupby("row")
    joined = by_row["message"].agg(" ".join)
    messages = dict(
        zip(joined.index.astype(int).tolist(), joined.astype(str).tolist(), strict=True)
    )
    is_duplicate = (failing["code"] == "duplicate_number").groupby(failing["row"]).all()
    duplicate_only = dict(
        zip(is_duplicate.index.astype(int).tolist(), is_duplicate.tolist(), strict=True)
    )
    planned = _planned_cells(records)
    cells = [
        _row_cells(row, str(phone), errors, messages, duplicate_only, planned, records)
        for row, phone in zip(rows.index.tolist(), rows["phoneNumber"].tolist(), strict=True)
    ]
    derived = ("Source row", "E.164", "Country")
    frame = pd.DataFrame(
        cells, index=rows.index, columns=[name for name in ROW_COLUMNS if name not in derived]
    )
    frame["Outcome"] = frame["Outcome"].astype(str)
    frame.insert(0, "Source row", rows.index.to_numpy())
    frame.insert(2, "E.164", rows["phoneNumber"].astype(str).to_numpy())
    frame.insert(3, "Country", rows["country"].astype(str).to_numpy())
    return frame.loc[:, list(ROW_COLUMNS)]


def _planned_cells(records: RunRecords) -> dict[int, tuple[object, ...]]:
    cells: dict[int, tuple[object, ...]] = {}
    for order in records.plan:
        submission = records.submissions.get(order.reference)
        for row in order.rows:
            cells[row] = _order_row(order, submission, records.numbers.get(row), records.dry_run)
    return cells


def _order_row(
    order: PlannedOrder,
    submission: Submission | None,
    number: NumberRecord | None,
    dry_run: bool,
) -> tuple[object, ...]:
    base = (order.carrier, order.reference)
    if number is not None and number.refused:
        message = f"The service refused this number: {_sentence(number.message)} {_IN_NEW_FILE}"
        return (Outcome.REJECTED, *base, "", "", "", message)
    if dry_run and not is_closed(submission):
        return (Outcome.PLANNED, *base, "", "", "", _PLANNED)
    if submission is None:
        return (Outcome.FAILED, *base, "", "", "", _NOT_REACHED)
    if submission.state is SubmissionState.CREATED:
        status = number.number_status if number else ""
        foc = number.foc_date if number else ""
        return (Outcome.SUBMITTED, *base, submission.order_id, status, foc, _SUBMITTED)
    if submission.state is SubmissionState.REJECTED:
        message = f"The service refused the order: {_sentence(submission.message)} {_IN_NEW_FILE}"
        return (Outcome.REJECTED, *base, "", "", "", message)
    if submission.state is SubmissionState.INTENT and not submission.message:
        return (Outcome.FAILED, *base, "", "", "", _NOT_REACHED)
    message = f"The order was not created: {_sentence(submission.message)}"
    return (Outcome.FAILED, *base, "", "", "", message)


def _sentence(text: str) -> str:
    """``text`` ending in exactly one full stop, to be followed by the next step."""
    return text.rstrip().rstrip(".") + "."


def _row_cells(
    row: int,
    phone: str,
    errors: set[int],
    messages: Mapping[int, str],
    duplicate_only: Mapping[int, bool],
    planned: Mapping[int, tuple[object, ...]],
    records: RunRecords,
) -> tuple[object, ...]:
    if row in errors:
        outcome = Outcome.DUPLICATE if duplicate_only.get(row) else Outcome.INVALID
        text = messages.get(row, "The row has errors; see the Findings sheet.")
        return (outcome, "", "", "", "", "", text)
    if row in planned:
        return planned[row]
    active = records.active.get(phone)
    if active is not None:
        message = (
            f"Already in order {active.reference} (id {active.order_id}) from an earlier run; "
            "not sent again."
        )
        return (Outcome.ALREADY_IN_ORDER, "", active.reference, active.order_id, "", "", message)
    answer = records.portability.get(phone)
    if answer is not None and not answer.portable:
        message = f"Not portable: {_sentence(answer.reason or 'no reason given')} {_NOT_PORTABLE}"
        return (Outcome.NOT_PORTABLE, answer.carrier, "", "", "", "", message)
    carrier = answer.carrier if answer is not None else ""
    return (
        Outcome.FAILED,
        carrier,
        "",
        "",
        "",
        "",
        _UNPLANNED if records.plan_saved else _NO_ANSWER,
    )


def order_summaries(records: RunRecords) -> tuple[OrderSummary, ...]:
    """One summary per planned order, in plan order."""
    summaries = []
    for order in records.plan:
        submission = records.submissions.get(order.reference)
        refused = sum(
            1 for row in order.rows if (n := records.numbers.get(row)) is not None and n.refused
        )
        if records.dry_run and not is_closed(submission):
            status, order_id, message = "PLANNED", None, ""
        elif submission is None or submission.state is SubmissionState.INTENT:
            said = submission.message if submission is not None else ""
            status, order_id = ("UNCONFIRMED" if said else "NOT SENT"), None
            message = said or _NOT_REACHED
        else:
            order_id = submission.order_id
            status = submission.status or submission.state.value.upper()
            message = submission.message
        summaries.append(
            OrderSummary(
                reference=order.reference,
                id=order_id,
                status=status,
                numbers=len(order.rows) - refused,
                carrier=order.carrier,
                country=order.country,
                schedule=order.schedule,
                message=message,
            )
        )
    return tuple(summaries)
