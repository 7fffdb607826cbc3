"""The checks that compare rows: duplicate numbers, one record per account, one schedule per
order group. Each returns a finding frame built without a loop per row.
"""

from __future__ import annotations

import pandas as pd

from batchport.columns import END_USER_KEYS, SCHEDULE_KEYS
from batchport.findings import concat_frames, empty_frame, frame_of
from batchport.validation.checks import raw_or_blank

__all__ = ["check_across_rows"]


def check_across_rows(rows: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    """Checks that compare rows: duplicates, one record per account, one schedule per group.

    ``rows`` are normalised rows (see ``batchport.validation.normalise``), ``raw`` the reader's
    text (for the values shown). Returns a finding frame.
    """
    return concat_frames([_duplicates(rows, raw), _account_conflicts(rows), _group_conflicts(rows)])


def _row_numbers(rows: pd.DataFrame) -> pd.Series:
    return pd.Series(rows.index.to_numpy(), index=rows.index)


def _duplicates(rows: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
    phone = rows["phoneNumber"]
    dup = phone.duplicated(keep="first") & (phone != "")
    if not dup.any():
        return empty_frame()
    first = _row_numbers(rows).groupby(phone).transform("min")
    message = "Same number as row " + first.astype("str") + ": delete this row."
    shown = raw_or_blank(raw, "phoneNumber")
    return frame_of(dup, "phoneNumber", "duplicate_number", shown, message)


def _signature(rows: pd.DataFrame, keys: tuple[str, ...]) -> pd.Series:
    parts = [rows[key].astype("str").str.upper() for key in keys]
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "\x1f" + part
    return joined


def _account_conflicts(rows: pd.DataFrame) -> pd.DataFrame:
    account = rows["accountNum"]
    has = (account != "") & account.duplicated(keep=False)
    if not has.any():
        return empty_frame()
    signature = _signature(rows[has], END_USER_KEYS)
    varied = signature.groupby(account[has]).transform("nunique") > 1
    if not varied.any():
        return empty_frame()
    flagged = varied[varied].index
    numbers = _row_numbers(rows).loc[flagged]
    listing = numbers.groupby(account.loc[flagged]).agg(lambda r: ", ".join(map(str, r[:10])))
    message = (
        "Rows " + account.loc[flagged].map(listing) + " share this account number but not the "
        "same end-user name and address; the losing carrier has one record per account, so "
        "make them match the bill."
    )
    mask = pd.Series(False, index=rows.index)
    mask.loc[flagged] = True
    return frame_of(mask, "accountNum", "account_details_differ", account,
                    message.reindex(rows.index).fillna(""))  # fmt: skip


def _group_conflicts(rows: pd.DataFrame) -> pd.DataFrame:
    group = rows["orderGroup"]
    has = group != ""
    if not has.any():
        return empty_frame()
    schedule = _signature(rows, SCHEDULE_KEYS)
    first = schedule[has].groupby(group[has]).transform("first")
    first_row = _row_numbers(rows)[has].groupby(group[has]).transform("min")
    conflict = (schedule[has] != first).reindex(rows.index, fill_value=False)
    message = (
        "Order group " + group[has] + " must have one schedule, but this row's date, time, "
        "zone or activation differs from row " + first_row.astype("str") + "."
    )
    return frame_of(conflict, "orderGroup", "order_group_schedule_conflict", group,
                    message.reindex(rows.index).fillna(""))  # fmt: skip
