from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest

from batchport.arrow_text import stored_text, text_bytes


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_text_bytes_are_a_slices_own_cells_only(kind: pa.DataType) -> None:
    array = pa.array(["Café", "ab", "", "xyz", "tail"], type=kind)
    own = text_bytes(array.slice(1, 3))
    assert own is not None
    assert bytes(own.data) == b"abxyz"
    assert own.offsets.tolist() == [0, 2, 2, 5]


def test_text_bytes_of_blank_or_empty_arrays_and_other_types() -> None:
    blank = text_bytes(pa.array(["", ""], type=pa.large_string()))
    assert blank is not None and len(blank.data) == 0 and blank.offsets.tolist() == [0, 0, 0]
    empty = text_bytes(pa.array([], type=pa.string()))
    assert empty is not None and len(empty.data) == 0 and empty.offsets.tolist() == [0]
    assert text_bytes(pa.array([1, 2])) is None


def test_stored_text_is_the_columns_own_arrow_data_or_none() -> None:
    column = pd.Series(["a", "b"], dtype="str")
    stored = stored_text(column)
    assert isinstance(stored, pa.Array | pa.ChunkedArray)
    assert stored.to_pylist() == ["a", "b"]
    assert stored_text(pd.Series(["a", 1], dtype=object)) is None
    assert stored_text(pd.Series(["a"], dtype=pd.StringDtype("python"))) is None
