"""The input columns batchport leaves unused, each named once so nothing is dropped unseen.

A column whose header batchport does not know, or a second column for a field already read from
another, is kept in the reports but never sent. The person who filled it in should hear so: a
column of PINs under a header such as ``Carrier Passcode 2`` means a field they expect to be
sent is not.
"""

from __future__ import annotations

import pandas as pd

from batchport.columns import COLUMNS, column, match_header
from batchport.findings import concat_frames, empty_frame, frame_of
from batchport.intake import Table

__all__ = ["unused_columns"]

_KNOWN_KEYS = frozenset(c.key for c in COLUMNS)


def unused_columns(table: Table) -> pd.DataFrame:
    """One ``column_unused`` warning per unused column that holds a value, on the header row.

    Returns a finding frame; its ``column`` is the column's name in ``table.frame`` (the header
    as written), its ``value`` the header.
    """
    frames = []
    for name in table.frame.columns:
        if name in _KNOWN_KEYS or not table.frame[name].str.len().any():
            continue
        header = table.headers.get(name, str(name))
        message = _why_unused(table, header)
        at = pd.Series([True], index=pd.Index([table.header_row], name="row"))
        frames.append(frame_of(at, str(name), "column_unused", pd.Series([header]), message))
    return concat_frames(frames) if frames else empty_frame()


def _why_unused(table: Table, header: str) -> str:
    key = match_header(header)
    if key is None:
        return (
            f'Column "{header}" is not one batchport knows, so nothing in it is sent; if it '
            "holds a field batchport takes, give it that field's header (see batchport template)."
        )
    first = table.headers.get(key, key)
    return (
        f'Column "{header}" is a second {column(key).header} column (the first is "{first}"), '
        "so nothing in it is sent: keep one of them."
    )
