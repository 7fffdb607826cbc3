"""The digest: the port calendar across batches and the losing carriers' record, from the journal.

:func:`build_digest` reads the journal's history of one target (``batchport.journal.history``)
and computes, vectorised:

- **FOC calendar**: confirmed numbers whose FOC date is today or later, by day and order;
- **rejected numbers awaiting a fix**: numbers the losing carrier rejected or excluded, or the
  service refused, that no later order of this installation holds;
- **notes not answered**: the notes on an order after the last one written by this
  installation (``own_authors``: its key id), when they are someone else's;
- **stalled orders**: open orders the journal has learned nothing new of for ``days`` days;
- **activated recently**: numbers activated in the last ``days`` days;
- **numbers by status per batch**;
- **carriers**: per losing carrier, the orders created, their numbers, the median and 90th
  percentile of the days from the order's create to the first FOC date the journal learned
  (the carrier's confirmation; as precise as tracking is frequent), the share of numbers it
  rejected or excluded and its most common reasons.

:func:`write_digest` writes it as a workbook: one sheet per list, and a chart of numbers by
status per batch and one of days to FOC per carrier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from batchport.errors import BatchportError, ConfigError
from batchport.journal import INACTIVE_STATUSES
from batchport.journal.history import event_history, number_history
from batchport.lifecycle.batch import existing_journal, find_batch
from batchport.report.xlsx import atomic_path, workbook_subject
from batchport.report.xlsx_page import safe_cell

__all__ = ["DIGEST_SUBJECT", "Digest", "build_digest", "digest_journal", "write_digest"]

#: The digest workbook's ``dc:subject``: an existing file without it is never replaced.
DIGEST_SUBJECT = "batchport digest"

#: Number statuses a losing carrier gives when it will not port a number.
LOST_STATUSES = ("REJECTED", "EXCLUDED")
_CLOSED_ORDERS = ("COMPLETED", "CANCELED")
#: Reasons listed per carrier.
_TOP_REASONS = 3
_NOTE = r"^(?:[\w-]+: )?(?P<time>\S*) (?P<author>.*?): (?P<text>.*)$"
_ACTIVATED = r"(?P<phone>\+\d+) \S+ → ACTIVATED"
_FOC_SET = r"→ (?P<foc>.+)$"


@dataclass(frozen=True)
class Digest:
    """The digest's lists and figures, each a DataFrame with the workbook's headers."""

    generated: datetime
    target: str
    days: int
    calendar: pd.DataFrame
    rejected: pd.DataFrame
    notes: pd.DataFrame
    stalled: pd.DataFrame
    activated: pd.DataFrame
    statuses: pd.DataFrame
    carriers: pd.DataFrame

    @property
    def attention(self) -> list[str]:
        """What needs a person, one line each (empty: nothing)."""
        reasons = []
        if len(self.rejected):
            reasons.append(f"{len(self.rejected)} rejected number(s) awaiting a fix")
        if len(self.notes):
            reasons.append(f"{len(self.notes)} note(s) from the service not answered")
        if len(self.stalled):
            reasons.append(f"{len(self.stalled)} order(s) with no change for {self.days} days")
        return reasons

    def lists(self) -> dict[str, pd.DataFrame]:
        """The lists by sheet name, in workbook order."""
        return {
            "FOC calendar": self.calendar,
            "Rejected": self.rejected,
            "Notes": self.notes,
            "Stalled": self.stalled,
            "Activated": self.activated,
        }

    def to_json(self) -> dict[str, Any]:
        """The digest as one JSON object: each list as an array of objects keyed by header."""
        return {
            "generated": self.generated.isoformat(),
            "target": self.target,
            "days": self.days,
            "calendar": _records(self.calendar),
            "rejected": _records(self.rejected),
            "notes": _records(self.notes),
            "stalled": _records(self.stalled),
            "activated": _records(self.activated),
            "statuses": _records(self.statuses),
            "carriers": _records(self.carriers),
            "attention": self.attention,
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {str(key): (None if pd.isna(value) else value) for key, value in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]


def digest_journal(
    journal_path: Path,
    *,
    target: str | None,
    days: int = 7,
    out: Path | None = None,
    now: datetime | None = None,
    own_authors: Sequence[str] = (),
) -> Digest:
    """:func:`build_digest` of the journal at ``journal_path``, written to ``out`` when given.

    ``target`` None takes the target of the journal's most recent batch. Raises ConfigError
    when there is no journal (or no batch to take the target from) or ``out`` is a file that
    is not a digest, JournalError when the journal cannot be read, and BatchportError when the
    workbook cannot be written.
    """
    if out is not None:
        refuse_foreign(out)
    with existing_journal(journal_path) as journal:
        if target is None:
            target = find_batch(journal, None).target
        numbers = number_history(journal, target)
        events = event_history(journal, target)
    digest = build_digest(
        numbers, events, target=target, days=days, now=now, own_authors=own_authors
    )
    if out is not None:
        write_digest(digest, out)
    return digest


def refuse_foreign(path: Path) -> None:
    """Raise ConfigError when ``path`` is a file other than a digest (or not ``.xlsx``)."""
    if path.suffix.lower() != ".xlsx":
        raise ConfigError(f"the digest {path} must be an .xlsx file; choose a name ending in .xlsx")
    if path.exists() and workbook_subject(path) != DIGEST_SUBJECT:
        raise ConfigError(
            f"{path} exists and is not a batchport digest: it is not replaced; choose another path"
        )


def build_digest(
    numbers: pd.DataFrame,
    events: pd.DataFrame,
    *,
    target: str,
    days: int = 7,
    now: datetime | None = None,
    own_authors: Sequence[str] = (),
) -> Digest:
    """The digest of ``numbers`` and ``events`` (``journal.history``'s tables) at ``now``."""
    when = pd.Timestamp(now or datetime.now(UTC))
    created = numbers[numbers["state"] == "created"]
    return Digest(
        generated=when.to_pydatetime(),
        target=target,
        days=days,
        calendar=_calendar(created[~created["refused"]], when),
        rejected=_rejected(numbers),
        notes=_unanswered(events, created, set(own_authors)),
        stalled=_stalled(created, events, when, days),
        activated=_activated(created[~created["refused"]], events, when, days),
        statuses=_statuses(numbers),
        carriers=_carriers(created, events),
    )


def _calendar(numbers: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    day = numbers["foc_date"].str.slice(0, 10)
    # Columns are added before filtering: assigning to an empty frame would take their rows.
    numbers = numbers.assign(day=day, port=numbers["foc_date"].str.slice(11))
    wanted = numbers[(numbers["number_status"] == "CONFIRMED") & (day >= now.date().isoformat())]
    grouped = (
        wanted.groupby(["day", "batch_id", "reference", "order_id", "carrier"], sort=True)
        .agg(numbers=("phone", "size"), port=("port", "first"))
        .reset_index()
    )
    names = {"day": "FOC date", "port": "Port time", "batch_id": "Batch",
             "reference": "Order reference", "order_id": "Order ID", "carrier": "Carrier",
             "numbers": "Numbers"}  # fmt: skip
    return grouped.rename(columns=names)[list(names.values())]


def _rejected(numbers: pd.DataFrame) -> pd.DataFrame:
    lost = numbers["refused"] | numbers["number_status"].isin(LOST_STATUSES)
    holding = (
        (numbers["state"] == "created")
        & ~lost
        & ~numbers["number_status"].isin(INACTIVE_STATUSES)
        & ~numbers["order_status"].isin(INACTIVE_STATUSES)
    )
    awaiting = numbers[lost & ~numbers["phone"].isin(numbers.loc[holding, "phone"])]
    status = awaiting["number_status"].where(~awaiting["refused"], "REFUSED")
    return pd.DataFrame(
        {
            "Batch": awaiting["batch_id"],
            "Input file": awaiting["source"].map(lambda source: Path(source).name),
            "Row": awaiting["row"],
            "Number": awaiting["phone"],
            "Order reference": awaiting["reference"],
            "Order ID": awaiting["order_id"].where(awaiting["order_id"] > 0, None),
            "Carrier": awaiting["carrier"],
            "Status": status,
            "Reason": awaiting["message"],
        }
    ).reset_index(drop=True)


def _unanswered(events: pd.DataFrame, created: pd.DataFrame, own: set[str]) -> pd.DataFrame:
    notes = events[events["kind"] == "note"]
    parsed = notes["detail"].str.extract(_NOTE)
    notes = pd.concat([notes[["batch_id", "reference"]], parsed], axis=1).dropna(subset=["text"])
    notes = notes.reset_index(drop=True).sort_values(
        ["batch_id", "reference", "time"], kind="stable"
    )
    mine = notes["author"].isin(own)
    position = notes.groupby(["batch_id", "reference"]).cumcount()
    last_mine = (
        position.where(mine).groupby([notes["batch_id"], notes["reference"]]).transform("max")
    )
    waiting = notes[~mine & ~(position <= last_mine)]
    orders = created.drop_duplicates(["batch_id", "reference"])[
        ["batch_id", "reference", "order_id"]
    ]
    waiting = waiting.merge(orders, on=["batch_id", "reference"], how="left")
    return pd.DataFrame(
        {
            "Batch": waiting["batch_id"],
            "Order reference": waiting["reference"],
            "Order ID": waiting["order_id"],
            "Time (UTC)": waiting["time"],
            "Author": waiting["author"],
            "Note": waiting["text"],
        }
    ).reset_index(drop=True)


def _stalled(
    created: pd.DataFrame, events: pd.DataFrame, now: pd.Timestamp, days: int
) -> pd.DataFrame:
    orders = created.drop_duplicates(["batch_id", "reference"])
    orders = orders[~orders["order_status"].isin(_CLOSED_ORDERS)]
    last = events.groupby(["batch_id", "reference"])["at"].max().rename("last")
    orders = orders.join(last, on=["batch_id", "reference"])
    orders["last"] = orders["last"].fillna(orders["submitted_at"])
    idle = _days(now - orders["last"])
    stalled = orders.assign(idle=idle)[idle >= days]
    return pd.DataFrame(
        {
            "Batch": stalled["batch_id"],
            "Order reference": stalled["reference"],
            "Order ID": stalled["order_id"],
            "Carrier": stalled["carrier"],
            "Status": stalled["order_status"],
            "Last change (UTC)": stalled["last"].dt.strftime("%Y-%m-%d %H:%M"),
            "Days without change": stalled["idle"].round(1),
        }
    ).reset_index(drop=True)


def _activated(
    numbers: pd.DataFrame, events: pd.DataFrame, now: pd.Timestamp, days: int
) -> pd.DataFrame:
    active = numbers[numbers["number_status"] == "ACTIVATED"]
    by_number = events[events["kind"] == "number_status"]
    by_number = by_number.assign(phone=by_number["detail"].str.extract(_ACTIVATED)["phone"])
    number_at = by_number.dropna(subset=["phone"]).groupby(["batch_id", "reference", "phone"])
    groups = events[(events["kind"] == "activated") & events["detail"].str.endswith(": SUCCESS")]
    group_at = groups.groupby(["batch_id", "reference"])["at"].max().rename("group_at")
    number_max = number_at["at"].max().rename("number_at")
    active = active.join(number_max, on=["batch_id", "reference", "phone"])
    active = active.join(group_at, on=["batch_id", "reference"])
    at = active["number_at"].fillna(active["group_at"])
    recent = active.assign(at=at)[_days(now - at) <= days]
    recent = recent.sort_values("at", kind="stable")
    return pd.DataFrame(
        {
            "Activated (UTC)": recent["at"].dt.strftime("%Y-%m-%d %H:%M"),
            "Batch": recent["batch_id"],
            "Order reference": recent["reference"],
            "Order ID": recent["order_id"],
            "Number": recent["phone"],
            "Carrier": recent["carrier"],
        }
    ).reset_index(drop=True)


def _days(spans: Any) -> pd.Series:
    """Time spans as fractional days (NaN where unknown)."""
    return pd.Series(spans.dt.total_seconds() / 86400, index=spans.index)


def _statuses(numbers: pd.DataFrame) -> pd.DataFrame:
    """Numbers per batch (rows) and status (columns): refused ones as REFUSED, the numbers of
    orders not created by their submission state (NOT SENT)."""
    status = numbers["number_status"].replace("", "UNKNOWN")
    status = status.where(numbers["state"] == "created", "NOT SENT")
    status = status.where(~numbers["refused"], "REFUSED")
    table = pd.crosstab(numbers["batch_id"], status).reset_index()
    table.columns.name = None
    sources = numbers.drop_duplicates("batch_id").set_index("batch_id")["source"]
    table.insert(1, "Input file", table["batch_id"].map(sources).map(lambda s: Path(s).name))
    return table.rename(columns={"batch_id": "Batch"})


def _carriers(created: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Per losing carrier: orders, numbers, days from create to the first FOC, rejections."""
    numbers = created[~created["refused"]]
    orders = numbers.drop_duplicates(["batch_id", "reference"])[
        ["batch_id", "reference", "carrier", "submitted_at"]
    ]
    foc_events = events[events["kind"] == "foc_date"]
    learned = foc_events["detail"].str.extract(_FOC_SET)["foc"].str.strip()
    first_foc = (
        foc_events[learned.notna() & (learned != "-")]
        .groupby(["batch_id", "reference"])["at"]
        .min()
        .rename("first_foc")
    )
    orders = orders.join(first_foc, on=["batch_id", "reference"])
    # A FOC the create itself returned was known at once: no event, zero days.
    had_foc = numbers[numbers["foc_date"] != ""].drop_duplicates(["batch_id", "reference"])
    known_at_create = orders.set_index(["batch_id", "reference"]).index.isin(
        had_foc.set_index(["batch_id", "reference"]).index
    )
    orders["first_foc"] = orders["first_foc"].where(
        orders["first_foc"].notna() | ~known_at_create, orders["submitted_at"]
    )
    orders["days"] = _days(orders["first_foc"] - orders["submitted_at"])
    per_order = orders.groupby("carrier")
    lost = numbers["number_status"].isin(LOST_STATUSES)
    per_number = numbers.assign(lost=lost).groupby("carrier")
    table = pd.DataFrame(
        {
            "Orders": per_order.size(),
            "Numbers": per_number.size(),
            "Orders with FOC": per_order["days"].count(),
            "Median days to FOC": per_order["days"].median().round(1),
            "P90 days to FOC": per_order["days"].quantile(0.9).round(1),
            "Rejected numbers": per_number["lost"].sum().astype("int64"),
        }
    )
    table["Rejection rate"] = (table["Rejected numbers"] / table["Numbers"]).round(3)
    reasons = numbers[lost].groupby("carrier")["message"].agg(_top_reasons)
    table["Most common rejection reasons"] = reasons.reindex(table.index).fillna("")
    return (
        table.rename_axis("Carrier")
        .reset_index()
        .sort_values(["Orders", "Carrier"], ascending=[False, True], kind="stable")
        .reset_index(drop=True)
    )


def _top_reasons(messages: pd.Series) -> str:
    counts = messages.replace("", "(no reason given)").value_counts(sort=True)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:_TOP_REASONS]
    return "; ".join(f"{reason} ({count})" for reason, count in ordered)


# --- the workbook ---------------------------------------------------------------------------

_BOLD = Font(bold=True)
_TITLE = Font(bold=True, size=14)
_MAX_WIDTH = 60.0
_FORMATS = {"Rejection rate": {"number_format": "0.0%"}}
#: Each status keeps its colour in the chart, whatever statuses a digest has.
_STATUS_COLOURS = {
    "ACTIVATED": "70AD47", "CONFIRMED": "5B9BD5", "PENDING": "FFC000", "REJECTED": "C00000",
    "EXCLUDED": "ED7D31", "REFUSED": "7030A0", "CANCELED": "A5A5A5", "NOT SENT": "BFBFBF",
}  # fmt: skip


def write_digest(digest: Digest, path: Path) -> Path:
    """Write ``digest`` to the workbook ``path`` (readable by its owner only) atomically.

    Sheets: ``Summary``, one per list, ``Status by batch`` and ``Carriers`` (each with a
    chart). No cell is a formula. Raises BatchportError when the file cannot be written.
    """
    refuse_foreign(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path, private=True) as temp:
            workbook = Workbook(write_only=True)
            workbook.properties.subject = DIGEST_SUBJECT
            _summary_sheet(workbook, digest)
            for name, frame in digest.lists().items():
                _table_sheet(workbook, name, frame)
            _status_sheet(workbook, digest.statuses)
            _carrier_sheet(workbook, digest.carriers)
            workbook.save(temp)
    except OSError as exc:
        raise BatchportError(f"cannot write the digest {path}: {exc.strerror or exc}") from exc
    return path


def _summary_sheet(workbook: Workbook, digest: Digest) -> None:
    sheet: Any = workbook.create_sheet("Summary")
    sheet.column_dimensions["A"].width = 44
    sheet.column_dimensions["B"].width = 60
    _print_landscape(sheet)
    sheet.append([safe_cell(sheet, "batchport digest", font=_TITLE)])
    lines: list[tuple[str, object]] = [
        ("Generated (UTC)", f"{digest.generated:%Y-%m-%d %H:%M}"),
        ("Target", digest.target),
        ("Window (days)", digest.days),
        ("FOC dates coming up (orders)", len(digest.calendar)),
        ("Rejected numbers awaiting a fix", len(digest.rejected)),
        ("Notes not answered", len(digest.notes)),
        (f"Orders with no change for {digest.days} days", len(digest.stalled)),
        (f"Numbers activated in the last {digest.days} days", len(digest.activated)),
        ("Needs attention", "; ".join(digest.attention) or "nothing"),
    ]
    for label, value in lines:
        value_cell = safe_cell(sheet, value, alignment=Alignment(horizontal="left"))
        sheet.append([safe_cell(sheet, label, font=_BOLD), value_cell])


def _table_sheet(workbook: Workbook, name: str, frame: pd.DataFrame) -> Any:
    """A sheet of ``frame``: bold frozen header, filter, widths; returns the sheet."""
    sheet: Any = workbook.create_sheet(name)
    columns = [str(column) for column in frame.columns]
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    for position, column in enumerate(columns, start=1):
        longest = max([len(str(row[position - 1])) for row in rows[:200]] + [len(column) + 2])
        sheet.column_dimensions[get_column_letter(position)].width = min(longest + 1, _MAX_WIDTH)
    sheet.freeze_panes = "A2"
    _print_landscape(sheet)
    sheet.append([safe_cell(sheet, column, font=_BOLD) for column in columns])
    formats = [_FORMATS.get(column, {}) for column in columns]
    for row in rows:
        sheet.append([safe_cell(sheet, v, **f) for v, f in zip(row, formats, strict=True)])
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"
    return sheet


def _print_landscape(sheet: Any) -> None:
    """Printed landscape on US Letter, as wide as one page and as long as it needs."""
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = Worksheet.PAPERSIZE_LETTER
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0


def _status_sheet(workbook: Workbook, statuses: pd.DataFrame) -> None:
    sheet = _table_sheet(workbook, "Status by batch", statuses)
    count, first_status = len(statuses), 3  # Batch, Input file, then one column per status
    if not count or len(statuses.columns) < first_status:
        return
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "bar", "stacked", 100
    chart.title = "Numbers by status per batch"
    chart.x_axis.title, chart.y_axis.title = "Batch", "Numbers"
    data = Reference(
        sheet, min_col=first_status, max_col=len(statuses.columns), min_row=1, max_row=count + 1
    )
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=count + 1))
    for series, status in zip(chart.series, statuses.columns[first_status - 1 :], strict=True):
        colour = _STATUS_COLOURS.get(str(status))
        if colour:
            series.graphicalProperties.solidFill = colour
    _place(sheet, chart, count)


def _carrier_sheet(workbook: Workbook, carriers: pd.DataFrame) -> None:
    sheet = _table_sheet(workbook, "Carriers", carriers)
    count = len(carriers)
    if not count:
        return
    columns = list(carriers.columns)
    median = columns.index("Median days to FOC") + 1
    chart = BarChart()
    chart.type = "bar"
    chart.title = "Days from submit to FOC per losing carrier"
    chart.x_axis.title, chart.y_axis.title = "Carrier", "Days"
    data = Reference(sheet, min_col=median, max_col=median + 1, min_row=1, max_row=count + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=count + 1))
    _place(sheet, chart, count)


def _place(sheet: Any, chart: BarChart, bars: int) -> None:
    """Put ``chart`` under the table of ``bars`` rows, tall enough for a bar each."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.x_axis.scaling.orientation = "maxMin"  # categories top-down, as in the table
    chart.width, chart.height = 18, max(7.5, 1.2 + 0.9 * bars)
    sheet.add_chart(chart, f"A{bars + 3}")
