from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from batchport.cli import main
from batchport.errors import InputError
from batchport.findings import Finding, Severity
from batchport.validation import validate_file

HEADER = [
    "TN",
    "Customer Name",
    "House Number",
    "Street",
    "City",
    "Province",
    "Postal Code",
    "PIN",
    "Port Date",
    "Unknown Extra",
]
GOOD = ["(212) 555-0143", "Acme", "350", "Fifth", "New York", "NY", "10118", "1234", "", "x"]
TODAY = dt.date(2026, 11, 27)


def write_xlsx(path: Path, *rows: list[object]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for values in (HEADER, *rows):
        sheet.append(values)
    workbook.save(path)
    return path


def bad_row() -> list[object]:
    row: list[object] = list(GOOD)
    row[0], row[5] = "800-555-0100", "ZZ"
    return row


def test_validate_file_normalises_and_counts(tmp_path: Path) -> None:
    second: list[object] = [
        2125550144,
        "Bo",
        "1",
        "Main",
        "Boston",
        "Massachusetts",
        2110,
        "",
        dt.datetime(2026, 12, 1),
        "",
    ]
    path = write_xlsx(tmp_path / "in.xlsx", GOOD, second, bad_row())
    validation = validate_file(path, today=TODAY)
    rows = validation.rows
    assert rows.loc[3, "phoneNumber"] == "+12125550144"
    assert rows.loc[3, "state"] == "MA" and rows.loc[3, "zipCode"] == "02110"
    assert rows.loc[3, "desiredPortDate"] == "2026-12-01"
    assert rows.loc[2, "typeOfService"] == "B" and rows.loc[2, "desiredPortDate"] == ""
    assert not rows.loc[2, "onDemandActivation"]
    assert not rows.isna().any().any()
    assert (validation.row_count, validation.valid, validation.invalid) == (3, 2, 1)
    assert validation.error_rows == frozenset({4})
    assert validation.table.frame.loc[2, "Unknown Extra"] == "x"
    keys = [(f.row, f.column) for f in validation.findings]
    assert keys == sorted(keys, key=lambda k: k[0])
    assert all(isinstance(f, Finding) for f in validation.findings)
    assert validation.warnings == sum(f.severity is Severity.WARNING for f in validation.findings)


def test_validate_file_raises_input_error_for_unusable_file(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        validate_file(tmp_path / "missing.csv")


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_json_contract_and_exit_3_when_a_row_has_an_error(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "in.xlsx", GOOD, bad_row())
    code, out, _ = run_cli("validate", str(path), "--json", "--no-report")
    assert code == 3
    data = json.loads(out)
    assert set(data) == {"rows", "valid", "invalid", "warnings", "findings"}
    assert (data["rows"], data["valid"], data["invalid"]) == (2, 1, 1)
    assert data["warnings"] == sum(f["severity"] == "warning" for f in data["findings"])
    errors = [f for f in data["findings"] if f["severity"] == "error"]
    assert {(f["row"], f["column"], f["code"]) for f in errors} == {
        (3, "phoneNumber", "phone_toll_free"),
        (3, "state", "state_invalid"),
    }
    assert all(set(f) == {"row", "column", "code", "severity", "message"} for f in data["findings"])
    assert not (tmp_path / "in.validation.xlsx").exists()


def test_exit_0_and_default_report_beside_input(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "in.xlsx", GOOD)
    code, out, _ = run_cli("validate", str(path))
    assert code == 0
    assert "1 rows: 1 valid, 0 invalid" in out
    report = tmp_path / "in.validation.xlsx"
    assert report.is_file() and str(report) in out
    assert load_workbook(report).sheetnames == ["Rows", "Findings"]


def test_out_option_and_json_keeps_stdout_pure(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "in.xlsx", GOOD, bad_row())
    out_path = tmp_path / "checked.xlsx"
    code, out, err = run_cli("validate", str(path), "--json", "--out", str(out_path))
    assert code == 3 and out_path.is_file()
    json.loads(out)
    assert str(out_path) in err


def test_summary_lists_the_most_frequent_problems(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "in.xlsx", bad_row(), bad_row())
    code, out, _ = run_cli("validate", str(path), "--no-report")
    assert code == 3
    assert "Most frequent problems" in out and "phone_toll_free" in out
    assert "duplicate_number" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["validate", "missing.xlsx"], 1, "Error: missing.xlsx: no such file"),
        (["validate", "in.xlsx", "--out", "a.xlsx", "--no-report"], 2, "cannot be used together"),
        (["validate"], 2, "Missing argument"),
        (["validate", "in.xlsx", "--bogus"], 2, "No such option"),
        (["validate", "in.xlsx", "--sheet", "Nope"], 1, "no sheet named 'Nope'"),
    ],
)
def test_exit_codes_for_unusable_input_and_usage_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], code: int, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    write_xlsx(tmp_path / "in.xlsx", GOOD)
    got, out, err = run_cli(*args)
    assert got == code
    assert message in out + err
    assert "Traceback" not in out + err


def test_unwritable_report_is_a_one_line_failure(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "in.xlsx", GOOD)
    code, _, err = run_cli("validate", str(path), "--out", str(tmp_path / "no" / "dir.xlsx"))
    assert code == 1
    assert err.startswith("Error: the folder of the validation workbook")
    assert "does not exist" in err and "Traceback" not in err
