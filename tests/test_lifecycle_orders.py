"""``batchport orders`` and ``batchport.lifecycle.orders``: filters filter, every page is read."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from run_inputs import (
    advance_sandbox,
    ca_row,
    lifecycle_settings,
    sandbox_orders,
    submit_rows,
    us_row,
    with_client,
)

from batchport.cli import main
from batchport.errors import ConfigError
from batchport.lifecycle.orders import OrderQuery, list_orders, normalise_number
from batchport.settings import Settings


def three_orders(tmp_path: Path) -> Settings:
    """A sandbox holding ALPHA (3 numbers), BETA (2) and one Canadian order (1)."""
    settings = lifecycle_settings(tmp_path)
    rows = [us_row(n, ref="ALPHA") for n in (100, 101, 102)]
    rows += [us_row(n, ref="BETA") for n in (103, 104)] + [ca_row(150)]
    result = submit_rows(settings, tmp_path / "in.csv", rows)
    assert result.outcomes["submitted"] == 6
    return settings


def listed(settings: Settings, query: OrderQuery, page_size: int = 100) -> list[str]:
    lines = with_client(settings, lambda c: list_orders(c, query, page_size=page_size))
    return [line.reference for line in lines]


def test_every_page_is_read(tmp_path: Path) -> None:
    settings = three_orders(tmp_path)
    everything = listed(settings, OrderQuery())
    assert len(everything) == 3 and {"ALPHA", "BETA"} < set(everything)
    assert listed(settings, OrderQuery(), page_size=1) == everything
    assert listed(settings, OrderQuery(), page_size=2) == everything


def test_status_reference_and_number_filters_filter(tmp_path: Path) -> None:
    settings = three_orders(tmp_path)
    beta = next(o for o in sandbox_orders(settings) if o.customer_order_reference == "BETA")
    with_client(settings, lambda c: c.cancel_order(beta.id))
    assert listed(settings, OrderQuery(status="CANCELED")) == ["BETA"]
    assert "BETA" not in listed(settings, OrderQuery(status="pending"))
    assert len(listed(settings, OrderQuery(status="PENDING"))) == 2
    assert listed(settings, OrderQuery(reference="ALPHA")) == ["ALPHA"]
    assert listed(settings, OrderQuery(reference="ALPH")) == []
    assert listed(settings, OrderQuery(phone_number="(212) 555-0101")) == ["ALPHA"]
    assert listed(settings, OrderQuery(phone_number="+12125550199")) == []


def test_foc_range_filters_by_the_numbers_foc_dates(tmp_path: Path) -> None:
    settings = three_orders(tmp_path)
    advance_sandbox(settings, 10)
    focs = {
        order.customer_order_reference: {n.foc_date for n in order.phone_numbers}
        for order in sandbox_orders(settings)
    }
    days = sorted(set().union(*focs.values()) - {None})
    assert days, focs
    for day in days:
        expected = {ref for ref, dates in focs.items() if day in dates}
        assert set(listed(settings, OrderQuery(foc_from=day, foc_to=day))) == expected
    after_all = date.fromordinal(days[-1].toordinal() + 1)
    assert listed(settings, OrderQuery(foc_from=after_all)) == []
    assert len(listed(settings, OrderQuery(foc_to=days[-1]))) == 3


def test_lines_carry_the_list_counts(tmp_path: Path) -> None:
    settings = three_orders(tmp_path)
    lines = with_client(settings, lambda c: list_orders(c, OrderQuery(reference="ALPHA")))
    (alpha,) = lines
    assert (alpha.status, alpha.numbers, alpha.confirmed, alpha.rejected) == ("PENDING", 3, 0, 0)
    assert alpha.id > 0 and alpha.created


def test_query_values_are_checked() -> None:
    assert normalise_number("1-212-555-0143") == "+12125550143"
    with pytest.raises(ValueError, match="not a US or Canadian number"):
        normalise_number("555-0143")
    with pytest.raises(ConfigError, match="status filter"):
        OrderQuery(status="DONE")
    with pytest.raises(ConfigError, match="swap the dates"):
        OrderQuery(foc_from=date(2027, 1, 2), foc_to=date(2027, 1, 1))
    assert OrderQuery(foc_from=date(2027, 1, 2)).filters()["foc_start_date"] == date(2027, 1, 2)


def env_for(settings: Settings) -> dict[str, str]:
    return {
        "BATCHPORT_SANDBOX_OPTIONS": settings.sandbox_options,
        "BATCHPORT_STATE": str(settings.state_path),
        "BATCHPORT_RATE": "1000",
        "XDG_CONFIG_HOME": str(settings.state_path.parent / "config"),
        "BATCHPORT_CONFIG": "",
    }


def test_cli_json_table_and_export(tmp_path: Path) -> None:
    settings = three_orders(tmp_path)
    runner, env = CliRunner(), env_for(settings)
    result = runner.invoke(main, ["orders", "--sandbox", "--json"], env=env)
    assert result.exit_code == 0, result.output
    orders = json.loads(result.stdout)
    assert sorted(o["numbers"] for o in orders) == [1, 2, 3]
    result = runner.invoke(main, ["orders", "--sandbox", "--reference", "BETA"], env=env)
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["Order", "ID", "Reference"] and len(lines) == 2
    assert "BETA" in lines[1] and "PENDING" in lines[1]
    export = tmp_path / "orders.xlsx"
    result = runner.invoke(main, ["orders", "--sandbox", "--export", str(export)], env=env)
    assert result.exit_code == 0 and "3 order(s) written" in result.stderr
    sheet = load_workbook(export, read_only=True)["Orders"]
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][:3] == ["Order ID", "Reference", "Status"] and len(values) == 4
    assert export.stat().st_mode & 0o077 == 0


def test_cli_refuses_bad_values_before_calling_the_api(tmp_path: Path) -> None:
    settings = lifecycle_settings(tmp_path)
    runner, env = CliRunner(), env_for(settings)
    for args, word in (
        (["--status", "DONE"], "--status"),
        (["--phone-number", "12"], "--phone-number"),
        (["--foc-from", "2027-01-02", "--foc-to", "2027-01-01"], "--foc-to"),
        (["--foc-from", "soon"], "--foc-from"),
    ):
        result = runner.invoke(main, ["orders", "--sandbox", *args], env=env)
        assert result.exit_code == 2 and word in result.stderr, args
    result = runner.invoke(main, ["orders", "--sandbox", "--export", "x.csv"], env=env)
    assert result.exit_code == 1 and "must be an .xlsx file" in result.stderr
    assert not (settings.state_path.parent / "sandbox.sqlite").exists()


def test_cli_missing_credentials_is_one_line(tmp_path: Path) -> None:
    names = ("SINCH_PROJECT_ID", "PROJECT_ID", "SINCH_KEY_ID", "SINCH_KEY_SECRET")
    names += ("SINCH_ACCESS_TOKEN", "ACCESS_TOKEN")
    env = env_for(lifecycle_settings(tmp_path)) | dict.fromkeys(names, "")
    result = CliRunner().invoke(main, ["orders"], env=env)
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "SINCH" in result.stderr
