"""The project's orders as the Porting API lists them: every page, filtered, as rows to show.

:func:`list_orders` reads the whole list for an :class:`OrderQuery` (the published filters of
``GET …/orders/portIns``) and returns one :class:`OrderLine` per order, oldest first as the
service answers; :func:`write_orders` exports them as a workbook. :func:`no_such_order` is the
one message for an order id the project does not have, shared by the commands that take one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

from batchport.api import Order, OrderStatus, PortingClient
from batchport.errors import ApiRejected, ConfigError
from batchport.nanp import E164_NANP
from batchport.report.xlsx import FILL_ERROR, FILL_OK, SheetSpec, write_workbook

__all__ = [
    "ORDER_STATUSES",
    "OrderLine",
    "OrderQuery",
    "check_status",
    "list_orders",
    "no_such_order",
    "normalise_number",
    "write_orders",
]

#: The order statuses the list can be filtered by (the published ``OrderStatus`` values).
ORDER_STATUSES = tuple(status.value for status in OrderStatus)

#: Orders asked for per page. The service publishes no maximum; 100 is its default page size.
PAGE_SIZE = 100


def normalise_number(text: str) -> str:
    """``text`` as an E.164 NANP number (``+12125550143``), written any common way.

    Raises ValueError saying what a number should look like.
    """
    digits = re.sub(r"\D", "", text)
    if len(digits) == 10:
        digits = "1" + digits
    e164 = "+" + digits
    if not E164_NANP.match(e164) or re.search(r"[A-Za-z]", text):
        raise ValueError(f"{text!r} is not a US or Canadian number such as +12125550143")
    return e164


def check_status(text: str) -> str:
    """``text`` as an order status (any case); ValueError naming the statuses otherwise."""
    status = text.strip().upper()
    if status not in ORDER_STATUSES:
        raise ValueError(f"{text!r} is not one of {', '.join(ORDER_STATUSES)}")
    return status


@dataclass(frozen=True)
class OrderQuery:
    """The filters of one order list; ``None`` leaves a filter out.

    ``foc_from`` and ``foc_to`` are whole days, both included. Raises ConfigError when a value
    cannot be sent (an unknown status, a number that is not a NANP number, ``foc_from`` after
    ``foc_to``).
    """

    status: str | None = None
    reference: str | None = None
    phone_number: str | None = None
    foc_from: date | None = None
    foc_to: date | None = None

    def __post_init__(self) -> None:
        for name, check in (("status", check_status), ("phone_number", normalise_number)):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                object.__setattr__(self, name, check(value))
            except ValueError as exc:
                raise ConfigError(f"{name.replace('_', ' ')} filter: {exc}") from None
        if self.foc_from and self.foc_to and self.foc_from > self.foc_to:
            raise ConfigError(
                f"the FOC range starts ({self.foc_from}) after it ends ({self.foc_to}); "
                "swap the dates"
            )

    def filters(self) -> dict[str, object]:
        """The keyword filters of :meth:`PortingClient.iter_orders` (``api.filters``)."""
        return {
            "order_status": self.status,
            "customer_order_reference": self.reference,
            "phone_number": self.phone_number,
            "foc_start_date": self.foc_from,
            "foc_end_date": self.foc_to,
        }


def _count(extra: Mapping[str, Any], key: str) -> int:
    try:
        return int(extra.get(key) or 0)
    except (TypeError, ValueError):
        return 0


_HEADERS = {"id": "Order ID", "created": "Created (UTC)"}


@dataclass(frozen=True)
class OrderLine:
    """One order of the list, as shown and exported (field order is column order)."""

    id: int
    reference: str
    status: str
    created: str
    numbers: int
    confirmed: int
    activated: int
    rejected: int
    excluded: int

    @classmethod
    def from_order(cls, order: Order) -> OrderLine:
        """The line of a list item: its counts are the published ``…Quantity`` helpers."""
        extra = order.extra
        return cls(
            id=order.id,
            reference=order.customer_order_reference,
            status=order.status.value,
            created=order.created_date.isoformat() if order.created_date else "",
            numbers=_count(extra, "phoneNumberQuantity") or len(order.phone_numbers),
            confirmed=_count(extra, "focQuantity"),
            activated=_count(extra, "activatedQuantity"),
            rejected=_count(extra, "rejectedQuantity"),
            excluded=_count(extra, "excludedQuantity"),
        )

    @staticmethod
    def headers() -> list[str]:
        """Column headers, one per field."""
        return [_HEADERS.get(item.name, item.name.capitalize()) for item in fields(OrderLine)]

    def cells(self) -> list[object]:
        """The values in :meth:`headers` order."""
        return [getattr(self, item.name) for item in fields(self)]

    def to_json(self) -> dict[str, object]:
        """The line as one object of the ``--json`` array."""
        return {item.name: getattr(self, item.name) for item in fields(self)}


async def list_orders(
    client: PortingClient, query: OrderQuery, *, page_size: int = PAGE_SIZE
) -> list[OrderLine]:
    """Every order of the project matching ``query``, reading all pages.

    Raises the client's ApiError subclasses (AuthError for refused credentials, ApiRejected
    when the service refuses a filter).
    """
    return [
        OrderLine.from_order(order)
        async for order in client.iter_orders(page_size=page_size, **query.filters())
    ]


def write_orders(path: Path, lines: Sequence[OrderLine]) -> Path:
    """Write ``lines`` as an ``Orders`` sheet of the workbook ``path``, readable by its owner only.

    Raises OSError when the file cannot be written (check it first with
    :func:`batchport.outputs.require_writable`).
    """
    sheet = SheetSpec(
        "Orders",
        OrderLine.headers(),
        (line.cells() for line in lines),
        fill_column="Status",
        fills={"CANCELED": FILL_ERROR, "COMPLETED": FILL_OK},
    )
    return write_workbook(path, [sheet], private=True, subject="batchport orders")


def no_such_order(exc: ApiRejected, order_id: int, project: str) -> ApiRejected:
    """The error for a 404 on ``order_id``: one line naming the order and the project."""
    return ApiRejected(
        f"no order {order_id} in project {project}; `batchport orders` lists the project's orders",
        status=exc.status,
        operation=exc.operation,
    )
