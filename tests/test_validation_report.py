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
            "212-736-0143",
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
    sheet.append(["212-736-0144", "Acme", "1", "Main", "NYC", "NY", "10118", "", "", ""])
    workbook.save(path)
    return path


def test_rows_sheet_keeps_input_order_status_and_masks_secrets(tmp_path: Path) -> None:
    validation = validate_file(make_input(tmp_path / "in.xlsx"), today=dt.date(2026, 11, 27))
    out = write_validation_report(validation, tmp_path / "report.xlsx")
    sheet = load_workbook(out)["Rows"]
    rows = list(sheet.values)
    assert rows[0] == ("Row", "Status", "Errors", "Warnings", "Changed by batchport", *HEADER)
    assert [r[0] for r in rows[1:]] == [2, 3, 4]
    assert [r[1] for r in rows[1:]] == ["valid", "invalid", "warnings"]  # info is no warning
    first = dict(zip(rows[0], rows[1], strict=True))
    assert first["Port Out PIN"] == "****" and first["Account #"] == "****5678"
    assert first["My Notes"] == "=cmd|' /C calc'!A0"
    assert sheet["O2"].data_type == "s"
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:O4"


def test_rows_sheet_has_errors_warnings_and_changes_apart(tmp_path: Path) -> None:
    validation = validate_file(make_input(tmp_path / "in.xlsx"), today=dt.date(2026, 11, 27))
    out = write_validation_report(validation, tmp_path / "report.xlsx")
    rows = list(load_workbook(out)["Rows"].values)
    toll_free, missing = (
        dict(zip(rows[0], rows[2], strict=True)),
        dict(zip(rows[0], rows[3], strict=True)),
    )
    assert toll_free["Errors"].startswith("Phone: Toll-free numbers (8XX) cannot be ported")
    assert toll_free["Warnings"].startswith("Port Out PIN: Neither")
    assert toll_free["Changed by batchport"] == "Phone: 800-555-0100 \u2192 +18005550100"
    assert missing["Errors"] is None
    assert missing["Warnings"].startswith("Port Out PIN: Neither a port-out PIN")
    assert missing["Changed by batchport"] == "Phone: 212-736-0144 \u2192 +12127360144"


def test_rows_sheet_messages_wrap_top_aligned_one_line_each_errors_first(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "Phone,Name,Street #,Street,City,State,Zip,Type of Service,Port Out PIN\n"
        "212-736-0143,Acme,1,Main,,ZZ,10118,Shop,\n"
        "212-736-0144,Acme,1,Main,NYC,NY,10118,B,1234\n"
    )
    validation = validate_file(source, today=dt.date(2026, 11, 27))
    sheet = load_workbook(write_validation_report(validation, tmp_path / "r.xlsx"))["Rows"]
    errors, warnings = sheet["C2"], sheet["D2"]
    lines = errors.value.split("\n")
    assert [line.split(":")[0] for line in lines] == ["City", "State", "Type of Service"]
    assert warnings.value.startswith("Port Out PIN: Neither")
    for cell in (errors, warnings):
        assert cell.alignment.wrap_text and cell.alignment.vertical == "top"
    assert sheet["A2"].alignment.vertical == "top" and not sheet["A2"].alignment.wrap_text
    assert not sheet["E2"].alignment.wrap_text  # the changes stay on one line
    assert sheet.row_dimensions[2].height >= 3 * 15  # every error line shows
    assert sheet.row_dimensions[3].height is None  # a clean row keeps the default height


def test_findings_sheet_lists_every_finding_errors_first(tmp_path: Path) -> None:
    validation = validate_file(make_input(tmp_path / "in.xlsx"), today=dt.date(2026, 11, 27))
    out = write_validation_report(validation, tmp_path / "report.xlsx")
    sheet = load_workbook(out)["Findings"]
    rows = list(sheet.values)
    assert rows[0] == (
        "Row", "Column", "Header", "Code", "Severity", "Message", "Value", "Sent as"
    )  # fmt: skip
    assert len(rows) - 1 == len(validation.findings)
    severities = ["error", "warning", "warning", "warning", "info", "info", "info"]
    assert [r[4] for r in rows[1:]] == severities
    assert [r[0] for r in rows[2:]] == [1, 3, 4, 2, 3, 4]  # each severity in row order
    assert rows[2][1:4] == ("My Notes", "My Notes", "column_unused")  # found on the header row
    found = {(r[0], r[1], r[3], r[4]) for r in rows[1:]}
    assert (3, "phoneNumber", "phone_toll_free", "error") in found
    assert (4, "existingPortOutPin", "port_out_credentials_missing", "warning") in found
    assert rows[5][6:] == ("212-736-0143", "+12127360143")
    assert all("4321" not in str(r) and "12345678" not in str(r) for r in rows)
    assert len(sheet.conditional_formatting) == 1
    assert sheet["F2"].alignment.wrap_text and sheet["F2"].alignment.vertical == "top"


def test_findings_sheet_hides_info_behind_the_filter_when_worse_exists(tmp_path: Path) -> None:
    validation = validate_file(make_input(tmp_path / "in.xlsx"), today=dt.date(2026, 11, 27))
    sheet = load_workbook(write_validation_report(validation, tmp_path / "r.xlsx"))["Findings"]
    hidden = [n for n in range(2, sheet.max_row + 1) if sheet.row_dimensions[n].hidden]
    assert [sheet.cell(n, 5).value for n in hidden] == ["info", "info", "info"]
    assert not sheet.row_dimensions[2].hidden and not sheet.row_dimensions[3].hidden
    (column,) = sheet.auto_filter.filterColumn
    assert column.colId == 4 and column.filters.filter == ["error", "warning"]


def test_findings_sheet_shows_info_when_nothing_is_worse(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "Phone,Name,Street #,Street,City,State,Zip,Port Out PIN\n"
        "212-736-0143,Acme,1,Main,NYC,new york,10118,1234\n"
    )
    validation = validate_file(source, today=dt.date(2026, 11, 27))
    sheet = load_workbook(write_validation_report(validation, tmp_path / "r.xlsx"))["Findings"]
    assert [sheet.cell(n, 4).value for n in (2, 3)] == ["phone_reformatted", "state_normalised"]
    assert not any(sheet.row_dimensions[n].hidden for n in (2, 3))
    assert not sheet.auto_filter.filterColumn
    assert sheet["G3"].value == "new york" and sheet["H3"].value == "NY"


def test_findings_sheet_masks_secrets_as_read_and_as_sent(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Phone", "Name", "Street #", "Street", "City", "State", "Zip", "Account #"])
    sheet.append(["212-736-0143", "Acme", "1", "Main", "NYC", "NY", 2110, 99887766])
    workbook.save(tmp_path / "in.xlsx")
    validation = validate_file(tmp_path / "in.xlsx", today=dt.date(2026, 11, 27))
    out = write_validation_report(validation, tmp_path / "r.xlsx")
    rows = {r[3]: r for r in load_workbook(out)["Findings"].values}
    assert rows["stored_as_number"][6:] == ("****7766", "****7766")
    assert "99887766" not in rows["stored_as_number"][5]
    assert rows["zip_leading_zeros_restored"][6:] == ("2110", "02110")
    assert rows["zip_leading_zeros_restored"][5].endswith(
        "Read \u201c2110\u201d, will send \u201c02110\u201d."
    )


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
        "(212) 736-0143,Acme,350,Fifth Ave,New York,NY,10118,6093,call first\n"
    )
    _, report = validate_and_report(source)
    assert report is not None
    header, row = list(load_workbook(report)["Rows"].iter_rows(values_only=True))
    cells = dict(zip(header, row, strict=True))
    assert cells["Old PIN (previous carrier)"] == "****" and cells["Notes"] == "call first"
