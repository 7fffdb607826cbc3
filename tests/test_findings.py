from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa

from batchport.findings import FRAME_COLUMNS, concat_frames, frame_of, json_records

AWKWARD = [
    'say "hi"',
    "back\\slash",
    "tab\tnew\nline\r",
    "".join(chr(code) for code in range(0x20)),
    "Café “quoted” \u2028 😀",
    "",
    "/slash/",
]


def _frame(values: list[str]) -> pd.DataFrame:
    mask = pd.Series(True, index=pd.RangeIndex(2, 2 + len(values)))
    cells = pd.Series(values, index=mask.index, dtype="str")
    return concat_frames([frame_of(mask, "name", "whitespace_cleaned", cells, cells, cells)])


def _read(text: str) -> list[dict[str, object]]:
    parsed = json.loads("[" + text + "]")
    assert isinstance(parsed, list)
    return parsed


def test_json_records_read_back_as_the_frame_whatever_the_text() -> None:
    frame = _frame(AWKWARD)
    records = _read(json_records(frame))
    assert records == _read(frame[list(FRAME_COLUMNS)].to_json(orient="records")[1:-1])
    assert [r["value"] for r in records] == AWKWARD
    assert [r["message"] for r in records] == AWKWARD
    assert list(records[0]) == list(FRAME_COLUMNS) and records[0]["row"] == 2


def test_json_records_of_plain_text_need_no_escapes_and_keep_the_order() -> None:
    frame = _frame([f"Acme {i}" for i in range(50)])
    text = json_records(frame)
    assert "\\" not in text
    assert [r["row"] for r in _read(text)] == list(range(2, 52))


def test_json_records_of_a_slice_and_of_text_in_chunks() -> None:
    frame = _frame(AWKWARD)
    assert _read(json_records(frame.iloc[3:5])) == _read(json_records(frame))[3:5]
    stored = pa.chunked_array([pa.array(['a"b', "c"]), pa.array(["d\\e"])], type=pa.string())
    chunked = frame.iloc[:3].assign(sent=pd.Series(pd.arrays.ArrowStringArray(stored)))
    assert [r["sent"] for r in _read(json_records(chunked))] == ['a"b', "c", "d\\e"]


def test_json_records_of_no_findings_is_empty() -> None:
    assert json_records(_frame([])) == ""
