from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from openpyxl import Workbook

from batchport.intake import read_table
from batchport.intake.text import EXCEL_CELL_LIMIT, clean_text, plain_ascii, visible

HEADER = (
    "Phone Number,End User Name,Street Number,Street Name,City,State,ZIP Code,Port-Out PIN,Notes"
)


def _csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "in.csv"
    path.write_bytes(("\r\n".join([HEADER, *rows]) + "\r\n").encode("utf-8"))
    return path


def test_a_nul_in_a_csv_name_is_removed_and_reported(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "(212) 263-1000,Acme\x00Widgets,350,Fifth Ave,New York,NY,10118,48213,note",
        "(212) 263-1001,Acme Widgets 1,350,Fifth Ave,New York,NY,10118,48213,\x00\x00\x00",
    )
    table = read_table(path)
    assert table.frame.loc[2, "name"] == "AcmeWidgets"  # what is sent is what is shown
    found = [f for f in table.findings if f.code == "control_characters_removed"]
    assert [(f.row, f.column, f.value, f.sent) for f in found] == [
        (2, "name", "Acme<NUL>Widgets", "AcmeWidgets"),
        (3, "Notes", "<NUL><NUL><NUL>", ""),
    ]
    assert found[0].severity == "warning"


@pytest.mark.parametrize(
    ("written", "sent", "shown"),
    [
        ("48\u202e21", "4821", "48<U+202E>21"),  # a right-to-left override shows 4821 as 4812
        ("Acme\u200bWidgets", "AcmeWidgets", "Acme<U+200B>Widgets"),
        ("Acme\x1bWidgets", "AcmeWidgets", "Acme<ESC>Widgets"),
        ("Acme\x85Widgets", "AcmeWidgets", "Acme<U+0085>Widgets"),
        ("Acme\x7fWidgets", "AcmeWidgets", "Acme<DEL>Widgets"),
        ("Ac\u00adme\u2066W\u2069", "AcmeW", "Ac<U+00AD>me<U+2066>W<U+2069>"),
    ],
)
def test_control_and_invisible_format_characters(written: str, sent: str, shown: str) -> None:
    frame = pd.DataFrame({"name": [written, "plain"]}, index=pd.Index([2, 3], name="row"))
    cleaned, findings = clean_text(frame)
    assert cleaned["name"].tolist() == [sent, "plain"]
    assert findings[["row", "column", "code", "value", "sent"]].values.tolist() == [
        [2, "name", "control_characters_removed", shown, sent]
    ]


def test_letters_accents_tabs_and_newlines_are_left_alone() -> None:
    frame = pd.DataFrame({"name": ["Café Élise", "a\tb", "line\nbreak", "日本", "😀"]})
    cleaned, findings = clean_text(frame)
    assert cleaned["name"].tolist() == frame["name"].tolist()
    assert findings.empty


def test_a_secret_cell_is_masked_in_the_finding(tmp_path: Path) -> None:
    path = _csv(tmp_path, "(212) 263-1000,Acme,350,Fifth Ave,New York,NY,10118,48\x0013,")
    table = read_table(path)
    assert table.frame.loc[2, "existingPortOutPin"] == "4813"
    (found,) = [f for f in table.findings if f.code == "control_characters_removed"]
    assert "48" not in found.value and "4813" not in found.sent


def test_xlsx_cells_get_the_same_rule(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER.split(",")[:7])
    sheet.append(
        ["(212) 263-1000", "Acme\u200fWidgets", "350", "Fifth\x85Ave", "New York", "NY", "10118"]
    )
    workbook.save(tmp_path / "in.xlsx")
    table = read_table(tmp_path / "in.xlsx")
    assert table.frame.loc[2, "name"] == "AcmeWidgets"
    assert table.frame.loc[2, "streetName"] == "FifthAve"
    found = [f for f in table.findings if f.code == "control_characters_removed"]
    assert [(f.row, f.column, f.value, f.sent) for f in found] == [
        (2, "name", "Acme<U+200F>Widgets", "AcmeWidgets"),
        (2, "streetName", "Fifth<U+0085>Ave", "FifthAve"),
    ]


def test_a_cell_longer_than_a_workbook_cell_is_named(tmp_path: Path) -> None:
    long = "Z" * (EXCEL_CELL_LIMIT + 1)
    path = _csv(tmp_path, f"(212) 263-1000,Acme,350,Fifth Ave,New York,NY,10118,4821,{long}")
    (found,) = [f for f in read_table(path).findings if f.code == "cell_too_long_for_workbook"]
    assert (found.row, found.column) == (2, "Notes")
    assert "32,768 characters" in found.message and "cut" in found.message


def test_a_cell_at_the_limit_is_not_named(tmp_path: Path) -> None:
    exact = "Z" * EXCEL_CELL_LIMIT
    path = _csv(tmp_path, f"(212) 263-1000,Acme,350,Fifth Ave,New York,NY,10118,4821,{exact}")
    assert not [f for f in read_table(path).findings if f.code == "cell_too_long_for_workbook"]


def test_visible_names_every_removed_character() -> None:
    assert visible("a\x00b\x1fc\u200bd") == "a<NUL>b<US>c<U+200B>d"


def test_legacy_rows_name_their_accented_cells_only() -> None:
    frame = pd.DataFrame(
        {"name": ["Café", "Crème", "Plain"], "city": ["Montréal", "Laval", "Québec"]},
        index=pd.Index([2, 3, 4], name="row"),
    )
    cleaned, findings = clean_text(frame, legacy_rows=(3, 4))
    assert cleaned is frame or cleaned.equals(frame)
    assert findings[["row", "column", "code", "value"]].values.tolist() == [
        [3, "name", "legacy_encoding_line", "Crème"],
        [4, "city", "legacy_encoding_line", "Québec"],
    ]
    assert findings["message"].str.startswith("This line of the file was not UTF-8").all()
    assert (findings["severity"] == "warning").all()


def test_cleaning_keeps_the_spreadsheet_row_numbers() -> None:
    frame = pd.DataFrame({"name": ["a\x00b", "c"]}, index=pd.Index([7, 9], name="row"))
    cleaned, _ = clean_text(frame)
    assert cleaned.index.tolist() == [7, 9]
    assert cleaned["name"].tolist() == ["ab", "c"]


def test_the_too_long_finding_shows_the_value_and_its_length() -> None:
    long = "Z" * 40_000
    frame = pd.DataFrame({"Notes": [long, "short"], "name": [long, "x"]}, index=[2, 3])
    _, findings = clean_text(frame)
    assert findings[["row", "column", "code"]].values.tolist() == [
        [2, "Notes", "cell_too_long_for_workbook"]
    ]  # a known column's own length limit reports "name"
    assert findings.loc[0, "value"] == long
    assert findings.loc[0, "message"] == (
        "This cell holds 40,000 characters, more than a workbook cell can hold (32,767): the "
        "reports show it cut short. It is not sent to the API."
    )


def test_a_control_character_excel_saved_as_an_escape_is_removed(tmp_path: Path) -> None:
    # Excel saves a control character in a cell as _x0000_ (OOXML's escape); readers decode it.
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER.split(",")[:7])
    sheet.append(
        ["(212) 263-1000", "Acme_x0000_Wid_x001B_gets", "350", "Main", "Albany", "NY", "12207"]
    )
    workbook.save(tmp_path / "in.xlsx")
    table = read_table(tmp_path / "in.xlsx")
    assert table.frame.loc[2, "name"] == "AcmeWidgets"
    found = [(f.value, f.sent) for f in table.findings if f.code == "control_characters_removed"]
    assert found == [("Acme<NUL>Wid<ESC>gets", "AcmeWidgets")]


@pytest.mark.parametrize(
    ("cells", "plain", "tidy"),
    [
        (["Acme Widgets", "350", ""], True, True),
        ([], True, True),
        (["", ""], True, True),
        (["Acme  Widgets"], True, False),  # two spaces in a row
        ([" Acme"], True, False),
        (["Acme "], True, False),
        (["Acme", " "], True, False),  # a cell of one space both starts and ends with it
        (["Acme ", " Widgets"], True, False),  # spaces meeting across two cells
        (["Café"], False, False),
        (["a\tb"], False, False),
        (["a\x00b"], False, False),
        (["a\x7fb"], False, False),
        (["a\u00a0b"], False, False),
        (["~!@#$%^&*()_+{}|:<>?"], True, True),
        (["", "Café"], False, False),  # a blank first cell says nothing of the rest
    ],
)
def test_plain_ascii_tells_a_column_that_needs_no_cleaning(
    cells: list[str], plain: bool, tidy: bool
) -> None:
    column = pd.Series(cells, dtype="str")
    assert plain_ascii(column) is plain
    assert plain_ascii(column, spaced=True) is tidy


def test_plain_ascii_looks_only_at_the_cells_of_a_slice() -> None:
    column = pd.Series(["Café ", "plain", "Acme  ", "tidy"], dtype="str")
    assert plain_ascii(column.iloc[1:2], spaced=True)
    assert plain_ascii(column.iloc[3:], spaced=True)
    assert not plain_ascii(column.iloc[1:3], spaced=True)
    assert not plain_ascii(column.iloc[:2])
    # Offsets of a slice start past zero: each cell's first byte is found from the slice's.
    leading = pd.Series(["Café", "x", " lead"], dtype="str")
    assert not plain_ascii(leading.iloc[1:], spaced=True)


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_plain_ascii_reads_a_column_stored_in_chunks(kind: pa.DataType) -> None:
    # A long CSV column arrives from pyarrow in several chunks, with 32- or 64-bit offsets.
    def column(*chunks: list[str]) -> pd.Series:
        stored = pa.chunked_array([pa.array(c, type=kind) for c in chunks])
        return pd.Series(pd.arrays.ArrowStringArray(stored))

    assert plain_ascii(column(["plain", "text"], ["more"]), spaced=True)
    assert not plain_ascii(column(["plain"], ["Caf\u00e9"]))
    assert not plain_ascii(column(["plain"], ["tidy", "lead "]), spaced=True)
    assert not plain_ascii(column(["trail "], ["tidy"]), spaced=True)
    assert plain_ascii(column([], ["x"], []), spaced=True)


def test_plain_ascii_leaves_text_it_cannot_see_to_the_patterns() -> None:
    assert not plain_ascii(pd.Series(["plain"], dtype=object))
    assert not plain_ascii(pd.Series(["plain", None], dtype="str"))


def test_untidy_cells_among_plain_ones_are_still_cleaned() -> None:
    frame = pd.DataFrame({"Notes": ["plain"] * 50 + ["a\u200bb"]})
    cleaned, findings = clean_text(frame)
    assert cleaned["Notes"].tolist()[-1] == "ab"
    assert findings["row"].tolist() == [50]
