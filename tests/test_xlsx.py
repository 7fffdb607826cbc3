from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from openpyxl import load_workbook

from batchport.report.xlsx import (
    FILL_ERROR,
    FILL_WARNING,
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


def test_numbers_of_any_kind_and_missing_values(tmp_path: Path) -> None:
    import numpy as np

    row: list[object] = [np.int64(7), float("nan"), np.float64(2.5)]
    path = write_workbook(tmp_path / "out.xlsx", [spec([row])])
    assert list(load_workbook(path)["Data"].values)[1] == (7, None, 2.5)
