"""The order list's filters: keyword arguments in, query parameters in the published form out."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from enum import Enum

__all__ = ["LIST_FILTERS", "list_params"]

#: Filters of the order list, by keyword argument (snake_case) → query parameter.
LIST_FILTERS = {
    "order_id": "orderId",
    "order_status": "orderStatus",
    "customer_order_reference": "customerOrderReference",
    "created_date_start": "createdDateStart",
    "created_date_end": "createdDateEnd",
    "phone_number": "phoneNumber",
    "foc_start_date": "focStartDate",
    "foc_end_date": "focEndDate",
}


def _query_value(name: str, value: object) -> str:
    """A filter value in the published form; dates become UTC date-times (``...Z``).

    A naive datetime is taken as UTC; a bare date covers its whole day, so it opens a start
    filter at 00:00:00 and closes an end filter at 23:59:59.
    """
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return f"{value.isoformat()}T{'23:59:59' if 'End' in name else '00:00:00'}Z"
    return str(value)


def list_params(filters: Mapping[str, object]) -> dict[str, str]:
    """Query parameters from keyword filters (snake_case or the API's own camelCase names).

    Empty values are left out. Raises ValueError naming an unknown filter.
    """
    params = {}
    for key, value in filters.items():
        if value is None or value == "":
            continue
        name = LIST_FILTERS.get(key, key)
        if name not in LIST_FILTERS.values():
            raise ValueError(f"unknown order list filter: {key}")
        params[name] = _query_value(name, value)
    return params
