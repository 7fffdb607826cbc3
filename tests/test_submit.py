"""The submission stage against a scripted order service (the client is not under test here)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from run_inputs import ProgressRecorder, planned_order

from batchport.api.requests import OrderRequest
from batchport.api.responses import NumberStatus, Order, OrderNumber, OrderStatus
from batchport.errors import (
    AmbiguousCreateError,
    ApiRejected,
    AuthError,
    FieldViolation,
    TransientApiError,
)
from batchport.journal import Journal, open_journal
from batchport.planner import PlannedOrder
from batchport.submit import MAX_TRIES, SubmissionState, SubmitReport, submit_orders

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


def run(service: FakeService, journal: Journal, **kw: object) -> SubmitReport:
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
    made = {order.customer_order_reference: order.id for order in service.orders.values()}
    assert {ref: (sub.order_id, sub.status) for ref, sub in subs.items()} == {
        ref: (order_id, "PENDING") for ref, order_id in made.items()
    }
    created = {(ref, detail) for kind, ref, detail in journal.events("b1") if kind == "created"}
    assert created == {(ref, str(order_id)) for ref, order_id in made.items()}
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
    events = journal.events("b1")
    assert ("create_ambiguous", "A", "connection dropped") in events
    assert ("lookup", "A", "1000") in events and ("adopted", "A", "1000") in events


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
    assert sub.message == "the service refused every number"
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
    assert report.interrupted
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
    report = run(service, journal, concurrency=1)
    assert service.creates == 3 * MAX_TRIES and service.lookups == 3 * (MAX_TRIES - 1)
    assert (report.creates, report.lookups) == (service.creates, service.lookups)
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


def run_batch(
    service: FakeService,
    journal: Journal,
    plan: tuple[PlannedOrder, ...],
    rows: pd.DataFrame,
    *,
    batch_id: str = "b2",
    **kw: object,
) -> SubmitReport:
    """Begin ``batch_id`` with ``plan`` in the journal and submit it."""
    journal.begin_batch(batch_id, source="in.csv", target="sandbox", rows=[], now=NOW)
    journal.save_plan(batch_id, plan)
    return asyncio.run(
        submit_orders(
            service,
            plan,
            rows,
            journal=journal,
            batch_id=batch_id,
            clock=lambda: NOW,
            **kw,  # type: ignore[arg-type]
        )
    )


class Scripted(FakeService):
    """Refuses the first creates with the given field violations, then creates normally."""

    def __init__(self, *refusals: tuple[tuple[str, str], ...]) -> None:
        super().__init__()
        self.refusals = list(refusals)

    async def create_order(self, order: OrderRequest) -> Order:
        if not self.refusals:
            return await super().create_order(order)
        self.creates += 1
        violations = tuple(FieldViolation(f, d) for f, d in self.refusals.pop(0))
        raise ApiRejected("invalid order", status=400, violations=violations)


class OneAtATime(FakeService):
    """Refuses only the first blocked number of each create, as a service that stops at one."""

    async def create_order(self, order: OrderRequest) -> Order:
        numbers = [n.phoneNumber for n in order.phone_numbers]
        first = next((i for i, n in enumerate(numbers) if n in self.blocked), None)
        if first is None:
            return await super().create_order(order)
        self.creates += 1
        self.sent.append(tuple(numbers))
        field = f"phoneNumbers[{first}].phoneNumber"
        violation = FieldViolation(field, self.blocked[numbers[first]])
        raise ApiRejected("invalid order", status=400, violations=(violation,))


def found_order(order_id: int, reference: str, *rows: int) -> Order:
    return Order(
        id=order_id,
        status=OrderStatus.PENDING,
        customer_order_reference=reference,
        phone_numbers=tuple(OrderNumber(f"+1212555{r:04d}", NumberStatus.PENDING) for r in rows),
    )


def test_the_first_created_of_several_matching_orders_is_adopted(journal: Journal) -> None:
    service = FakeService()
    for order in (found_order(2001, "A", 2, 3), found_order(1999, "A", 4)):
        service.orders[order.id] = order
    journal.record_intent("b1", "A", NOW)
    run(service, journal, concurrency=1)
    assert journal.submissions("b1")["A"].order_id == 1999
    events = journal.events("b1")
    assert ("lookup", "A", "1999,2001") in events and ("adopted", "A", "1999") in events
    assert service.creates == 2  # B and C only


def test_an_order_the_journal_gives_to_another_batch_is_not_adopted(journal: Journal) -> None:
    service = FakeService()
    run_batch(service, journal, PLAN, ROWS, batch_id="b0")  # the same references, used before
    journal.record_intent("b1", "A", NOW)
    run(service, journal, concurrency=1)
    assert service.lookups == 1 and service.creates == 6
    assert ("lookup", "A", "none") in journal.events("b1")
    assert journal.submissions("b0")["A"].order_id != journal.submissions("b1")["A"].order_id


def test_foc_dates_the_service_gives_are_journaled(journal: Journal) -> None:
    class WithFoc(FakeService):
        async def create_order(self, order: OrderRequest) -> Order:
            created = await super().create_order(order)
            first, *rest = created.phone_numbers
            dated = replace(first, foc_date=date(2026, 12, 4))
            return replace(created, phone_numbers=(dated, *rest))

    run(WithFoc(), journal, concurrency=1)
    records = journal.number_records("b1")
    assert (records[2].foc_date, records[3].foc_date) == ("2026-12-04", "")
    assert records[3].number_status == "PENDING"


def test_secrets_of_three_characters_or_more_are_masked_in_reasons(journal: Journal) -> None:
    rows = ROWS.copy()
    rows.loc[[3, 4], "existingPortOutPin"] = ["4321", "12"]
    service = FakeService(
        blocked={"+12125550003": "PIN 4321 refused", "+12125550004": "PIN 12 refused"}
    )
    run_batch(service, journal, PLAN[:1], rows, concurrency=1)
    records = journal.number_records("b2")
    assert records[3].message == "phoneNumber: PIN **** refused"
    assert records[4].message == "phoneNumber: PIN 12 refused"  # too short to mask safely


def test_a_refused_number_keeps_every_reason_with_its_field(journal: Journal) -> None:
    service = Scripted(
        (
            ("phoneNumbers[1].portOutInfo.accountNum", "does not match"),
            ("phoneNumbers[1]", "already in active order 77"),
        )
    )
    run(service, journal, concurrency=1)
    assert journal.number_records("b1")[3].message == (
        "portOutInfo.accountNum: does not match; phoneNumbers[1]: already in active order 77"
    )
    assert service.sent[0] == ("+12125550002", "+12125550004")


def test_a_number_named_only_in_the_violation_text_is_refused(journal: Journal) -> None:
    service = Scripted((("phoneNumbers", "+12125550003 is already in order 77"),))
    run(service, journal, concurrency=1)
    records = journal.number_records("b1")
    assert records[3].refused and records[3].message.endswith("already in order 77")
    assert service.sent[0] == ("+12125550002", "+12125550004")


def test_a_whole_order_refusal_quotes_each_violation_or_just_the_message(
    journal: Journal,
) -> None:
    refusal = (("desiredPortSchedule.desiredPortDate", "in the past"), ("resellerName", "missing"))
    run(Scripted(refusal, ()), journal, concurrency=1)
    subs = journal.submissions("b1")
    assert subs["A"].message == (
        "invalid order (desiredPortSchedule.desiredPortDate: in the past; resellerName: missing)"
    )
    assert subs["B"].message == "invalid order"
    assert subs["B"].state is SubmissionState.REJECTED


def test_a_violation_past_the_last_number_refuses_the_whole_order(journal: Journal) -> None:
    run(Scripted((("phoneNumbers[3].phoneNumber", "no such entry"),)), journal, concurrency=1)
    sub = journal.submissions("b1")["A"]
    assert sub.state is SubmissionState.REJECTED and "no such entry" in sub.message
    assert not any(record.refused for record in journal.number_records("b1").values())


def test_refusals_add_up_over_resends(journal: Journal) -> None:
    service = OneAtATime(blocked={"+12125550003": "in order 77", "+12125550004": "in order 78"})
    run(service, journal, concurrency=1)
    assert service.sent[:3] == [
        ("+12125550002", "+12125550003", "+12125550004"),
        ("+12125550002", "+12125550004"),
        ("+12125550002",),
    ]


def test_after_a_refusal_an_order_looked_up_once_is_not_looked_up_again(
    journal: Journal,
) -> None:
    journal.record_intent("b1", "A", NOW)
    service = FakeService(blocked={"+12125550003": "in order 77"})
    run(service, journal, concurrency=1)
    assert service.lookups == 1 and service.creates == 4


def test_an_order_refused_number_by_number_is_left_for_the_next_run(journal: Journal) -> None:
    rows = frame(range(2, 10))
    numbers = rows["phoneNumber"].tolist()
    service = OneAtATime(blocked=dict.fromkeys(numbers, "in another order"))
    run_batch(service, journal, (planned_order("D", tuple(range(2, 10))),), rows)
    sub = journal.submissions("b2")["D"]
    assert sub.state is SubmissionState.FAILED and "kept refusing" in sub.message
    assert service.creates == MAX_TRIES
    refused = [r.phone_number for r in journal.number_records("b2").values() if r.refused]
    assert refused == numbers[:MAX_TRIES]


def test_progress_counts_closed_orders_then_each_order(journal: Journal) -> None:
    service = FakeService()
    asyncio.run(
        submit_orders(service, PLAN[:2], ROWS, journal=journal, batch_id="b1", clock=lambda: NOW)
    )
    progress = ProgressRecorder()
    run(service, journal, progress=progress)
    assert progress.events == [
        ("start", "submit", 3),
        ("advance", "submit", 2),
        ("advance", "submit", 1),
    ]


def test_orders_are_sent_concurrently(journal: Journal) -> None:
    class Counting(FakeService):
        in_flight = peak = 0

        async def create_order(self, order: OrderRequest) -> Order:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            await asyncio.sleep(0)  # let the other workers send theirs
            self.in_flight -= 1
            return await super().create_order(order)

    service = Counting()
    run(service, journal, concurrency=2)
    assert service.peak == 2


def test_an_auth_failure_ends_the_run_and_no_new_order_is_sent(journal: Journal) -> None:
    class Unauthorized(FakeService):
        async def create_order(self, order: OrderRequest) -> Order:
            self.creates += 1
            raise AuthError("bad credentials")

    service = Unauthorized()
    with pytest.raises(AuthError, match="bad credentials"):
        run(service, journal, concurrency=1)
    assert service.creates == 1


def test_a_stop_during_the_last_order_is_no_interruption(journal: Journal) -> None:
    stop = asyncio.Event()
    service = FakeService()
    original = service.create_order

    async def stop_on_last(order: OrderRequest) -> Order:
        if order.customer_order_reference == "C":
            stop.set()
        return await original(order)

    service.create_order = stop_on_last  # type: ignore[method-assign]
    report = run(service, journal, concurrency=1, stop=stop)
    assert service.creates == 3
    assert not report.interrupted
