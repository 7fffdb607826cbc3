from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from batchport.findings import to_findings
from batchport.validation import validate_file
from batchport.validation.examples import EXAMPLE_ROWS, find_example_rows
from batchport.validation.normalise import normalise

HEADER = ["Phone", "Name", "Street #", "Street", "City", "State", "Zip", "PIN"]
TODAY = dt.date(2026, 11, 27)


def write_csv(path: Path, *rows: list[str]) -> Path:
    path.write_text("\n".join(",".join(r) for r in [HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def example(index: int, **changes: str) -> list[str]:
    row = {**EXAMPLE_ROWS[index], "existingPortOutPin": "1234", **changes}
    keys = ["phoneNumber", "name", "streetNum", "streetName", "city", "state", "zipCode"]
    return [row.get(k, "") for k in keys] + [row["existingPortOutPin"]]


def example_rows(path: Path) -> list[int]:
    validation = validate_file(path, today=TODAY)
    return [f.row for f in validation.findings if f.code == "template_example_row"]


def test_an_example_row_is_an_error_however_its_number_is_written(tmp_path: Path) -> None:
    first = example(0)
    retyped = example(1, phoneNumber="4155550197", name="ROSA  DELGADO")
    path = write_csv(tmp_path / "in.csv", first, retyped)
    validation = validate_file(path, today=TODAY)
    assert example_rows(path) == [2, 3]
    assert validation.error_rows == frozenset({2, 3})
    found = next(f for f in validation.findings if f.code == "template_example_row")
    assert found.column == "phoneNumber" and found.value == "(212) 555-0196"
    assert "example rows" in found.message and found.is_error


def test_an_example_with_only_its_number_replaced_is_still_caught(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", example(2, phoneNumber="416-555-0150"))
    assert example_rows(path) == [2]


def test_an_example_moved_to_another_address_is_still_caught_by_its_number(
    tmp_path: Path,
) -> None:
    moved = example(0, phoneNumber="+1 212 555 0196", streetNum="12", streetName="Broad")
    path = write_csv(tmp_path / "in.csv", moved, example(1, streetNum="7"))
    assert example_rows(path) == [2, 3]


def test_a_real_row_sharing_one_detail_with_an_example_is_not(tmp_path: Path) -> None:
    same_name = example(0, phoneNumber="212-555-0150", streetNum="12", streetName="Broad")
    same_building = example(0, phoneNumber="212-555-0151", name="Hudson Optics")
    same_number_other_name = example(0, name="Hudson Optics", streetNum="9")
    path = write_csv(tmp_path / "in.csv", same_name, same_building, same_number_other_name)
    assert example_rows(path) == []


def test_find_example_rows_is_empty_without_an_example_name() -> None:
    frame = pd.DataFrame(
        {"phoneNumber": ["(212) 555-0196"], "name": ["Someone Else"], "streetNum": ["350"],
         "streetName": ["Fifth"]},
        index=pd.RangeIndex(2, 3, name="row"),
    )  # fmt: skip
    rows = normalise(frame).rows
    assert to_findings(find_example_rows(rows, frame)) == ()


def test_an_example_name_written_with_unusual_characters_is_still_found() -> None:
    # Kelvin sign and ideographic space fold to ASCII; a unit separator is whitespace to split().
    names = ["BIRCHWOOD\u3000BA\u212aERY INC", "bayside\x1fdental llc", " Rosa\tDelgado "]
    phones = ["+1 416 555 0194", "(212) 555-0196", "415-555-0197"]
    frame = pd.DataFrame(
        {"phoneNumber": [*phones, "(212) 555-0196"], "name": [*names, "Bayside Dental LLCs"],
         "streetNum": ["1", "2", "3", "4"], "streetName": ["A", "B", "C", "D"]},
        index=pd.RangeIndex(2, 6, name="row"),
    )  # fmt: skip
    rows = normalise(frame).rows
    found = to_findings(find_example_rows(rows, frame))
    assert [f.row for f in found] == [2, 3, 4]
