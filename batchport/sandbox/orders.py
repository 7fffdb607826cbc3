"""Port-in orders: create, read, list, full update and cancel, against the store.

Each function takes the ``Sandbox`` runtime, the project and the request data, changes the
store in memory, writes the change in one transaction and returns the reply body plus the
webhook events it caused. Failures raise ``ApiFailure``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from batchport.sandbox import lifecycle, webhooks
from batchport.sandbox.replies import ApiFailure, Violation
from batchport.sandbox.state import OrderRecord
from batchport.sandbox.validation import Checker, check_order

if TYPE_CHECKING:
    from batchport.sandbox.service import Sandbox

__all__ = ["cancel", "create", "find", "list_orders", "update"]

DEFAULT_PORT_TIME = "09:00:00"
DEFAULT_TIME_ZONE = "US/Eastern"
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
_ORDER_STATUSES = ("PENDING", "CONFIRMED", "COMPLETED", "CANCELED")
Events = list[dict[str, Any]]


def find(sandbox: Sandbox, project: str, order_id: str) -> OrderRecord:
    """The project's order with this id; 404 for any other project's or an unknown id."""
    record = None
    if order_id.isdigit():
        record = sandbox.store.orders.get((project, int(order_id)))
    if record is None:
        raise ApiFailure.not_found(f"order {order_id}")
    return record


def _prepare(sandbox: Sandbox, project: str, body: Any, own_id: int | None) -> dict[str, Any]:
    today = sandbox.today()
    fields = check_order(body, today)
    violations: list[Violation] = []
    seen: dict[str, int] = {}
    for i, entry in enumerate(fields["phoneNumbers"]):
        number, path = entry["phoneNumber"], f"phoneNumbers[{i}].phoneNumber"
        if number in seen:
            violations.append(Violation(path, f"Duplicate of phoneNumbers[{seen[number]}]"))
            continue
        seen[number] = i
        owner = sandbox.store.active.get((project, number))
        if owner is not None and owner != own_id:
            violations.append(Violation(path, f"Already in another active order ({owner})"))
        facts = sandbox.facts(number)
        if not facts.portable:
            violations.append(Violation(path, f"Not portable: {facts.reason}"))
    if violations:
        raise ApiFailure.invalid(violations, "The order cannot be accepted")
    defaults = sandbox.store.configurations.get(project, {})
    schedule = fields["desiredPortSchedule"]
    schedule.setdefault("desiredPortTime", defaults.get("defaultPortTime", DEFAULT_PORT_TIME))
    schedule.setdefault(
        "desiredPortTimeZone", defaults.get("defaultPortTimeZone", DEFAULT_TIME_ZONE)
    )
    return fields


def create(sandbox: Sandbox, project: str, body: Any) -> tuple[dict[str, Any], Events]:
    """Accept a new order (201 body); every number PENDING, grouped by losing carrier."""
    fields = _prepare(sandbox, project, body, None)
    order_id = sandbox.store.next_id("order")
    order = {"id": order_id, "status": "PENDING", **fields}
    order.update(notes=[], documents=[], createdDate=sandbox.today().isoformat())
    record = OrderRecord(project, order_id, order)
    lifecycle.plan_order(record, sandbox.model, sandbox.config, sandbox.today())
    sandbox.store.add(record)
    sandbox.store.schedule(record, lifecycle.next_due(record))
    sandbox.store.save([record])
    sandbox.stats["ordersCreated"] += 1
    return record.body, []


def update(
    sandbox: Sandbox, project: str, order_id: str, body: Any
) -> tuple[dict[str, Any], Events]:
    """Replace a PENDING order's writable fields (a full PUT); the plan starts over."""
    record = find(sandbox, project, order_id)
    _require_pending(record, "updated")
    fields = _prepare(sandbox, project, body, record.id)
    old_numbers = [e["phoneNumber"] for e in record.body["phoneNumbers"]]
    record.body.update(fields)
    lifecycle.plan_order(record, sandbox.model, sandbox.config, sandbox.today())
    sandbox.store.replace_numbers(record, old_numbers)
    sandbox.store.schedule(record, lifecycle.next_due(record))
    sandbox.store.save([record])
    return record.body, [webhooks.order_event(record)]


def cancel(sandbox: Sandbox, project: str, order_id: str) -> tuple[dict[str, Any], Events]:
    """Cancel a PENDING order; the reply is the canceled order (the document gives no body)."""
    record = find(sandbox, project, order_id)
    _require_pending(record, "canceled")
    events = lifecycle.cancel_order(record)
    sandbox.store.reindex(record)
    sandbox.store.save([record])
    return record.body, events


def _require_pending(record: OrderRecord, verb: str) -> None:
    if record.status != "PENDING":
        raise ApiFailure.invalid(
            [Violation("status", f"Only a PENDING order can be {verb}; it is {record.status}")],
            f"Order {record.id} is {record.status}",
        )


def list_orders(sandbox: Sandbox, project: str, query: dict[str, str]) -> dict[str, Any]:
    """One page of the project's orders matching the published filters.

    INFERRED: pages count from 1 and orders come oldest first (the document says neither);
    dates are compared by day, both ends inclusive.
    """
    check = Checker()
    page = _positive(check, query, "page", 1, None)
    size = _positive(check, query, "pageSize", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    matches = _filters(check, sandbox, project, query)
    check.raise_if_any()
    ids = sandbox.store.project_orders.get(project, [])
    records = [sandbox.store.orders[(project, i)] for i in ids]
    selected = [r for r in records if all(match(r) for match in matches)]
    chunk = selected[(page - 1) * size : page * size]
    return {
        "orders": [_summary(r) for r in chunk],
        "page": page,
        "pageSize": size,
        "totalItems": len(selected),
        "totalPages": (len(selected) + size - 1) // size,
    }


def _positive(
    check: Checker, query: dict[str, str], key: str, default: int, most: int | None
) -> int:
    raw = query.get(key)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) < 1 or (most is not None and int(raw) > most):
        limit = f" and at most {most}" if most else ""
        check.fail(key, f"Must be a whole number of at least 1{limit}")
        return default
    return int(raw)


def _filters(check: Checker, sandbox: Sandbox, project: str, query: dict[str, str]) -> list[Any]:
    tests: list[Any] = []
    if "orderId" in query:
        wanted = query["orderId"]
        if not wanted.isdigit():
            check.fail("orderId", "Must be an order id (a whole number)")
        tests.append(lambda r: str(r.id) == wanted.lstrip("0"))
    if "orderStatus" in query:
        status = query["orderStatus"]
        if status not in _ORDER_STATUSES:
            check.fail("orderStatus", f"Must be one of {', '.join(_ORDER_STATUSES)}")
        tests.append(lambda r: r.status == status)
    if "customerOrderReference" in query:
        reference = query["customerOrderReference"]
        tests.append(lambda r: r.body["customerOrderReference"] == reference)
    if "phoneNumber" in query:
        having = set(sandbox.store.history.get((project, query["phoneNumber"]), []))
        tests.append(lambda r: r.id in having)
    start = _day(check, query, "createdDateStart")
    end = _day(check, query, "createdDateEnd")
    if start or end:
        tests.append(lambda r: _within(r.body["createdDate"], start, end))
    foc_start, foc_end = _day(check, query, "focStartDate"), _day(check, query, "focEndDate")
    if foc_start or foc_end:
        tests.append(lambda r: any(_within(d, foc_start, foc_end) for d in _foc_dates(r)))
    return tests


def _day(check: Checker, query: dict[str, str], key: str) -> str | None:
    raw = query.get(key)
    if raw is None:
        return None
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        check.fail(key, "Must be an ISO 8601 date-time, e.g. 2024-09-24T12:00:00Z")
        return None
    # The sandbox's dates are UTC days: an offset moves the instant onto its UTC day.
    return (when.astimezone(UTC) if when.tzinfo else when).date().isoformat()


def _within(day: str, start: str | None, end: str | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def _foc_dates(record: OrderRecord) -> list[str]:
    return [p["focDate"] for p in record.plans.values() if p["state"] in ("confirmed", "activated")]


def _summary(record: OrderRecord) -> dict[str, Any]:
    counts = dict.fromkeys(("CONFIRMED", "ACTIVATED", "REJECTED", "EXCLUDED"), 0)
    for entry in record.body["phoneNumbers"]:
        if entry["status"] in counts:
            counts[entry["status"]] += 1
    return {
        "id": record.id,
        "status": record.status,
        "customerOrderReference": record.body["customerOrderReference"],
        "createdDate": record.body["createdDate"],
        "phoneNumberQuantity": len(record.body["phoneNumbers"]),
        "focQuantity": counts["CONFIRMED"],
        "activatedQuantity": counts["ACTIVATED"],
        "rejectedQuantity": counts["REJECTED"],
        "excludedQuantity": counts["EXCLUDED"],
    }
