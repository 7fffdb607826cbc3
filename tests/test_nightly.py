"""``batchport nightly`` and ``batchport.ops.nightly`` against the in-process sandbox: the inbox
filed, tracking and activation, the lock, the health-check pings and the exit codes."""

from __future__ import annotations

import csv
import json
import os
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
    write_input,
)

from batchport.cli import main
from batchport.errors import ConfigError, TransientApiError
from batchport.journal import open_journal
from batchport.ops.lock import LockBusy
from batchport.ops.nightly import (
    CycleResult,
    CycleServices,
    FileStatus,
    Folders,
    run_cycle,
    run_nightly,
)
from batchport.pipeline import RunResult, cycle_services, run_batch
from batchport.settings import Settings

LATER = timedelta(minutes=5)  # the cycle's clock: every file written by the test has settled


def services_for(settings: Settings) -> CycleServices:
    """What ``batchport nightly`` hands the cycle, for ``settings``."""
    return cycle_services(settings)


def later() -> datetime:
    return datetime.now(UTC) + LATER


def three_files(inbox: Path) -> None:
    """A clean CSV, one with an invalid row (toll-free) and a PDF that is no spreadsheet."""
    inbox.mkdir(exist_ok=True)
    write_input(inbox / "clean.csv", [us_row(100), us_row(101), ca_row(300)])
    bad = us_row(102)
    bad[0] = "(800) 555-0102"  # toll-free: invalid
    write_input(inbox / "errors.csv", [us_row(103), bad])
    (inbox / "letter.pdf").write_bytes(b"%PDF-1.4 not a spreadsheet\n")


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.is_file())


def test_a_cycle_files_three_inputs_and_writes_the_digest(tmp_path: Path) -> None:
    settings, inbox = lifecycle_settings(tmp_path), tmp_path / "inbox"
    three_files(inbox)
    result = run_cycle(Folders.under(inbox), services_for(settings), clock=later)

    assert files_in(inbox) == []
    assert files_in(inbox / "done") == ["clean.csv", "clean.result.xlsx"]
    assert files_in(inbox / "failed") == [
        "errors.csv", "errors.csv.note.txt", "errors.result.xlsx",
        "letter.pdf", "letter.pdf.note.txt",
    ]  # fmt: skip
    statuses = {item.name: item.status for item in result.files}
    assert statuses == {
        "clean.csv": FileStatus.DONE,
        "errors.csv": FileStatus.ATTENTION,
        "letter.pdf": FileStatus.UNUSABLE,
    }
    note = (inbox / "failed" / "letter.pdf.note.txt").read_text()
    assert "not a spreadsheet" in note and "ends in .pdf" in note
    note = (inbox / "failed" / "errors.csv.note.txt").read_text()
    assert "1 of 2 row(s) need attention (invalid 1, submitted 1)" in note
    rows = _result_rows(inbox / "failed" / "errors.result.xlsx")
    assert sorted(row["Outcome"] for row in rows) == ["invalid", "submitted"]
    assert {row["Outcome"] for row in _result_rows(inbox / "done" / "clean.result.xlsx")} == {
        "submitted"
    }
    # Both batches were submitted (3 + 1 numbers) and then tracked in the same cycle.
    assert sum(len(o.phone_numbers) for o in sandbox_orders(settings)) == 4
    assert sorted(item.orders_read for item in result.tracked) == [1, 2]
    # The journal follows the files: a later track rewrites the workbook where they went.
    with open_journal(settings.state_path) as journal:
        sources = sorted(Path(batch.source) for batch in journal.batches())
    assert sources == [inbox / "done" / "clean.csv", inbox / "failed" / "errors.csv"]
    assert result.digest_path == inbox / "digest" / "digest.xlsx"
    assert result.digest_path.is_file()
    assert not result.errors
    assert result.exit_code == 3
    assert result.attention == [
        "1 file(s) with rows to correct: errors.csv",
        "1 file(s) not usable: letter.pdf",
    ]
    summary = result.to_json()
    assert summary["exit_code"] == 3
    assert [(f["file"], f["status"]) for f in summary["files"]] == [
        ("clean.csv", "done"), ("errors.csv", "attention"), ("letter.pdf", "unusable"),
    ]  # fmt: skip
    assert summary["digest_workbook"] == str(result.digest_path)


def _result_rows(path: Path) -> list[dict[str, object]]:
    sheet = openpyxl.load_workbook(path, read_only=True)["Rows"]
    header, *rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(header, row, strict=False)) for row in rows]  # type: ignore[arg-type]


def test_the_same_content_again_is_not_submitted_again(tmp_path: Path) -> None:
    settings, inbox = lifecycle_settings(tmp_path), tmp_path / "inbox"
    inbox.mkdir()
    write_input(inbox / "clean.csv", [us_row(100), ca_row(300)])
    first = run_cycle(Folders.under(inbox), services_for(settings), clock=later)
    assert [item.status for item in first.files] == [FileStatus.DONE]
    orders = len(sandbox_orders(settings))
    write_input(inbox / "clean.csv", [us_row(100), ca_row(300)])  # same bytes, dropped again
    second = run_cycle(Folders.under(inbox), services_for(settings), clock=later)
    (seen,) = second.files
    assert seen.status is FileStatus.SEEN and seen.batch_id == first.files[0].batch_id
    assert "not submitted again" in seen.message
    assert len(sandbox_orders(settings)) == orders
    assert files_in(inbox / "done") == [
        "clean-2.csv", "clean-2.csv.note.txt", "clean.csv", "clean.result.xlsx",
    ]  # fmt: skip
    assert second.exit_code == 0


def test_a_file_still_being_written_is_left_for_the_next_cycle(tmp_path: Path) -> None:
    settings, inbox = lifecycle_settings(tmp_path), tmp_path / "inbox"
    inbox.mkdir()
    fresh = write_input(inbox / "fresh.csv", [us_row(100)])
    write_input(inbox / "~$open.xlsx", [us_row(101)])  # an office lock file
    (inbox / ".DS_Store").write_bytes(b"\0")  # hidden: never input, never listed
    (inbox / "old.result.xlsx").write_bytes(b"")  # batchport's own output: never input
    now = datetime.now(UTC)
    os.utime(fresh, (now.timestamp() - 10, now.timestamp() - 10))  # 10 s old
    result = run_cycle(
        Folders.under(inbox), services_for(settings), clock=lambda: now, settle_seconds=60
    )
    assert {item.name: item.status for item in result.files} == {
        "fresh.csv": FileStatus.WAITING, "~$open.xlsx": FileStatus.WAITING,
    }  # fmt: skip
    assert files_in(inbox) == [".DS_Store", "fresh.csv", "old.result.xlsx", "~$open.xlsx"]
    assert not settings.state_path.exists()  # nothing ran
    assert result.exit_code == 0
    result = run_cycle(Folders.under(inbox), services_for(settings), clock=lambda: now + LATER)
    assert {item.name: item.status for item in result.files} == {
        "fresh.csv": FileStatus.DONE, "~$open.xlsx": FileStatus.WAITING,
    }  # fmt: skip


def test_a_run_that_fails_leaves_the_file_and_fails_the_cycle(tmp_path: Path) -> None:
    settings, inbox = lifecycle_settings(tmp_path), tmp_path / "inbox"
    inbox.mkdir()
    write_input(inbox / "clean.csv", [us_row(100)])

    def service_down(path: Path) -> RunResult:
        raise TransientApiError("the Porting API answered 503 five times; run again later")

    services = replace(services_for(settings), run_file=service_down)
    result = run_cycle(Folders.under(inbox), services, clock=later)
    (item,) = result.files
    assert item.status is FileStatus.ERROR and "503" in item.message
    assert files_in(inbox) == ["clean.csv"]
    assert result.errors == (f"clean.csv: {item.message}",)
    assert result.exit_code == 1
    # The next cycle, with the service back, runs it.
    result = run_cycle(Folders.under(inbox), services_for(settings), clock=later)
    assert [item.status for item in result.files] == [FileStatus.DONE]


def test_tracking_and_activation_follow_the_filed_batches(tmp_path: Path) -> None:
    settings, inbox = lifecycle_settings(tmp_path), tmp_path / "inbox"
    inbox.mkdir()
    path = inbox / "ondemand.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*HEADER, "On-Demand Activation"])
        writer.writerows([[*us_row(100), "Yes"], [*ca_row(300), "Yes"]])
    first = run_cycle(Folders.under(inbox), services_for(settings), clock=later, activate=True)
    assert [item.status for item in first.files] == [FileStatus.DONE]
    assert first.activation is not None and not first.activation.ready  # no FOC yet
    advance_sandbox(settings, 14)
    asked: list[int] = []

    def confirm(groups: object) -> bool:
        asked.append(len(groups))  # type: ignore[arg-type]
        return True

    second = run_cycle(
        Folders.under(inbox), services_for(settings), clock=later, activate=True, confirm=confirm
    )
    assert [len(item.confirmed) for item in second.tracked] == [2]
    assert second.tracked[0].result == inbox / "done" / "ondemand.result.xlsx"
    assert asked == [2]
    assert second.activation is not None
    assert sorted(o.status for o in second.activation.activated) == ["SUCCESS", "SUCCESS"]
    assert {o.status.value for o in sandbox_orders(settings)} == {"COMPLETED"}
    rows = _result_rows(inbox / "done" / "ondemand.result.xlsx")
    assert {row["Number status"] for row in rows} == {"ACTIVATED"}
    assert second.digest is not None and len(second.digest.activated) == 2
    assert second.exit_code == 0


def test_two_cycles_started_together_one_runs_one_exits_on_the_lock(tmp_path: Path) -> None:
    settings, inbox = lifecycle_settings(tmp_path), tmp_path / "inbox"
    inbox.mkdir()
    write_input(inbox / "clean.csv", [us_row(100)])
    inside, go_on = threading.Event(), threading.Event()
    services = services_for(settings)

    def slow_run(path: Path) -> RunResult:
        inside.set()  # the first cycle holds the lock now
        assert go_on.wait(timeout=60)
        return run_batch(path, settings)

    results: list[CycleResult] = []
    first = threading.Thread(
        target=lambda: results.append(
            run_nightly(Folders.under(inbox), replace(services, run_file=slow_run), clock=later)
        )
    )
    first.start()
    try:
        assert inside.wait(timeout=60)
        with pytest.raises(LockBusy, match="another nightly cycle holds the lock"):
            run_nightly(Folders.under(inbox), services, clock=later)
    finally:
        go_on.set()
        first.join(timeout=120)
    (result,) = results
    assert [item.status for item in result.files] == [FileStatus.DONE]
    assert len(sandbox_orders(settings)) == 1


class _Receiver(BaseHTTPRequestHandler):
    """Records each path it is asked for; answers ``status`` (200 unless told)."""

    paths: list[str]
    status = 200

    def do_GET(self) -> None:
        self.paths.append(self.path)
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[str], type[_Receiver]]]:
    handler = type("Receiver", (_Receiver,), {"paths": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/ping/abc", handler.paths, handler
    finally:
        server.shutdown()
        server.server_close()


def test_the_ping_receives_start_and_the_exit_code(
    tmp_path: Path, receiver: tuple[str, list[str], type[_Receiver]]
) -> None:
    url, paths, _ = receiver
    settings, inbox = lifecycle_settings(tmp_path), tmp_path / "inbox"
    inbox.mkdir()
    write_input(inbox / "clean.csv", [us_row(100)])
    result = run_nightly(Folders.under(inbox), services_for(settings), ping_url=url, clock=later)
    assert result.exit_code == 0
    assert paths == ["/ping/abc/start", "/ping/abc"]
    assert result.pings == (f"{url}/start", url)
    (inbox / "notes.txt.bak").write_text("not a spreadsheet")
    result = run_nightly(Folders.under(inbox), services_for(settings), ping_url=url, clock=later)
    assert result.exit_code == 3
    assert paths[2:] == ["/ping/abc/start", "/ping/abc/3"]


def test_a_failing_ping_never_fails_the_cycle(
    tmp_path: Path,
    receiver: tuple[str, list[str], type[_Receiver]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, paths, handler = receiver
    handler.status = 500
    settings, inbox = lifecycle_settings(tmp_path), tmp_path / "inbox"
    inbox.mkdir()
    with caplog.at_level("WARNING", logger="batchport.ops.ping"):
        result = run_nightly(
            Folders.under(inbox), services_for(settings), ping_url=url, clock=later
        )
    assert result.exit_code == 0 and result.pings == ()
    assert paths == ["/ping/abc/start", "/ping/abc"]
    assert "health-check ping" in caplog.text and "the cycle goes on" in caplog.text


def test_cli_nightly_prints_one_json_summary_and_json_log_lines(tmp_path: Path) -> None:
    settings, inbox = lifecycle_settings(tmp_path), tmp_path / "inbox"
    three_files(inbox)
    past = datetime.now(UTC).timestamp() - 600
    for path in inbox.iterdir():
        os.utime(path, (past, past))
    args = ["nightly", "--inbox", str(inbox), "--sandbox", "--state", str(settings.state_path)]
    env = {"BATCHPORT_SANDBOX_OPTIONS": settings.sandbox_options}
    result = CliRunner().invoke(main, [*args, "--json", "--log-format", "json"], env=env)
    assert result.exit_code == 3, result.output
    summary = json.loads(result.stdout)
    assert summary["exit_code"] == 3
    assert sorted((f["file"], f["status"]) for f in summary["files"]) == [
        ("clean.csv", "done"), ("errors.csv", "attention"), ("letter.pdf", "unusable"),
    ]  # fmt: skip
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert {line["logger"] for line in lines} >= {"batchport.ops.nightly"}
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert any("letter.pdf" in line["message"] for line in lines)


def test_cli_nightly_activate_needs_yes_without_a_terminal(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    result = CliRunner().invoke(main, ["nightly", "--inbox", str(inbox), "--sandbox", "--activate"])
    assert result.exit_code == 2
    assert "--activate without a terminal to confirm on needs --yes" in result.output


def test_a_digest_path_that_would_clobber_a_file_fails_before_any_work(tmp_path: Path) -> None:
    settings, inbox = lifecycle_settings(tmp_path), tmp_path / "inbox"
    inbox.mkdir()
    write_input(inbox / "clean.csv", [us_row(100)])
    mine = tmp_path / "budget.xlsx"
    openpyxl.Workbook().save(mine)
    with pytest.raises(ConfigError, match="is not a batchport digest"):
        run_cycle(Folders.under(inbox, digest=mine), services_for(settings), clock=later)
    assert files_in(inbox) == ["clean.csv"] and not settings.state_path.exists()


def test_the_ping_url_is_masked_in_the_json_summary_and_the_log_lines(
    tmp_path: Path, receiver: tuple[str, list[str], type[_Receiver]]
) -> None:
    url, paths, handler = receiver
    handler.status = 500  # the failure is logged, with its URL
    url = url.replace("/ping/abc", "/ping/5f0c2a7e-check-uuid")
    settings, inbox = lifecycle_settings(tmp_path), tmp_path / "inbox"
    inbox.mkdir()
    args = ["nightly", "--inbox", str(inbox), "--sandbox", "--state", str(settings.state_path)]
    env = {"BATCHPORT_SANDBOX_OPTIONS": settings.sandbox_options}
    result = CliRunner().invoke(
        main, [*args, "--ping-url", url, "--json", "--log-format", "json"], env=env
    )
    assert result.exit_code == 0, result.output
    assert paths == ["/ping/5f0c2a7e-check-uuid/start", "/ping/5f0c2a7e-check-uuid"]
    assert "health-check ping" in result.stderr
    assert "5f0c2a7e-check-uuid" not in result.stdout + result.stderr
