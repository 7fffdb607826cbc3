"""The result workbook of ``batchport run``: what happened to every row and every order.

Sheets: ``Summary`` (one printable page: the run's facts, the outcomes in a coloured table and
a chart, numbers per carrier and outcome, the orders with their port dates, what to do next,
the API figures), ``Rows`` (one row per input row, in input order: the
:data:`~batchport.report.outcomes.ROW_COLUMNS` then every original input column unchanged),
``Orders`` (one row per order) and ``Findings`` (every validation finding, the sheet
``batchport validate`` writes). Written through :mod:`batchport.report.xlsx`: port-out PINs and
account numbers masked, no cell ever a formula, frozen headers, autofilters, outcome colours,
and an atomic save.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from batchport.errors import BatchportError
from batchport.planner import PlannedOrder
from batchport.report.outcomes import (
    FINE_OUTCOMES,
    ORDER_COLUMNS,
    ROW_COLUMNS,
    OrderSummary,
    Outcome,
    RunRecords,
    order_summaries,
    outcome_frame,
    row_outcomes,
    to_fix,
)
from batchport.report.sheets import findings_sheet, input_columns
from batchport.report.xlsx import (
    FILL_ERROR,
    FILL_OK,
    FILL_WARNING,
    Block,
    PageSpec,
    SheetSpec,
    workbook_subject,
    write_workbook,
)
from batchport.validation import Validation

__all__ = [
    "FILL_FIX",
    "ORDER_COLUMNS",
    "OUTCOME_FILLS",
    "OUTCOME_LABELS",
    "ResultInfo",
    "is_real_result",
    "result_subject",
    "write_result",
]

#: Fill colours (RGB hex) of the Outcome column.
_FILL_INFO = "DDEBF7"
#: The fill of a cell the losing carrier's reason says to correct (over its row's colour).
FILL_FIX = "FFFF00"
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

#: Each outcome in plain words, in the order the Summary lists them: done, then to act on.
OUTCOME_LABELS = {
    Outcome.SUBMITTED: "Submitted",
    Outcome.PLANNED: "Planned (dry run)",
    Outcome.ALREADY_IN_ORDER: "Already in an order",
    Outcome.NOT_PORTABLE: "Not portable",
    Outcome.REJECTED: "Rejected",
    Outcome.FAILED: "Failed — run again",
    Outcome.INVALID: "Invalid",
    Outcome.DUPLICATE: "Duplicate",
}

#: What to do about each outcome, in the order the steps are listed; ``{rows}`` is e.g. "3 rows",
#: ``{numbers}`` "3 numbers".
_NEXT_STEPS = {
    Outcome.FAILED: (
        "Run the same command again for the {rows} that failed: their orders are retried and "
        "nothing is sent twice (where a row's Message says otherwise, do what it says)."
    ),
    Outcome.INVALID: (
        "Fix the {rows} marked Invalid as each Message on the Rows sheet says (details on the "
        "Findings sheet), then run the file again: numbers already submitted are skipped."
    ),
    Outcome.DUPLICATE: "Remove the {rows} marked Duplicate: each number may appear once.",
    Outcome.REJECTED: (
        "Correct the {rows} marked Rejected as each Message says, here in the Rows sheet, then "
        "run batchport resubmit with this workbook (running the same file again does not "
        "resend them)."
    ),
    Outcome.NOT_PORTABLE: (
        "Ask the current carrier about the {rows} marked Not portable (the Message says why), "
        "then run them in a new file."
    ),
    Outcome.PLANNED: (
        "Run the same command without --dry-run (and confirm) to submit the {numbers} planned."
    ),
    Outcome.SUBMITTED: (
        "Wait for the losing carriers: each of the {numbers} submitted gets a FOC date or a "
        "rejection."
    ),
}
_ALL_FINE = "Nothing to fix: every row is submitted, planned or already in an order."
_ORDERS_SHOWN = 20
_NO_CARRIER = "(carrier unknown)"
_SUMMARY_ORDER_COLUMNS = (
    "Order reference",
    "Order ID",
    "Carrier",
    "Numbers",
    "Port date",
    "Port time",
    "Time zone",
    "Status",
)


def result_subject(dry_run: bool) -> str:
    """The document subject that tells a dry run's result from a real run's."""
    return f"batchport result: {'dry run' if dry_run else 'submitted'}"


def is_real_result(path: Path) -> bool:
    """True when ``path`` holds the result workbook of a run that submitted (not a dry run)."""
    return workbook_subject(path) == result_subject(dry_run=False)


@dataclass(frozen=True)
class ResultInfo:
    """Facts about the run for the Summary sheet.

    ``sent``: order creates sent in this run. ``first_submitted``: when the batch was first
    submitted, for a rerun that sent nothing (``None`` when unknown or never).
    """

    source: Path
    batch_id: str
    when: datetime
    target: str
    dry_run: bool
    sent: int = 0
    first_submitted: datetime | None = None


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
    sheets: list[SheetSpec | PageSpec] = [
        _summary_page(info, validation, outcomes, orders, counts, records.plan, stats),
        _rows_sheet(validation, outcomes, to_fix(records)),
        SheetSpec(
            name="Orders",
            columns=ORDER_COLUMNS,
            rows=[order.cells() for order in orders],
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


def _rows_sheet(
    validation: Validation, outcomes: pd.DataFrame, fix: Mapping[int, tuple[str, ...]]
) -> SheetSpec:
    """The Rows sheet; the cells of ``fix`` (row → input columns to correct) highlighted."""
    headers, masked = input_columns(validation.table, ROW_COLUMNS)
    combined = pd.concat([outcomes, validation.table.frame], axis=1).set_axis(headers, axis=1)
    places = {key: len(ROW_COLUMNS) + i for i, key in enumerate(validation.table.frame.columns)}
    positions = {int(row): i for i, row in enumerate(outcomes.index.tolist())}
    cells = {
        (positions[row], places[key]): FILL_FIX
        for row, keys in fix.items()
        if row in positions
        for key in keys
        if key in places
    }
    return SheetSpec(
        name="Rows",
        columns=headers,
        rows=_tuples(combined),
        masked_columns=masked,
        fill_column="Outcome",
        fills=OUTCOME_FILLS,
        cell_fills=cells,
    )


def _tuples(frame: pd.DataFrame) -> list[tuple[object, ...]]:
    """The frame's rows as tuples, missing values (None, NaN) as blank cells."""
    clean = frame.astype(object).where(frame.notna(), "")
    return list(zip(*(clean.iloc[:, i].tolist() for i in range(clean.shape[1])), strict=True))


def _summary_page(
    info: ResultInfo,
    validation: Validation,
    outcomes: pd.DataFrame,
    orders: tuple[OrderSummary, ...],
    counts: Mapping[str, int],
    plan: Sequence[PlannedOrder],
    stats: Mapping[str, object],
) -> PageSpec:
    """The Summary sheet: facts, outcomes, next steps, carriers and orders, then API figures."""
    occurred = [outcome for outcome in OUTCOME_LABELS if counts.get(outcome.value)]
    return PageSpec(
        name="Summary",
        title=f"Port-in result: {info.source.name}",
        blocks=[
            Block("", _facts(info, validation, outcomes, orders)),
            _outcome_block(counts, occurred),
            Block("What to do next", [(step,) for step in _next_steps(counts, occurred)]),
            _carrier_block(outcomes, occurred),
            _orders_block(orders, plan, info.dry_run),  # beside the carriers: a landscape page
            Block("API figures", list(stats.items())),
        ],
    )


def _facts(
    info: ResultInfo,
    validation: Validation,
    outcomes: pd.DataFrame,
    orders: tuple[OrderSummary, ...],
) -> list[tuple[object, ...]]:
    return [
        ("Input file", str(info.source)),
        ("Sheet", validation.table.sheet or "(a csv file has none)"),
        ("Batch id", info.batch_id),
        ("Target", info.target),
        ("When (UTC)", info.when.strftime("%Y-%m-%d %H:%M:%S")),
        ("Dry run", "yes" if info.dry_run else "no"),
        ("This run", _sent_line(info)),
        ("Rows", len(outcomes)),
        ("Orders", _orders_line(outcomes, orders, info.dry_run)),
    ]


def _sent_line(info: ResultInfo) -> str:
    if info.dry_run:
        return "Nothing sent: a dry run only plans the orders."
    if info.sent:
        return f"Sent {_count(info.sent, 'order request')} to the service."
    if info.first_submitted is not None:
        when = info.first_submitted.strftime("%Y-%m-%d %H:%M UTC")
        return f"Batch {info.batch_id} was submitted on {when}: nothing sent in this run."
    return "Nothing sent in this run."


def _orders_line(outcomes: pd.DataFrame, orders: tuple[OrderSummary, ...], dry_run: bool) -> str:
    if not orders:
        return "none"
    created = sum(1 for order in orders if order.id is not None)
    done = f"{len(orders)} planned" if dry_run else f"{created} created of {len(orders)} planned"
    in_orders = outcomes[outcomes["Outcome"].isin([Outcome.SUBMITTED, Outcome.PLANNED])]
    countries = in_orders["Country"].value_counts().sort_index()
    where = ", ".join(f"{country} {count}" for country, count in countries.items())
    return f"{done}; {_count(len(in_orders), 'number')} in them ({where})" if where else done


def _outcome_block(counts: Mapping[str, int], occurred: list[Outcome]) -> Block:
    """The outcomes that occurred: count and share, coloured as on the Rows sheet, charted."""
    total = sum(counts.values())
    rows: list[tuple[object, ...]] = [
        (OUTCOME_LABELS[outcome], counts[outcome.value], counts[outcome.value] / total)
        for outcome in occurred
    ]
    rows.append(("Total", total, 1.0 if total else 0.0))
    return Block(
        "Outcomes",
        rows,
        columns=("Outcome", "Rows", "Share"),
        fills=[OUTCOME_FILLS[outcome.value] for outcome in occurred],
        total=True,
        formats={2: "0.0%"},
        chart="Rows by outcome",
    )


def _carrier_block(outcomes: pd.DataFrame, occurred: list[Outcome]) -> Block:
    """Rows per losing carrier (rows) and outcome (columns), with totals both ways."""
    carriers = outcomes["Carrier"].fillna("").astype(str).replace("", _NO_CARRIER)
    table = pd.crosstab(carriers, outcomes["Outcome"].astype(str))
    table = table.reindex(columns=[o.value for o in occurred], fill_value=0)
    names = sorted(name for name in table.index if name != _NO_CARRIER)
    names += [_NO_CARRIER] if _NO_CARRIER in table.index else []
    rows: list[tuple[object, ...]] = [
        (name, *(int(v) or "" for v in table.loc[name].tolist()), int(table.loc[name].sum()))
        for name in names
    ]  # a zero is left blank, so the counts stand out
    rows.append(("Total", *(int(v) for v in table.sum().tolist()), int(table.to_numpy().sum())))
    return Block(
        "Numbers per carrier and outcome",
        rows,
        columns=("Carrier", *(OUTCOME_LABELS[o] for o in occurred), "Total"),
        total=True,
    )


def _orders_block(
    orders: tuple[OrderSummary, ...],
    plan: Sequence[PlannedOrder],
    dry_run: bool,
) -> Block:
    """The first orders with their desired port dates; the Orders sheet has them all."""
    planned = {order.reference: order for order in plan}
    rows = [_summary_order_row(order, planned[order.reference]) for order in orders]
    more = len(rows) - _ORDERS_SHOWN
    note = f"and {more} more — see the Orders sheet" if more > 0 else ""
    if not rows:
        note = "No orders: no row was ready to port."
    heading = "Orders planned" if dry_run else "Orders"
    return Block(
        heading, rows[:_ORDERS_SHOWN], columns=_SUMMARY_ORDER_COLUMNS, note=note, beside=True
    )


def _summary_order_row(order: OrderSummary, planned: PlannedOrder) -> tuple[object, ...]:
    return (
        order.reference,
        "" if order.id is None else order.id,
        order.carrier,
        order.numbers,
        planned.desired_port_date.isoformat(),
        planned.desired_port_time,
        planned.desired_port_time_zone,
        order.status,
    )


def _next_steps(counts: Mapping[str, int], occurred: list[Outcome]) -> list[str]:
    steps = [
        text.format(
            rows=_count(counts[outcome.value], "row"),
            numbers=_count(counts[outcome.value], "number"),
        )
        for outcome, text in _NEXT_STEPS.items()
        if outcome in occurred
    ]
    if not any(outcome not in FINE_OUTCOMES for outcome in occurred):
        steps.insert(0, _ALL_FINE)
    return steps


def _count(number: int, noun: str) -> str:
    """``1 row``, ``3 rows``."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
