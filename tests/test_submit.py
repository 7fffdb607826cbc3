"""The submission stage against a scripted order service (the client is not under test here)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
from run_inputs import planned_order

from batchport.api.requests import OrderRequest
from batchport.api.responses import NumberStatus, Order, OrderNumber, OrderStatus
from batchport.errors import AmbiguousCreateError, ApiRejected, FieldViolation, TransientApiError
from batchport.journal import Journal, open_journal
from batchport.submit import MAX_TRIES, SubmissionState, submit_orders

NOW = datetime(2026, 11, 27, 9, 0)


class FakeService:
    """Keeps orders like the service would; faults are scripted per create call."""

    def __init__(self, blocked: dict[str, str] | None = None) -> None:
        self.orders: dict[int, Order] = {}
        self.creates = 0
        self.lookups = 0
        self.blocked = blocked or {}
        self.ambiguous_on: set[int] = set()
        self.sent: list[tuple[str, ...]] = []

    async def create_order(self, order: OrderRequest) -> Order:
        self.creates += 1
        numbers = tuple(n.phoneNumber for n in order.phone_numbers)
        self.sent.append(numbers)
        violations = tuple(
            FieldViolation(f"phoneNumbers[{i}].phoneNumber", self.blocked[number])
            for i, number in enumerate(numbers)
            if number in self.blocked
        )
        if violations:
            raise ApiRejected("invalid order", status=400, violations=violations)
        created = Order(
            id=1000 + len(self.orders),
            status=OrderStatus.PENDING,
            customer_order_reference=order.customer_order_reference,
            phone_numbers=tuple(OrderNumber(n, NumberStatus.PENDING) for n in numbers),
        )
        self.orders[created.id] = created
        if self.creates in self.ambiguous_on:
            raise AmbiguousCreateError("connection dropped", operation="create_order")
        return created

    async def find_orders_by_reference(self, reference: str) -> list[Order]:
        self.lookups += 1
        return [o for o in self.orders.values() if o.customer_order_reference == reference]


def frame(rows: range) -> pd.DataFrame:
    count = len(rows)
    return pd.DataFrame(
        {
            "phoneNumber": [f"+1212555{row:04d}" for row in rows],
            "name": ["Acme"] * count,
            "streetNum": ["1"] * count,
            "streetName": ["Main"] * count,
            "city": ["New York"] * count,
            "state": ["NY"] * count,
            "zipCode": ["10001"] * count,
            "existingPortOutPin": ["98765"] * count,
        },
        index=pd.Index(list(rows), name="row"),
    )


PLAN = (planned_order("A", (2, 3, 4)), planned_order("B", (5, 6)), planned_order("C", (7,)))
ROWS = frame(range(2, 8))


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    journal = open_journal(tmp_path / "journal.sqlite")
    journal.begin_batch("b1", source="in.csv", target="sandbox", rows=[], now=NOW)
    journal.save_plan("b1", PLAN)
    return journal


def run(service: FakeService, journal: Journal, **kw: object) -> object:
    clock: Callable[[], datetime] = lambda: NOW  # noqa: E731
    return asyncio.run(
        submit_orders(
            service,
            PLAN,
            ROWS,
            journal=journal,
            batch_id="b1",
            clock=clock,
            **kw,  # type: ignore[arg-type]
        )
    )


def test_each_order_created_once_and_rerun_sends_nothing(journal: Journal) -> None:
    service = FakeService()
    run(service, journal, concurrency=2)
    assert service.creates == 3 and service.lookups == 0
    subs = journal.submissions("b1")
    assert {ref: sub.state for ref, sub in subs.items()} == dict.fromkeys(
        "ABC", SubmissionState.CREATED
    )
    run(service, journal)
    assert service.creates == 3 and service.lookups == 0
    assert journal.number_records("b1")[2].number_status == "PENDING"


def test_ambiguous_create_is_reconciled_by_reference(journal: Journal) -> None:
    service = FakeService()
    service.ambiguous_on = {1}
    run(service, journal, concurrency=1)
    assert service.creates == 3 and service.lookups == 1
    assert len(service.orders) == 3  # no duplicate
    assert journal.submissions("b1")["A"].order_id == 1000
    assert ("lookup", "A", "1000") in journal.events("b1")


def test_intent_without_outcome_looks_up_first(journal: Journal) -> None:
    service = FakeService()
    run(service, journal)
    journal.record_intent("b1", "B", NOW)  # as if a crash left B "maybe sent"
    run(service, journal)
    assert service.lookups == 1 and service.creates == 3
    assert journal.submissions("b1")["B"].state is SubmissionState.CREATED


def test_intent_never_sent_is_created_after_lookup(journal: Journal) -> None:
    journal.record_intent("b1", "C", NOW)  # crashed before the create left
    service = FakeService()
    run(service, journal)
    assert service.lookups == 1 and service.creates == 3
    assert len(service.orders) == 3


def test_partial_refusal_resends_without_refused_numbers(journal: Journal) -> None:
    service = FakeService(blocked={"+12125550003": "already in active order 77"})
    run(service, journal, concurrency=1)
    assert service.sent[:2] == [
        ("+12125550002", "+12125550003", "+12125550004"),
        ("+12125550002", "+12125550004"),
    ]
    records = journal.number_records("b1")
    assert records[3].refused and "already in active order 77" in records[3].message
    assert journal.submissions("b1")["A"].state is SubmissionState.CREATED


def test_order_with_every_number_refused_is_rejected(journal: Journal) -> None:
    service = FakeService(blocked={"+12125550007": "not portable"})
    run(service, journal)
    sub = journal.submissions("b1")["C"]
    assert sub.state is SubmissionState.REJECTED
    assert journal.number_records("b1")[7].refused


def test_whole_order_refusal_keeps_the_service_reason(journal: Journal) -> None:
    class Refusing(FakeService):
        async def create_order(self, order: OrderRequest) -> Order:
            self.creates += 1
            raise ApiRejected(
                "invalid schedule",
                status=400,
                violations=(FieldViolation("desiredPortSchedule.desiredPortDate", "in the past"),),
            )

    service = Refusing()
    run(service, journal)
    sub = journal.submissions("b1")["A"]
    assert sub.state is SubmissionState.REJECTED and "in the past" in sub.message
    run(service, journal)
    assert service.creates == 3  # rejected orders are closed: not resent


def test_stop_event_takes_no_new_order(journal: Journal) -> None:
    stop = asyncio.Event()
    service = FakeService()
    original = service.create_order

    async def create_then_stop(order: OrderRequest) -> Order:
        stop.set()
        return await original(order)

    service.create_order = create_then_stop  # type: ignore[method-assign]
    report = run(service, journal, concurrency=1, stop=stop)
    assert service.creates == 1
    assert report.interrupted  # type: ignore[attr-defined]
    assert journal.submissions("b1")["A"].state is SubmissionState.CREATED


def test_failed_submission_is_resent_without_a_lookup(journal: Journal) -> None:
    class Down(FakeService):
        async def create_order(self, order: OrderRequest) -> Order:
            self.creates += 1
            raise TransientApiError("service unavailable", status=503)

    run(Down(), journal)
    assert journal.submissions("b1")["A"].state is SubmissionState.FAILED
    service = FakeService()
    run(service, journal)
    assert service.lookups == 0 and service.creates == 3  # the journal proves nothing was sent


def test_a_create_never_confirmed_stays_an_intent_and_is_looked_up_next_time(
    journal: Journal,
) -> None:
    class Unconfirmed(FakeService):
        async def create_order(self, order: OrderRequest) -> Order:
            self.creates += 1
            raise AmbiguousCreateError("connection dropped", operation="create_order")

    service = Unconfirmed()
    run(service, journal, concurrency=1)
    assert service.creates == 3 * MAX_TRIES and service.lookups == 3 * (MAX_TRIES - 1)
    sub = journal.submissions("b1")["A"]
    assert sub.state is SubmissionState.INTENT and "never confirmed" in sub.message
    after = FakeService()
    run(after, journal)
    assert after.lookups == 3 and after.creates == 3


def test_a_refusal_proves_nothing_was_created(journal: Journal) -> None:
    journal.record_intent("b1", "A", NOW)
    journal.record_refused_numbers("b1", "A", {"+12125550003": "in another order"}, NOW)
    # killed here, before the next send: the rerun needs no lookup and skips the refused number
    service = FakeService()
    run(service, journal, concurrency=1)
    assert service.lookups == 0
    assert service.sent[0] == ("+12125550002", "+12125550004")


def test_a_found_order_with_other_numbers_is_not_adopted(journal: Journal) -> None:
    service = FakeService()
    stranger = Order(
        id=555,
        status=OrderStatus.PENDING,
        customer_order_reference="A",
        phone_numbers=(OrderNumber("+13125550000", NumberStatus.PENDING),),
    )
    service.orders[stranger.id] = stranger  # same reference, made elsewhere
    journal.record_intent("b1", "A", NOW)
    run(service, journal, concurrency=1)
    sub = journal.submissions("b1")["A"]
    assert service.lookups == 1 and sub.order_id != 555
    assert sub.state is SubmissionState.CREATED


def test_a_pin_quoted_by_the_service_is_masked_in_the_journal(journal: Journal) -> None:
    service = FakeService(blocked={"+12125550003": "PIN 98765 does not match"})
    run(service, journal, concurrency=1)
    message = journal.number_records("b1")[3].message
    assert "98765" not in message and "PIN **** does not match" in message


def test_a_three_character_pin_quoted_by_the_service_is_masked(journal: Journal) -> None:
    service = FakeService(blocked={"+12125550003": "PIN Q7z does not match (Q7z)"})
    rows = ROWS.assign(existingPortOutPin="Q7z")
    asyncio.run(
        submit_orders(service, PLAN, rows, journal=journal, batch_id="b1", clock=lambda: NOW)
    )
    message = journal.number_records("b1")[3].message
    assert message == "phoneNumber: PIN **** does not match (****)"
