"""``run_batch`` end to end against the in-process sandbox."""

from __future__ import annotations

import asyncio
import csv
import json
import logging
import os
import signal
import sqlite3
import stat
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
import quoting_sinch as quoting
from api_fakes import check_traced_requests
from openapi_contract import OPENAPI_PATH
from run_inputs import (
    HEADER,
    ca_row,
    sandbox_orders,
    sandbox_settings,
    us_row,
    write_input,
    write_scenario,
)

from batchport import pipeline
from batchport.api import EndUser, NumberRequest, OrderRequest, PortOutInfo
from batchport.connection import open_client, retry_policy, sandbox_transport
from batchport.errors import ApiError, ConfigError, InputError, JournalError
from batchport.journal import open_journal
from batchport.pipeline import PlanPreview, _stop_on_interrupt, default_result_path, run_batch
from batchport.progress import NullProgress
from batchport.settings import Settings


def settings_for(tmp_path: Path, options: str = "", **fields: object) -> Settings:
    scenario = write_scenario(
        tmp_path / "scenario.json", {"+12125550109": "Number is disconnected"}
    )
    scenario_option = f"scenario={scenario},reject_rate=0,exclude_rate=0"
    joined = ",".join(part for part in (scenario_option, options) if part)
    return sandbox_settings(tmp_path, joined, rate=1000.0, **fields)


def sample(tmp_path: Path) -> Path:
    rows = [us_row(n) for n in range(100, 110)] + [ca_row(150), ca_row(151, "Chatr")]
    rows.append(us_row(101))  # duplicate of row 3
    rows.append(["not a number", "X", "1", "Main", "Albany", "NY", "12207", "", "", "", "", ""])
    return write_input(tmp_path / "numbers.csv", rows)


def test_run_submits_once_and_rerun_creates_nothing(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, max_per_order=4)
    source = sample(tmp_path)
    first = run_batch(source, settings)
    assert first.outcomes["submitted"] == 11
    assert first.outcomes["not_portable"] == 1
    assert first.outcomes["duplicate"] == 1 and first.outcomes["invalid"] == 1
    assert first.needs_attention
    # 9 portable US numbers of one carrier → 3 + 3 + 3; two Canadian resellers → two orders
    assert sorted(order.numbers for order in first.orders) == [1, 1, 3, 3, 3]
    assert first.result_path == default_result_path(source) and first.result_path.exists()
    orders = sandbox_orders(settings)
    assert len(orders) == 5
    second = run_batch(source, settings)
    assert second.batch_id == first.batch_id
    assert second.outcomes == first.outcomes
    assert len(sandbox_orders(settings)) == 5
    assert second.api_calls == 0  # journal answers everything: no check, no lookup, no create
    assert [o.id for o in second.orders] == [o.id for o in first.orders]
    looked = run_batch(source, settings, dry_run=True)  # a dry run reports what is done
    assert looked.outcomes == first.outcomes and looked.api_calls == 0
    assert [o.status for o in looked.orders] == [o.status for o in first.orders]


def test_a_saved_plan_is_not_checked_again_even_when_its_answers_are_old(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    source = sample(tmp_path)
    first = run_batch(source, settings)
    later = datetime.now(UTC) + timedelta(days=3)  # journaled answers are no longer fresh
    second = run_batch(source, settings, clock=lambda: later)
    assert second.api_calls == 0  # rows outside the plan cannot join it: asking would be waste
    assert second.outcomes == first.outcomes and second.outcomes["not_portable"] == 1
    rows = openpyxl.load_workbook(second.result_path)["Rows"]
    reasons = [row[9] for row in rows.iter_rows(min_row=2, values_only=True)]
    assert any(str(text).startswith("Not portable: Number is disconnected.") for text in reasons)


def test_dry_run_creates_nothing_and_plans_every_portable_row(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    result = run_batch(sample(tmp_path), settings, dry_run=True)
    assert result.outcomes["planned"] == 11 and result.outcomes["submitted"] == 0
    assert all(order.id is None and order.status == "PLANNED" for order in result.orders)
    assert sandbox_orders(settings) == []
    with open_journal(settings.state_path) as journal:
        assert journal.load_plan(result.batch_id) is None
    assert list(result.stages) == ["validate", "journal", "portability", "plan", "report"]
    assert result.to_json()["stages"].keys() == result.stages.keys()


def test_rerun_times_only_the_stages_it_runs(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    source = sample(tmp_path)
    first = run_batch(source, settings)
    assert list(first.stages) == [
        "validate", "journal", "portability", "plan", "submit", "report"
    ]  # fmt: skip
    assert sum(first.stages.values()) <= first.seconds
    second = run_batch(source, settings)
    assert "submit" not in second.stages  # every order is closed: nothing left to send
    assert second.stages["validate"] > 0 and second.stages["report"] > 0


def test_changed_input_recognises_numbers_already_submitted(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    first = write_input(tmp_path / "a.csv", [us_row(n) for n in range(100, 104)])
    run_batch(first, settings)
    changed = write_input(tmp_path / "b.csv", [us_row(n) for n in range(102, 106)])
    result = run_batch(changed, settings)
    assert result.outcomes["already_in_order"] == 2 and result.outcomes["submitted"] == 2
    numbers = Counter(n.phone_number for o in sandbox_orders(settings) for n in o.phone_numbers)
    assert set(numbers.values()) == {1} and len(numbers) == 6
    assert not result.needs_attention


def test_ambiguous_creates_are_reconciled_without_duplicates(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, "ambiguous_rate=1.0", max_per_order=2)
    source = write_input(tmp_path / "in.csv", [us_row(n) for n in range(100, 106)])
    result = run_batch(source, settings)
    assert result.outcomes["submitted"] == 6
    orders = sandbox_orders(settings)
    assert len(orders) == 3
    assert len({order.customer_order_reference for order in orders}) == 3
    with open_journal(settings.state_path) as journal:
        kinds = Counter(kind for kind, _, _ in journal.events(result.batch_id))
    assert kinds["create_ambiguous"] == 3 and kinds["lookup"] == 3 and kinds["adopted"] == 3


def test_numbers_in_another_active_order_are_refused_and_the_rest_resent(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    blocker = OrderRequest(
        desired_port_date=date.today() + timedelta(days=10),
        phone_numbers=(
            NumberRequest(
                "+12125550102",
                EndUser("Someone", "1", "Main", "New York", "NY", "10001"),
                PortOutInfo(),
            ),
        ),
        customer_order_reference="made-elsewhere",
    )

    async def place() -> None:
        async with open_client(replace(settings, sandbox_options="")) as client:
            await client.create_order(blocker)

    asyncio.run(place())
    source = write_input(tmp_path / "in.csv", [us_row(n) for n in range(100, 104)])
    result = run_batch(source, settings)
    assert result.outcomes["submitted"] == 3 and result.outcomes["rejected"] == 1
    assert result.needs_attention
    ours = [o for o in sandbox_orders(settings) if o.customer_order_reference != "made-elsewhere"]
    assert len(ours) == 1
    assert "+12125550102" not in {n.phone_number for n in ours[0].phone_numbers}
    rows = openpyxl.load_workbook(result.result_path)["Rows"].iter_rows(values_only=True)
    refused = next(row for row in rows if row[1] == "rejected")
    assert refused[9].startswith("The service refused this number: ")
    assert "in a new file" in refused[9]  # rerunning this file would not resend it


def test_declined_confirmation_sends_no_order(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, max_per_order=3)
    previews = []

    def decline(preview: PlanPreview) -> bool:
        previews.append(preview)
        return False

    result = run_batch(sample(tmp_path), settings, confirm=decline)
    assert result.declined and result.outcomes["planned"] == 11
    assert previews[0].numbers == 11 and previews[0].target == "sandbox"
    assert sandbox_orders(settings) == []
    accepted = run_batch(sample(tmp_path), settings, confirm=lambda preview: True)
    assert accepted.outcomes["submitted"] == 11 and not accepted.declined


def test_first_ctrl_c_only_asks_the_submitters_to_stop() -> None:
    notes: list[str] = []

    class Notes(NullProgress):
        def note(self, message: str) -> None:
            notes.append(message)

    async def scenario() -> bool:
        stop = asyncio.Event()
        with _stop_on_interrupt(stop, Notes()):
            os.kill(os.getpid(), signal.SIGINT)
            await asyncio.wait_for(stop.wait(), timeout=5)
        return stop.is_set()

    assert asyncio.run(scenario())
    assert notes and "Ctrl-C again" in notes[0]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_faults_and_ambiguous_creates_still_give_one_order_per_group(tmp_path: Path) -> None:
    faults = "ambiguous_rate=0.3,fault_rate=0.2,drop_rate=0.1,seed=7"
    trace = tmp_path / "trace.jsonl"
    settings = settings_for(tmp_path, faults, max_per_order=2, trace_path=trace)
    waits: list[float] = []

    async def no_wait(delay: float) -> None:
        waits.append(delay)

    policy = retry_policy(settings, sleep=no_wait, deadline=1e9, max_attempts=50)
    source = write_input(tmp_path / "in.csv", [us_row(n) for n in range(100, 112)])
    result = run_batch(source, settings, retry_policy=policy)
    assert result.outcomes["submitted"] == 11  # +12125550109 is not portable
    orders = sandbox_orders(settings)
    assert len(orders) == 6 and len({o.customer_order_reference for o in orders}) == 6
    numbers = Counter(n.phone_number for o in orders for n in o.phone_numbers)
    assert len(numbers) == 11 and set(numbers.values()) == {1}
    assert waits  # faults happened and were retried without waiting
    # What the run sent, and what the sandbox answered, faults included, keeps to the contract.
    checked = check_traced_requests(trace, responses=True)
    assert checked >= 12 or not OPENAPI_PATH.is_file()


def test_outputs_that_would_clobber_the_input_or_each_other_are_refused_before_reading(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path)
    source = sample(tmp_path)
    before = source.read_bytes()
    with pytest.raises(ConfigError, match=r"the result workbook .* and the input file"):
        run_batch(source, settings, out=source)
    with pytest.raises(ConfigError, match=r"the trace .* and the input file"):
        run_batch(source, replace(settings, trace_path=source))
    journal_as_result = settings.state_path.with_suffix(".xlsx")
    with pytest.raises(ConfigError, match=r"the journal .* and the result workbook"):
        run_batch(source, replace(settings, state_path=journal_as_result), out=journal_as_result)
    with pytest.raises(ConfigError, match=r"must be an \.xlsx file"):
        run_batch(source, settings, out=tmp_path / "result.csv")
    assert source.read_bytes() == before
    assert not settings.state_path.exists()  # refused before the journal was opened


def test_customer_data_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    result = run_batch(sample(tmp_path), settings)
    for path in (settings.state_path, settings.sandbox_state_path, result.result_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_an_empty_file_at_the_journal_path_is_not_taken_for_a_new_journal(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path)
    settings.state_path.parent.mkdir(parents=True)
    settings.state_path.write_bytes(b"")
    with pytest.raises(JournalError, match="would lose track of the orders already created"):
        run_batch(sample(tmp_path), settings)


def test_a_dry_run_never_replaces_the_result_of_a_real_run(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    source = sample(tmp_path)
    real = run_batch(source, settings)
    written = real.result_path.read_bytes()
    plan = run_batch(source, settings, dry_run=True)
    assert plan.result_path == real.result_path.with_name("numbers.result.dry-run.xlsx")
    assert real.result_path.read_bytes() == written and plan.result_path.is_file()


def test_a_rerun_that_sends_nothing_says_when_the_batch_was_submitted(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    source = sample(tmp_path)
    first = run_batch(source, settings)
    assert first.sent == len(first.orders) and first.first_submitted is not None
    again = run_batch(source, settings)
    assert again.sent == 0 and again.nothing_sent_again
    assert again.first_submitted == first.first_submitted
    assert again.to_json()["sent"] == 0


def test_a_file_whose_rows_changed_since_they_were_journaled_is_refused(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    source = sample(tmp_path)
    run_batch(source, settings, dry_run=True)
    with sqlite3.connect(settings.state_path) as db:
        db.execute("UPDATE input_rows SET data_hash = 'changed' WHERE row = 4")
    with pytest.raises(InputError, match=r"differ from those journaled .* first row 4"):
        run_batch(source, settings)
    assert sandbox_orders(settings) == []


def test_a_file_that_changes_while_it_is_read_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(tmp_path)
    source = sample(tmp_path)
    read = pipeline.validate_file

    def read_then_append(*args: Any, **kwargs: Any) -> Any:
        validation = read(*args, **kwargs)
        with source.open("a", encoding="utf-8") as handle:
            handle.write("(212) 555-0199,Late Row,1,Main,New York,NY,10001,,,,,\n")
        return validation

    monkeypatch.setattr(pipeline, "validate_file", read_then_append)
    with pytest.raises(InputError, match="changed while batchport read it"):
        run_batch(source, settings)


def test_a_planned_row_that_no_longer_validates_is_left_out_and_the_rest_goes_on(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path)
    day1 = date.today()
    port_day = day1 + timedelta(days=10)
    while port_day.weekday() >= 5:
        port_day += timedelta(days=1)
    rows = [[*us_row(n), ""] for n in (100, 101)] + [[*us_row(102), port_day.isoformat()]]
    source = tmp_path / "dated.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([[*HEADER, "Desired Port Date"], *rows])
    sandbox = sandbox_transport(settings)

    async def creates_unavailable(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/orders/portIns"):
            return httpx.Response(503, json={"code": 503, "message": "maintenance"})
        return await sandbox.handle_async_request(request)

    once = retry_policy(settings, max_attempts=1)
    first = run_batch(
        source,
        settings,
        today=day1,
        transport=httpx.MockTransport(creates_unavailable),
        retry_policy=once,
    )
    assert first.outcomes["failed"] == 3  # the plan is saved, nothing was created
    # Resumed after the third row's port date has passed: that row alone is held back.
    later = port_day + timedelta(days=1)
    result = run_batch(source, settings, today=later)
    assert result.outcomes["invalid"] == 1 and result.outcomes["submitted"] == 2
    sheet = openpyxl.load_workbook(result.result_path)["Rows"]
    cells = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells[4][1] == "invalid" and "in the past" in str(cells[4][9])
    numbers = {n.phone_number for order in sandbox_orders(settings) for n in order.phone_numbers}
    assert numbers == {"+12125550100", "+12125550101"}


# --- a service quoting every secret back: nothing leaves the process unmasked ----------------


def quoting_run(tmp_path: Path, sinch: quoting.QuotingSinch) -> tuple[Path, Settings, Path]:
    """Settings for a run against ``sinch`` (outputs in ``tmp_path/out``) and its input."""
    out = tmp_path / "out"
    out.mkdir()
    settings = Settings(
        project_id="proj-q",
        key_id=quoting.KEY_ID,
        key_secret=quoting.KEY_SECRET,
        porting_url="https://porting.test",
        auth_url="https://auth.test/oauth2/token",
        state_path=out / "journal.sqlite",
        trace_path=out / "trace.jsonl",
        rate=1000.0,
        concurrency=1,
        max_per_order=4,
    )
    rows = []
    for n in range(12):  # three orders of four, each holding every PIN and account number
        row = us_row(100 + n)
        row[7], row[8] = quoting.PINS[n % 4], quoting.ACCOUNTS[n % 4]
        rows.append(row)
    (tmp_path / "in").mkdir()
    return out, settings, write_input(tmp_path / "in" / "numbers.csv", rows)


async def _no_wait(delay: float) -> None:
    """A retry sleep that does not wait."""


def test_a_run_against_a_service_quoting_secrets_writes_none(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    sinch = quoting.QuotingSinch()
    out, settings, source = quoting_run(tmp_path, sinch)
    policy = retry_policy(settings, sleep=_no_wait)
    with caplog.at_level(logging.DEBUG):
        result = run_batch(
            source,
            settings,
            out=out / "result.xlsx",
            transport=httpx.MockTransport(sinch),
            retry_policy=policy,
        )
    assert sorted(sinch.modes.values()) == sorted(quoting.CREATE_ANSWERS)  # every answer given
    assert result.outcomes["submitted"] == 7 and result.outcomes["rejected"] == 5
    texts = quoting.output_texts(out)
    assert {"trace.jsonl", "journal.sqlite", "result.xlsx:xl/worksheets/sheet1.xml"} <= set(texts)
    captured = capsys.readouterr()
    outputs = [*texts.values(), json.dumps(result.to_json()), caplog.text, *captured]
    assert quoting.leaks(outputs) == {}
    # The service's words reached the workbook and the journal, masked.
    with open_journal(settings.state_path) as journal:
        messages = {record.message for record in journal.number_records(result.batch_id).values()}
        events = journal.events(result.batch_id)
    refusal = "portOutInfo.existingPortOutPin: does not match any of " + ", ".join(["****"] * 8)
    assert refusal in messages
    assert any(kind == "create_ambiguous" and "****" in detail for kind, _, detail in events)
    rows = "".join(text for name, text in texts.items() if name.startswith("result.xlsx"))
    assert "the carrier rejects ****, ****" in rows


@pytest.mark.parametrize("answer", ["refuse", "fail"])
def test_a_run_refused_by_a_token_service_quoting_the_key_writes_it_nowhere(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, answer: str
) -> None:
    sinch = quoting.QuotingSinch(token=answer)
    out, settings, source = quoting_run(tmp_path, sinch)
    policy = retry_policy(settings, sleep=_no_wait, max_attempts=3)
    with caplog.at_level(logging.DEBUG), pytest.raises(ApiError) as caught:
        run_batch(source, settings, transport=httpx.MockTransport(sinch), retry_policy=policy)
    assert "the token service https://auth.test/oauth2/token" in str(caught.value)
    texts = quoting.output_texts(out)
    assert quoting.leaks([*texts.values(), caplog.text, str(caught.value)]) == {}
    assert "Basic ****" in texts["trace.jsonl"] and "secret ****" in str(caught.value)


def test_a_submitted_row_stays_submitted_when_rerun_after_its_port_date(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    day1 = date.today()
    port_day = day1 + timedelta(days=10)
    while port_day.weekday() >= 5:
        port_day += timedelta(days=1)
    rows = [[*us_row(100), ""], [*us_row(101), port_day.isoformat()]]
    source = tmp_path / "dated.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([[*HEADER, "Desired Port Date"], *rows])
    first = run_batch(source, settings, today=day1)
    assert first.outcomes["submitted"] == 2
    again = run_batch(source, settings, today=port_day + timedelta(days=1))
    assert again.outcomes["submitted"] == 2 and again.outcomes["invalid"] == 0
    assert again.sent == 0 and not again.needs_attention


def test_what_is_sent_is_what_is_reported_when_a_cell_holds_a_nul(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    rows = [us_row(100), us_row(101)]
    rows[0][1] = "Acme\x00Widgets"
    rows[1][HEADER.index("Notes")] = "\x00\x00\x00"
    result = run_batch(write_input(tmp_path / "nul.csv", rows), settings)
    assert result.outcomes["submitted"] == 2
    (order,) = sandbox_orders(settings)
    names = {n.phone_number: n.extra["endUser"]["name"] for n in order.phone_numbers}
    assert names["+12125550100"] == "AcmeWidgets"
    findings = list(openpyxl.load_workbook(result.result_path)["Findings"].values)
    removed = [r for r in findings if r[3] == "control_characters_removed"]
    assert [(r[0], r[1], r[6]) for r in removed] == [
        (2, "name", "Acme<NUL>Widgets"),
        (3, "Notes", "<NUL><NUL><NUL>"),
    ]
    shown = list(openpyxl.load_workbook(result.result_path)["Rows"].values)
    assert "AcmeWidgets" in shown[1]


def test_no_workbook_cell_over_excels_limit_from_100k_character_cells(tmp_path: Path) -> None:
    from batchport.report.validation import validate_and_report

    rows = [us_row(100, notes="Z" * 100_000), us_row(101)]
    rows[1][1] = "N" * 100_000
    source = write_input(tmp_path / "long.csv", rows)
    settings = settings_for(tmp_path)
    result = run_batch(source, settings, dry_run=True)
    report = tmp_path / "long.validation.xlsx"
    validation, _ = validate_and_report(source, out=report)
    by_code = {(f.row, f.column): f for f in validation.findings}
    assert by_code[(2, "Notes")].code == "cell_too_long_for_workbook"
    assert "100,000 characters" in by_code[(2, "Notes")].message
    assert by_code[(3, "name")].code == "too_long"
    for path in (result.result_path, report):
        workbook = openpyxl.load_workbook(path)
        texts = [c for s in workbook for row in s.iter_rows(values_only=True) for c in row]
        longest = max(len(t) for t in texts if isinstance(t, str))
        assert longest == 32_767, path
        assert any(
            isinstance(t, str) and t.endswith("[cut: the value has 100,000 characters]")
            for t in texts
        )
