from __future__ import annotations

import pandas as pd

from batchport.report.sheets import zip_rows


def test_zip_rows_gives_every_row_across_chunks_from_series_and_lists() -> None:
    first = pd.Series([2, 3, 4, 5, 6], index=[10, 11, 12, 13, 14])  # positions, not labels
    names = pd.Series(["a", "b", "c", "d", "e"], dtype="str")
    flags = [True, False, True, False, True]
    rows = list(zip_rows(first, [names, flags], chunk=2))
    assert rows == [
        (2, "a", True),
        (3, "b", False),
        (4, "c", True),
        (5, "d", False),
        (6, "e", True),
    ]
    assert list(zip_rows(pd.Series([], dtype="int64"), [[]], chunk=2)) == []
