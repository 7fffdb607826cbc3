"""``batchport batches`` and ``batchport.lifecycle.batches``: what run_batch journaled."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from run_inputs import ca_row, lifecycle_settings, submit_rows, us_row, write_input
from test_lifecycle_orders import env_for

from batchport.cli import main
from batchport.lifecycle.batches import list_batches
from batchport.pipeline import run_batch


def test_batches_list_what_runs_journaled_newest_first(tmp_path: Path) -> None:
    settings = lifecycle_settings(tmp_path)
    assert list_batches(settings.state_path) == []
    assert not settings.state_path.exists()  # reading never creates a journal
    first = submit_rows(settings, tmp_path / "first.csv", [us_row(100), us_row(101), ca_row(150)])
    dry = run_batch(write_input(tmp_path / "second.csv", [us_row(200)]), settings, dry_run=True)
    batches = list_batches(settings.state_path)
    assert [b.record.id for b in batches] == [dry.batch_id, first.batch_id]
    newest, done = batches
    assert done.record.source.endswith("first.csv") and done.record.target == "sandbox"
    assert (done.counts.rows, done.counts.orders, done.counts.created) == (3, 2, 2)
    assert done.counts.number_statuses == {"PENDING": 3} and done.attention == []
    assert done.record.finished_at is not None
    assert newest.counts.rows == 1 and newest.counts.orders == 0
    assert newest.attention and "nothing submitted" in newest.attention[0]


def test_cli_batches_table_and_json(tmp_path: Path) -> None:
    settings = lifecycle_settings(tmp_path)
    runner, env = CliRunner(), env_for(settings)
    result = runner.invoke(main, ["batches"], env=env)
    assert result.exit_code == 0 and "No batches" in result.stdout
    run = submit_rows(settings, tmp_path / "in.csv", [us_row(100), us_row(101)])
    result = runner.invoke(main, ["batches", "--json"], env=env)
    assert result.exit_code == 0
    (batch,) = json.loads(result.stdout)
    assert batch["batch"] == run.batch_id and batch["rows"] == 2
    assert batch["orders"] == {"planned": 1, "created": 1, "rejected": 0, "not_sent": 0}
    assert batch["numbers"]["statuses"] == {"PENDING": 2} and not batch["needs_attention"]
    result = runner.invoke(main, ["batches"], env=env)
    header, row = result.stdout.splitlines()
    assert header.startswith("Batch") and row.startswith(run.batch_id) and row.endswith("no")


def test_a_file_that_is_not_a_journal_is_one_line(tmp_path: Path) -> None:
    settings = lifecycle_settings(tmp_path)
    settings.state_path.parent.mkdir(parents=True)
    settings.state_path.write_text("not a journal")
    result = CliRunner().invoke(main, ["batches"], env=env_for(settings))
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
