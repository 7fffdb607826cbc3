"""``batchport.lifecycle.corrected``: a corrected file read against its batch, no API."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from run_inputs import HEADER, ca_row, us_row

from batchport.columns import RESULT_COLUMNS
from batchport.errors import ConfigError, InputError
from batchport.journal import Correction, open_journal
from batchport.lifecycle.corrected import (
    batch_input,
    corrected_rows,
    current_validation,
    visible_hashes,
)
from batchport.validation import Validation, validate_file

TODAY = date(2026, 12, 1)
SECRETS = ("existingPortOutPin", "accountNum")


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def original(tmp_path: Path) -> Validation:
    """Rows 2, 3, 4 of the batch: two New York numbers (PIN 4321) and a Toronto one."""
    source = write_csv(tmp_path / "in.csv", [us_row(100), us_row(101), ca_row(200)])
    return validate_file(source, today=TODAY)


def result_like(path: Path, rows: list[tuple[object, list[str]]]) -> Path:
    """A workbook shaped like a result's Rows sheet: result columns, then the input columns."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Rows"
    sheet.append([*RESULT_COLUMNS, *HEADER])
    for source_row, values in rows:
        sheet.append([source_row, "rejected", "", "", "", "", "", "", "", "", *values])
    book.save(path)
    return path


def masked(values: list[str], pin: str = "****", account: str = "****4567") -> list[str]:
    return [*values[:7], pin, account, *values[9:]]


def test_visible_hashes_see_every_cell_but_a_secret_value() -> None:
    frame = pd.DataFrame(
        {"name": ["A", "A", "B", "A"], "existingPortOutPin": ["1", "2", "1", ""]},
        index=[2, 3, 4, 5],
    )
    hashes = visible_hashes(frame)
    assert list(hashes) == [2, 3, 4, 5] and all(len(h) == 16 for h in hashes.values())
    assert hashes[2] == hashes[3]  # only the PIN differs, and it is masked
    assert hashes[2] != hashes[4]  # the name differs
    assert hashes[2] != hashes[5]  # a PIN against none


def test_a_result_workbook_masked_cells_keep_their_value_typed_ones_change(
    tmp_path: Path,
) -> None:
    batch = original(tmp_path)
    corrected = result_like(
        tmp_path / "fixed.xlsx",
        [
            (2, masked(us_row(100))),  # as sent
            ("3.0", masked(us_row(101), pin="9999")),  # a new PIN typed over the mask
            (4, masked(ca_row(200, "Rogers"), account="****2345")),  # masked, then a change
            (9, masked(us_row(102))),  # no row 9 in the batch
            ("3.5", masked(us_row(103))),
        ],
    )
    rows = corrected_rows(corrected, sheet=None, original=batch, applied={}, today=TODAY)
    assert rows.file_rows == {2: 2, 3: 3, 4: 4}
    assert sorted(rows.changed) == [3, 4]
    assert rows.masked == {3: frozenset({"accountNum"}), 4: frozenset(SECRETS)}
    assert rows.unmatched == [
        (5, "Source row 9 is no row of the batch"),
        (6, "Source row 3.5 is no row of the batch"),
    ]
    assert rows.validation.table.frame.at[4, "resellerName"] == "Rogers"
    assert rows.changed[3].source == str(corrected) and rows.changed[3].sheet == "Rows"
    frame = rows.validation.table.frame
    assert frame.at[3, "existingPortOutPin"] == "9999"
    assert frame.at[2, "existingPortOutPin"] == "4321"  # masked: the input's value
    assert frame.at[3, "accountNum"] == "8001234567"


def test_a_plain_file_is_matched_by_phone_number_and_compared_cell_by_cell(
    tmp_path: Path,
) -> None:
    batch = original(tmp_path)
    renamed = us_row(101)
    renamed[1] = "Acme Dental Two"
    corrected = write_csv(
        tmp_path / "fixed.csv", [ca_row(200), renamed, us_row(100), us_row(555, npa="646")]
    )
    rows = corrected_rows(corrected, sheet=None, original=batch, applied={}, today=TODAY)
    assert rows.file_rows == {4: 2, 3: 3, 2: 4}
    assert sorted(rows.changed) == [3] and rows.masked == {3: frozenset()}
    assert (rows.changed[3].source, rows.changed[3].sheet) == (str(corrected), "")  # a CSV
    assert rows.unmatched == [(5, "+16465550555 is not a number of the batch")]
    assert rows.validation.table.frame.at[3, "name"] == "Acme Dental Two"
    assert rows.validation.rows.at[3, "name"] == "Acme Dental Two"


def test_a_row_applied_before_compares_with_what_was_applied(tmp_path: Path) -> None:
    batch = original(tmp_path)
    renamed = us_row(100)
    renamed[1] = "Acme Dental Two"
    shown = visible_hashes(batch.table.frame.loc[[2]].assign(name="Acme Dental Two"))[2]
    applied = {2: Correction(2, shown, "earlier.xlsx", "Rows")}
    same = result_like(tmp_path / "same.xlsx", [(2, masked(renamed))])
    rows = corrected_rows(same, sheet=None, original=batch, applied=applied, today=TODAY)
    assert rows.changed == {}  # what the earlier resubmit applied, masked PIN and all
    back = result_like(tmp_path / "back.xlsx", [(2, masked(us_row(100)))])
    rows = corrected_rows(back, sheet=None, original=batch, applied=applied, today=TODAY)
    assert sorted(rows.changed) == [2]  # the old name again is a change
    typed = result_like(tmp_path / "typed.xlsx", [(2, masked(renamed, pin="4321"))])
    rows = corrected_rows(typed, sheet=None, original=batch, applied=applied, today=TODAY)
    assert sorted(rows.changed) == [2]  # a PIN typed over an applied row is sent again


def test_the_sheet_asked_for_is_read_and_a_missing_column_keeps_the_input(
    tmp_path: Path,
) -> None:
    batch = original(tmp_path)
    book = openpyxl.Workbook()
    decoy = book.active
    assert decoy is not None
    decoy.title = "Old"
    decoy.append(list(HEADER))
    decoy.append(us_row(100))
    fixed = book.create_sheet("Fixed")
    without = [name for name in HEADER if name != "Street Number"]
    fixed.append(without)
    moved = us_row(100)
    moved[4] = "Brooklyn"  # City, after the missing Street Number column
    fixed.append([value for name, value in zip(HEADER, moved, strict=True) if name in without])
    path = tmp_path / "fixed.xlsx"
    book.save(path)
    rows = corrected_rows(path, sheet="Fixed", original=batch, applied={}, today=TODAY)
    assert sorted(rows.changed) == [2] and rows.changed[2].sheet == "Fixed"
    frame = rows.validation.table.frame
    assert (frame.at[2, "city"], frame.at[2, "streetNum"]) == ("Brooklyn", "350")
    first = corrected_rows(path, sheet=None, original=batch, applied={}, today=TODAY)
    assert first.changed == {}  # the first sheet holds the row as sent


def test_the_corrected_table_keeps_the_input_s_facts_and_other_rows_repairs(
    tmp_path: Path,
) -> None:
    spaced = [us_row(100), us_row(101), ca_row(200)]
    for values in spaced[:2]:
        values[1] = "Acme\u00a0Dental LLC"  # a pasted non-breaking space: repaired, a warning
    source = write_csv(tmp_path / "in.csv", spaced)
    batch = validate_file(source, today=TODAY)
    assert set(batch.table.repairs["row"]) == {2, 3}
    fixed = [list(values) for values in spaced]
    fixed[1][1] = "Acme Dental Two"
    fixed.append(us_row(104))
    corrected = result_like(
        tmp_path / "fixed.xlsx",
        [(2, masked(fixed[0])), (3, masked(fixed[1])), ("", masked(fixed[3]))],
    )
    rows = corrected_rows(corrected, sheet=None, original=batch, applied={}, today=TODAY)
    assert sorted(rows.changed) == [3]
    assert rows.unmatched == [(4, "Source row (blank) is no row of the batch")]
    table = rows.validation.table
    assert set(table.repairs["row"]) == {2}  # row 3 now comes from the corrected file
    assert list(table.repairs.columns) == list(batch.table.repairs.columns)
    assert (table.source, table.sheet, table.header_row) == (source, None, 1)
    assert table.headers == batch.table.headers


def test_current_validation_lays_applied_rows_over_the_input_from_their_sheet(
    tmp_path: Path,
) -> None:
    batch_rows = original(tmp_path)
    source = tmp_path / "in.csv"
    book = openpyxl.Workbook()
    decoy = book.active
    assert decoy is not None
    decoy.title = "Old"
    decoy.append(list(HEADER))
    decoy.append(us_row(101))
    fixed = book.create_sheet("Fixed")
    fixed.append(list(HEADER))
    renamed = us_row(101)
    renamed[1] = "Acme Dental Two"
    fixed.append(renamed)
    path = tmp_path / "fixed.xlsx"
    book.save(path)
    read = corrected_rows(path, sheet="Fixed", original=batch_rows, applied={}, today=TODAY)
    with open_journal(tmp_path / "journal.sqlite") as journal:
        journal.begin_batch(
            "b1", source=str(source), target="sandbox", rows=batch_rows.row_hashes(),
            now=datetime(2026, 12, 1), sheet="",
        )  # fmt: skip
        journal.record_corrections(
            "b1", read.changed.values(), reference="R", detail="test", now=datetime(2026, 12, 1)
        )
        (batch,) = journal.batches()
        shown = current_validation(journal, batch, TODAY)
        assert shown.table.frame.at[3, "name"] == "Acme Dental Two"
        assert shown.table.frame.at[2, "name"] == "Acme Dental LLC"
        path.unlink()  # the correction's file is gone: the input's row is shown
        assert current_validation(journal, batch, TODAY).table.frame.at[3, "name"] == (
            "Acme Dental LLC"
        )
        write_csv(source, [us_row(100), us_row(101)])
        with pytest.raises(ConfigError, match=r"in.csv, changed since the batch was run: .*put "):
            batch_input(journal, batch, TODAY)
        source.write_bytes(b"")
        with pytest.raises(ConfigError, match=r"input of batch b1 cannot be read: .*empty"):
            batch_input(journal, batch, TODAY)
        source.unlink()
        with pytest.raises(ConfigError, match=r"in\.csv, is gone: later commands read it again"):
            batch_input(journal, batch, TODAY)


# --- a result sheet written in parts (Rows, Rows (2), ...) ---------------------------------


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    """A workbook of ``sheets`` (name → rows, the header first), in that order."""
    book = openpyxl.Workbook()
    book.remove(book.worksheets[0])
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for values in rows:
            sheet.append(values)
    book.save(path)
    return path


def result_rows(rows: list[tuple[object, list[str]]]) -> list[list[object]]:
    """A result workbook's Rows sheet (or one of its parts): result columns, then the input."""
    header: list[object] = [*RESULT_COLUMNS, *HEADER]
    blank = [""] * (len(RESULT_COLUMNS) - 2)
    return [header, *([source_row, "rejected", *blank, *values] for source_row, values in rows)]


def renamed(values: list[str], name: str = "Acme Dental Two") -> list[str]:
    return [values[0], name, *values[2:]]


def test_each_part_of_a_result_sheet_is_read_and_names_its_rows_sheet(tmp_path: Path) -> None:
    batch = original(tmp_path)  # rows 2, 3 (New York) and 4 (Toronto)
    path = workbook(
        tmp_path / "fixed.xlsx",
        {
            "Summary": [["Batch", "b1"]],
            "Rows": result_rows([(2, masked(us_row(100))), (9, masked(us_row(102)))]),
            "Rows (2)": result_rows(
                [(3, masked(renamed(us_row(101)))), (4, masked(ca_row(200), account="****2345"))]
            ),
            "Rows (4)": result_rows([(2, masked(renamed(us_row(100), "Not A Part")))]),
        },
    )
    rows = corrected_rows(path, sheet=None, original=batch, applied={}, today=TODAY)
    assert rows.file_rows == {2: 2, 3: 2, 4: 3}
    assert rows.file_sheets == {2: "Rows", 3: "Rows (2)", 4: "Rows (2)"}
    assert sorted(rows.changed) == [3]
    assert (rows.changed[3].source, rows.changed[3].sheet) == (str(path), "Rows (2)")
    assert rows.validation.table.frame.at[3, "name"] == "Acme Dental Two"
    assert rows.validation.table.frame.at[2, "name"] == "Acme Dental LLC"  # not Rows (4)'s
    assert rows.unmatched == [(3, "on sheet 'Rows', Source row 9 is no row of the batch")]

    named = corrected_rows(path, sheet="Rows (2)", original=batch, applied={}, today=TODAY)
    assert named.file_rows == {3: 2, 4: 3} and named.unmatched == []
    assert named.changed[3].sheet == "Rows (2)"
    base = corrected_rows(path, sheet="Rows", original=batch, applied={}, today=TODAY)
    assert set(base.file_sheets.values()) == {"Rows"}  # a sheet named is read alone


def test_a_sheet_named_like_a_part_that_is_none_is_an_error_that_says_so(
    tmp_path: Path,
) -> None:
    batch = original(tmp_path)
    current = [(2, masked(renamed(us_row(100)))), (3, masked(us_row(101)))]
    path = workbook(
        tmp_path / "fixed.xlsx",
        {
            "Rows": result_rows(current),
            # Excel's copy of Rows made before the correction: it repeats its Source rows.
            "Rows (2)": result_rows([(2, masked(us_row(100))), (4, masked(ca_row(200, "X")))]),
        },
    )
    with pytest.raises(InputError, match=r"sheet 'Rows \(2\)' is named as part 2 of sheet "
                       r"'Rows', but it repeats rows of the sheets before it"):  # fmt: skip
        corrected_rows(path, sheet=None, original=batch, applied={}, today=TODAY)
    rows = corrected_rows(path, sheet="Rows", original=batch, applied={}, today=TODAY)
    assert rows.file_rows == {2: 2, 3: 3} and sorted(rows.changed) == [2]
    assert rows.validation.table.frame.at[2, "name"] == "Acme Dental Two"
    assert rows.validation.table.frame.at[4, "resellerName"] == "Fido"

    plain = workbook(
        tmp_path / "plain.xlsx",
        {"Rows": result_rows(current), "Rows (2)": [list(HEADER), ca_row(200, "X")]},
    )
    with pytest.raises(InputError, match="it has no Source row column"):
        corrected_rows(plain, sheet=None, original=batch, applied={}, today=TODAY)


def test_a_customer_workbook_s_copied_sheet_is_not_merged(tmp_path: Path) -> None:
    batch = original(tmp_path)
    path = workbook(
        tmp_path / "customer.xlsx",
        {
            "Numbers": [list(HEADER), renamed(us_row(100)), us_row(101)],
            "Numbers (2)": [list(HEADER), us_row(100), renamed(us_row(101)), ca_row(200, "X")],
        },
    )
    rows = corrected_rows(path, sheet=None, original=batch, applied={}, today=TODAY)
    assert rows.file_rows == {2: 2, 3: 3}
    assert rows.file_sheets == {2: "Numbers", 3: "Numbers"}
    assert sorted(rows.changed) == [2] and rows.changed[2].sheet == "Numbers"
    frame = rows.validation.table.frame
    assert (frame.at[2, "name"], frame.at[3, "name"]) == ("Acme Dental Two", "Acme Dental LLC")
    assert frame.at[4, "resellerName"] == "Fido"
