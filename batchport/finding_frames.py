"""Findings in bulk: a DataFrame with one row per finding, built without a Python loop per row.

Stages that look at whole columns (the reader's repairs, normalisation, the schema, cross-row
checks) produce finding *frames*; ``to_findings`` turns the final, usually short, frame into
``Finding`` records at the very end.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from batchport.columns import COLUMNS, SECRET_KEYS
from batchport.findings import Finding, Severity
from batchport.redaction import mask_field
from batchport.rules import RULES

__all__ = [
    "FRAME_COLUMNS",
    "concat_frames",
    "empty_frame",
    "frame_of",
    "masked_values",
    "to_findings",
]

#: The columns of a finding frame, in order.
FRAME_COLUMNS = ("row", "column", "code", "severity", "message", "value")
_POSITION = {c.key: i for i, c in enumerate(COLUMNS)}


def empty_frame() -> pd.DataFrame:
    """A finding frame with no findings."""
    return _empty().copy()


@cache
def _empty() -> pd.DataFrame:
    columns = {name: _repeat("", 0) for name in FRAME_COLUMNS}
    columns["row"] = pd.Series([], dtype="int64")
    columns["value"] = pd.Series([], dtype="str")
    return pd.DataFrame(columns)


def frame_of(
    mask: pd.Series,
    column: str,
    code: str,
    values: pd.Series | None = None,
    message: str | pd.Series | None = None,
) -> pd.DataFrame:
    """One finding of ``code`` for every row where ``mask`` is true.

    ``mask`` is a boolean Series indexed by spreadsheet row number; the severity, and the
    message unless ``message`` overrides it (one text, or a Series aligned with ``mask``), come
    from ``batchport.rules.RULES``; ``values`` (aligned with ``mask``) become the offending
    values, masked when ``column`` is a secret column. Raises ``KeyError`` for an unknown code.
    """
    rule = RULES[code]
    hits = mask.to_numpy(dtype=bool)
    rows = mask.index[hits]
    count = len(rows)
    if count == 0:
        return empty_frame()
    if isinstance(message, pd.Series):
        texts = _objects(message.to_numpy(dtype=object)[hits])
    else:
        texts = _repeat(rule.message if message is None else message, count)
    if values is None:
        shown = _repeat("", count).astype("str")
    else:
        shown = masked_values(column, values[hits].astype("str").reset_index(drop=True))
    # The repeated texts are one shared object each, the values stay in Arrow: a file of a
    # million rows can carry a million findings, and they must not cost more than the rows.
    return pd.DataFrame(
        {
            "row": rows.to_numpy(dtype="int64"),
            "column": _repeat(column, count),
            "code": _repeat(code, count),
            "severity": _repeat(rule.severity.value, count),
            "message": texts,
            "value": shown,
        }
    )


def masked_values(column: str, values: pd.Series) -> pd.Series:
    """``values`` as shown in findings: masked when ``column`` is a secret column, else as is."""
    if column not in SECRET_KEYS:
        return values
    masked = [str(mask_field(column, v)) for v in values.tolist()]
    return pd.Series(masked, index=values.index, dtype="str")


def _repeat(text: str, count: int) -> pd.Series:
    shared = np.empty(count, dtype=object)
    shared.fill(text)  # one reference to one string (np.full would make a copy per row)
    return pd.Series(shared, dtype=object)


def _objects(values: object) -> pd.Series:
    return pd.Series(np.asarray(values, dtype=object), dtype=object)


def concat_frames(frames: list[pd.DataFrame], *, sort: bool = False) -> pd.DataFrame:
    """All findings of ``frames`` in one frame.

    With ``sort``, ordered by row, then column (in spec order, unknown columns last), findings
    of one cell in the order given; otherwise all in the order given (sort once, at the end).
    """
    useful = [f for f in frames if len(f)]
    if not useful:
        return empty_frame()
    joined = useful[0] if len(useful) == 1 else pd.concat(useful, ignore_index=True)
    if not sort:
        return joined.reset_index(drop=True)
    names = joined["column"]
    known = names.map(_POSITION)
    # Unknown columns go after the known ones, in alphabetical order.
    unknown = pd.Series(pd.factorize(names, sort=True)[0], index=names.index) + len(_POSITION)
    position = known.fillna(unknown).to_numpy(dtype="int64")
    order = np.lexsort((position, joined["row"].to_numpy()))  # stable: codes keep their order
    return joined.take(order).reset_index(drop=True)


def to_findings(frame: pd.DataFrame) -> tuple[Finding, ...]:
    """The rows of a finding frame as ``Finding`` records, in frame order."""
    severities = {s.value: s for s in Severity}
    columns = [frame[name].tolist() for name in FRAME_COLUMNS]
    return tuple(
        Finding(int(row), str(col), str(code), severities[str(sev)], str(msg), str(value))
        for row, col, code, sev, msg, value in zip(*columns, strict=True)
    )
