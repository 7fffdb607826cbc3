"""``batchport run`` on the command line: JSON summary, exit codes, refusal, crash and resume."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import quoting_sinch as quoting
from click.testing import CliRunner
from run_inputs import (
    ca_row,
    sandbox_orders,
    sandbox_settings,
    us_row,
    write_input,
    write_scenario,
)

from batchport.cli import main
from batchport.journal import open_journal
from batchport.redaction import remember

REPO_ROOT = Path(__file__).resolve().parent.parent


def env_for(tmp_path: Path, options: str = "") -> dict[str, str]:
    sandbox = ",".join(
        filter(None, [f"scenario={write_scenario(tmp_path / 'scenario.json')}", options])
    )
    return {
        "BATCHPORT_SANDBOX_OPTIONS": sandbox,
        "BATCHPORT_RATE": "1000",
        "BATCHPORT_STATE": str(tmp_path / "state" / "journal.sqlite"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "BATCHPORT_CONFIG": "",
    }


def clean_input(tmp_path: Path) -> Path:
    rows = [us_row(n) for n in range(100, 106)] + [ca_row(150)]
    return write_input(tmp_path / "clean.csv", rows)


def invoke(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(main, ["run", *args], env=env_for(tmp_path))
    return result.exit_code, result.stdout, result.stderr


def test_json_summary_and_exit_0_when_every_row_is_submitted(tmp_path: Path) -> None:
    code, out, _ = invoke(tmp_path, str(clean_input(tmp_path)), "--sandbox", "--json")
    assert code == 0
    summary = json.loads(out)
    assert set(summary) == {
        "batch", "result", "rows", "outcomes", "findings", "orders", "sent",
        "first_submitted", "api_calls", "seconds", "stages",
    }  # fmt: skip
    assert summary["findings"].keys() == {"errors", "warnings", "infos"}
    assert summary["findings"]["errors"] == 0 and summary["findings"]["infos"] >= 7
    assert summary["sent"] == len(summary["orders"]) and summary["first_submitted"]
    stages = ("validate", "journal", "portability", "plan", "submit", "report")
    assert list(summary["stages"]) == list(stages)
    assert all(seconds >= 0 for seconds in summary["stages"].values())
    assert sum(summary["stages"].values()) <= summary["seconds"] + 0.01
    assert summary["rows"] == 7 and summary["outcomes"]["submitted"] == 7
    assert sorted(o["numbers"] for o in summary["orders"]) == [1, 6]
    assert all(isinstance(o["id"], int) and o["status"] for o in summary["orders"])
    assert Path(summary["result"]).exists() and summary["api_calls"] >= 3


def test_exit_3_when_rows_need_attention(tmp_path: Path) -> None:
    source = write_input(tmp_path / "mixed.csv", [us_row(100), us_row(100)])
    code, out, _ = invoke(tmp_path, str(source), "--sandbox", "--json")
    assert code == 3
    assert json.loads(out)["outcomes"]["duplicate"] == 1
    assert json.loads(out)["findings"]["errors"] == 1  # the duplicate number


def test_dry_run_plans_and_creates_nothing(tmp_path: Path) -> None:
    out_path = tmp_path / "plan.xlsx"
    args = [str(clean_input(tmp_path)), "--sandbox", "--dry-run", "--out", str(out_path)]
    code, out, _ = invoke(tmp_path, *args, "--max-per-order", "2")
    assert code == 0 and out_path.exists()
    assert "planned 7" in out and "4 order(s) planned" in out
    assert re.search(r"Input findings: 0 errors, [0-9]+ warnings?, [1-9][0-9]* info", out)
    settings = sandbox_settings(tmp_path)
    assert sandbox_orders(settings) == []


def test_real_api_without_terminal_or_yes_is_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    env = env_for(tmp_path) | {
        "SINCH_PROJECT_ID": "p-1",
        "SINCH_ACCESS_TOKEN": "tok-secret",
        "SINCH_PORTING_URL": "http://127.0.0.1:9",
    }
    result = runner.invoke(main, ["run", str(clean_input(tmp_path))], env=env)
    assert result.exit_code == 1
    assert "--yes" in result.stderr and "tok-secret" not in result.output
    # It names where the orders would go: a served sandbox is no "real API".
    assert "not submitting to http://127.0.0.1:9/projects/p-1 without a terminal" in result.stderr


def test_missing_credentials_are_reported_before_the_input_is_read(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    cleared: dict[str, str | None] = {
        name: None
        for name in ("SINCH_PROJECT_ID", "PROJECT_ID", "SINCH_KEY_ID", "SINCH_KEY_SECRET")
    }
    env = {**env_for(tmp_path), **cleared, "SINCH_ACCESS_TOKEN": None, "ACCESS_TOKEN": None}
    result = CliRunner().invoke(main, ["run", str(broken), "--yes"], env=env)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: No Sinch project: set SINCH_PROJECT_ID")
    assert "--sandbox" in result.stderr and "workbook" not in result.stderr


def test_unreadable_input_exits_1(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a workbook")
    code, _, err = invoke(tmp_path, str(broken), "--sandbox")
    assert code == 1
    assert err.splitlines()[-1].startswith("Error:") and "Traceback" not in err


def test_missing_result_folder_exits_1_before_anything_is_sent(tmp_path: Path) -> None:
    source = str(clean_input(tmp_path))
    code, _, err = invoke(tmp_path, source, "--sandbox", "--out", str(tmp_path / "no" / "r.xlsx"))
    assert code == 1 and "does not exist" in err
    assert sandbox_orders(sandbox_settings(tmp_path)) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("nth", "point"), [(1, "before"), (2, "after"), (3, "before"), (5, "after")]
)
def test_resume_after_sigkill_creates_no_duplicate_and_loses_no_row(
    tmp_path: Path, nth: int, point: str
) -> None:
    source = write_input(tmp_path / "big.csv", [us_row(n) for n in range(100, 110)])
    command = [sys.executable, "-m", "batchport", "run", str(source), "--sandbox", "--json"]
    command += ["--max-per-order", "2", "--concurrency", "1"]
    base = os.environ | {"PYTHONPATH": str(REPO_ROOT)}
    crash = env_for(tmp_path, f"crash_on_create={nth},crash_point={point}")
    killed = subprocess.run(command, env=base | crash, capture_output=True, timeout=120)
    assert killed.returncode == -9, killed.stderr.decode()
    finished = subprocess.run(
        command, env=base | env_for(tmp_path), capture_output=True, timeout=120
    )
    assert finished.returncode == 0, finished.stderr.decode()
    summary = json.loads(finished.stdout)
    assert summary["outcomes"]["submitted"] == 10 and len(summary["orders"]) == 5
    orders = sandbox_orders(sandbox_settings(tmp_path))
    assert len(orders) == 5
    assert len({order.customer_order_reference for order in orders}) == 5
    numbers = Counter(n.phone_number for order in orders for n in order.phone_numbers)
    assert len(numbers) == 10 and set(numbers.values()) == {1}
    with open_journal(tmp_path / "state" / "journal.sqlite") as journal:
        kinds = Counter(kind for kind, _, _ in journal.events(summary["batch"]))
    assert kinds["lookup"] == 1  # only the order the kill left unproven is looked up
    assert kinds["adopted"] == (1 if point == "after" else 0)


# --- a service quoting every secret back, served on loopback ---------------------------------


def quoting_command(
    tmp_path: Path, base_url: str, *options: str
) -> subprocess.CompletedProcess[str]:
    """``batchport [options] run`` in a subprocess against the service at ``base_url``."""
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    rows = []
    for n in range(8):
        row = us_row(100 + n)
        row[7], row[8] = quoting.PINS[n % 4], quoting.ACCOUNTS[n % 4]
        rows.append(row)
    (tmp_path / "in").mkdir(exist_ok=True)
    source = write_input(tmp_path / "in" / "numbers.csv", rows)
    env = (
        os.environ
        | env_for(tmp_path)
        | {
            "PYTHONPATH": str(REPO_ROOT),
            "SINCH_PROJECT_ID": "proj-q",
            "SINCH_KEY_ID": quoting.KEY_ID,
            "SINCH_KEY_SECRET": quoting.KEY_SECRET,
            "SINCH_ACCESS_TOKEN": "",
            "SINCH_PORTING_URL": base_url,
            "SINCH_AUTH_URL": f"{base_url}/oauth2/token",
            "BATCHPORT_MAX_ATTEMPTS": "1",
            "BATCHPORT_STATE": str(out / "journal.sqlite"),
        }
    )
    command = [sys.executable, "-m", "batchport", *options, "run", str(source), "--yes"]
    command += ["--max-per-order", "4", "--concurrency", "1", "--trace", str(out / "trace.jsonl")]
    command += ["--out", str(out / "result.xlsx")]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_a_token_service_echoing_the_key_shows_it_nowhere(tmp_path: Path, debug: bool) -> None:
    with quoting.serve_on_loopback(quoting.QuotingSinch(token="refuse")) as base_url:
        done = quoting_command(tmp_path, base_url, *(["--debug"] if debug else []))
    assert done.returncode == 1, done.stderr
    assert f"(the token service {base_url}/oauth2/token) refused the access key" in done.stderr
    assert "with secret **** refused (Authorization: Basic ****)" in done.stderr
    if debug:
        assert "Traceback" in done.stderr and "DEBUG" in done.stderr
    else:
        assert done.stderr.splitlines()[-1].startswith("Error: fetch_token")
    outputs = [done.stdout, done.stderr, *quoting.output_texts(tmp_path / "out").values()]
    assert quoting.leaks(outputs) == {}


def test_a_debug_run_against_a_service_quoting_secrets_shows_none(tmp_path: Path) -> None:
    sinch = quoting.QuotingSinch()
    with quoting.serve_on_loopback(sinch) as base_url:
        done = quoting_command(tmp_path, base_url, "--debug")
    assert done.returncode == 3, done.stderr  # the refused rows need attention
    assert sorted(sinch.modes.values()) == ["echo_500", "refuse_numbers"]
    assert "create_order POST" in done.stderr  # the debug log was on
    outputs = [done.stdout, done.stderr, *quoting.output_texts(tmp_path / "out").values()]
    assert quoting.leaks(outputs) == {}


def test_error_line_debug_traceback_and_logs_mask_registered_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Zq9secretWord"
    remember(secret)  # as if the service had been sent it
    source = str(clean_input(tmp_path))
    missing = str(tmp_path / secret / "r.xlsx")
    runner = CliRunner()
    env = env_for(tmp_path)
    plain = runner.invoke(main, ["run", source, "--sandbox", "--out", missing], env=env)
    assert plain.exit_code == 1 and "does not exist" in plain.stderr
    assert "Error: the folder of the result workbook" in plain.stderr
    debug = runner.invoke(main, ["--debug", "run", source, "--sandbox", "--out", missing], env=env)
    assert debug.exit_code == 1 and "Traceback" in debug.stderr
    with caplog.at_level(logging.DEBUG):
        run = runner.invoke(
            main, ["--debug", "run", source, "--sandbox", "--project", secret], env=env
        )
    assert run.exit_code == 0, run.stderr
    assert "/v1/projects/****/portabilityChecks" in caplog.text
    assert "****" in plain.stderr and "****" in debug.stderr
    for shown in (plain.stderr, debug.stderr, run.stdout, run.stderr, caplog.text):
        assert secret not in shown


def test_a_rerun_that_sends_nothing_says_when_the_batch_was_submitted(tmp_path: Path) -> None:
    source = clean_input(tmp_path)
    assert invoke(tmp_path, str(source), "--sandbox")[0] == 0
    code, out, _ = invoke(tmp_path, str(source), "--sandbox")
    assert code == 0
    assert re.search(
        r"^Batch \w+ was submitted on \d{4}-\d\d-\d\d \d\d:\d\d UTC: nothing sent in this run\.$",
        out,
        re.M,
    )
