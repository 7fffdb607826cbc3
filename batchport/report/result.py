"""The result workbook of ``batchport run``: what happened to every row and every order.

Sheets: ``Summary`` (the batch in figures and what to do next), ``Rows`` (one row per input
row, in input order: the :data:`~batchport.report.outcomes.ROW_COLUMNS` then every original
input column unchanged), ``Orders`` (one row per order) and ``Findings`` (every validation
finding, the sheet ``batchport validate`` writes). Written through :mod:`batchport.report.xlsx`:
port-out PINs and account numbers masked, no cell ever a formula, frozen headers, autofilters,
outcome colours, and an atomic save.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from batchport.errors import BatchportError
from batchport.report.outcomes import (
    FINE_OUTCOMES,
    ROW_COLUMNS,
    OrderSummary,
    Outcome,
    RunRecords,
    order_summaries,
    outcome_frame,
    row_outcomes,
)
from batchport.report.sheets import findings_sheet, input_columns
from batchport.report.xlsx import (
    FILL_ERROR,
    FILL_OK,
    FILL_WARNING,
    SheetSpec,
    workbook_subject,
    write_workbook,
)
from batchport.validation import Validation

__all__ = [
    "ORDER_COLUMNS",
    "OUTCOME_FILLS",
    "ResultInfo",
    "is_real_result",
    "result_subject",
    "write_result",
]

ORDER_COLUMNS = (
    "Order reference",
    "Order ID",
    "Status",
    "Numbers",
    "Carrier",
    "Country",
    "Desired schedule",
    "Message",
)

#: Fill colours (RGB hex) of the Outcome column.
_FILL_INFO = "DDEBF7"
OUTCOME_FILLS = {
    Outcome.INVALID.value: FILL_ERROR,
    Outcome.DUPLICATE.value: FILL_ERROR,
    Outcome.NOT_PORTABLE.value: FILL_WARNING,
    Outcome.ALREADY_IN_ORDER.value: _FILL_INFO,
    Outcome.PLANNED.value: _FILL_INFO,
    Outcome.SUBMITTED.value: FILL_OK,
    Outcome.REJECTED.value: FILL_ERROR,
    Outcome.FAILED.value: "FF9999",  # stronger than an error: the run must be repeated
}

_NEXT_STEPS = {
    Outcome.INVALID: "Fix the invalid rows (Message column, Findings sheet) and run them again.",
    Outcome.DUPLICATE: "Remove duplicate numbers: each number may appear once.",
    Outcome.NOT_PORTABLE: "Ask the current carrier about not_portable numbers before retrying.",
    Outcome.REJECTED: "Correct rejected rows as the Message says and run them in a new file.",
    Outcome.FAILED: (
        "Do what each failed row's Message says; mostly: run the same command again (failed "
        "orders are retried, nothing is sent twice)."
    ),
    Outcome.PLANNED: "Run the same command without --dry-run (and confirm) to submit the orders.",
}


def result_subject(dry_run: bool) -> str:
    """The document subject that tells a dry run's result from a real run's."""
    return f"batchport result: {'dry run' if dry_run else 'submitted'}"


def is_real_result(path: Path) -> bool:
    """True when ``path`` holds the result workbook of a run that submitted (not a dry run)."""
    return workbook_subject(path) == result_subject(dry_run=False)


@dataclass(frozen=True)
class ResultInfo:
    """Facts about the run for the Summary sheet."""

    source: Path
    batch_id: str
    when: datetime
    target: str
    dry_run: bool


def write_result(
    path: Path,
    validation: Validation,
    records: RunRecords,
    info: ResultInfo,
    stats: Mapping[str, object],
) -> tuple[dict[str, int], tuple[OrderSummary, ...]]:
    """Write the result workbook atomically to ``path``.

    Returns the count per outcome and the order summaries (for the JSON summary). Raises
    ``BatchportError`` naming the file when it cannot be written (an earlier workbook at
    ``path`` stays intact).
    """
    outcomes = outcome_frame(
        row_outcomes(validation.rows, validation.findings_frame, validation.error_rows, records)
    )
    orders = order_summaries(records)
    counts = {str(k): int(v) for k, v in outcomes["Outcome"].value_counts().items()}
    sheets = [
        SheetSpec(
            name="Summary",
            columns=("Item", "Value"),
            rows=list(_summary_rows(info, validation, outcomes, orders, counts, stats)),
            widths=(34, 80),
        ),
        _rows_sheet(validation, outcomes),
        SheetSpec(
            name="Orders",
            columns=ORDER_COLUMNS,
            rows=[_order_row(order) for order in orders],
        ),
        # The validate command's own Findings sheet, so both workbooks read the same.
        findings_sheet(validation),
    ]
    try:
        write_workbook(path, sheets, private=True, subject=result_subject(records.dry_run))
    except OSError as exc:
        raise BatchportError(
            f"cannot write the result workbook {path}: {exc.strerror or exc}; "
            "run the same command with --out elsewhere (nothing is sent twice)"
        ) from exc
    return counts, orders


def _rows_sheet(validation: Validation, outcomes: pd.DataFrame) -> SheetSpec:
    headers, masked = input_columns(validation.table, ROW_COLUMNS)
    combined = pd.concat([outcomes, validation.table.frame], axis=1).set_axis(headers, axis=1)
    return SheetSpec(
        name="Rows",
        columns=headers,
        rows=_tuples(combined),
        masked_columns=masked,
        fill_column="Outcome",
        fills=OUTCOME_FILLS,
    )


def _tuples(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    """The frame's rows as tuples, missing values (None, NaN) as blank cells."""
    clean = frame.astype(object).where(frame.notna(), "")
    return list(zip(*(clean.iloc[:, i].tolist() for i in range(clean.shape[1])), strict=True))


def _order_row(order: OrderSummary) -> tuple[object, ...]:
    return (
        order.reference,
        "" if order.id is None else order.id,
        order.status,
        order.numbers,
        order.carrier,
        order.country,
        order.schedule,
        order.message,
    )


def _summary_rows(
    info: ResultInfo,
    validation: Validation,
    outcomes: pd.DataFrame,
    orders: tuple[OrderSummary, ...],
    counts: Mapping[str, int],
    stats: Mapping[str, object],
) -> Iterator[tuple[object, object]]:
    yield ("Input file", str(info.source))
    yield ("Sheet", validation.table.sheet or "")
    yield ("Batch id", info.batch_id)
    yield ("Target", info.target)
    yield ("When (UTC)", info.when.strftime("%Y-%m-%d %H:%M:%S"))
    yield ("Dry run", "yes" if info.dry_run else "no")
    yield ("Rows", len(outcomes))
    for outcome in Outcome:
        yield (f"Outcome: {outcome.value}", counts.get(outcome.value, 0))
    created = sum(1 for order in orders if order.id is not None)
    yield (
        "Orders planned" if info.dry_run else "Orders created",
        len(orders) if info.dry_run else created,
    )
    in_orders = outcomes[outcomes["Outcome"].isin([Outcome.SUBMITTED, Outcome.PLANNED])]
    for carrier, count in in_orders["Carrier"].value_counts().sort_index().items():
        yield (f"Numbers from carrier: {carrier}", int(count))
    for country, count in in_orders["Country"].value_counts().sort_index().items():
        yield (f"Numbers in country: {country}", int(count))
    yield from stats.items()
    for step in _next_steps(counts):
        yield ("What to do next", step)


def _next_steps(counts: Mapping[str, int]) -> list[str]:
    steps = [text for outcome, text in _NEXT_STEPS.items() if counts.get(outcome.value)]
    if not any(counts.get(o.value) for o in Outcome if o not in FINE_OUTCOMES):
        steps.append("Nothing to fix: every row is submitted, planned or already in an order.")
    return steps
