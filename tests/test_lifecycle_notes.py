"""``batchport notes`` and ``batchport.lifecycle.notes``: notes round-trip, oldest first."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from run_inputs import lifecycle_settings, sandbox_orders, submit_rows, us_row, with_client
from test_lifecycle_orders import env_for

from batchport.cli import main
from batchport.errors import ApiRejected, ConfigError
from batchport.lifecycle.notes import add_note, order_notes
from batchport.settings import Settings


def one_order(tmp_path: Path) -> tuple[Settings, int]:
    settings = lifecycle_settings(tmp_path)
    submit_rows(settings, tmp_path / "in.csv", [us_row(100, ref="NOTED")])
    (order,) = sandbox_orders(settings)
    return settings, order.id


def test_notes_round_trip_oldest_first_with_author_and_time(tmp_path: Path) -> None:
    settings, order_id = one_order(tmp_path)
    assert with_client(settings, lambda c: order_notes(c, order_id)) == []
    first = with_client(settings, lambda c: add_note(c, order_id, "  PIN corrected  "))
    assert first.text == "PIN corrected" and first.author and first.created
    with_client(settings, lambda c: add_note(c, order_id, "LOA uploaded"))
    notes = with_client(settings, lambda c: order_notes(c, order_id))
    assert [n.text for n in notes] == ["PIN corrected", "LOA uploaded"]
    assert notes[0] == first and notes[0].created <= notes[1].created


def test_unknown_order_and_empty_note(tmp_path: Path) -> None:
    settings, order_id = one_order(tmp_path)
    with pytest.raises(ApiRejected, match=r"^no order 999 in project sandbox-project;"):
        with_client(settings, lambda c: order_notes(c, 999))
    with pytest.raises(ApiRejected, match=r"^no order 999 in project"):
        with_client(settings, lambda c: add_note(c, 999, "hello"))
    with pytest.raises(ConfigError, match="empty"):
        with_client(settings, lambda c: add_note(c, order_id, "   "))
    assert with_client(settings, lambda c: order_notes(c, order_id)) == []


def test_cli_adds_and_lists_notes(tmp_path: Path) -> None:
    settings, order_id = one_order(tmp_path)
    runner, env = CliRunner(), env_for(settings)
    result = runner.invoke(main, ["notes", str(order_id), "--sandbox"], env=env)
    assert result.exit_code == 0 and "has no notes" in result.stdout
    result = runner.invoke(main, ["notes", str(order_id), "--sandbox", "--add", "Hi"], env=env)
    assert result.exit_code == 0 and f"Note added to order {order_id}" in result.stdout
    result = runner.invoke(main, ["notes", str(order_id), "--sandbox", "--json"], env=env)
    (note,) = json.loads(result.stdout)
    assert note["note"] == "Hi" and note["author"] and note["created"]
    result = runner.invoke(main, ["notes", "424242", "--sandbox"], env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: no order 424242 in project sandbox-project")
    assert len(result.stderr.strip().splitlines()) == 1
    result = runner.invoke(main, ["notes", "abc", "--sandbox"], env=env)
    assert result.exit_code == 2
