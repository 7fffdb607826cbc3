"""The result workbook, read back with openpyxl."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from run_inputs import (
    HEADER,
    ca_row,
    planned_order,
    sandbox_settings,
    us_row,
    write_input,
    write_scenario,
)

from batchport.errors import BatchportError
from batchport.journal import NumberRecord
from batchport.pipeline import RunResult, run_batch
from batchport.report.outcomes import ROW_COLUMNS, Outcome, RunRecords
from batchport.report.result import OUTCOME_FILLS, ResultInfo, write_result
from batchport.report.validation import write_validation_report
from batchport.submit import Submission, SubmissionState
from batchport.validation import validate_file


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunResult, Path]:
    tmp_path = tmp_path_factory.mktemp("result")
    scenario = write_scenario(tmp_path / "scenario.json", {"+12125550104": "Disconnected"})
    rows = [
        us_row(100, notes='=HYPERLINK("http://x")'),
        us_row(101, notes="+1 call me"),
        us_row(102, notes="-5"),
        us_row(103, notes="@home"),
        us_row(104),
        ca_row(150),
        us_row(100),  # duplicate
        ["123", "X", "1", "Main", "Albany", "NY", "12207", "", "", "", "", ""],
    ]
    source = write_input(tmp_path / "customer.csv", rows)
    settings = sandbox_settings(tmp_path, f"scenario={scenario}", rate=1000.0)
    out = tmp_path / "out" / "result.xlsx"
    out.parent.mkdir()
    return run_batch(source, settings, out=out), out


def test_sheets_and_leading_columns(finished: tuple[RunResult, Path]) -> None:
    _, path = finished
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Rows", "Orders", "Findings"]
    header = [cell.value for cell in book["Rows"][1]]
    assert tuple(header[:10]) == ROW_COLUMNS
    assert header[10:] == list(HEADER)  # every original column, as the user named it
    assert book["Rows"].freeze_panes == "A2" and book["Rows"].auto_filter.ref


def test_rows_in_input_order_with_closed_outcomes(finished: tuple[RunResult, Path]) -> None:
    _, path = finished
    sheet = openpyxl.load_workbook(path)["Rows"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == list(range(2, 10))
    outcomes = [row[1] for row in rows]
    assert set(outcomes) <= {o.value for o in Outcome}
    assert outcomes == [
        "submitted", "submitted", "submitted", "submitted", "not_portable", "submitted",
        "duplicate", "invalid",
    ]  # fmt: skip
    by_row = {row[0]: row for row in rows}
    assert by_row[6][9].startswith("Not portable: Disconnected")
    assert by_row[2][6] and by_row[2][5]  # order id and reference
    assert by_row[7][3] == "CA"
    assert "row 2" in by_row[8][9]


def test_secrets_masked_and_no_formula(finished: tuple[RunResult, Path]) -> None:
    _, path = finished
    book = openpyxl.load_workbook(path)
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                values.append(str(cell.value))
    assert not any("4321" in value for value in values)  # port-out PIN
    assert not any("8001234567" in value for value in values)  # account number
    rows = list(book["Rows"].iter_rows(min_row=2, max_row=5, values_only=True))
    assert [row[-1] for row in rows] == ['=HYPERLINK("http://x")', "+1 call me", "-5", "@home"]
    assert rows[0][ROW_COLUMNS.__len__() + HEADER.index("Account Number")] == "****4567"


def summary_cells(path: Path) -> dict[tuple[int, int], object]:
    """The Summary sheet's non-empty cells by (row, column), both 1-based."""
    sheet = openpyxl.load_workbook(path)["Summary"]
    return {
        (cell.row, cell.column): cell.value
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    }


def heading_place(path: Path, heading: str) -> tuple[int, int]:
    """Where a block's heading (bold, 12 points) is on the Summary sheet."""
    sheet = openpyxl.load_workbook(path)["Summary"]
    (place,) = [
        (cell.row, cell.column)
        for row in sheet.iter_rows()
        for cell in row
        if cell.value == heading and cell.font.sz == 12
    ]
    return place


def summary_table(path: Path, heading: str) -> list[dict[str, object]]:
    """The table under ``heading`` on the Summary sheet, as one dict per row (header keys)."""
    cells = summary_cells(path)
    top, left = heading_place(path, heading)
    width = 0
    while (top + 1, left + width) in cells:
        width += 1
    header = [str(cells[(top + 1, left + i)]) for i in range(width)]
    rows, row = [], top + 2
    while sum((row, left + i) in cells for i in range(width)) > 1:  # a note is one cell
        rows.append({h: cells.get((row, left + i)) for i, h in enumerate(header)})
        row += 1
    return rows


def summary_lines(path: Path, heading: str | None = None) -> list[tuple[object, ...]]:
    """The lines under ``heading`` (the facts under the title when None), to a blank row."""
    cells = summary_cells(path)
    top, left = heading_place(path, heading) if heading else (2, 1)
    lines, row = [], top + 1
    while (row, left) in cells:
        last = max(column for r, column in cells if r == row)
        lines.append(tuple(cells.get((row, c)) for c in range(left, last + 1)))
        row += 1
    return lines


def test_summary_facts(finished: tuple[RunResult, Path]) -> None:
    result, path = finished
    assert summary_cells(path)[(1, 1)] == "Port-in result: customer.csv"
    facts = dict(summary_lines(path))  # type: ignore[arg-type]
    assert facts["Batch id"] == result.batch_id
    assert facts["Input file"] == str(result.source)
    assert facts["Target"] == "sandbox" and facts["Dry run"] == "no"
    assert facts["This run"] == "Sent 2 order requests to the service."
    assert facts["Rows"] == 8
    assert facts["Orders"] == "2 created of 2 planned; 5 numbers in them (CA 1, US 4)"


def test_summary_outcomes_only_those_that_occurred(finished: tuple[RunResult, Path]) -> None:
    _, path = finished
    table = summary_table(path, "Outcomes")
    assert [(row["Outcome"], row["Rows"]) for row in table] == [
        ("Submitted", 5), ("Not portable", 1), ("Invalid", 1), ("Duplicate", 1), ("Total", 8),
    ]  # fmt: skip
    assert [row["Share"] for row in table] == [5 / 8, 1 / 8, 1 / 8, 1 / 8, 1]
    sheet = openpyxl.load_workbook(path)["Summary"]
    top, _ = heading_place(path, "Outcomes")
    colours = [sheet.cell(top + 2 + i, 1).fill.fgColor.rgb[-6:] for i in range(4)]
    assert colours == [
        OUTCOME_FILLS[o] for o in ("submitted", "not_portable", "invalid", "duplicate")
    ]


def test_summary_chart_references_the_outcome_table(finished: tuple[RunResult, Path]) -> None:
    _, path = finished
    sheet = openpyxl.load_workbook(path)["Summary"]
    top, _ = heading_place(path, "Outcomes")
    (chart,) = sheet._charts
    (series,) = chart.series
    first, last = top + 2, top + 5  # the four outcomes, not the totals row
    assert series.val.numRef.f == f"'Summary'!$B${first}:$B${last}"
    assert series.cat.numRef.f == f"'Summary'!$A${first}:$A${last}"


def test_summary_carriers_by_outcome_add_up(finished: tuple[RunResult, Path]) -> None:
    _, path = finished
    table = summary_table(path, "Numbers per carrier and outcome")
    outcomes = ["Submitted", "Not portable", "Invalid", "Duplicate"]
    assert list(table[0]) == ["Carrier", *outcomes, "Total"]  # only outcomes that occurred
    *carriers, total = table
    assert total["Carrier"] == "Total" and carriers[-1]["Carrier"] == "(carrier unknown)"
    for row in carriers:
        counted = [v for k, v in row.items() if k not in ("Carrier", "Total") and v is not None]
        assert row["Total"] == sum(counted)  # type: ignore[arg-type]
    assert total["Total"] == 8 and total["Submitted"] == 5
    assert carriers[-1]["Invalid"] == 1 and carriers[-1]["Duplicate"] == 1
    in_orders: dict[object, int] = {}
    for order in openpyxl.load_workbook(path)["Orders"].iter_rows(min_row=2, values_only=True):
        in_orders[order[4]] = in_orders.get(order[4], 0) + int(order[3])  # type: ignore[arg-type]
    submitted = {row["Carrier"]: row["Submitted"] for row in carriers if row["Submitted"]}
    assert submitted == in_orders  # the numbers in orders, carrier by carrier


def test_summary_orders_steps_and_api_figures(finished: tuple[RunResult, Path]) -> None:
    result, path = finished
    orders = summary_table(path, "Orders")
    assert {row["Order reference"] for row in orders} == {o.reference for o in result.orders}
    assert all(row["Port date"] and row["Order ID"] and row["Status"] for row in orders)
    assert sorted(row["Numbers"] for row in orders) == [1, 4]  # type: ignore[type-var]
    steps = [line[0] for line in summary_lines(path, "What to do next")]
    assert len(steps) == 4 and not any("Nothing to fix" in str(step) for step in steps)
    assert any("the 1 row marked Invalid" in str(step) for step in steps)
    assert any("each of the 5 numbers submitted" in str(step) for step in steps)
    figures = dict(summary_lines(path, "API figures"))  # type: ignore[arg-type]
    assert figures["API calls"] == result.api_calls
    assert figures["Creates sent"] == 2


def test_summary_prints_landscape_on_one_page(finished: tuple[RunResult, Path]) -> None:
    _, path = finished
    sheet = openpyxl.load_workbook(path)["Summary"]
    assert sheet.page_setup.orientation == "landscape"
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 1)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert str(sheet.print_area).startswith("'Summary'!$A$1:")
    labels = [str(line[0]) for line in summary_lines(path)]
    labels += [str(row["Outcome"]) for row in summary_table(path, "Outcomes")]
    carriers = summary_table(path, "Numbers per carrier and outcome")
    labels += [str(row["Carrier"]) for row in carriers]
    assert "(carrier unknown)" in labels and "Not portable" in labels
    assert sheet.column_dimensions["A"].width >= max(len(label) for label in labels) + 2


def test_orders_sheet(finished: tuple[RunResult, Path]) -> None:
    result, path = finished
    book = openpyxl.load_workbook(path)
    orders = list(book["Orders"].iter_rows(min_row=2, values_only=True))
    assert sorted(row[3] for row in orders) == [1, 4]
    assert {row[0] for row in orders} == {order.reference for order in result.orders}
    findings = list(book["Findings"].iter_rows(min_row=2, values_only=True))
    assert any(row[3] == "duplicate_number" and row[0] == 8 for row in findings)


def test_findings_sheet_is_the_one_validate_writes(
    finished: tuple[RunResult, Path], tmp_path: Path
) -> None:
    result, path = finished
    checked = write_validation_report(validate_file(result.source), tmp_path / "v.xlsx")
    ours = openpyxl.load_workbook(path)["Findings"]
    theirs = openpyxl.load_workbook(checked)["Findings"]
    assert list(ours.iter_rows(values_only=True)) == list(theirs.iter_rows(values_only=True))


def test_no_temporary_file_left_behind(finished: tuple[RunResult, Path]) -> None:
    _, path = finished
    assert [p.name for p in path.parent.iterdir()] == ["result.xlsx"]


def test_a_workbook_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    source = write_input(tmp_path / "in.csv", [us_row(100)])
    blocked = tmp_path / "taken.xlsx"
    blocked.mkdir()  # a folder where the workbook should go
    settings = sandbox_settings(tmp_path, "", rate=1000.0)
    with pytest.raises(BatchportError, match=r"cannot write the result workbook .*taken\.xlsx"):
        run_batch(source, settings, out=blocked, dry_run=True)


def test_rows_sheet_shows_each_number_status_and_foc_date_under_its_header(
    tmp_path: Path,
) -> None:
    source = write_input(tmp_path / "customer.csv", [us_row(100), us_row(101)])
    validation = validate_file(source)
    order = planned_order("ACME-1", (2, 3), numbers=("+12125550100", "+12125550101"))
    records = RunRecords(
        active={},
        portability={},
        plan=(order,),
        numbers={
            2: NumberRecord(2, "+12125550100", "ACME-1", False, "", "CONFIRMED", "2026-12-14"),
            3: NumberRecord(3, "+12125550101", "ACME-1", False, "", "PENDING", ""),
        },
        submissions={"ACME-1": Submission("ACME-1", SubmissionState.CREATED, 5, "PENDING", 1, "")},
        dry_run=False,
    )
    info = ResultInfo(source, "batch-1", datetime(2026, 12, 3, 9), "sandbox", dry_run=False)
    out = tmp_path / "result.xlsx"
    write_result(out, validation, records, info, {"API calls": 0})
    sheet = openpyxl.load_workbook(out)["Rows"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    cells = [dict(zip(header, row, strict=True)) for row in rows]
    assert [(c["Number status"], c["FOC date"], c["Order ID"]) for c in cells] == [
        ("CONFIRMED", "2026-12-14", 5),
        ("PENDING", None, 5),
    ]


def test_dry_run_summary_shows_twenty_orders_and_points_to_the_rest(tmp_path: Path) -> None:
    source = write_input(tmp_path / "customer.csv", [us_row(100 + i) for i in range(23)])
    plan = tuple(
        planned_order(f"ACME-{row}", (row,), numbers=(f"+1212555{row + 98:04d}",))
        for row in range(2, 25)
    )
    records = RunRecords(
        active={}, portability={}, plan=plan, numbers={}, submissions={}, dry_run=True
    )
    info = ResultInfo(source, "batch-1", datetime(2026, 12, 3, 9), "sandbox", dry_run=True)
    out = tmp_path / "result.xlsx"
    write_result(out, validate_file(source), records, info, {"API calls": 1})
    assert [(r["Outcome"], r["Rows"]) for r in summary_table(out, "Outcomes")] == [
        ("Planned (dry run)", 23),
        ("Total", 23),
    ]
    orders = summary_table(out, "Orders planned")
    assert [row["Order reference"] for row in orders] == [f"ACME-{row}" for row in range(2, 22)]
    assert {(row["Port date"], row["Status"], row["Order ID"]) for row in orders} == {
        ("2026-12-04", "PLANNED", None)
    }
    top, left = heading_place(out, "Orders planned")
    assert summary_cells(out)[(top + 22, left)] == "and 3 more — see the Orders sheet"
    facts = dict(summary_lines(out))  # type: ignore[arg-type]
    assert facts["Dry run"] == "yes"
    assert facts["This run"] == "Nothing sent: a dry run only plans the orders."
    steps = [line[0] for line in summary_lines(out, "What to do next")]
    assert steps[-1] == (
        "Run the same command without --dry-run (and confirm) to submit the 23 numbers planned."
    )
    carriers = summary_table(out, "Numbers per carrier and outcome")
    assert carriers == [
        {"Carrier": "Verizon", "Planned (dry run)": 23, "Total": 23},
        {"Carrier": "Total", "Planned (dry run)": 23, "Total": 23},
    ]


@pytest.mark.parametrize(
    ("sent", "first", "line"),
    [
        (3, None, "Sent 3 order requests to the service."),
        (1, None, "Sent 1 order request to the service."),
        (0, None, "Nothing sent in this run."),
        (
            0,
            datetime(2026, 12, 1, 8, 30),
            "Batch batch-1 was submitted on 2026-12-01 08:30 UTC: nothing sent in this run.",
        ),
    ],
)
def test_summary_says_what_this_run_sent(
    tmp_path: Path, sent: int, first: datetime | None, line: str
) -> None:
    source = write_input(tmp_path / "customer.csv", [us_row(100)])
    records = RunRecords(
        active={}, portability={}, plan=(), numbers={}, submissions={}, dry_run=False
    )
    info = ResultInfo(
        source, "batch-1", datetime(2026, 12, 3, 9), "sandbox", False, sent, first_submitted=first
    )
    out = tmp_path / "result.xlsx"
    write_result(out, validate_file(source), records, info, {})
    assert dict(summary_lines(out))["This run"] == line  # type: ignore[arg-type]
