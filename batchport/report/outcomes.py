"""What happened to every input row, and to every order: pure, from the run's records.

Every input data row ends with exactly one :class:`RowOutcome`: an :class:`Outcome` from a
closed set, the order it went into, and a message that says what went wrong and what to do
next. The result workbook and the JSON summary are both built from :func:`row_outcomes` and
:func:`order_summaries`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any

import pandas as pd

from batchport.columns import RESULT_COLUMNS, column
from batchport.journal import ActiveNumber, NumberRecord
from batchport.planner import PlannedOrder
from batchport.portability import PortabilityRecord
from batchport.submit import Submission, SubmissionState, is_closed

__all__ = [
    "FINE_OUTCOMES",
    "ORDER_COLUMNS",
    "ROW_COLUMNS",
    "OrderSummary",
    "Outcome",
    "RowOutcome",
    "RunRecords",
    "columns_to_fix",
    "order_summaries",
    "outcome_frame",
    "row_outcomes",
    "to_fix",
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


@dataclass(frozen=True, slots=True, kw_only=True)
class RowOutcome:
    """What happened to one input row: one field per leading column of the result's Rows sheet.

    The sheet's headers (:data:`ROW_COLUMNS`) and cells (:meth:`cells`) are derived from these
    fields, in this order, so a value is always written under its own header.
    """

    source_row: int = field(metadata={"header": RESULT_COLUMNS[0]})
    outcome: Outcome = field(metadata={"header": RESULT_COLUMNS[1]})
    e164: str = field(metadata={"header": RESULT_COLUMNS[2]})
    country: str = field(metadata={"header": RESULT_COLUMNS[3]})
    carrier: str = field(default="", metadata={"header": RESULT_COLUMNS[4]})
    order_reference: str = field(default="", metadata={"header": RESULT_COLUMNS[5]})
    order_id: int | None = field(default=None, metadata={"header": RESULT_COLUMNS[6]})
    number_status: str = field(default="", metadata={"header": RESULT_COLUMNS[7]})
    foc_date: str = field(default="", metadata={"header": RESULT_COLUMNS[8]})
    message: str = field(metadata={"header": RESULT_COLUMNS[9]})

    def cells(self) -> tuple[object, ...]:
        """The row's leading cells, in :data:`ROW_COLUMNS` order (no order id: blank)."""
        values = (getattr(self, item.name) for item in fields(self))
        return tuple("" if value is None else value for value in values)


#: The leading columns of the result's ``Rows`` sheet, in order.
ROW_COLUMNS: tuple[str, ...] = tuple(item.metadata["header"] for item in fields(RowOutcome))

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
    """One order of the run, as the Orders sheet and the JSON summary show it.

    One field per column of the Orders sheet: :data:`ORDER_COLUMNS` and :meth:`cells` are
    derived from the fields, in this order.
    """

    reference: str = field(metadata={"header": "Order reference"})
    id: int | None = field(metadata={"header": "Order ID"})
    status: str = field(metadata={"header": "Status"})
    numbers: int = field(metadata={"header": "Numbers"})
    carrier: str = field(metadata={"header": "Carrier"})
    country: str = field(metadata={"header": "Country"})
    schedule: str = field(metadata={"header": "Desired schedule"})
    message: str = field(metadata={"header": "Message"})

    def cells(self) -> tuple[object, ...]:
        """The order's cells, in :data:`ORDER_COLUMNS` order (no order id: blank)."""
        values = (getattr(self, item.name) for item in fields(self))
        return tuple("" if value is None else value for value in values)


#: The columns of the result's ``Orders`` sheet, in order.
ORDER_COLUMNS: tuple[str, ...] = tuple(item.metadata["header"] for item in fields(OrderSummary))


def row_outcomes(
    rows: pd.DataFrame,
    findings: pd.DataFrame,
    error_rows: Iterable[int],
    records: RunRecords,
) -> list[RowOutcome]:
    """One :class:`RowOutcome` per input row, in the order of ``rows``.

    ``rows`` is the normalised frame (index = spreadsheet row; ``phoneNumber``, ``country``);
    ``findings`` the validation's findings frame (``row``, ``code``, ``severity``, ``message``)
    and ``error_rows`` its rows with errors.
    """
    errors = set(error_rows)
    failing = findings[findings["severity"] == "error"]
    messages = failing.groupby("row")["message"].agg(" ".join).to_dict()
    duplicate_only = (failing["code"] == "duplicate_number").groupby(failing["row"]).all().to_dict()
    planned = _planned(records)
    outcomes = []
    facts = rows[["phoneNumber", "country"]].astype(str)
    for row, phone, country in facts.itertuples(name=None):
        where = _Where(int(row), phone, country)
        # An order the service holds (or refused for good) decides its rows' outcomes, even when
        # a row no longer validates on a later day (its desired date has passed since).
        if row in planned and is_closed(planned[row][1]):
            outcomes.append(_order_outcome(where, *planned[row], dry_run=records.dry_run))
        elif row in errors:
            outcome = Outcome.DUPLICATE if duplicate_only.get(row) else Outcome.INVALID
            text = messages.get(row, "The row has errors; see the Findings sheet.")
            outcomes.append(where.outcome(outcome, message=text))
        elif row in planned:
            outcomes.append(_order_outcome(where, *planned[row], dry_run=records.dry_run))
        else:
            outcomes.append(_unplanned(where, records))
    return outcomes


def outcome_frame(outcomes: Sequence[RowOutcome]) -> pd.DataFrame:
    """The outcomes as a frame with the :data:`ROW_COLUMNS`, indexed by source row."""
    index = pd.Index([outcome.source_row for outcome in outcomes], name="row")
    cells = [outcome.cells() for outcome in outcomes]
    return pd.DataFrame(cells, index=index, columns=list(ROW_COLUMNS))


@dataclass(frozen=True)
class _Where:
    """The facts of a row that every outcome carries."""

    row: int
    phone: str
    country: str

    def outcome(self, outcome: Outcome, **values: Any) -> RowOutcome:
        return RowOutcome(
            source_row=self.row, outcome=outcome, e164=self.phone, country=self.country, **values
        )


_Planned = tuple[PlannedOrder, Submission | None, NumberRecord | None]


def _planned(records: RunRecords) -> dict[int, _Planned]:
    """Each planned row → its order, the order's submission and the row's number record."""
    planned: dict[int, _Planned] = {}
    for order in records.plan:
        submission = records.submissions.get(order.reference)
        for row in order.rows:
            planned[row] = (order, submission, records.numbers.get(row))
    return planned


def _order_outcome(
    where: _Where,
    order: PlannedOrder,
    submission: Submission | None,
    number: NumberRecord | None,
    *,
    dry_run: bool,
) -> RowOutcome:
    def made(outcome: Outcome, message: str, **values: Any) -> RowOutcome:
        return where.outcome(
            outcome,
            carrier=order.carrier,
            order_reference=order.reference,
            message=message,
            **values,
        )

    if number is not None and number.refused:
        return made(
            Outcome.REJECTED,
            f"The service refused this number: {_sentence(number.message)} {_IN_NEW_FILE}",
        )
    if dry_run and not is_closed(submission):
        return made(Outcome.PLANNED, _PLANNED)
    if submission is None:
        return made(Outcome.FAILED, _NOT_REACHED)
    if submission.state is SubmissionState.CREATED:
        status = number.number_status if number else ""
        lost = number is not None and status in _LOST_STATUSES
        return made(
            Outcome.REJECTED if lost else Outcome.SUBMITTED,
            _carrier_refusal(status, number.message if number else "") if lost else _SUBMITTED,
            order_id=submission.order_id,
            number_status=status,
            foc_date=number.foc_date if number else "",
        )
    if submission.state is SubmissionState.REJECTED:
        said = _sentence(submission.message)
        return made(Outcome.REJECTED, f"The service refused the order: {said} {_IN_NEW_FILE}")
    if submission.state is SubmissionState.INTENT and not submission.message:
        return made(Outcome.FAILED, _NOT_REACHED)
    return made(Outcome.FAILED, f"The order was not created: {_sentence(submission.message)}")


#: Number statuses with which the losing carrier refused to release the number.
_LOST_STATUSES = frozenset({"REJECTED", "EXCLUDED"})

#: Words of a carrier's reason → the input columns a person corrects, by canonical key; the
#: first entry whose word the reason contains wins (an address "on the account" is an address).
_REASON_COLUMNS = (
    (("pin", "passcode", "password"), ("existingPortOutPin",)),
    (("billing", "btn"), ("accountPhoneNumber",)),
    (("authoriz", "loa", "signature"), ("authorizingName", "authorizingDate")),
    (("address", "street", "zip", "postal", "city", "state"),
     ("streetNum", "streetName", "city", "state", "zipCode")),
    (("account",), ("accountNum",)),
    (("name",), ("name",)),
)  # fmt: skip


def _carrier_refusal(status: str, reason: str) -> str:
    """The Message of a number the losing carrier rejected or excluded, with the next step.

    The next step names the input columns to correct when the reason says which (a PIN
    mismatch points at the port-out PIN column, an address mismatch at the address columns).
    """
    verb = "excluded" if status == "EXCLUDED" else "rejected"
    said = _sentence(reason or "no reason given")
    keys = columns_to_fix(reason)
    fix = (
        f"Correct {' / '.join(column(key).header for key in keys)}"
        if keys
        else "Correct the row as the reason says"
    )
    return (
        f"The losing carrier {verb} this number: {said} {fix} (here, in the Rows sheet), then "
        "run batchport resubmit with this workbook."
    )


def columns_to_fix(reason: str) -> tuple[str, ...]:
    """The input columns (canonical keys) a losing carrier's ``reason`` says to correct: a PIN
    mismatch the port-out PIN, an address mismatch the address columns; () when it names none.
    """
    lowered = reason.lower()
    return next((keys for words, keys in _REASON_COLUMNS if any(w in lowered for w in words)), ())


def to_fix(records: RunRecords) -> dict[int, tuple[str, ...]]:
    """Spreadsheet row → the input columns to correct, for every number of a created order
    that the losing carrier rejected or excluded with a reason naming them."""
    found = {}
    for row, number in records.numbers.items():
        if not number.refused and number.number_status in _LOST_STATUSES:
            keys = columns_to_fix(number.message)
            if keys:
                found[row] = keys
    return found


def _sentence(text: str) -> str:
    """``text`` ending in exactly one full stop, to be followed by the next step."""
    return text.rstrip().rstrip(".") + "."


def _unplanned(where: _Where, records: RunRecords) -> RowOutcome:
    """The outcome of a row that is valid but in no planned order of this batch."""
    active = records.active.get(where.phone)
    if active is not None:
        status = f", {active.status}" if active.status else ""
        message = (
            f"Already in order {active.reference} (id {active.order_id}{status}) from an "
            "earlier run; not sent again."
        )
        return where.outcome(
            Outcome.ALREADY_IN_ORDER,
            order_reference=active.reference,
            order_id=active.order_id,
            message=message,
        )
    answer = records.portability.get(where.phone)
    if answer is not None and not answer.portable:
        reason = _sentence(answer.reason or "no reason given")
        return where.outcome(
            Outcome.NOT_PORTABLE,
            carrier=answer.carrier,
            message=f"Not portable: {reason} {_NOT_PORTABLE}",
        )
    return where.outcome(
        Outcome.FAILED,
        carrier=answer.carrier if answer is not None else "",
        message=_UNPLANNED if records.plan_saved else _NO_ANSWER,
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
