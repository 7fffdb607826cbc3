"""Planning: checked, portable rows → port-in orders of at most ``max_per_order`` numbers.

Pure functions, no I/O. Rows are grouped by everything one order must share: the user's
``orderGroup`` and ``customerOrderReference`` (when given), the country, the losing carrier
(Sinch fails an order holding any non-portable number and advises one order per losing
carrier), the desired port date, time and time zone, on-demand activation and the reseller
name. Each group is split into balanced parts (1,001 numbers → 334 + 334 + 333).

References are deterministic, so a rerun of the same batch produces the same plan:

* a user reference that covers exactly one order is used as it is;
* a user reference that covers several orders (split, or several carriers) gets a
  ``-<part>of<parts>`` suffix, the reference cut short so the whole fits in 100 characters;
* without a user reference: ``BP-<batch id prefix>-<group hash>`` plus the same part suffix;
* a reference that would still name two orders (user references colliding once suffixed or
  cut short) ends in a hash of its group and part instead.

A blank ``desiredPortDate`` becomes :func:`default_port_date` — the first weekday at least
``DEFAULT_LEAD_DAYS`` days after ``today`` — because the service needs a date and gives no
earlier lead time it promises to honour.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import cast

import numpy as np
import pandas as pd

from batchport.limits import MAX_NUMBERS_PER_ORDER

__all__ = [
    "DEFAULT_LEAD_DAYS",
    "GROUP_COLUMNS",
    "MAX_REFERENCE_LENGTH",
    "PlannedOrder",
    "default_port_date",
    "plan_orders",
    "split_sizes",
]

DEFAULT_LEAD_DAYS = 7
MAX_REFERENCE_LENGTH = 100

#: Row columns whose values every number of one order shares (``carrier`` comes from the
#: portability check, the rest from the normalised input).
GROUP_COLUMNS = (
    "orderGroup",
    "customerOrderReference",
    "country",
    "carrier",
    "desiredPortDate",
    "desiredPortTime",
    "desiredPortTimeZone",
    "onDemandActivation",
    "resellerName",
)


@dataclass(frozen=True)
class PlannedOrder:
    """One order to create: its shared fields and the spreadsheet rows of its numbers.

    ``rows`` are spreadsheet row numbers in input order; ``numbers`` the matching E.164 numbers.
    """

    reference: str
    order_group: str
    user_reference: str
    country: str
    carrier: str
    desired_port_date: date
    desired_port_time: str
    desired_port_time_zone: str
    on_demand_activation: bool
    reseller_name: str
    rows: tuple[int, ...]
    numbers: tuple[str, ...]

    @property
    def schedule(self) -> str:
        """The desired schedule as one readable text, e.g. ``2026-12-07 09:00:00 US/Eastern``."""
        parts = [self.desired_port_date.isoformat(), self.desired_port_time]
        parts.append(self.desired_port_time_zone)
        return " ".join(part for part in parts if part)


def default_port_date(today: date, lead_days: int = DEFAULT_LEAD_DAYS) -> date:
    """The first weekday (Monday to Friday) at least ``lead_days`` days after ``today``."""
    day = today + timedelta(days=lead_days)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def split_sizes(total: int, max_per_order: int) -> list[int]:
    """Balanced part sizes for ``total`` numbers, none above ``max_per_order``.

    >>> split_sizes(1001, 500)
    [334, 334, 333]

    Raises ``ValueError`` when ``max_per_order`` is outside 1..``MAX_NUMBERS_PER_ORDER`` or
    ``total`` is negative.
    """
    if not 1 <= max_per_order <= MAX_NUMBERS_PER_ORDER:
        raise ValueError(f"max_per_order must be between 1 and {MAX_NUMBERS_PER_ORDER}")
    if total < 0:
        raise ValueError("total must not be negative")
    if total == 0:
        return []
    parts = -(-total // max_per_order)
    base, extra = divmod(total, parts)
    return [base + 1 if index < extra else base for index in range(parts)]


def plan_orders(
    rows: pd.DataFrame,
    *,
    batch_id: str,
    today: date,
    max_per_order: int = MAX_NUMBERS_PER_ORDER,
) -> tuple[PlannedOrder, ...]:
    """Group and split portable rows into orders.

    ``rows``: index = spreadsheet row number; columns ``phoneNumber`` and every name in
    :data:`GROUP_COLUMNS` (text, blanks as ``""``; ``onDemandActivation`` a bool; dates ISO).
    Returns the orders sorted by their group (so the same input always gives the same plan),
    each holding its rows in input order. Raises ``ValueError`` for a bad ``max_per_order`` or a
    missing column.
    """
    missing = [name for name in ("phoneNumber", *GROUP_COLUMNS) if name not in rows.columns]
    if missing:
        raise ValueError(f"rows lack the column(s) {', '.join(missing)}")
    split_sizes(0, max_per_order)
    if rows.empty:
        return ()
    keys = _group_keys(rows, today)
    indices = keys.groupby(list(keys.columns), sort=True, dropna=False).indices
    row_numbers = rows.index.to_numpy()
    numbers = rows["phoneNumber"].astype(str).to_numpy()
    drafts: list[tuple[tuple[str, ...], list[int], list[str], int, int]] = []
    for key, found in indices.items():
        positions = np.asarray(found, dtype=np.int64)
        ordered = positions[np.argsort(row_numbers[positions], kind="stable")]
        sizes = split_sizes(len(ordered), max_per_order)
        start = 0
        for part, size in enumerate(sizes, start=1):
            chunk = ordered[start : start + size]
            start += size
            drafts.append(
                (
                    tuple(str(value) for value in cast("tuple[object, ...]", key)),
                    [int(row_numbers[pos]) for pos in chunk],
                    [str(numbers[pos]) for pos in chunk],
                    part,
                    len(sizes),
                )
            )
    references = _references(drafts, batch_id)
    return tuple(
        _planned(key, row_list, number_list, reference)
        for (key, row_list, number_list, _, _), reference in zip(drafts, references, strict=True)
    )


def _group_keys(rows: pd.DataFrame, today: date) -> pd.DataFrame:
    keys = rows.loc[:, list(GROUP_COLUMNS)].astype(str).fillna("")
    blank_date = keys["desiredPortDate"].str.strip() == ""
    keys.loc[blank_date, "desiredPortDate"] = default_port_date(today).isoformat()
    keys["onDemandActivation"] = rows["onDemandActivation"].astype(bool).map(str)
    return keys


def _references(
    drafts: list[tuple[tuple[str, ...], list[int], list[str], int, int]], batch_id: str
) -> list[str]:
    user_ref_index = GROUP_COLUMNS.index("customerOrderReference")
    by_user_ref: dict[str, list[int]] = defaultdict(list)
    for position, (key, *_rest) in enumerate(drafts):
        if key[user_ref_index]:
            by_user_ref[key[user_ref_index]].append(position)
    references: list[str] = []
    for position, (key, _rows, _numbers, part, parts) in enumerate(drafts):
        user_ref = key[user_ref_index]
        if user_ref:
            shared = by_user_ref[user_ref]
            suffix = "" if len(shared) == 1 else f"-{shared.index(position) + 1}of{len(shared)}"
            references.append(user_ref[: MAX_REFERENCE_LENGTH - len(suffix)] + suffix)
        else:
            suffix = "" if parts == 1 else f"-{part}of{parts}"
            references.append(f"BP-{batch_id[:12]}-{_digest(key, 10)}{suffix}")
    return _distinct(references, [(key, part) for key, _rows, _numbers, part, _ in drafts])


def _digest(key: tuple[str, ...], length: int) -> str:
    return hashlib.sha256("\x1f".join(key).encode()).hexdigest()[:length]


def _distinct(references: list[str], keys: list[tuple[tuple[str, ...], int]]) -> list[str]:
    """The references, where any reference that names two orders ends in a hash of its group.

    User references can collide once suffixed or cut to length (``ACME`` split in two beside a
    literal ``ACME-1of2``); two orders under one reference would defeat the lookup that keeps
    a create from being sent twice.
    """
    counts = Counter(references)
    return [
        ref
        if counts[ref] == 1
        else f"{ref[: MAX_REFERENCE_LENGTH - 9]}-{_digest((*key, str(part)), 8)}"
        for ref, (key, part) in zip(references, keys, strict=True)
    ]


def _planned(
    key: tuple[str, ...], rows: list[int], numbers: list[str], reference: str
) -> PlannedOrder:
    fields = dict(zip(GROUP_COLUMNS, key, strict=True))
    return PlannedOrder(
        reference=reference,
        order_group=fields["orderGroup"],
        user_reference=fields["customerOrderReference"],
        country=fields["country"],
        carrier=fields["carrier"],
        desired_port_date=date.fromisoformat(fields["desiredPortDate"]),
        desired_port_time=fields["desiredPortTime"],
        desired_port_time_zone=fields["desiredPortTimeZone"],
        on_demand_activation=fields["onDemandActivation"] == "True",
        reseller_name=fields["resellerName"],
        rows=tuple(rows),
        numbers=tuple(numbers),
    )
