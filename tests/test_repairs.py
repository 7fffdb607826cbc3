from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from batchport.findings import Finding, to_findings
from batchport.intake import read_table
from batchport.intake.repairs import repair_column
from batchport.validation import validate_file

HEADER = ["Phone Number", "Name", "Street Number", "Street Name", "City", "State"]
PLACE = ["(617) 555-0143", "Acme", "350", "Fifth Ave", "Boston", "MA"]


def repaired(key: str, *cells: object) -> tuple[list[str], list[Finding]]:
    values = pd.Series(cells, index=pd.RangeIndex(2, 2 + len(cells), name="row"), dtype=object)
    text, found = repair_column(values, key)
    return text.tolist(), list(to_findings(found))


def write_xlsx(path: Path, header: list[str], *rows: list[object]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for values in (header, *rows):
        sheet.append(values)
    workbook.save(path)
    return path


def test_zip_plus_four_stored_as_a_number_gets_its_zero_and_hyphen_back(tmp_path: Path) -> None:
    header = [*HEADER, "ZIP", "E911 Street Number", "E911 Street", "E911 City", "E911 State",
              "E911 Zip", "E911 Plus Four"]  # fmt: skip
    path = write_xlsx(
        tmp_path / "zip.xlsx",
        header,
        [*PLACE, 21340123, "", "", "", "", "", ""],
        ["(617) 555-0144", *PLACE[1:], 2134, "12", "Harvard Ave", "Boston", "MA", 2134, 123],
    )
    table = read_table(path)
    assert table.frame.loc[2, "zipCode"] == "02134-0123"
    assert table.frame.loc[3, "zipCode"] == "02134"
    assert table.frame.loc[3, "e911PostalCodePlusFour"] == "0123"
    restored = {(f.row, f.column): f for f in table.findings
                if f.code == "zip_leading_zeros_restored"}  # fmt: skip
    assert set(restored) == {
        (2, "zipCode"),
        (3, "zipCode"),
        (3, "e911PostalCode"),
        (3, "e911PostalCodePlusFour"),
    }
    assert all(f.severity == "warning" for f in restored.values())
    zip4 = restored[2, "zipCode"]
    assert (zip4.value, zip4.sent) == ("21340123", "02134-0123")
    plus_four = restored[3, "e911PostalCodePlusFour"]
    assert (plus_four.value, plus_four.sent) == ("123", "0123")
    assert "4 digits" in plus_four.message and "5 digits" not in plus_four.message
    # Repaired, the file validates: no postal code error anywhere.
    validation = validate_file(path, today=dt.date(2026, 11, 27))
    assert not [f for f in validation.findings if f.is_error], validation.findings


@pytest.mark.parametrize(
    ("cell", "text"),
    [(501, "00501"), ("2134", "02134"), (5011234, "00501-1234"), ("21340123", "02134-0123")],
)
def test_zip_codes_that_lost_zeros_as_text_or_number(cell: object, text: str) -> None:
    got, found = repaired("zipCode", cell)
    assert got == [text]
    assert [(f.code, f.sent) for f in found] == [("zip_leading_zeros_restored", text)]


def test_whole_zip_codes_are_not_touched() -> None:
    got, found = repaired("zipCode", "10118", "10118-1234", "101181234", "M5V 3L9", "123456")
    assert got == ["10118", "10118-1234", "101181234", "M5V 3L9", "123456"]
    assert found == []


@pytest.mark.parametrize(("cell", "text"), [(7, "0007"), ("12", "0012"), (123.0, "0123")])
def test_plus_four_that_lost_zeros(cell: object, text: str) -> None:
    got, found = repaired("e911PostalCodePlusFour", cell)
    assert got == [text]
    assert [f.code for f in found] == ["zip_leading_zeros_restored"]
    assert "ZIP+4 extension" in found[0].message


def test_a_number_of_sixteen_digits_has_lost_digits(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "acct.xlsx",
        [*HEADER, "ZIP", "Account Number"],
        [*PLACE, "02134", 8001234567890123],
    )
    validation = validate_file(path, today=dt.date(2026, 11, 27))
    found = [f for f in validation.findings if f.column == "accountNum"]
    assert [(f.code, f.severity) for f in found] == [("digits_lost", "error")]
    assert "retype" in found[0].message and "16 digits" in found[0].message
    assert "8001234567890" not in found[0].message  # an account number is a secret
    assert validation.error_rows == frozenset({2})


@pytest.mark.parametrize("key", ["accountNum", "existingPortOutPin", "phoneNumber",
                                 "accountPhoneNumber"])  # fmt: skip
def test_damaged_digits_are_an_error_in_every_digit_column(key: str) -> None:
    got, found = repaired(key, 8001234567890120.0, "8.00123E+11", "8.00123e11", 12345.0)
    assert [(f.row, f.code, f.severity) for f in found if f.code == "digits_lost"] == [
        (2, "digits_lost", "error"),
        (3, "digits_lost", "error"),
        (4, "digits_lost", "error"),
    ]
    assert "scientific notation" in found[1].message
    assert got[1] == "8.00123E+11"  # kept as read: the row is refused, never sent
    # A short number stored as a number is only the usual warning.
    assert [f.code for f in found if f.row == 5] in (["stored_as_number"],
                                                     ["phone_stored_as_number"])  # fmt: skip


def test_fifteen_digits_and_long_text_are_not_damage() -> None:
    _, found = repaired("accountNum", 800123456789012.0, "8001234567890123456", "ACCT-1E5")
    assert [f.code for f in found] == ["stored_as_number"]  # the number cell, 15 digits


def test_e_notation_outside_digit_columns_is_text() -> None:
    got, found = repaired("name", "8.00123E+11")
    assert got == ["8.00123E+11"] and found == []


def test_excel_datetime_at_midnight_is_a_date_with_what_was_sent() -> None:
    got, found = repaired("desiredPortDate", dt.datetime(2026, 12, 8), dt.date(2026, 12, 9))
    assert got == ["2026-12-08", "2026-12-09"]
    assert [(f.code, f.sent) for f in found] == [
        ("excel_date_converted", "2026-12-08"),
        ("excel_date_converted", "2026-12-09"),
    ]


def test_excel_serial_date_shows_the_serial_and_the_date() -> None:
    got, found = repaired("authorizingDate", "46000")
    assert got == ["2025-12-09"]
    assert [(f.value, f.sent) for f in found] == [("46000", "2025-12-09")]


def test_repair_messages_say_what_was_read_and_sent() -> None:
    _, (five,) = repaired("zipCode", 2134)
    assert five.message == (
        "The ZIP code had lost its leading zeros (Excel stores it as a number): read 2134 as "
        "02134 (a ZIP code has 5 digits); format the column as Text."
    )
    _, (nine,) = repaired("zipCode", 21340123)
    assert (
        nine.message.startswith("The ZIP+4 had lost") and "(a ZIP+4 has 9 digits)" in nine.message
    )
    _, (lost,) = repaired("accountNum", 8001234567890123.0)
    assert lost.message == (
        "Excel kept 15 of this number's 16 digits. Format the column as Text and retype Account "
        "Number from the bill: the digits Excel dropped cannot be recovered."
    )
    assert (lost.column, lost.value, lost.sent) == ("accountNum", "****0123", "")
    _, (notation,) = repaired("phoneNumber", "2.12555E+9")
    assert notation.message.startswith("The value is in scientific notation, which dropped")
    assert (notation.column, notation.value) == ("phoneNumber", "2.12555E+9")


def test_numbers_written_as_floats_lose_their_decimal_zero() -> None:
    got, found = repaired("phoneNumber", "2125550143.0", "2125550144", 2125550145.0)
    assert got == ["2125550143", "2125550144", "2125550145"]
    assert [(f.row, f.column, f.code, f.value) for f in found] == [
        (2, "phoneNumber", "phone_stored_as_number", "2125550143"),
        (4, "phoneNumber", "phone_stored_as_number", "2125550145"),
    ]
    _, found = repaired("existingPortOutPin", 4321)
    assert [(f.column, f.code, f.value) for f in found] == [
        ("existingPortOutPin", "stored_as_number", "****")
    ]


def test_serial_dates_convert_and_text_dates_beside_them_stay() -> None:
    got, found = repaired("authorizingDate", "46000", "2026-11-02", "")
    assert got == ["2025-12-09", "2026-11-02", ""]
    assert [(f.row, f.column, f.code, f.value, f.sent) for f in found] == [
        (2, "authorizingDate", "excel_date_converted", "46000", "2025-12-09")
    ]


def test_excel_times_convert_and_text_times_beside_them_stay() -> None:
    got, found = repaired("desiredPortTime", "0.375", dt.time(14, 30), "9:00", "", 0.5)
    assert got == ["09:00:00", "14:30:00", "9:00", "", "12:00:00"]
    assert [(f.row, f.column, f.code, f.value, f.sent) for f in found] == [
        (2, "desiredPortTime", "excel_time_converted", "0.375", "09:00:00"),
        (3, "desiredPortTime", "excel_time_converted", "14:30:00", "14:30:00"),
        (6, "desiredPortTime", "excel_time_converted", "0.5", "12:00:00"),
    ]
