"""``batchport activate`` and ``batchport.lifecycle.activate``: ready groups, reasons, journal."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from run_inputs import (
    HEADER,
    advance_sandbox,
    ca_row,
    lifecycle_settings,
    sandbox_orders,
    us_row,
    with_client,
)
from test_lifecycle_orders import env_for

from batchport.cli import main
from batchport.errors import ConfigError
from batchport.journal import open_journal
from batchport.lifecycle.activate import activate_groups
from batchport.pipeline import run_batch
from batchport.settings import Settings

VERIZON, ROGERS = "GW Verizon Wireless Grp1", "GW Rogers Wireless Grp1"


def on_demand_batch(tmp_path: Path) -> tuple[Settings, str, dict[str, int]]:
    """A US and a Canadian on-demand order; returns settings, batch id and group → order id."""
    settings = lifecycle_settings(tmp_path)
    path = tmp_path / "in.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*HEADER, "On-Demand Activation"])
        writer.writerows([[*us_row(100), "Yes"], [*us_row(101), "Yes"], [*ca_row(300), "Yes"]])
    result = run_batch(path, settings)
    orders = sandbox_orders(settings)
    assert len(orders) == 2 and all(order.on_demand_activation for order in orders)
    groups = {order.phone_numbers[0].phone_number_group: order.id for order in orders}
    assert set(groups) == {VERIZON, ROGERS}
    return settings, result.batch_id, groups


def test_nothing_ready_before_the_foc_date_says_why(tmp_path: Path) -> None:
    settings, _, groups = on_demand_batch(tmp_path)
    ids = sorted(groups.values())
    result = with_client(settings, lambda c: activate_groups(c, ids, settings.state_path))
    assert not result.ready and not result.activated and not result.needs_attention
    assert {item.reason for item in result.not_ready} == {
        "the losing carrier has not confirmed the numbers yet (no FOC date)"
    }
    advance_sandbox(settings, 1)  # the carriers confirm, with a FOC date days ahead
    result = with_client(settings, lambda c: activate_groups(c, ids, settings.state_path))
    assert not result.ready and len(result.not_ready) == 2
    for item in result.not_ready:
        assert item.foc_date is not None and item.foc_date > datetime.now(UTC).date()
        assert item.reason == f"FOC date {item.foc_date.isoformat()} is still ahead"
    assert {o.status.value for o in sandbox_orders(settings)} == {"CONFIRMED"}


def test_ready_after_the_foc_date_activates_with_confirmation(tmp_path: Path) -> None:
    settings, batch, groups = on_demand_batch(tmp_path)
    advance_sandbox(settings, 14)
    asked: list[list[str]] = []

    def decline(ready: object) -> bool:
        asked.append(sorted(group.group for group in ready))  # type: ignore[attr-defined]
        return False

    ids = sorted(groups.values())
    result = with_client(
        settings, lambda c: activate_groups(c, ids, settings.state_path, confirm=decline)
    )
    assert asked == [sorted(groups)] and result.declined and not result.activated
    assert {o.status.value for o in sandbox_orders(settings)} == {"CONFIRMED"}
    result = with_client(
        settings, lambda c: activate_groups(c, ids, settings.state_path, confirm=lambda r: True)
    )
    assert sorted((o.group, o.status) for o in result.activated) == [
        (ROGERS, "SUCCESS"), (VERIZON, "SUCCESS"),
    ]  # fmt: skip
    assert {o.status.value for o in sandbox_orders(settings)} == {"COMPLETED"}
    with open_journal(settings.state_path) as journal:
        events = [e for e in journal.events(batch) if e[0] == "activated"]
        assert sorted(detail for _, _, detail in events) == sorted(
            f"{order_id} {group}: SUCCESS" for group, order_id in groups.items()
        )
        assert journal.batch_counts(batch).number_statuses == {"ACTIVATED": 3}
    (workbook,) = result.workbooks  # the batch's result workbook shows the activation
    sheet = openpyxl.load_workbook(workbook)["Rows"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    assert {row[header.index("Number status")] for row in rows} == {"ACTIVATED"}
    result = with_client(settings, lambda c: activate_groups(c, ids, settings.state_path))
    assert not result.ready
    assert {item.reason for item in result.not_ready} == {
        "the order is COMPLETED: nothing to activate"
    }


def test_group_picks_one(tmp_path: Path) -> None:
    settings, _, groups = on_demand_batch(tmp_path)
    advance_sandbox(settings, 14)
    ids = sorted(groups.values())
    result = with_client(
        settings, lambda c: activate_groups(c, ids, settings.state_path, group=VERIZON)
    )
    assert [(o.order_id, o.group, o.status) for o in result.activated] == [
        (groups[VERIZON], VERIZON, "SUCCESS")
    ]
    statuses = {o.id: o.status.value for o in sandbox_orders(settings)}
    assert statuses == {groups[VERIZON]: "COMPLETED", groups[ROGERS]: "CONFIRMED"}
    with pytest.raises(ConfigError, match="no group 'GW Nobody Grp1'"):
        with_client(
            settings, lambda c: activate_groups(c, ids, settings.state_path, group="GW Nobody Grp1")
        )


def test_cli_activate(tmp_path: Path) -> None:
    settings, batch, groups = on_demand_batch(tmp_path)
    runner, env = CliRunner(), env_for(settings)
    result = runner.invoke(main, ["activate", "--sandbox"], env=env)
    assert result.exit_code == 1 and "add --yes" in result.stderr  # no terminal here
    advance_sandbox(settings, 1)
    result = runner.invoke(main, ["activate", "--sandbox", "--yes"], env=env)
    assert result.exit_code == 0, result.output
    assert "Nothing is ready for activation." in result.stdout
    assert "is still ahead" in result.stdout
    advance_sandbox(settings, 13)
    args = ["activate", "--batch", batch, "--group", ROGERS, "--sandbox", "--yes", "--json"]
    result = runner.invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    outcome = json.loads(result.stdout)
    assert outcome["activated"] == [{"order": groups[ROGERS], "group": ROGERS, "status": "SUCCESS"}]
    assert outcome["ready"][0]["numbers"] == ["+14165550300"]
    result = runner.invoke(main, ["activate", str(groups[VERIZON]), "--sandbox", "--yes"], env=env)
    assert result.exit_code == 0 and f"Order {groups[VERIZON]} {VERIZON}: SUCCESS" in result.stdout
    result = runner.invoke(main, ["activate", "424242", "--sandbox", "--yes"], env=env)
    assert result.exit_code == 1 and "no order 424242" in result.stderr
