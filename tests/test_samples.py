from __future__ import annotations

import datetime as dt
import runpy
from pathlib import Path

import pytest

from batchport.findings import CODES
from batchport.validation import validate_file

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
TODAY = dt.date.today()


@pytest.mark.parametrize("name", ["clean-mixed.xlsx", "clean-mixed.csv"])
def test_clean_sample_validates_with_zero_errors(name: str) -> None:
    validation = validate_file(SAMPLES / name, today=TODAY)
    assert validation.invalid == 0, [f for f in validation.findings if f.is_error][:5]
    assert 35 <= validation.row_count <= 45
    countries = set(validation.rows["country"])
    assert countries == {"US", "CA"}
    assert validation.rows["phoneNumber"].str[2:5].nunique() >= 8
    assert (validation.rows["desiredPortDate"] == "").all()
    canadian = validation.rows[validation.rows["country"] == "CA"]
    assert (canadian["resellerName"] != "").all()
    assert validation.rows["phoneNumber"].str.slice(5, 9).eq("5550").all()
    codes = {f.code for f in validation.findings}
    assert "phone_reformatted" in codes
    assert ("phone_stored_as_number" in codes) is name.endswith(".xlsx")


def test_csv_export_matches_the_workbook() -> None:
    xlsx = validate_file(SAMPLES / "clean-mixed.xlsx", today=TODAY)
    csv = validate_file(SAMPLES / "clean-mixed.csv", today=TODAY)
    assert set(csv.table.headers.values()).isdisjoint({"Phone Number", "End User Name"})
    assert xlsx.rows.reset_index(drop=True).equals(csv.rows.reset_index(drop=True))


def test_broken_sample_breaks_every_rule() -> None:
    validation = validate_file(SAMPLES / "broken.xlsx", today=TODAY)
    found = {f.code for f in validation.findings}
    rule_codes = {code for code, rule in CODES.items() if not code.endswith("_normalised")}
    rule_codes -= {"phone_reformatted", "excel_time_converted", "date_normalised"}
    # A workbook has no text encoding, and a 32,768-character cell would weigh on every report.
    rule_codes -= {"legacy_encoding_line", "cell_too_long_for_workbook"}
    assert rule_codes - found == set()
    notes = validation.table.frame["Notes"]
    for row, note in notes.items():
        if note in CODES and note != "order_group_schedule_conflict":
            assert note in {f.code for f in validation.findings if f.row == row}, (row, note)


def test_committed_samples_are_what_the_script_writes(tmp_path: Path) -> None:
    script = runpy.run_path(str(SAMPLES / "make_samples.py"))
    script["main"](tmp_path)
    for name in ("clean-mixed.xlsx", "clean-mixed.csv", "broken.xlsx"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name
