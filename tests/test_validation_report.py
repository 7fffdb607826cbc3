from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import Workbook, load_workbook

from batchport.report.validation import (
    default_report_path,
    validate_and_report,
    write_validation_report,
)
from batchport.validation import validate_file

HEADER = [
    "Phone",
    "Name",
    "Street #",
    "Street",
    "City",
    "State",
    "Zip",
    "Port Out PIN",
    "Account #",
    "My Notes",
]


def make_input(path: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(
        [
            "212-555-0143",
            "Acme",
            "1",
            "Main",
            "NYC",
            "NY",
            "10118",
            "4321",
            "ACCT-12345678",
            "=cmd|' /C calc'!A0",
        ]
    )
    sheet["J2"].data_type = "s"  # text that looks like a formula, as a user might paste it
    sheet.append(["800-555-0100", "Acme", "1", "Main", "NYC", "NY", "10118", "", "", "keep"])
    sheet.append(["212-555-0144", "Acme", "1", "Main", "NYC", "NY", "10118", "", "", ""])
    workbook.save(path)
    return path


def test_rows_sheet_keeps_input_order_status_and_masks_secrets(tmp_path: Path) -> None:
    validation = validate_file(make_input(tmp_path / "in.xlsx"), today=dt.date(2026, 11, 27))
    out = write_validation_report(validation, tmp_path / "report.xlsx")
    sheet = load_workbook(out)["Rows"]
    rows = list(sheet.values)
    assert rows[0] == ("Row", "Status", "Messages", *HEADER)
    assert [r[0] for r in rows[1:]] == [2, 3, 4]
    assert [r[1] for r in rows[1:]] == ["warnings", "invalid", "warnings"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Port Out PIN"] == "****" and first["Account #"] == "****5678"
    assert first["My Notes"] == "=cmd|' /C calc'!A0"
    assert sheet["M2"].data_type == "s"
    assert rows[2][2].startswith("ERROR Phone: Toll-free")
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:M4"


def test_findings_sheet_lists_every_finding(tmp_path: Path) -> None:
    validation = validate_file(make_input(tmp_path / "in.xlsx"), today=dt.date(2026, 11, 27))
    out = write_validation_report(validation, tmp_path / "report.xlsx")
    sheet = load_workbook(out)["Findings"]
    rows = list(sheet.values)
    assert rows[0] == ("Row", "Column", "Header", "Code", "Severity", "Message", "Value")
    assert len(rows) - 1 == len(validation.findings)
    found = {(r[0], r[1], r[3], r[4]) for r in rows[1:]}
    assert (3, "phoneNumber", "phone_toll_free", "error") in found
    assert (4, "existingPortOutPin", "port_out_credentials_missing", "warning") in found
    assert all("4321" not in str(r) and "12345678" not in str(r) for r in rows)
    assert len(sheet.conditional_formatting) == 1


def test_default_report_path_is_beside_the_input() -> None:
    assert default_report_path(Path("/x/list.csv")) == Path("/x/list.validation.xlsx")


def test_validate_and_report_writes_beside_the_input_unless_told_otherwise(
    tmp_path: Path,
) -> None:
    source = make_input(tmp_path / "customer.xlsx")
    validation, report = validate_and_report(source)
    assert report == tmp_path / "customer.validation.xlsx" and report.is_file()
    assert validation.row_count == len(list(load_workbook(report)["Rows"].iter_rows())) - 1
    elsewhere = tmp_path / "out" / "checked.xlsx"
    elsewhere.parent.mkdir()
    assert validate_and_report(source, out=elsewhere)[1] == elsewhere and elsewhere.is_file()
    report.unlink()
    assert validate_and_report(source, write=False)[1] is None
    assert not report.exists()


def test_an_unknown_column_that_looks_secret_is_masked_in_the_workbook(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "Phone Number,Name,Street #,Street,City,State,Zip,Old PIN (previous carrier),Notes\n"
        "(212) 555-0143,Acme,350,Fifth Ave,New York,NY,10118,6093,call first\n"
    )
    _, report = validate_and_report(source)
    assert report is not None
    header, row = list(load_workbook(report)["Rows"].iter_rows(values_only=True))
    cells = dict(zip(header, row, strict=True))
    assert cells["Old PIN (previous carrier)"] == "****" and cells["Notes"] == "call first"
