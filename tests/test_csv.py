from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from batchport.errors import InputError
from batchport.intake import read_table
from batchport.intake.csv import decode_text, read_csv

HEADER = ["Phone Number", "End User Name", "Street Number", "Street Name", "City", "State", "ZIP"]
MONTREAL = ["(514) 555-0143", "Café Élise", "350", "Fifth Ave", "Montréal", "QC", "H2J 2L3"]
NEW_YORK = ["(212) 555-0144", "Birchwood Dental", "350", "Fifth Ave", "New York", "NY", "10118"]


def _text(rows: list[list[str]], delimiter: str = ",") -> str:
    return "\r\n".join(delimiter.join(r) for r in rows) + "\r\n"


@pytest.mark.parametrize(
    ("bom", "encoding"),
    [
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
    ],
)
def test_every_byte_order_mark_is_honoured(tmp_path: Path, bom: bytes, encoding: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(bom + _text([HEADER, MONTREAL, NEW_YORK]).encode(encoding))
    table = read_table(path)
    assert list(table.frame.index) == [2, 3]
    assert table.frame.loc[2, ["name", "city", "state"]].tolist() == [
        "Café Élise",
        "Montréal",
        "QC",
    ]
    assert table.findings == ()


def test_excel_unicode_text_export_reads_as_two_rows(tmp_path: Path) -> None:
    # Excel's "Save as Unicode Text": UTF-16LE with a mark, tab-separated, a .txt suffix.
    path = tmp_path / "export.txt"
    path.write_bytes(
        codecs.BOM_UTF16_LE + _text([HEADER, MONTREAL, NEW_YORK], "\t").encode("utf-16-le")
    )
    table = read_table(path)
    assert list(table.frame.index) == [2, 3]
    assert table.frame.loc[2, "name"] == "Café Élise"
    assert table.frame.loc[2, "city"] == "Montréal"
    assert table.frame.loc[2, "state"] == "QC"
    assert table.frame.loc[3, "phoneNumber"] == "(212) 555-0144"


def test_utf16_without_a_mark_is_recognised_by_its_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "in.txt"
    path.write_bytes(_text([HEADER, MONTREAL], "\t").encode("utf-16-be"))
    assert read_table(path).frame.loc[2, "city"] == "Montréal"


def test_a_mark_the_data_does_not_match_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    good = _text([HEADER, MONTREAL]).encode("utf-16-le")
    path.write_bytes(codecs.BOM_UTF16_LE + good + b"\x00\xd8\x41\x00")  # a lone high surrogate
    with pytest.raises(InputError, match=r"in\.csv: line 3 is not valid UTF-16-LE") as caught:
        read_table(path)
    assert "\n" not in str(caught.value)


def test_lines_in_windows_1252_inside_a_utf8_file_are_named(tmp_path: Path) -> None:
    lines = [
        ",".join(HEADER).encode("utf-8"),
        ",".join(MONTREAL).encode("utf-8"),
        ",".join(
            ["(212) 555-0145", "Crème Brûlée Café", "1", "Main St", "Québec", "QC", "G1R 4P5"]
        ).encode("cp1252"),
        ",".join(NEW_YORK).encode("utf-8"),
    ]
    path = tmp_path / "mixed.csv"
    path.write_bytes(b"\r\n".join(lines) + b"\r\n")
    table = read_table(path)
    assert table.frame.loc[2, "name"] == "Café Élise"
    assert table.frame.loc[3, "name"] == "Crème Brûlée Café"  # decoded, not mojibake
    assert table.frame.loc[3, "city"] == "Québec"
    legacy = [
        (f.row, f.column, f.value) for f in table.findings if f.code == "legacy_encoding_line"
    ]
    assert legacy == [(3, "name", "Crème Brûlée Café"), (3, "city", "Québec")]
    assert all(f.severity == "warning" for f in table.findings)


def test_a_whole_windows_1252_file_is_read_as_such_without_findings(tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_bytes(_text([HEADER, MONTREAL]).encode("cp1252"))
    table = read_table(path)
    assert table.frame.loc[2, "name"] == "Café Élise"
    assert table.findings == ()


def test_decode_text_returns_utf8_without_the_mark() -> None:
    data, legacy = decode_text(Path("x.csv"), codecs.BOM_UTF8 + "é,b\n".encode())
    assert (data, legacy) == ("é,b\n".encode(), ())
    data, legacy = decode_text(Path("x.csv"), "é\n".encode() + "è\n".encode("cp1252"))
    assert (data.decode(), legacy) == ("é\nè\n", (2,))


def test_read_csv_finds_the_header_below_a_title(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(
        codecs.BOM_UTF16_LE + _text([["Our numbers"], HEADER, NEW_YORK]).encode("utf-16-le")
    )
    text = read_csv(path)
    assert text.header_index == 1
    assert text.frame.iloc[1, 0] == "(212) 555-0144"
    assert text.legacy_lines == ()


def test_the_unicode_text_export_validates_like_the_workbook(tmp_path: Path) -> None:
    import datetime as dt

    from batchport.validation import validate_file

    rows = [[*HEADER, "Reseller Name"], [*MONTREAL, "Vidéotron"], [*NEW_YORK, ""]]
    path = tmp_path / "export.txt"
    path.write_bytes(codecs.BOM_UTF16_LE + _text(rows, "\t").encode("utf-16-le"))
    validation = validate_file(path, today=dt.date(2026, 11, 27))
    assert (validation.row_count, validation.invalid) == (2, 0)
    assert validation.rows.loc[2, ["name", "city", "state", "country"]].tolist() == [
        "Café Élise",
        "Montréal",
        "QC",
        "CA",
    ]


def test_a_csv_longer_than_one_parse_block_is_read_and_cleaned_whole(tmp_path: Path) -> None:
    # pyarrow parses a CSV in blocks of about a megabyte, so a long file's columns arrive in
    # several chunks; the cleaning must see every chunk, including the last line's stray space.
    rows = [[*NEW_YORK[:1], f"Birchwood Dental {i:05d}", *NEW_YORK[2:]] for i in range(30_000)]
    rows[-1][1] += " "
    path = tmp_path / "long.csv"
    path.write_text(_text([HEADER, *rows]), encoding="utf-8")
    assert path.stat().st_size > 2 << 20
    table = read_table(path)
    assert len(table.frame) == 30_000
    assert table.frame["name"].iloc[-1] == "Birchwood Dental 29999"
    assert [f.row for f in table.findings if f.code == "whitespace_cleaned"] == [30_001]
