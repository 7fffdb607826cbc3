from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from batchport.report import xlsx
from batchport.report.xlsx import (
    FILL_ERROR,
    FILL_OK,
    FILL_WARNING,
    Block,
    PageSpec,
    SheetSpec,
    atomic_path,
    make_reproducible,
    write_workbook,
)


def spec(rows: list[Sequence[object]], **kw: object) -> SheetSpec:
    return SheetSpec("Data", ["Row", "Severity", "Text"], rows, **kw)  # type: ignore[arg-type]


def test_cells_types_header_freeze_filter_and_widths(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "out.xlsx", [spec([[2, "error", "x" * 200], [3, "", 1.5]])])
    sheet = load_workbook(path)["Data"]
    assert [c.value for c in sheet[1]] == ["Row", "Severity", "Text"]
    assert sheet["A1"].font.b
    assert sheet["A2"].value == 2 and sheet["C3"].value == 1.5
    assert sheet["B3"].value is None
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:C3"
    assert sheet.column_dimensions["C"].width == 60
    assert sheet.column_dimensions["A"].width >= len("Row") + 2


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "=1+2", "+1 212 555 0143", "-5", "@SUM(A1)", "#N/A"]
)
def test_no_cell_is_ever_a_formula_or_error(tmp_path: Path, text: str) -> None:
    path = write_workbook(tmp_path / "out.xlsx", [spec([[2, "warning", text]])])
    cell = load_workbook(path)["Data"]["C2"]
    assert cell.value == text
    assert cell.data_type == "s"


def test_characters_xml_cannot_carry_are_dropped(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "out.xlsx", [spec([[2, "warning", "bad\x01text\x1f"]])])
    assert load_workbook(path)["Data"]["C2"].value == "badtext"


def test_secret_columns_are_masked(tmp_path: Path) -> None:
    sheets = [
        SheetSpec(
            "S",
            ["PIN", "Account"],
            [["1234", "ACCT-12345678"], ["", "12"]],
            masked_columns={"PIN": "existingPortOutPin", "Account": "accountNum"},
        )
    ]
    rows = list(load_workbook(write_workbook(tmp_path / "o.xlsx", sheets))["S"].values)
    assert rows[1:] == [("****", "****5678"), (None, "****")]


def test_fills_follow_the_value_of_one_column(tmp_path: Path) -> None:
    fills = {"error": FILL_ERROR, "warning": FILL_WARNING}
    path = write_workbook(
        tmp_path / "out.xlsx",
        [spec([[2, "error", "a"], [3, "warning", "b"]], fill_column="Severity", fills=fills)],
    )
    rules = load_workbook(path)["Data"].conditional_formatting
    found = {
        (str(r.sqref), rule.formula[0], rule.dxf.fill.fgColor.rgb[-6:])
        for r in rules
        for rule in r.rules
    }
    assert found == {("A2:C3", '$B2="error"', FILL_ERROR), ("A2:C3", '$B2="warning"', FILL_WARNING)}


def test_several_sheets_and_dates(tmp_path: Path) -> None:
    sheets = [spec([[2, "error", dt.date(2026, 1, 2)]]), SheetSpec("Second", ["A"], [])]
    workbook = load_workbook(write_workbook(tmp_path / "out.xlsx", sheets))
    assert workbook.sheetnames == ["Data", "Second"]
    assert workbook["Data"]["C2"].value == "2026-01-02"


def test_atomic_path_leaves_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")

    def rows() -> Iterator[list[object]]:
        yield [2, "error", "x"]
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError, match="disk on fire"):
        write_workbook(target, [spec(rows())])  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


def test_atomic_path_replaces_only_on_success(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    with atomic_path(target) as temp:
        temp.write_text("new")
        assert not target.exists()
    assert target.read_text() == "new"


def test_written_workbook_gets_ordinary_file_permissions(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        path = write_workbook(tmp_path / "out.xlsx", [spec([[2, "error", "x"]])])
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_make_reproducible_gives_identical_bytes(tmp_path: Path) -> None:
    stamp = dt.datetime(2026, 1, 1)
    paths = []
    for name in ("a.xlsx", "b.xlsx"):
        path = write_workbook(tmp_path / name, [spec([[2, "error", "x"]])])
        make_reproducible(path, stamp)
        paths.append(path)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert load_workbook(paths[0]).properties.modified == stamp


def test_text_is_escaped_and_kept_exactly(tmp_path: Path) -> None:
    texts = ["a < b & c > d", "  padded  ", "line\nbreak", "quote \" and ' too"]
    path = write_workbook(tmp_path / "out.xlsx", [spec([[2, t, True] for t in texts])])
    rows = list(load_workbook(path)["Data"].values)[1:]
    assert [r[1] for r in rows] == texts
    assert all(r[2] is True for r in rows)


def test_widths_follow_the_data_when_not_given(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [[2, "error", "x" * 30]]
    path = write_workbook(tmp_path / "out.xlsx", [spec(rows, widths=(5.0, 7.0, 9.0))])
    sheet = load_workbook(path)["Data"]
    assert [sheet.column_dimensions[c].width for c in "ABC"] == [5.0, 7.0, 9.0]
    guessed = load_workbook(write_workbook(tmp_path / "g.xlsx", [spec(rows)]))["Data"]
    assert guessed.column_dimensions["C"].width == 31


def test_given_widths_name_the_first_columns_and_the_rest_are_guessed(tmp_path: Path) -> None:
    out = write_workbook(tmp_path / "w.xlsx", [spec([[1, "error", "x" * 30]], widths=(5,))])
    sheet = load_workbook(out)["Data"]
    assert sheet.column_dimensions["A"].width == 5 and sheet.column_dimensions["C"].width == 31


def test_wrapped_columns_are_top_aligned_and_rows_tall_enough(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [
        [1, "error", "one line"],
        [2, "error", "first\nsecond\nthird"],
        [3, "error", "word " * 40],  # 200 characters at a width of 20
        [4, "error", "line\n" * 200],
    ]
    out = write_workbook(tmp_path / "w.xlsx", [spec(rows, widths=(6, 9, 20), wrapped=("Text",))])
    sheet = load_workbook(out)["Data"]
    assert sheet["C3"].alignment.wrap_text and sheet["C3"].alignment.vertical == "top"
    assert sheet["A3"].alignment.vertical == "top" and not sheet["A3"].alignment.wrap_text
    heights = [sheet.row_dimensions[n].height for n in range(2, 6)]
    assert heights[0] is None and heights[1] == 45
    assert heights[2] >= 9 * 15  # 200 characters, about 22 to a line
    assert heights[3] == 409  # Excel's tallest row


def test_rows_with_a_hidden_value_start_hidden_behind_the_filter(tmp_path: Path) -> None:
    rows: list[Sequence[object]] = [[1, "error", "a"], [2, "info", "b"], [3, "warning", "c"]]
    fills = {"error": FILL_ERROR, "warning": FILL_WARNING, "info": FILL_OK}
    hidden = ("Severity", frozenset({"info"}))
    out = write_workbook(tmp_path / "w.xlsx", [spec(rows, fill_column="Severity", fills=fills,
                                                    hidden=hidden)])  # fmt: skip
    sheet = load_workbook(out)["Data"]
    assert [bool(sheet.row_dimensions[n].hidden) for n in (2, 3, 4)] == [False, True, False]
    (column,) = sheet.auto_filter.filterColumn
    assert column.colId == 1 and column.filters.filter == ["error", "warning"]
    assert sheet.cell(3, 3).value == "b"  # hidden, not dropped


def test_numbers_of_any_kind_and_missing_values(tmp_path: Path) -> None:
    import numpy as np

    row: list[object] = [np.int64(7), float("nan"), np.float64(2.5)]
    path = write_workbook(tmp_path / "out.xlsx", [spec([row])])
    assert list(load_workbook(path)["Data"].values)[1] == (7, None, 2.5)


def page(*blocks: Block, title: str = "Result") -> PageSpec:
    return PageSpec("Summary", title, blocks)


def print_area(sheet: Worksheet) -> tuple[str, int]:
    """The print area's first cell and its last column (1-based)."""
    start, end = str(sheet.print_area).split("!")[-1].replace("$", "").split(":")
    return start, column_index_from_string(end.rstrip("0123456789"))


OUTCOMES = Block(
    "Outcomes",
    [("Submitted", 6, 0.75), ("Invalid", 2, 0.25), ("Total", 8, 1.0)],
    columns=("Outcome", "Rows", "Share"),
    fills=(FILL_OK, FILL_ERROR),
    total=True,
    formats={2: "0.0%"},
    chart="Rows by outcome",
)


def test_page_places_title_blocks_fills_and_totals(tmp_path: Path) -> None:
    facts = Block("", [("Batch id", "b1"), ("Rows", 8)])
    path = write_workbook(tmp_path / "p.xlsx", [page(facts, OUTCOMES, title="Port-in result")])
    sheet = load_workbook(path)["Summary"]
    assert sheet["A1"].value == "Port-in result" and sheet["A1"].font.b
    assert [sheet["A3"].value, sheet["B3"].value, sheet["B4"].value] == ["Batch id", "b1", 8]
    assert sheet["A6"].value == "Outcomes"
    table = [[cell.value for cell in row] for row in sheet["A7:C10"]]
    assert table == [
        ["Outcome", "Rows", "Share"],
        ["Submitted", 6, 0.75],
        ["Invalid", 2, 0.25],
        ["Total", 8, 1],
    ]
    fills = [sheet[f"{c}{r}"].fill.fgColor.rgb[-6:] for r in (8, 9) for c in "ABC"]
    assert fills == [FILL_OK] * 3 + [FILL_ERROR] * 3
    assert sheet["A10"].fill.fill_type is None
    assert sheet["B10"].font.b and not sheet["B8"].font.b
    assert sheet["C8"].number_format == "0.0%"
    assert sheet.freeze_panes is None and not sheet.auto_filter.ref


def test_page_columns_show_every_label_but_run_on_text_widens_nothing(tmp_path: Path) -> None:
    carriers = Block(
        "Carriers",
        [("Frontier Communications of America", 3)],
        columns=("Carrier", "Submitted"),
    )
    steps = Block("Next", [("x" * 150,)])
    path = write_workbook(tmp_path / "p.xlsx", [page(carriers, steps)])
    sheet = load_workbook(path)["Summary"]
    assert sheet.column_dimensions["A"].width >= len("Frontier Communications of America") + 2
    assert sheet.column_dimensions["A"].width < 60  # the 150 characters run on to the right
    assert sheet.column_dimensions["B"].width >= len("Submitted") + 2
    start, end = print_area(sheet)
    reach = sum(sheet.column_dimensions[get_column_letter(c)].width or 8.43 for c in range(1, end))
    assert start == "A1" and reach >= 150 - 8.43  # the print area reaches as far as they run


def test_page_chart_references_its_table(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "p.xlsx", [page(OUTCOMES)])
    sheet = load_workbook(path)["Summary"]
    (chart,) = sheet._charts
    (series,) = chart.series
    assert series.val.numRef.f == "'Summary'!$B$5:$B$6"  # the totals row left out
    assert series.cat.numRef.f == "'Summary'!$A$5:$A$6"
    assert [point.graphicalProperties.solidFill.srgbClr for point in series.dPt] == [
        FILL_OK,
        FILL_ERROR,
    ]
    assert chart.anchor._from.col == 4  # E: beside the table, one column apart
    assert chart.anchor._from.row == 2  # from the block's heading row (3)
    assert chart.anchor.to.row - chart.anchor._from.row >= 9  # not squeezed to the table


def test_page_without_rows_to_chart_has_no_chart(tmp_path: Path) -> None:
    empty = Block("Outcomes", [("Total", 0, 0.0)], columns=("Outcome", "Rows"), total=True,
                  chart="Rows by outcome")  # fmt: skip
    path = write_workbook(tmp_path / "p.xlsx", [page(empty)])
    assert load_workbook(path)["Summary"]._charts == []


def test_page_prints_landscape_on_one_page(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / "p.xlsx", [page(OUTCOMES)])
    sheet = load_workbook(path)["Summary"]
    assert sheet.page_setup.orientation == "landscape"
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 1)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    start, end = print_area(sheet)
    assert start == "A1" and end >= sheet._charts[0].anchor.to.col  # the chart is printed


def test_page_block_beside_the_one_before(tmp_path: Path) -> None:
    left = Block("Carriers", [("Verizon", 2)], columns=("Carrier", "Numbers"))
    right = Block("Orders", [("REF-1", "2026-12-04")], columns=("Order", "Port date"),
                  beside=True)  # fmt: skip
    below = Block("API", [("API calls", 3)])
    sheet = load_workbook(write_workbook(tmp_path / "p.xlsx", [page(left, right, below)]))[
        "Summary"
    ]
    assert [sheet["A3"].value, sheet["D3"].value] == ["Carriers", "Orders"]
    assert [sheet["D5"].value, sheet["E5"].value] == ["REF-1", "2026-12-04"]
    assert sheet["C5"].value is None
    assert sheet.column_dimensions["C"].width < 3  # the gap between them
    assert [sheet["A7"].value, sheet["B8"].value] == ["API", 3]
    with pytest.raises(ValueError, match="beside a block with a chart"):
        write_workbook(tmp_path / "q.xlsx", [page(OUTCOMES, right)])


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "=1+2", "-5", "@SUM(A1)", "#N/A"])
def test_no_page_cell_is_ever_a_formula_or_error(tmp_path: Path, text: str) -> None:
    blocks = (
        Block(text, [(text, text)]),
        Block("T", [(text, 1, dt.date(2026, 1, 2))], columns=(text, "n", "d"), note=text),
    )
    path = write_workbook(tmp_path / "p.xlsx", [page(*blocks, title=text)])
    cells = [c for row in load_workbook(path)["Summary"].iter_rows() for c in row if c.value]
    assert {c.value for c in cells if c.data_type == "s"} >= {text, "2026-01-02"}
    assert all(c.data_type in ("s", "n") for c in cells)
    assert sum(c.value == text for c in cells) == 7


def test_text_longer_than_a_cell_holds_is_cut_with_a_visible_marker(tmp_path: Path) -> None:
    from batchport.report.xlsx_rows import CELL_LIMIT

    long, exact = "N" * 100_000, "E" * CELL_LIMIT
    path = write_workbook(tmp_path / "out.xlsx", [spec([[2, "error", long], [3, "", exact]])])
    sheet = load_workbook(path)["Data"]
    cut = sheet["C2"].value
    assert len(cut) == CELL_LIMIT
    assert cut.startswith("NNN") and cut.endswith("… [cut: the value has 100,000 characters]")
    assert sheet["C3"].value == exact  # at the limit: whole


def test_page_cells_are_cut_alike(tmp_path: Path) -> None:
    from batchport.report.xlsx_rows import CELL_LIMIT

    block = Block(heading="Facts", rows=[("Note", "W" * 40_000)])
    path = write_workbook(tmp_path / "out.xlsx", [page(block)])
    texts = [c.value for row in load_workbook(path)["Summary"].iter_rows() for c in row]
    long = [t for t in texts if isinstance(t, str) and t.startswith("WWW")]
    assert len(long) == 1 and len(long[0]) == CELL_LIMIT and "40,000 characters" in long[0]


@pytest.mark.parametrize(
    ("text", "units"),
    [("x" * 40_000, 32_767), ("😀" * 20_000, 32_767), ("a😀" * 20_000, 32_767)],
)
def test_fit_cell_counts_as_excel_does(text: str, units: int) -> None:
    from batchport.report.xlsx_rows import fit_cell

    fitted = fit_cell(text)
    assert len(fitted.encode("utf-16-le")) // 2 <= units  # Excel counts UTF-16 units
    assert fitted.endswith("characters]")
    assert text.startswith(fitted[: fitted.index("…")])


def colours(sheet: Worksheet) -> set[tuple[str, str, str]]:
    """The sheet's conditional formatting: (range, formula, RGB colour) of every rule."""
    return {
        (str(r.sqref), rule.formula[0], rule.dxf.fill.fgColor.rgb[-6:])
        for r in sheet.conditional_formatting
        for rule in r.rules
    }


def findings(rows: Iterable[Sequence[object]], name: str = "Findings", **kw: object) -> SheetSpec:
    """A sheet of ``numbered`` rows coloured by ``Severity``."""
    fills = {"error": FILL_ERROR, "info": FILL_OK}
    columns = ["Row", "Severity", "Text"]
    return SheetSpec(name, columns, rows, fill_column="Severity", fills=fills, **kw)  # type: ignore[arg-type]


def numbered(count: int) -> Iterator[list[object]]:
    """``count`` rows, read once: row n is ``[n, "error" or "info", "text n"]``."""
    for n in range(count):
        yield [n, "error" if n % 2 else "info", f"text {n}"]


@pytest.fixture
def three_rows_a_sheet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "SHEET_DATA_ROWS", 3)


@pytest.mark.usefixtures("three_rows_a_sheet")
def test_rows_past_the_limit_continue_in_numbered_sheets_framed_alike(tmp_path: Path) -> None:
    sheets: list[SheetSpec | PageSpec] = [
        page(OUTCOMES),
        findings(numbered(7), widths=(5,)),
        SheetSpec("After", ["A"], [["x"]]),
    ]
    workbook = load_workbook(write_workbook(tmp_path / "out.xlsx", sheets))
    parts = ["Findings", "Findings (2)", "Findings (3)"]
    assert workbook.sheetnames == ["Summary", *parts, "After"]
    assert [r[0] for name in parts for r in list(workbook[name].values)[1:]] == list(range(7))
    for name, last in zip(parts, (4, 4, 2), strict=True):
        sheet = workbook[name]
        assert [c.value for c in sheet[1]] == ["Row", "Severity", "Text"] and sheet["A1"].font.b
        assert sheet.max_row == last and sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == f"A1:C{last}"
        area = f"A2:C{last}"
        assert colours(sheet) == {(area, '$B2="error"', FILL_ERROR), (area, '$B2="info"', FILL_OK)}
        widths = [sheet.column_dimensions[c].width for c in "ABC"]
        assert widths == [5, 10, 7]  # given, then guessed: "Severity" + 2, "text 6" + 1
    assert list(workbook["After"].values) == [("A",), ("x",)]  # its own rows, not a part's
    assert workbook["Summary"]["A1"].value == "Result"


@pytest.mark.usefixtures("three_rows_a_sheet")
@pytest.mark.parametrize(("count", "filtered"), [(3, "A1:C4"), (0, "A1:C1")])
def test_rows_up_to_the_limit_make_one_sheet(tmp_path: Path, count: int, filtered: str) -> None:
    workbook = load_workbook(write_workbook(tmp_path / "out.xlsx", [findings(numbered(count))]))
    assert workbook.sheetnames == ["Findings"]
    sheet = workbook["Findings"]
    assert [c.value for c in sheet[1]] == ["Row", "Severity", "Text"]
    assert sheet.max_row == count + 1 and sheet.auto_filter.ref == filtered


def test_part_names_keep_their_suffix_within_excels_31_characters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx, "SHEET_DATA_ROWS", 1)
    name = "Findings of batch 3f9c2a1b7d04b"
    assert len(name) == 31
    names = load_workbook(write_workbook(tmp_path / "o.xlsx", [findings(numbered(11), name)]))
    assert names.sheetnames[:3] == [
        name,
        "Findings of batch 3f9c2a1b7 (2)",
        "Findings of batch 3f9c2a1b7 (3)",
    ]
    assert names.sheetnames[-1] == "Findings of batch 3f9c2a1b (11)"
    assert len(set(names.sheetnames)) == 11 and max(map(len, names.sheetnames)) == 31


@pytest.mark.usefixtures("three_rows_a_sheet")
def test_cell_fills_land_on_their_part_and_row(tmp_path: Path) -> None:
    cells = {(0, 2): FILL_WARNING, (3, 1): FILL_WARNING, (5, 2): FILL_WARNING, (6, 0): FILL_ERROR}
    out = write_workbook(tmp_path / "o.xlsx", [findings(numbered(7), cell_fills=cells)])
    workbook = load_workbook(out)
    single = {
        name: {
            (area, colour) for area, formula, colour in colours(workbook[name]) if formula == "TRUE"
        }
        for name in workbook.sheetnames
    }
    assert single == {
        "Findings": {("C2", FILL_WARNING)},
        "Findings (2)": {("B2 C4", FILL_WARNING)},
        "Findings (3)": {("A2", FILL_ERROR)},
    }


@pytest.mark.usefixtures("three_rows_a_sheet")
def test_every_part_hides_its_rows_behind_the_same_filter(tmp_path: Path) -> None:
    hidden = ("Severity", frozenset({"info"}))
    workbook = load_workbook(
        write_workbook(
            tmp_path / "o.xlsx", [findings(numbered(7), hidden=hidden, wrapped=("Text",))]
        )
    )
    for name in workbook.sheetnames:
        sheet = workbook[name]
        (column,) = sheet.auto_filter.filterColumn
        assert column.colId == 1 and column.filters.filter == ["error"]
        shown = [not sheet.row_dimensions[n].hidden for n in range(2, sheet.max_row + 1)]
        assert shown == [sheet.cell(n, 2).value == "error" for n in range(2, sheet.max_row + 1)]
        assert sheet["C2"].alignment.wrap_text


def test_a_sheet_holds_as_many_rows_as_excel_opens() -> None:
    # Excel's sheet is 2**20 rows: the header and 1,048,575 data rows (the tests above shrink it).
    assert xlsx.SHEET_DATA_ROWS == 2**20 - 1
