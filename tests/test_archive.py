from __future__ import annotations

import random
import zipfile
from pathlib import Path

import pytest
from xlsx_parts import cell, row, write_parts, write_workbook

from batchport.errors import InputError
from batchport.intake.archive import (
    MAX_MEMBER_BYTES,
    MAX_RATIO,
    SheetScan,
    _check_member,
    column_index,
    column_letters,
    open_archive,
    scan_sheet,
)

HEADER = ["Phone Number", "Name", "Street Number", "Street Name", "City", "State", "Zip"]
LINE = ["(212) 555-0143", "Acme", "350", "Fifth Ave", "New York", "NY", "10118"]
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def body(*extra: str) -> str:
    return row(1, HEADER) + row(2, LINE) + "".join(extra)


def scan(path: Path, name: str = "Numbers") -> SheetScan:
    return scan_sheet(open_archive(path), name)


@pytest.mark.parametrize(("letters", "index"), [("A", 0), ("Z", 25), ("AA", 26), ("XFD", 16383)])
def test_column_letters_and_index(letters: str, index: int) -> None:
    assert column_index(letters) == index
    assert column_letters(index) == letters


def test_sheets_in_tab_order_with_their_visibility(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "in.xlsx", [("Old", body()), ("New", body())], hidden=["Old"])
    archive = open_archive(path)
    assert [(s.name, s.visible) for s in archive.sheets] == [("Old", False), ("New", True)]
    assert archive.sheet("New").member == "xl/worksheets/sheet2.xml"


@pytest.mark.parametrize("where", ["shared strings", "sheet"])
def test_a_decompression_bomb_is_refused_from_the_zip_directory(tmp_path: Path, where: str) -> None:
    filler = b"<si><t>" + b"A" * 4000 + b"</t></si>"
    bomb = b'<sst xmlns="' + _MAIN.encode() + b'">' + filler * 1000 + b"</sst>"
    if where == "shared strings":
        path = write_workbook(tmp_path / "in.xlsx", [("Numbers", body())], shared_strings=bomb)
        part = "xl/sharedStrings.xml"
    else:
        cells = cell("A3", "9" * 30000) * 200
        path = write_workbook(
            tmp_path / "in.xlsx", [("Numbers", body(f'<row r="3">{cells}</row>'))]
        )
        part = "xl/worksheets/sheet1.xml"
    with pytest.raises(InputError, match="decompression bomb") as caught:
        open_archive(path)
    message = str(caught.value)
    assert part in message and "\n" not in message


def test_a_big_sheet_of_real_looking_data_is_not_a_bomb(tmp_path: Path) -> None:
    rng = random.Random(3)
    lines = [
        row(n, [f"(212) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}", f"Name {n}",
                str(rng.randint(1, 9999)), "Main", "Albany", "NY", f"{rng.randint(10000, 14999)}"])
        for n in range(3, 20_000)
    ]  # fmt: skip
    path = write_workbook(tmp_path / "in.xlsx", [("Numbers", body(*lines))])
    assert open_archive(path).size_of(open_archive(path).sheets[0]) > 1 << 20
    assert scan(path).hidden_rows == frozenset()


def test_garbage_and_a_missing_part_are_one_line_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"PK not really")
    with pytest.raises(InputError, match=r"cannot be read as an \.xlsx"):
        open_archive(garbage)
    parts = write_parts(tmp_path / "noworkbook.xlsx", {"[Content_Types].xml": b"<Types/>"})
    with pytest.raises(InputError, match=r"cannot be read as an \.xlsx") as caught:
        open_archive(parts)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("extra", "far"),
    [
        ('<row r="1048576">' + cell("XFD1048576", " ") + "</row>", "XFD1048576"),
        ('<row r="1048576">' + cell("A1048576", "x") + "</row>", "A1048576"),
        # a cell whose reference disagrees with its row: the readers follow the cell
        ('<row r="3">' + cell("XFD3", "x") + cell("A99999", "y") + "</row>", "XFD99999"),
        ('<row r="3">' + cell("ZZ3", "x") + "</row>" + row(90000, ["y"]), "ZZ90000"),
    ],
)
def test_a_cell_far_beyond_the_data_is_refused_naming_sheet_and_cell(
    tmp_path: Path, extra: str, far: str
) -> None:
    path = write_workbook(tmp_path / "in.xlsx", [("Numbers", body(extra))])
    with pytest.raises(InputError, match=f"sheet 'Numbers' has a cell at {far}, far beyond") as e:
        scan(path)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    "extra",
    [
        '<row r="3">' + cell("AZ3", "note") + "</row>",  # a wide sheet of few rows
        row(150_000, ["late"]),  # a long narrow one
        '<row r="60">' + "".join(cell(f"{column_letters(i)}60", i) for i in range(60)) + "</row>",
    ],
)
def test_sheets_of_a_sensible_size_are_scanned(tmp_path: Path, extra: str) -> None:
    path = write_workbook(tmp_path / "in.xlsx", [("Numbers", body(extra))])
    assert scan(path).merged == ()


def test_marks_of_what_a_person_sees(tmp_path: Path) -> None:
    data = body(
        row(3, LINE, hidden=True),
        row(5, LINE, hidden=True),
        '<row r="6">'
        + cell("A6", None, formula='TEXT(L6,"0")')  # never calculated
        + cell("B6", 5, formula="2+3")  # calculated: a saved value
        + cell("C6", "", formula='IF(1,"","x")', kind="str")  # calculated to empty text
        + cell("D6", "#REF!", kind="e")
        + cell("E6", "#DIV/0!", formula="1/0", kind="e")
        + "</row>",
    )
    tail = '<autoFilter ref="A4:G9"/><mergeCells count="1"><mergeCell ref="B7:C9"/></mergeCells>'
    path = write_workbook(tmp_path / "in.xlsx", [("Numbers", data)], after={"Numbers": tail})
    found = scan(path)
    assert found.hidden_rows == {3}
    assert found.filtered_rows == {5}
    assert found.uncalculated == {(6, 0)}
    assert found.errors == {(6, 3): "#REF!", (6, 4): "#DIV/0!"}
    assert found.merged == ((7, 1, 9, 2),)


def test_marks_are_found_across_chunks_of_a_big_sheet(tmp_path: Path) -> None:
    rng = random.Random(5)
    lines = [
        row(n, [f"{rng.randint(2002000000, 9899999999)}", f"Customer {rng.random()}", "1",
                "Main", "Albany", "NY", "12207"], hidden=n % 997 == 0)
        for n in range(3, 40_000)
    ]  # fmt: skip
    errors = "".join(f'<row r="{n}">{cell(f"H{n}", "#N/A", kind="e")}</row>' for n in (40_001,))
    path = write_workbook(tmp_path / "in.xlsx", [("Numbers", body(*lines, errors))])
    assert open_archive(path).size_of(open_archive(path).sheets[0]) > 5 << 20
    found = scan(path)
    assert found.hidden_rows == {n for n in range(3, 40_000) if n % 997 == 0}
    assert found.errors == {(40_001, 7): "#N/A"}


def test_a_sheet_written_with_a_namespace_prefix_is_scanned_alike(tmp_path: Path) -> None:
    sheet = (
        f'<x:worksheet xmlns:x="{_MAIN}"><x:sheetData><x:row r="1048576" hidden="1">'
        '<x:c r="XFD1048576" t="inlineStr"><x:is><x:t> </x:t></x:is></x:c></x:row>'
        "</x:sheetData></x:worksheet>"
    )
    path = write_workbook(tmp_path / "in.xlsx", [("Numbers", body())])
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    write_parts(path, parts)
    with pytest.raises(InputError, match="has a cell at XFD1048576"):
        scan(path)


def test_a_workbook_without_package_relationships_is_read_from_xl_workbook(
    tmp_path: Path,
) -> None:
    path = write_workbook(tmp_path / "in.xlsx", [("Numbers", body())], hidden=["Numbers"])
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist() if n != "_rels/.rels"}
    write_parts(path, parts)
    assert [(s.name, s.visible) for s in open_archive(path).sheets] == [("Numbers", False)]


@pytest.mark.parametrize(
    ("size", "packed", "refused"),
    [
        (MAX_RATIO * 20_000, 20_000, False),  # exactly the highest ratio
        (MAX_RATIO * 20_000 + 1, 20_000, True),
        (1 << 20, 1, False),  # small parts may compress as well as they like
        ((1 << 20) + 1, 1, True),
        (MAX_MEMBER_BYTES, MAX_MEMBER_BYTES // 10, False),
        (MAX_MEMBER_BYTES + 1, MAX_MEMBER_BYTES // 10, True),
    ],
)
def test_the_bomb_limits_are_exact(size: int, packed: int, refused: bool) -> None:
    info = zipfile.ZipInfo("xl/sharedStrings.xml")
    info.file_size, info.compress_size = size, packed
    if refused:
        with pytest.raises(InputError, match=f"from {packed:,} to {size:,} bytes"):
            _check_member(Path("in.xlsx"), info)
    else:
        _check_member(Path("in.xlsx"), info)


@pytest.mark.parametrize(("ref", "refused"), [("AN100000", False), ("AN100001", True)])
def test_the_far_cell_limit_is_exact(tmp_path: Path, ref: str, refused: bool) -> None:
    # Column AN is the 40th: 40 columns by 100,000 rows are exactly the cells always allowed.
    extra = f'<row r="{ref[2:]}">{cell(ref, "x")}</row>'
    path = write_workbook(tmp_path / "in.xlsx", [("Numbers", body(extra))])
    if refused:
        with pytest.raises(InputError, match=f"has a cell at {ref},.*4,000,040 cells"):
            scan(path)
    else:
        assert scan(path).errors == {}


def test_rows_hidden_by_the_filter_lie_below_its_header_row_and_up_to_its_last(
    tmp_path: Path,
) -> None:
    data = row(1, HEADER) + "".join(row(n, LINE, hidden=True) for n in (3, 4, 6, 7))
    path = write_workbook(
        tmp_path / "in.xlsx", [("Numbers", data)], after={"Numbers": '<autoFilter ref="A3:G6"/>'}
    )
    found = scan(path)
    assert found.filtered_rows == {4, 6}
    assert found.hidden_rows == {3, 7}


def test_sheet_targets_are_resolved_like_paths(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "in.xlsx", [("One", body()), ("Two", body())])
    with zipfile.ZipFile(path) as archive:
        parts = {n: archive.read(n) for n in archive.namelist()}
    rels = parts["xl/_rels/workbook.xml.rels"]
    rels = rels.replace(b'"worksheets/sheet1.xml"', b'"/xl/worksheets/sheet1.xml"')
    rels = rels.replace(b'"worksheets/sheet2.xml"', b'"./../xl//worksheets/sheet2.xml"')
    parts["xl/_rels/workbook.xml.rels"] = rels
    write_parts(path, parts)
    members = [s.member for s in open_archive(path).sheets]
    assert members == ["xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"]
