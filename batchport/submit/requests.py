"""Turn a planned order and its normalised rows into the API's ``OrderRequest``.

Pure: no I/O. The rows are the ``Validation.rows`` frame (index = spreadsheet row, canonical
column keys, blanks as ``""``).

A number's request is generated from ``batchport.columns``: each column whose ``api`` place
starts with ``phoneNumbers[].`` fills the field of that name in the record at that place
(``endUser.streetPreDir`` → ``EndUser.streetPreDir``), so a field's API name is written once,
in the column spec. Blank optional fields are left to the record's default (``typeOfService``
becomes ``B``); an optional part (voice, SMS, E911) whose required fields are blank is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from functools import cache
from typing import Any

import pandas as pd

from batchport.api.requests import (
    E911,
    EndUser,
    Features,
    NumberRequest,
    OrderRequest,
    PortOutInfo,
    SmsConfiguration,
    VoiceConfiguration,
    is_required,
)
from batchport.columns import COLUMNS
from batchport.planner import PlannedOrder

__all__ = ["NUMBER_PREFIX", "build_order_request", "number_request"]

#: How a column's ``api`` place names a field of each number of the order.
NUMBER_PREFIX = "phoneNumbers[]."

#: The record at each place of a number's request ("" is the number itself), each part listed
#: before the part that holds it, so that one pass builds them from the inside out.
_RECORDS: dict[str, type[Any]] = {
    "features.e911": E911,
    "features": Features,
    "endUser": EndUser,
    "portOutInfo": PortOutInfo,
    "voiceConfiguration": VoiceConfiguration,
    "smsConfiguration": SmsConfiguration,
    "": NumberRequest,
}


def build_order_request(
    order: PlannedOrder, rows: pd.DataFrame, *, skip: Sequence[str] = ()
) -> OrderRequest:
    """The create request for ``order``, leaving out the E.164 numbers in ``skip``.

    ``rows`` must hold every row of the order (index = spreadsheet row). Raises ``KeyError``
    when a row of the order is missing from ``rows``.
    """
    skipped = set(skip)
    records = rows.loc[list(order.rows)].to_dict("records")
    numbers = tuple(
        number_request(record) for record in records if str(record["phoneNumber"]) not in skipped
    )
    return OrderRequest(
        desired_port_date=order.desired_port_date,
        phone_numbers=numbers,
        desired_port_time=order.desired_port_time or None,
        desired_port_time_zone=order.desired_port_time_zone or None,
        customer_order_reference=order.reference,
        on_demand_activation=order.on_demand_activation,
        reseller_name=order.reseller_name,
    )


def number_request(record: Mapping[Any, object]) -> NumberRequest:
    """One number's request from one normalised row (canonical keys → values)."""
    values: dict[str, dict[str, Any]] = {place: {} for place in _RECORDS}
    for place, name, key in _number_fields():
        values[place][name] = _text(record.get(key))
    for place in _RECORDS:
        if place:
            parent, _, name = place.rpartition(".")
            values[parent][name] = _make(place, values[place])
    return NumberRequest(**values[""])


@cache
def _number_fields() -> tuple[tuple[str, str, str], ...]:
    """``(place, field name, column key)`` of every column sent with each number."""
    found = []
    for column in COLUMNS:
        if column.api.startswith(NUMBER_PREFIX):
            place, _, name = column.api.removeprefix(NUMBER_PREFIX).rpartition(".")
            found.append((place, name, column.key))
    return tuple(found)


def _make(place: str, values: Mapping[str, object]) -> object:
    """The part at ``place`` from ``values``, or None for an optional part left blank.

    Blank optional fields are not passed, so the record's default applies.
    """
    record = _RECORDS[place]
    required = {item.name for item in fields(record) if is_required(item)}
    given = {name: v for name, v in values.items() if name in required or v not in ("", None)}
    if _optional(place) and (not given or any(given.get(name) in ("", None) for name in required)):
        return None
    return record(**given)


def _optional(place: str) -> bool:
    """True when the record holding the part at ``place`` may go without it (default None)."""
    parent, _, name = place.rpartition(".")
    holder = {item.name: item for item in fields(_RECORDS[parent])}[name]
    return holder.default is None


def _text(value: object) -> str:
    return "" if value is None or value != value else str(value)  # NaN guard
