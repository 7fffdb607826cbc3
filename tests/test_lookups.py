from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from batchport.lookups import Lookup

SERVICE = Lookup({"BUSINESS": "B", "RES": "R", "B": "B"})


def _chunked(kind: pa.DataType, *chunks: list[str]) -> pd.Series:
    # How pyarrow hands over a long CSV column: several chunks, 32- or 64-bit offsets.
    stored = pa.chunked_array([pa.array(c, type=kind) for c in chunks], type=kind)
    return pd.Series(pd.arrays.ArrowStringArray(stored), index=range(10, 10 + len(stored)))


def test_apply_gives_each_cell_its_text_and_the_default_elsewhere() -> None:
    cells = pd.Series(["RES", "res", "", "BUSINESS"], index=[4, 5, 6, 7], dtype="str")
    assert SERVICE.apply(cells, default="?").to_dict() == {4: "R", 5: "?", 6: "?", 7: "B"}
    kept = SERVICE.apply(cells, default=cells)  # unknown cells stay as written
    assert kept.to_dict() == {4: "R", 5: "res", 6: "", 7: "B"}
    assert kept.dtype == "str"


def test_contains_is_true_for_whole_cells_that_are_keys() -> None:
    words = Lookup.of_words(["N/A", "TBD"])
    cells = pd.Series(["N/A", "N/A.", "tbd", "TBD", ""], dtype="str")
    assert words.contains(cells).tolist() == [True, False, False, True, False]


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_columns_in_chunks_are_looked_up_like_any_other(kind: pa.DataType) -> None:
    cells = _chunked(kind, ["RES", "x"], [], ["B", "BUSINESS"])
    assert SERVICE.apply(cells, default="?").tolist() == ["R", "?", "B", "B"]
    assert SERVICE.apply(cells, default=cells).tolist() == ["R", "x", "B", "B"]
    assert SERVICE.contains(cells).tolist() == [True, False, True, True]
    assert list(SERVICE.apply(cells, default="?").index) == [10, 11, 12, 13]


def test_an_object_column_gets_the_same_answers_through_pandas() -> None:
    texts = ["RES", "x", "", "BUSINESS"]
    arrow = pd.Series(texts, dtype="str")
    objects = pd.Series(texts, dtype=object)
    assert SERVICE.apply(objects, default="?").tolist() == SERVICE.apply(arrow, "?").tolist()
    assert SERVICE.apply(objects, default=objects).tolist() == ["R", "x", "", "B"]
    assert SERVICE.contains(objects).tolist() == SERVICE.contains(arrow).tolist()


def test_an_empty_table_or_column_finds_nothing() -> None:
    cells = pd.Series(["RES"], dtype="str")
    assert Lookup({}).apply(cells, default="?").tolist() == ["?"]
    assert Lookup({}).contains(cells).tolist() == [False]
    assert SERVICE.apply(pd.Series([], dtype="str"), default="?").tolist() == []


def test_a_missing_cell_is_in_no_table_and_takes_the_default() -> None:
    cells = pd.Series(["RES", None, "B"], index=[7, 8, 9], dtype="str")
    assert SERVICE.contains(cells).to_dict() == {7: True, 8: False, 9: True}
    assert SERVICE.apply(cells, default="?").to_dict() == {7: "R", 8: "?", 9: "B"}
