from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from batchport.planner import (
    GROUP_COLUMNS,
    MAX_REFERENCE_LENGTH,
    default_port_date,
    plan_orders,
    split_sizes,
)

TODAY = date(2026, 11, 27)  # a Friday


def make_rows(count: int, start_row: int = 2, **values: object) -> pd.DataFrame:
    base: dict[str, object] = dict.fromkeys(GROUP_COLUMNS, "")
    base.update(country="US", carrier="Verizon", onDemandActivation=False)
    base.update(values)
    index = pd.Index(range(start_row, start_row + count), name="row")
    frame = pd.DataFrame({name: [value] * count for name, value in base.items()}, index=index)
    frame["phoneNumber"] = [f"+1212555{n:04d}" for n in range(start_row, start_row + count)]
    return frame


def test_split_sizes_are_balanced() -> None:
    assert split_sizes(1001, 500) == [334, 334, 333]
    assert split_sizes(500, 500) == [500]
    assert split_sizes(501, 500) == [251, 250]
    assert split_sizes(7, 3) == [3, 2, 2]
    assert split_sizes(0, 500) == []
    with pytest.raises(ValueError):
        split_sizes(10, 501)


def test_default_port_date_skips_weekends() -> None:
    assert default_port_date(TODAY) == date(2026, 12, 4)  # Friday + 7 = Friday
    assert default_port_date(date(2026, 11, 28)) == date(2026, 12, 7)  # Sat + 7 → Monday


def test_more_than_500_numbers_of_one_carrier_split_evenly() -> None:
    rows = make_rows(1001)
    orders = plan_orders(rows, batch_id="abcdef0123456789", today=TODAY)
    assert [len(order.rows) for order in orders] == [334, 334, 333]
    assert sorted(r for order in orders for r in order.rows) == list(rows.index)
    assert orders[0].rows == tuple(range(2, 336))  # input order kept
    refs = [order.reference for order in orders]
    assert len(set(refs)) == 3
    assert refs[0].startswith("BP-abcdef012345-") and refs[0].endswith("-1of3")
    assert all(order.desired_port_date == date(2026, 12, 4) for order in orders)


def test_groups_by_carrier_schedule_and_reseller() -> None:
    rows = pd.concat(
        [
            make_rows(3, 2, carrier="Verizon", desiredPortDate="2026-12-10"),
            make_rows(2, 5, carrier="AT&T", desiredPortDate="2026-12-10"),
            make_rows(2, 7, carrier="Verizon", desiredPortDate="2026-12-11"),
            make_rows(
                2, 9, carrier="Verizon", desiredPortDate="2026-12-10", desiredPortTime="14:00:00"
            ),
            make_rows(2, 11, country="CA", carrier="Rogers", resellerName="Fido"),
            make_rows(3, 13, country="CA", carrier="Rogers", resellerName="Chatr"),
        ]
    )
    orders = plan_orders(rows, batch_id="b" * 16, today=TODAY)
    assert sorted(len(order.rows) for order in orders) == [2, 2, 2, 2, 3, 3]
    canadian = {order.reseller_name: order.rows for order in orders if order.country == "CA"}
    assert canadian == {"Fido": (11, 12), "Chatr": (13, 14, 15)}
    late = [order for order in orders if order.desired_port_time == "14:00:00"]
    assert late[0].rows == (9, 10) and late[0].schedule == "2026-12-10 14:00:00"


def test_user_reference_kept_or_suffixed_and_fits_100_characters() -> None:
    long_ref = "R" * 100
    rows = pd.concat(
        [
            make_rows(3, 2, customerOrderReference="ACME-1"),
            make_rows(5, 5, customerOrderReference=long_ref),
            make_rows(2, 10, customerOrderReference="SPLIT", orderGroup="g1"),
            make_rows(2, 12, customerOrderReference="SPLIT", orderGroup="g1", carrier="AT&T"),
        ]
    )
    orders = plan_orders(rows, batch_id="c" * 16, today=TODAY, max_per_order=3)
    refs = sorted(order.reference for order in orders)
    assert "ACME-1" in refs
    assert {"SPLIT-1of2", "SPLIT-2of2"} <= set(refs)
    long_refs = [ref for ref in refs if ref.startswith("RRR")]
    assert len(long_refs) == 2 and all(len(ref) == MAX_REFERENCE_LENGTH for ref in long_refs)
    assert len(set(refs)) == len(refs)


def test_plan_is_deterministic_and_order_group_separates() -> None:
    rows = pd.concat([make_rows(4, 2, orderGroup="a"), make_rows(4, 6, orderGroup="b")])
    first = plan_orders(rows, batch_id="d" * 16, today=TODAY)
    second = plan_orders(rows.sample(frac=1, random_state=3), batch_id="d" * 16, today=TODAY)
    assert first == second
    assert [order.order_group for order in first] == ["a", "b"]


def test_missing_columns_and_empty_input() -> None:
    with pytest.raises(ValueError, match="carrier"):
        plan_orders(make_rows(1).drop(columns="carrier"), batch_id="x", today=TODAY)
    assert plan_orders(make_rows(0), batch_id="x", today=TODAY) == ()


def test_references_that_would_collide_are_made_distinct() -> None:
    near = "N" * 97
    rows = pd.concat(
        [
            make_rows(2, 2, customerOrderReference="ACME"),
            make_rows(1, 4, customerOrderReference="ACME-1of2"),
            make_rows(2, 5, customerOrderReference=near + "A"),
            make_rows(2, 7, customerOrderReference=near + "B"),
        ]
    )
    orders = plan_orders(rows, batch_id="e" * 16, today=TODAY, max_per_order=1)
    refs = [order.reference for order in orders]
    assert len(orders) == 7 and len(set(refs)) == 7
    assert all(len(ref) <= MAX_REFERENCE_LENGTH for ref in refs)
    assert "ACME-2of2" in refs  # only the colliding ones change
    again = plan_orders(rows, batch_id="e" * 16, today=TODAY, max_per_order=1)
    assert [order.reference for order in again] == refs


def test_split_sizes_name_the_bad_argument() -> None:
    with pytest.raises(ValueError, match=r"^max_per_order must be between 1 and 500$"):
        split_sizes(10, 0)
    with pytest.raises(ValueError, match=r"^total must not be negative$"):
        split_sizes(-1, 500)


def test_default_port_date_moves_a_sunday_to_the_next_monday() -> None:
    sunday = date(2026, 11, 29)
    assert default_port_date(sunday) == date(2026, 12, 7)
    assert default_port_date(sunday, lead_days=0) == date(2026, 11, 30)


def test_missing_columns_are_all_named() -> None:
    rows = make_rows(1).drop(columns=["carrier", "country"])
    with pytest.raises(ValueError, match=r"lack the column\(s\) country, carrier$"):
        plan_orders(rows, batch_id="x", today=TODAY)


def test_each_order_carries_its_group_fields_and_numbers() -> None:
    rows = make_rows(
        2,
        7,
        orderGroup="g",
        customerOrderReference="ACME-7",
        country="CA",
        carrier="Rogers",
        desiredPortDate="2026-12-10",
        desiredPortTime="09:00:00",
        desiredPortTimeZone="US/Eastern",
        onDemandActivation=True,
        resellerName="Fido",
    )
    (order,) = plan_orders(rows, batch_id="f" * 16, today=TODAY)
    assert (order.reference, order.order_group, order.user_reference) == ("ACME-7", "g", "ACME-7")
    assert (order.country, order.carrier, order.reseller_name) == ("CA", "Rogers", "Fido")
    assert order.desired_port_date == date(2026, 12, 10)
    assert order.schedule == "2026-12-10 09:00:00 US/Eastern"
    assert order.on_demand_activation is True
    assert order.rows == (7, 8)
    assert order.numbers == ("+12125550007", "+12125550008")


def test_on_demand_activation_separates_orders() -> None:
    rows = pd.concat([make_rows(2, 2), make_rows(2, 4, onDemandActivation=True)])
    orders = plan_orders(rows, batch_id="f" * 16, today=TODAY)
    assert {order.rows: order.on_demand_activation for order in orders} == {
        (2, 3): False,
        (4, 5): True,
    }


def test_references_without_a_user_reference_have_a_fixed_shape() -> None:
    rows = pd.concat([make_rows(1, 2, carrier="AT&T"), make_rows(3, 3, carrier="Verizon")])
    orders = plan_orders(rows, batch_id="0123456789abcdef", today=TODAY, max_per_order=2)
    single, *split = [order.reference for order in orders]
    assert re.fullmatch(r"BP-0123456789ab-[0-9a-f]{10}", single)
    assert [ref[-5:] for ref in split] == ["-1of2", "-2of2"]
    assert all(re.fullmatch(r"BP-0123456789ab-[0-9a-f]{10}-\dof2", ref) for ref in split)
    assert split[0][:-5] == split[1][:-5] != single


def test_colliding_long_references_still_use_all_100_characters() -> None:
    near = "N" * 97
    rows = pd.concat(
        [
            make_rows(2, 2, customerOrderReference=near + "A"),
            make_rows(2, 4, customerOrderReference=near + "B"),
        ]
    )
    refs = [
        order.reference
        for order in plan_orders(rows, batch_id="e" * 16, today=TODAY, max_per_order=1)
    ]
    assert len(set(refs)) == 4
    assert all(len(ref) == MAX_REFERENCE_LENGTH for ref in refs)
    assert all(re.fullmatch(r"N{91}-[0-9a-f]{8}", ref) for ref in refs)
