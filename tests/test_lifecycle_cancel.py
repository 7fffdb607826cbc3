"""``batchport cancel`` and ``batchport.lifecycle.cancel``: PENDING orders only, journaled."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from run_inputs import (
    advance_sandbox,
    lifecycle_settings,
    sandbox_orders,
    submit_rows,
    us_row,
    with_client,
)
from test_lifecycle_orders import env_for

from batchport.cli import main
from batchport.errors import ApiRejected
from batchport.journal import open_journal
from batchport.lifecycle.cancel import cancel_orders
from batchport.settings import Settings


def two_orders(tmp_path: Path) -> tuple[Settings, str, list[int]]:
    settings = lifecycle_settings(tmp_path)
    rows = [us_row(100, ref="FIRST"), us_row(101, ref="FIRST"), us_row(200, ref="SECOND")]
    result = submit_rows(settings, tmp_path / "in.csv", rows)
    ids = sorted(order.id for order in sandbox_orders(settings))
    assert len(ids) == 2
    return settings, result.batch_id, ids


def test_cancel_a_pending_order_frees_its_numbers(tmp_path: Path) -> None:
    settings, batch, (first, second) = two_orders(tmp_path)
    asked: list[list[int]] = []

    def confirm(orders: object) -> bool:
        asked.append([order.id for order in orders])  # type: ignore[attr-defined]
        return True

    result = with_client(
        settings, lambda c: cancel_orders(c, [first], settings.state_path, confirm=confirm)
    )
    assert asked == [[first]] and result.canceled == (first,) and not result.refused
    assert result.journaled == (first,)
    # The batch's result workbook shows the cancellation at once.
    (workbook,) = result.workbooks
    assert workbook == tmp_path / "in.result.xlsx" and not result.warnings
    orders_sheet = openpyxl.load_workbook(workbook)["Orders"]
    header, *rows = list(orders_sheet.iter_rows(values_only=True))
    status = {row[header.index("Order ID")]: row[header.index("Status")] for row in rows}
    assert status == {first: "CANCELED", second: "PENDING"}
    statuses = {order.id: order.status.value for order in sandbox_orders(settings)}
    assert statuses == {first: "CANCELED", second: "PENDING"}
    with open_journal(settings.state_path) as journal:
        assert ("canceled", "FIRST", str(first)) in journal.events(batch)
        assert journal.batch_counts(batch).number_statuses["CANCELED"] == 2
    again = submit_rows(settings, tmp_path / "again.csv", [us_row(100), us_row(200)])
    assert again.outcomes.get("submitted") == 1 and again.outcomes.get("already_in_order") == 1
    submitted = [o for o in sandbox_orders(settings) if o.id not in (first, second)]
    assert [n.phone_number for o in submitted for n in o.phone_numbers] == ["+12125550100"]


def test_declined_cancels_nothing(tmp_path: Path) -> None:
    settings, _, (first, _second) = two_orders(tmp_path)
    result = with_client(
        settings, lambda c: cancel_orders(c, [first], settings.state_path, confirm=lambda o: False)
    )
    assert result.declined and result.canceled == ()
    assert {o.status.value for o in sandbox_orders(settings)} == {"PENDING"}


def test_an_order_past_pending_is_refused_with_the_reason(tmp_path: Path) -> None:
    settings, _, (first, _second) = two_orders(tmp_path)
    advance_sandbox(settings, 2)  # the carrier answers: both orders CONFIRMED
    result = with_client(settings, lambda c: cancel_orders(c, [first], settings.state_path))
    (refusal,) = result.refused
    assert refusal.order_id == first and refusal.status == "CONFIRMED" and not result.canceled
    assert "cancels only PENDING orders" in refusal.reason and result.needs_attention
    assert {o.status.value for o in sandbox_orders(settings)} == {"CONFIRMED"}


def test_unknown_order_cancels_nothing(tmp_path: Path) -> None:
    settings, _, (first, _second) = two_orders(tmp_path)
    with pytest.raises(ApiRejected, match=r"^no order 999 in project sandbox-project;"):
        with_client(settings, lambda c: cancel_orders(c, [first, 999], settings.state_path))
    assert {o.status.value for o in sandbox_orders(settings)} == {"PENDING"}


def test_cli_cancel(tmp_path: Path) -> None:
    settings, batch, (first, second) = two_orders(tmp_path)
    runner, env = CliRunner(), env_for(settings)
    result = runner.invoke(main, ["cancel", str(first), "--sandbox"], env=env)
    assert result.exit_code == 1 and "add --yes" in result.stderr  # no terminal here
    result = runner.invoke(main, ["cancel", "424242", "--sandbox", "--yes"], env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no order 424242 in project sandbox-project")
    assert len(result.stderr.strip().splitlines()) == 1
    result = runner.invoke(main, ["cancel", str(first), "--sandbox", "--yes"], env=env)
    assert result.exit_code == 0 and f"Order {first} canceled." in result.stdout
    result = runner.invoke(
        main, ["cancel", "--batch", batch, "--sandbox", "--yes", "--json"], env=env
    )
    assert result.exit_code == 3, result.output
    outcome = json.loads(result.stdout)
    assert outcome["canceled"] == [second]
    assert outcome["not_canceled"] == [
        {"order": first, "status": "CANCELED", "reason": "already canceled"}
    ]
    result = runner.invoke(main, ["cancel", "--batch", "nope", "--sandbox", "--yes"], env=env)
    assert result.exit_code == 1 and "no batch nope" in result.stderr
    assert runner.invoke(main, ["cancel", "--sandbox"], env=env).exit_code == 2


def test_cli_cancel_all_open(tmp_path: Path) -> None:
    settings, _, (first, second) = two_orders(tmp_path)
    runner, env = CliRunner(), env_for(settings)
    result = runner.invoke(main, ["cancel", str(first), "--sandbox", "--yes"], env=env)
    assert result.exit_code == 0
    args = ["cancel", "--all-open", "--sandbox", "--yes", "--json"]
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["canceled"] == [second]  # the journal knew first closed
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 1 and "no open order in the journal" in result.stderr
    both = runner.invoke(main, ["cancel", str(first), "--all-open", "--sandbox"], env=env)
    assert both.exit_code == 2
