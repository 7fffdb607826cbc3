from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook
from xlsx_parts import cell, row, understate, write_workbook

from batchport.errors import InputError
from batchport.intake import Table, read_table

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = ["Phone Number", "Name", "Street Number", "Street Name", "City", "State", "Zip"]
ROW = ["(212) 555-0143", "Acme", "350", "Fifth Ave", "New York", "NY", "10118"]


def write_xlsx(path: Path, rows: list[list[object]], title: str = "Sheet1") -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    for values in rows:
        sheet.append(values)
    workbook.save(path)
    return path


def codes(table: Table) -> set[tuple[int, str, str]]:
    return {(f.row, f.column, f.code) for f in table.findings}


def test_reads_xlsx_as_text_with_spreadsheet_row_numbers(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "in.xlsx", [HEADER, ROW, [*ROW[:1], "Bob", *ROW[2:]]])
    table = read_table(path)
    assert list(table.frame.index) == [2, 3]
    assert table.frame.index.name == "row"
    assert table.frame.loc[3, "name"] == "Bob"
    assert table.headers["zipCode"] == "Zip"
    assert table.header_row == 1 and table.sheet == "Sheet1"
    assert table.findings == ()


def test_header_below_title_rows_and_blank_rows_skipped(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Port request for Acme"], [], HEADER, ROW, [], [None, ""], ROW]
    table = read_table(write_xlsx(tmp_path / "in.xlsx", rows))
    assert table.header_row == 3
    assert list(table.frame.index) == [4, 7]


def test_excel_damage_is_repaired_and_reported(tmp_path: Path) -> None:
    header = [*HEADER, "Authorizing Date", "Desired Port Time", "PIN"]
    row: list[object] = [
        2125550143,
        "Acme\u00a0Inc ",
        "350",
        "Fifth",
        "Boston",
        "MA",
        2110,
        dt.datetime(2026, 11, 2),
        dt.time(9, 30),
        1234,
    ]
    table = read_table(write_xlsx(tmp_path / "in.xlsx", [header, row]))
    got = table.frame.loc[2]
    assert got["phoneNumber"] == "2125550143"
    assert got["zipCode"] == "02110"
    assert got["name"] == "Acme Inc"
    assert got["authorizingDate"] == "2026-11-02"
    assert got["desiredPortTime"] == "09:30:00"
    assert got["existingPortOutPin"] == "1234"
    assert codes(table) == {
        (2, "phoneNumber", "phone_stored_as_number"),
        (2, "name", "whitespace_cleaned"),
        (2, "zipCode", "zip_leading_zeros_restored"),
        (2, "existingPortOutPin", "stored_as_number"),
        (2, "authorizingDate", "excel_date_converted"),
        (2, "desiredPortTime", "excel_time_converted"),
    }
    severities = {f.code: f.severity.value for f in table.findings}
    assert severities == {
        "phone_stored_as_number": "warning", "stored_as_number": "warning",
        "zip_leading_zeros_restored": "warning", "whitespace_cleaned": "info",
        "excel_date_converted": "info", "excel_time_converted": "info",
    }  # fmt: skip
    pin = next(f for f in table.findings if f.column == "existingPortOutPin")
    assert pin.value == pin.sent == "****"
    sent = {f.column: f.sent for f in table.findings}
    assert (sent["zipCode"], sent["name"]) == ("02110", "Acme Inc")
    assert (sent["authorizingDate"], sent["desiredPortTime"]) == ("2026-11-02", "09:30:00")


def test_date_serials_and_time_fractions_in_text(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("TN,Port Date,Port Time\n2125550143.0,46357,0.375\n", encoding="utf-8")
    table = read_table(path)
    assert table.frame.loc[2, "phoneNumber"] == "2125550143"
    assert table.frame.loc[2, "desiredPortDate"] == "2026-12-01"
    assert table.frame.loc[2, "desiredPortTime"] == "09:00:00"


def test_unknown_columns_are_kept_under_their_header(tmp_path: Path) -> None:
    rows = [[*HEADER, "Internal Ref", None], [*ROW, "=SUM(A1)", None]]
    table = read_table(write_xlsx(tmp_path / "in.xlsx", rows))
    assert "Internal Ref" in table.frame.columns
    assert table.headers["Internal Ref"] == "Internal Ref"
    assert len(table.frame.columns) == len(HEADER) + 1


def test_sheet_choice(tmp_path: Path) -> None:
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = "Cover"
    first.append(["This workbook lists numbers to port"])
    second = workbook.create_sheet("Numbers")
    for values in (HEADER, ROW):
        second.append(values)
    third = workbook.create_sheet("Later")
    for values in (HEADER, ROW, ROW):
        third.append(values)
    path = tmp_path / "in.xlsx"
    workbook.save(path)
    assert read_table(path).sheet == "Numbers"
    assert len(read_table(path, sheet="Later").frame) == 2
    with pytest.raises(InputError, match="no sheet named 'Nope'; the sheets are Cover, Numbers"):
        read_table(path, sheet="Nope")
    with pytest.raises(InputError, match="no header row"):
        read_table(path, sheet="Cover")


@pytest.mark.parametrize(
    ("encoding", "delimiter", "bom"),
    [
        ("utf-8", ",", b""),
        ("utf-8", ";", b"\xef\xbb\xbf"),
        ("cp1252", ";", b""),
        ("utf-8", "\t", b""),
    ],
)
def test_csv_encodings_and_delimiters(
    tmp_path: Path, encoding: str, delimiter: str, bom: bytes
) -> None:
    lines = [
        "Customer list",
        delimiter.join(HEADER),
        delimiter.join(["212-555-0143", "Café Montréal", "1", "Rue", "Montréal", "QC", "H2J 2L3"]),
        "",
    ]
    path = tmp_path / "in.csv"
    path.write_bytes(bom + "\r\n".join(lines).encode(encoding))
    table = read_table(path)
    assert table.header_row == 2
    assert list(table.frame.index) == [3]
    assert table.frame.loc[3, "name"] == "Café Montréal"
    assert table.sheet is None


def test_csv_keeps_na_text_and_blank_lines_keep_numbering(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(
        'TN,Name,Street Name\n212-555-0143,NA,n/a\n\n212-555-0144,"Smith, J",Main\n',
        encoding="utf-8",
    )
    table = read_table(path)
    assert list(table.frame.index) == [2, 4]
    assert table.frame.loc[2, "name"] == "NA"
    assert table.frame.loc[2, "streetName"] == "n/a"
    assert table.frame.loc[4, "name"] == "Smith, J"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.xlsx", None, "no such file"),
        ("empty.csv", b"", "the file is empty"),
        ("blank.csv", b"\n\n  \n", "the file is empty"),
        ("protected.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password-protected"),
        ("garbage.xlsx", b"this is not a zip file at all", "cannot be read as an .xlsx"),
        ("old.xls", b"whatever", "old .xls"),
        ("data.json", b"{}", "unsupported file type"),
        ("noheader.csv", b"a,b,c\n1,2,3\n", "no header row"),
        ("onlyheader.csv", b"TN,Name\n", "no data rows"),
        ("ragged.csv", b"TN,Name\n212-555-0143,A\n212-555-0144,Main St, Apt 2\n", "line 3"),
    ],
)
def test_unusable_files_raise_one_line_input_error(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        read_table(path)
    assert "\n" not in str(caught.value)


def test_duplicate_known_header_is_kept_as_unknown(tmp_path: Path) -> None:
    rows = [[*HEADER, "Phone"], [*ROW, "212-555-0199"]]
    table = read_table(write_xlsx(tmp_path / "in.xlsx", rows))
    assert table.frame.loc[2, "phoneNumber"] == "(212) 555-0143"
    assert table.frame.loc[2, "Phone"] == "212-555-0199"


def test_prefetched_workbook_reads_the_same(tmp_path: Path) -> None:
    from batchport.intake import workbook as sheets

    path = write_xlsx(tmp_path / "in.xlsx", [["Title"], HEADER, ROW])
    plain = read_table(path)
    sheets.prefetch(path)
    sheets.prefetch(path)  # a second prefetch of the same file is ignored
    prefetched = read_table(path)
    assert prefetched.frame.equals(plain.frame)
    assert prefetched.header_row == plain.header_row == 2
    assert sheets.take(path, None) is None  # handed out once


def test_prefetch_keeps_errors_for_the_reader(tmp_path: Path) -> None:
    from batchport.intake import workbook as sheets

    path = write_xlsx(tmp_path / "in.xlsx", [["nothing here"]])
    sheets.prefetch(path, "Sheet1")
    with pytest.raises(InputError, match="no header row"):
        read_table(path, sheet="Sheet1")
    sheets.prefetch(tmp_path / "list.csv")  # not a workbook: nothing to do
    assert sheets.take(tmp_path / "list.csv", None) is None


def test_prefetch_returns_after_the_scan_while_calamine_still_parses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from batchport.intake import workbook as sheets

    path = write_xlsx(tmp_path / "in.xlsx", [HEADER, ROW])
    order: list[str] = []
    release = threading.Event()
    real_scan, real_workbook = sheets.scan_sheet, sheets.CalamineWorkbook

    def scan(archive: object, name: str) -> object:
        order.append("scan")
        return real_scan(archive, name)  # type: ignore[arg-type]

    class HeldWorkbook:
        """calamine, holding the parse until the test lets it go."""

        @staticmethod
        def from_path(where: str) -> object:
            workbook = real_workbook.from_path(where)

            class Held:
                def get_sheet_by_name(self, name: str) -> object:
                    order.append("parse")
                    assert release.wait(10)
                    return workbook.get_sheet_by_name(name)

            return Held()

    monkeypatch.setattr(sheets, "scan_sheet", scan)
    monkeypatch.setattr(sheets, "CalamineWorkbook", HeldWorkbook)
    sheets.prefetch(path)
    assert order[0] == "scan"  # prefetch came back after the scan ...
    assert sheets.parsing(path)  # ... and before the parse ended
    release.set()
    assert read_table(path).frame.loc[2, "city"] == "New York"
    assert not sheets.parsing(path)  # handed out: nothing left in flight
    assert not sheets.parsing(tmp_path / "never.xlsx")


@pytest.mark.parametrize("kind", ["far cell", "not a zip"])
def test_prefetch_of_a_refused_workbook_returns_and_the_reader_gets_the_error(
    tmp_path: Path, kind: str
) -> None:
    from batchport.intake import workbook as sheets

    path = tmp_path / "in.xlsx"
    if kind == "far cell":
        far = '<row r="1048576">' + cell("XFD1048576", " ") + "</row>"
        write_workbook(path, [("Numbers", row(1, HEADER) + row(2, ROW) + far)])
    else:
        path.write_bytes(b"Phone Number,City\n")
    sheets.prefetch(path)  # the refusal is kept for the reader, not waited on
    assert not sheets.parsing(path)
    with pytest.raises(InputError, match=r"far beyond its data|cannot be read as an \.xlsx"):
        read_table(path)


def test_openpyxl_fallback_reads_the_same_table(tmp_path: Path) -> None:
    from batchport.intake import table, workbook

    rows: list[list[object]] = [["A title"], HEADER, [2125550143, *ROW[1:]], [], ROW]
    path = write_xlsx(tmp_path / "in.xlsx", rows)
    read = workbook.read_with_openpyxl(path, None, RuntimeError("calamine"))
    fallback = table.table_of_rows(path, read.rows, sheet=read.name, header_index=read.header_index)
    assert fallback.frame.equals(read_table(path).frame)
    assert list(fallback.frame.index) == [3, 5]
    assert {f.code for f in fallback.findings} == {"phone_stored_as_number"}


def test_unknown_columns_pass_through_untouched(tmp_path: Path) -> None:
    rows = [[*HEADER, "Notes"], [*ROW, "  two  spaces\u00a0"]]
    table = read_table(write_xlsx(tmp_path / "in.xlsx", rows))
    assert table.frame.loc[2, "Notes"] == "  two  spaces\u00a0"
    assert table.findings == ()


# What a person sees is what batchport reads (issue #9); the workbooks are written part by part.


def test_a_far_cell_is_refused_in_one_line_and_blank_rows_are_no_rows(tmp_path: Path) -> None:
    far = '<row r="1048576">' + cell("XFD1048576", " ") + "</row>"
    path = write_workbook(tmp_path / "far.xlsx", [("Numbers", row(1, HEADER) + row(2, ROW) + far)])
    with pytest.raises(InputError, match="sheet 'Numbers' has a cell at XFD1048576") as caught:
        read_table(path)
    assert "\n" not in str(caught.value)
    spaces = row(1, [*HEADER, "Notes"]) + row(2, ROW) + row(40, [None] * 7 + ["  "])
    table = read_table(write_workbook(tmp_path / "near.xlsx", [("Numbers", spaces)]))
    assert list(table.frame.index) == [2]


def test_the_first_visible_sheet_is_read_and_each_hidden_one_named(tmp_path: Path) -> None:
    old = row(1, HEADER) + row(2, ["(212) 555-0100", *ROW[1:]])
    sheets = [
        ("Old list", old),
        ("Archive", old),
        ("Numbers to port", row(1, HEADER) + row(2, ROW)),
    ]
    path = write_workbook(tmp_path / "in.xlsx", sheets, hidden=["Old list", "Archive"])
    table = read_table(path)
    assert table.sheet == "Numbers to port"
    assert table.frame.loc[2, "phoneNumber"] == "(212) 555-0143"
    skipped = [f for f in table.findings if f.code == "hidden_sheet_skipped"]
    assert [f.severity.value for f in skipped] == ["warning", "warning"]
    assert "'Old list'" in skipped[0].message and "'Archive'" in skipped[1].message
    chosen = read_table(path, sheet="Old list")
    assert chosen.frame.loc[2, "phoneNumber"] == "(212) 555-0100"
    assert chosen.findings == ()


def test_no_visible_sheet_with_a_header_names_the_hidden_ones(tmp_path: Path) -> None:
    sheets = [("Old", row(1, HEADER) + row(2, ROW)), ("Cover", row(1, ["Port request"]))]
    path = write_workbook(tmp_path / "in.xlsx", sheets, hidden=["Old"])
    with pytest.raises(InputError, match="hidden sheets not read: 'Old'; name one with --sheet"):
        read_table(path)


def test_hidden_and_filtered_rows_are_flagged_and_merged_values_fill_their_rows(
    tmp_path: Path,
) -> None:
    lines = [row(1, HEADER), row(2, ROW)]
    lines += [row(n, [f"(212) 555-01{n:02d}", "Acme", "350", None, "NY City", "NY", 10118],
                  hidden=n in (3, 5)) for n in range(3, 7)]  # fmt: skip
    tail = '<autoFilter ref="A1:G6"/><mergeCells count="1"><mergeCell ref="D2:D4"/></mergeCells>'
    sheet = "".join(lines)
    path = write_workbook(tmp_path / "in.xlsx", [("Numbers", sheet)], after={"Numbers": tail})
    table = read_table(path)
    assert table.frame["streetName"].tolist() == ["Fifth Ave"] * 3 + [""] * 2
    found = {(f.row, f.column, f.code, f.severity.value, f.sent) for f in table.findings}
    assert found >= {
        (3, "phoneNumber", "row_filtered_out", "warning", ""),
        (5, "phoneNumber", "row_filtered_out", "warning", ""),
        (3, "streetName", "merged_cell_filled", "warning", "Fifth Ave"),
        (4, "streetName", "merged_cell_filled", "warning", "Fifth Ave"),
    }
    merged = next(f for f in table.findings if f.code == "merged_cell_filled")
    assert "the merged range D2:D4" in merged.message
    unfiltered = write_workbook(tmp_path / "plain.xlsx", [("Numbers", sheet)])
    assert {(f.row, f.code) for f in read_table(unfiltered).findings} >= {
        (3, "row_hidden"),
        (5, "row_hidden"),
    }


def test_a_formula_without_a_saved_value_is_an_error_never_missing(tmp_path: Path) -> None:
    from batchport.validation import validate_file

    header = [*HEADER, "PIN"]
    lines = row(1, header) + "".join(
        f'<row r="{n}">'
        + cell(f"A{n}", None, formula='TEXT(L2,"(000) 000-0000")')
        + "".join(cell(f"{chr(66 + i)}{n}", v) for i, v in enumerate(ROW[1:]))
        + cell(f"H{n}", "4821" if n == 3 else None, formula='TEXT(4821,"0000")', kind="str")
        + "</row>"
        for n in (2, 3)
    )
    path = write_workbook(tmp_path / "in.xlsx", [("Numbers", lines)])
    table = read_table(path)
    assert table.frame.loc[3, "existingPortOutPin"] == "4821"  # a saved value is used
    assert codes(table) == {
        (2, "phoneNumber", "formula_not_calculated"),
        (3, "phoneNumber", "formula_not_calculated"),
    }
    validation = validate_file(path)
    assert validation.invalid == 2
    on_phone = {f.code for f in validation.findings if f.column == "phoneNumber"}
    assert on_phone == {"formula_not_calculated"}
    assert "open and save the file in Excel" in validation.findings[0].message


def test_excel_error_values_reach_the_table_as_their_text(tmp_path: Path) -> None:
    header = [*HEADER, "PIN", "Account Number"]
    line = "".join(cell(f"{chr(65 + i)}2", v) for i, v in enumerate(ROW))
    line += cell("H2", "#N/A", kind="e") + cell("I2", "#REF!", formula="Sheet9!A1", kind="e")
    path = write_workbook(
        tmp_path / "in.xlsx", [("Numbers", row(1, header) + f'<row r="2">{line}</row>')]
    )
    table = read_table(path)
    assert table.frame.loc[2, "existingPortOutPin"] == "#N/A"
    assert table.frame.loc[2, "accountNum"] == "#REF!"


def test_every_failure_of_both_readers_is_one_line(tmp_path: Path) -> None:
    strings = f'<sst xmlns="{MAIN}"><si><t>a</t></si></sst>'.encode()
    broken = row(1, HEADER) + '<row r="2"><c r="A2" t="s"><v>99</v></c></row>'
    path = write_workbook(tmp_path / "in.xlsx", [("Numbers", broken)], shared_strings=strings)
    with pytest.raises(InputError, match=r"cannot be read as an \.xlsx workbook") as caught:
        read_table(path)
    assert "\n" not in str(caught.value)


def test_a_bomb_whose_zip_directory_understates_it_is_still_one_line(tmp_path: Path) -> None:
    filler = b"<si><t>" + b"B" * 4000 + b"</t></si>"
    strings = f'<sst xmlns="{MAIN}">'.encode() + filler * 5000 + b"</sst>"
    lines = row(1, HEADER) + row(2, ROW)
    path = write_workbook(tmp_path / "in.xlsx", [("Numbers", lines)], shared_strings=strings)
    understate(path, "xl/sharedStrings.xml", 2000)
    with pytest.raises(InputError, match=r"cannot be read as an \.xlsx workbook") as caught:
        read_table(path)
    assert "\n" not in str(caught.value)


def test_apply_scan_fills_only_blank_cells_below_the_header() -> None:
    from batchport.intake.archive import SheetScan
    from batchport.intake.workbook import apply_scan

    rows: list[list[object]] = [["Phone", "City"], ["1", "Albany"], ["2", ""], ["3", "Troy"], ["4"]]
    scan = SheetScan(
        hidden_rows=frozenset({1, 4}),
        merged=((2, 1, 5, 1), (1, 0, 2, 0)),
        errors={(0, 0): "#N/A", (5, 1): "#REF!", (9, 0): "#N/A"},
        uncalculated=frozenset({(1, 1), (3, 0)}),
    )
    marks = apply_scan(rows, 1, scan)
    assert rows == [
        ["Phone", "City"],
        ["1", "Albany"],
        ["2", "Albany"],
        ["3", "Troy"],
        ["4", "#REF!"],
    ]
    assert [(m.row, m.column, m.code, m.value) for m in marks] == [
        (4, -1, "row_hidden", ""),
        (3, 0, "formula_not_calculated", ""),
        (3, 1, "merged_cell_filled", "B2:B5"),
    ]
