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
from batchport.report.result import ResultInfo, write_result
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


def test_summary_and_orders(finished: tuple[RunResult, Path]) -> None:
    result, path = finished
    book = openpyxl.load_workbook(path)
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["Batch id"] == result.batch_id
    assert summary["Outcome: submitted"] == 5
    assert summary["Orders created"] == len(result.orders) == 2
    assert summary["Numbers in country: CA"] == 1
    assert summary["API calls"] == result.api_calls
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
