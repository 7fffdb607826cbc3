from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

from batchport.cli import main
from batchport.columns import COLUMNS
from batchport.report.template import EXAMPLE_ROWS, TEMPLATE_ROWS
from batchport.validation import validate_file

COMMITTED = Path(__file__).resolve().parent.parent / "templates" / "port-in-template.xlsx"


def describe(workbook: Workbook) -> dict[str, object]:
    sheets = {}
    for sheet in workbook.worksheets:
        validations = sorted(
            (str(v.sqref), v.type or "", v.formula1 or "", v.prompt or "")
            for v in sheet.data_validations.dataValidation
        )
        sheets[sheet.title] = (list(sheet.values), validations, sheet.sheet_state)
    return sheets


def test_committed_template_is_what_the_command_writes(tmp_path: Path) -> None:
    out = tmp_path / "template.xlsx"
    result = CliRunner().invoke(main, ["template", str(out)])
    assert result.exit_code == 0, result.output
    assert describe(load_workbook(out)) == describe(load_workbook(COMMITTED))
    assert out.read_bytes() == COMMITTED.read_bytes()


def test_template_layout(tmp_path: Path) -> None:
    CliRunner().invoke(main, ["template", str(tmp_path / "t.xlsx")])
    workbook = load_workbook(tmp_path / "t.xlsx")
    assert workbook.sheetnames == ["Port-ins", "Instructions", "Lists"]
    sheet = workbook["Port-ins"]
    assert [c.value for c in sheet[1]] == [c.header for c in COLUMNS]
    assert sheet.max_row == 1 + len(EXAMPLE_ROWS)
    checks = sheet.data_validations.dataValidation
    assert len(checks) == len(COLUMNS)
    assert all(c.prompt and c.showInputMessage for c in checks)
    lists = {c.formula1 for c in checks if c.type == "list"}
    assert '"B,R"' in lists and '"Yes,No"' in lists and '"RTC,EST,FAX"' in lists
    assert '"US/Eastern,US/Central,US/Mountain,US/Pacific,GMT"' in lists
    assert "Lists!$A$2:$A$65" in lists  # 50 states, DC and 13 provinces: no territory
    assert workbook["Lists"].sheet_state == "hidden"
    assert workbook["Instructions"].max_row >= len(COLUMNS) + 7


def test_every_column_is_text_on_every_row_and_hints_reach_far(tmp_path: Path) -> None:
    CliRunner().invoke(main, ["template", str(tmp_path / "t.xlsx")])
    sheet = load_workbook(tmp_path / "t.xlsx")["Port-ins"]
    letters = [get_column_letter(i) for i in range(1, len(COLUMNS) + 1)]
    # The column's own format: what Excel and LibreOffice give a cell typed on any row.
    assert [sheet.column_dimensions[x].number_format for x in letters] == ["@"] * len(COLUMNS)
    examples = sheet.iter_rows(min_row=2, max_row=1 + len(EXAMPLE_ROWS))
    assert {cell.number_format for row in examples for cell in row} == {"@"}
    assert all(
        str(v.sqref).endswith(f"{TEMPLATE_ROWS + 1}") for v in sheet.data_validations.dataValidation
    )
    assert TEMPLATE_ROWS >= 5000
    assert all(sheet.column_dimensions[x].width >= 12 for x in letters)


def test_template_left_with_its_examples_is_refused_row_by_row(tmp_path: Path) -> None:
    assert CliRunner().invoke(main, ["template", str(tmp_path / "t.xlsx")]).exit_code == 0
    validation = validate_file(tmp_path / "t.xlsx", today=dt.date(2026, 11, 27))
    assert validation.row_count == 3 and validation.error_rows == frozenset({2, 3, 4})
    example_errors = [f for f in validation.findings if f.code == "template_example_row"]
    assert [f.row for f in example_errors] == [2, 3, 4]
    others = {f.code for f in validation.findings if f.is_error} - {"template_example_row"}
    assert others == set()  # the examples are otherwise valid: they show how to fill it in
    assert validation.rows["country"].tolist() == ["US", "US", "CA"]


def test_template_with_the_examples_replaced_validates_clean(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    assert CliRunner().invoke(main, ["template", str(out)]).exit_code == 0
    workbook = load_workbook(out)
    sheet = workbook["Port-ins"]
    sheet.delete_rows(2, len(EXAMPLE_ROWS))
    own = {"phoneNumber": "(646) 555-0150", "name": "Hudson Optics", "streetNum": "12",
           "streetName": "Broad", "city": "New York", "state": "NY", "zipCode": "10004",
           "existingPortOutPin": "0042"}  # fmt: skip
    sheet.append([own.get(c.key, "") for c in COLUMNS])
    workbook.save(out)
    validation = validate_file(out, today=dt.date(2026, 11, 27))
    assert validation.row_count == 1 and validation.invalid == 0
    assert validation.rows.loc[2, "existingPortOutPin"] == "0042"


def test_default_output_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["template"])
    assert result.exit_code == 0
    assert (tmp_path / "port-in-template.xlsx").is_file()


def test_template_never_replaces_a_file_unless_forced_and_is_always_xlsx(tmp_path: Path) -> None:
    customer = tmp_path / "customer.xlsx"
    customer.write_bytes(b"the customer's own workbook")
    refused = CliRunner().invoke(main, ["template", str(customer)])
    assert refused.exit_code == 1 and "already exists" in refused.stderr
    assert customer.read_bytes() == b"the customer's own workbook"
    assert CliRunner().invoke(main, ["template", str(customer), "--force"]).exit_code == 0
    assert customer.read_bytes().startswith(b"PK")
    named_csv = CliRunner().invoke(main, ["template", str(tmp_path / "t.csv")])
    assert named_csv.exit_code == 1 and "must be an .xlsx file" in named_csv.stderr
    assert not (tmp_path / "t.csv").exists()
