"""``batchport track`` and ``batchport.lifecycle.track`` against the in-process sandbox."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from run_inputs import (
    HEADER,
    advance_sandbox,
    ca_row,
    sandbox_orders,
    sandbox_settings,
    us_row,
    with_client,
)
from test_lifecycle_orders import env_for

from batchport.api import NumberStatus, OrderNumber
from batchport.cli import main
from batchport.journal import open_journal
from batchport.lifecycle.track import TrackResult, local_foc, track_batch
from batchport.pipeline import run_batch
from batchport.settings import Settings

REJECTED = "Account number does not match"


def settings_for(tmp_path: Path) -> Settings:
    """Sandbox settings: (212) 555 numbers confirmed, (416) 555 numbers rejected."""
    scenario = tmp_path / "scenario.json"
    scenario.write_text(
        json.dumps(
            {
                "numbers": [
                    {"match": "+1212555", "carrier": "Verizon Wireless", "portable": True},
                    {"match": "+1416555", "carrier": "Rogers Wireless", "reject_reason": REJECTED},
                ]
            }
        )
    )
    options = f"scenario={scenario},reject_rate=0,exclude_rate=0,rate_limit=off"
    return sandbox_settings(tmp_path, options)


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    """``rows`` as a CSV; US rows port at 19:00 US/Pacific (an evening port)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*HEADER, "Desired Port Time", "Desired Port Time Zone"])
        for row in rows:
            pacific = row[0].startswith("(212)")
            writer.writerow([*row, *(["19:00:00", "US/Pacific"] if pacific else ["", ""])])
    return path


def track(settings: Settings, **options: object) -> TrackResult:
    return with_client(
        settings,
        lambda client: track_batch(client, settings.state_path, target="sandbox", **options),  # type: ignore[arg-type]
    )


def test_local_foc_keeps_an_evening_port_on_its_own_day() -> None:
    number = OrderNumber(
        "+12125550100", NumberStatus.CONFIRMED, foc_at=datetime(2027, 5, 15, 2, tzinfo=UTC)
    )
    assert local_foc(number, "US/Pacific") == "2027-05-14 19:00 US/Pacific"  # PDT, UTC-7
    winter = OrderNumber(
        "+12125550100", NumberStatus.CONFIRMED, foc_at=datetime(2027, 1, 15, 3, tzinfo=UTC)
    )
    assert local_foc(winter, "US/Pacific") == "2027-01-14 19:00 US/Pacific"  # PST, UTC-8
    assert local_foc(winter, "") == "2027-01-15 03:00 UTC"
    assert local_foc(OrderNumber("+12125550100", NumberStatus.PENDING), "US/Eastern") == ""


def test_track_records_confirmations_rejections_notes_and_rewrites_the_result(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path)
    source = write_rows(tmp_path / "in.csv", [us_row(100), us_row(101), ca_row(200)])
    first = run_batch(source, settings)
    assert first.outcomes["submitted"] == 3
    advance_sandbox(settings, 2)
    result = track(settings)
    assert result.orders_read == 2 and result.attention
    foc_utc = {
        n.phone_number: n.foc_at
        for order in sandbox_orders(settings)
        for n in order.phone_numbers
        if n.foc_at
    }
    assert sorted(c.phone_number for c in result.confirmed) == ["+12125550100", "+12125550101"]
    for confirmed in result.confirmed:
        moment = foc_utc[confirmed.phone_number]
        # 19:00 in US/Pacific is 02:00Z (PDT) or 03:00Z (PST) of the next UTC day
        assert moment is not None and moment.hour in (2, 3)
        local_day = (moment - timedelta(days=1)).date().isoformat()
        assert confirmed.foc == f"{local_day} 19:00 US/Pacific"
    (rejected,) = result.rejected
    assert (rejected.phone_number, rejected.status) == ("+14165550200", "REJECTED")
    assert rejected.reason == REJECTED
    assert result.notes and all(REJECTED in note.text for note in result.notes)
    assert result.result == tmp_path / "in.result.xlsx" and result.warning is None
    sheet = openpyxl.load_workbook(result.result, read_only=True)["Rows"]
    rows = list(sheet.values)
    header = list(rows[0])
    status, foc = header.index("Number status"), header.index("FOC date")
    by_number = {row[header.index("E.164")]: row for row in rows[1:]}
    assert by_number["+12125550100"][status] == "CONFIRMED"
    assert by_number["+12125550100"][foc] == result.confirmed[0].foc
    assert by_number["+14165550200"][status] == "REJECTED"
    with open_journal(settings.state_path) as journal:
        kinds = [kind for kind, _, detail in journal.events(first.batch_id) if "track:" in detail]
    assert {"number_status", "foc_date", "order_status", "note"} <= set(kinds)

    again = track(settings)
    assert not again.changed and again.orders_read == 1  # the rejected order is CANCELED

    advance_sandbox(settings, 14)
    done = track(settings)
    us_order = next(order for order in first.orders if order.carrier == "Verizon Wireless")
    assert [c.reference for c in done.completed] == [us_order.reference]
    assert not done.confirmed and not done.rejected


def test_rejected_numbers_are_free_again_for_a_corrected_file(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    run_batch(write_rows(tmp_path / "in.csv", [us_row(100), ca_row(200), ca_row(201)]), settings)
    advance_sandbox(settings, 2)
    assert len(track(settings).rejected) == 2
    corrected = write_rows(tmp_path / "fixed.csv", [ca_row(200, "Rogers"), ca_row(201, "Rogers")])
    rerun = run_batch(corrected, settings)
    assert rerun.outcomes["submitted"] == 2 and rerun.outcomes["already_in_order"] == 0


def test_run_reads_the_holding_order_before_refusing_a_number(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    first = run_batch(write_rows(tmp_path / "in.csv", [us_row(100), ca_row(200)]), settings)
    held = write_rows(tmp_path / "again.csv", [us_row(100)])
    pending = run_batch(held, settings)
    us_order = next(order for order in first.orders if order.carrier == "Verizon Wireless")
    assert pending.outcomes["already_in_order"] == 1 and pending.sent == 0
    sheet = openpyxl.load_workbook(pending.result_path, read_only=True)["Rows"]
    message = list(sheet.values)[1][9]
    assert f"Already in order {us_order.reference} (id {us_order.id}, PENDING)" in message
    advance_sandbox(settings, 2)  # no track: the Canadian order ends CANCELED, 200 REJECTED
    calls_before = first.api_calls
    rerun = run_batch(write_rows(tmp_path / "fixed.csv", [ca_row(200, "Rogers")]), settings)
    assert rerun.outcomes["submitted"] == 1 and rerun.outcomes["already_in_order"] == 0
    assert calls_before > 0 and rerun.api_calls >= 3  # token, one GET of the order, create...
    with open_journal(settings.state_path) as journal:
        details = [detail for _, _, detail in journal.events(first.batch_id)]
    assert any(d.startswith("run: +14165550200 PENDING → REJECTED") for d in details)


def test_cli_track_json_exit_codes_and_a_missing_source(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    source = write_rows(tmp_path / "in.csv", [us_row(100), ca_row(200)])
    run_batch(source, settings)
    runner, env = CliRunner(), env_for(settings)
    result = runner.invoke(main, ["track", "--sandbox"], env=env)
    assert result.exit_code == 0 and "Nothing changed since the last track." in result.stdout
    advance_sandbox(settings, 2)
    source.unlink()
    result = runner.invoke(main, ["track", "--sandbox", "--json"], env=env)
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert [r["reason"] for r in data["rejected"]] == [REJECTED]
    assert data["confirmed"][0]["foc"].endswith("19:00 US/Pacific")
    assert data["result"] is None and "is gone" in result.stderr
    result = runner.invoke(main, ["track", "--sandbox", "--batch", "nope"], env=env)
    assert result.exit_code == 1 and "no batch nope" in result.stderr


def test_track_rewrites_the_workbook_run_wrote_from_the_sheet_it_read(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    source = tmp_path / "in.xlsx"
    book = openpyxl.Workbook()
    decoy = book.active
    assert decoy is not None
    decoy.title = "Old"
    decoy.append(list(HEADER))
    decoy.append(us_row(900))
    port = book.create_sheet("Port")
    port.append(list(HEADER))
    for values in (us_row(100), ca_row(200)):
        port.append(values)
    book.save(source)
    out = tmp_path / "elsewhere" / "custom.xlsx"
    out.parent.mkdir()
    first = run_batch(source, settings, sheet="Port", out=out)
    assert first.result_path == out and first.outcomes["submitted"] == 2
    advance_sandbox(settings, 2)
    result = track(settings)
    assert result.result == out and result.warning is None
    assert not (tmp_path / "in.result.xlsx").exists()
    rows = list(openpyxl.load_workbook(out, read_only=True)["Rows"].values)
    assert sorted(str(line[2]) for line in rows[1:]) == ["+12125550100", "+14165550200"]
    assert "REJECTED" in [line[7] for line in rows[1:]]


def test_track_given_order_ids_or_all_open(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    first = run_batch(write_rows(tmp_path / "a.csv", [us_row(100), ca_row(200)]), settings)
    second = run_batch(write_rows(tmp_path / "b.csv", [us_row(101)]), settings)
    advance_sandbox(settings, 2)
    runner, env = CliRunner(), env_for(settings)
    us_id = next(o.id for o in first.orders if o.carrier == "Verizon Wireless")
    one = runner.invoke(main, ["track", str(us_id), "--sandbox", "--json"], env=env)
    assert one.exit_code == 0, one.output
    (only,) = json.loads(one.stdout)
    assert (only["batch"], only["orders_read"]) == (first.batch_id, 1)
    assert [c["phone_number"] for c in only["confirmed"]] == ["+12125550100"]
    every = runner.invoke(main, ["track", "--all-open", "--sandbox", "--json"], env=env)
    assert every.exit_code == 3  # the Canadian number is rejected
    found = {item["batch"]: item["orders_read"] for item in json.loads(every.stdout)}
    assert found == {first.batch_id: 2, second.batch_id: 1}  # CONFIRMED is still open
    unknown = runner.invoke(main, ["track", "999999", "--sandbox"], env=env)
    assert unknown.exit_code == 1 and "order 999999 is not in the journal" in unknown.stderr
    both = runner.invoke(main, ["track", "--all-open", "--batch", "x", "--sandbox"], env=env)
    assert both.exit_code == 2


def test_run_goes_on_when_the_holding_order_is_gone_at_the_service(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    first = run_batch(write_rows(tmp_path / "in.csv", [us_row(100)]), settings)
    with sqlite3.connect(settings.state_path) as db:  # an order the service no longer knows
        db.execute("UPDATE submissions SET order_id = 999999 WHERE batch_id = ?", (first.batch_id,))
    again = run_batch(write_rows(tmp_path / "again.csv", [us_row(100), us_row(101)]), settings)
    assert again.outcomes["already_in_order"] == 1 and again.outcomes["submitted"] == 1
    sheet = openpyxl.load_workbook(again.result_path, read_only=True)["Rows"]
    assert "id 999999, PENDING" in list(sheet.values)[1][9]


def test_a_batch_run_from_a_relative_path_is_tracked_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(tmp_path)
    write_rows(tmp_path / "in.csv", [us_row(100)])
    monkeypatch.chdir(tmp_path)
    first = run_batch(Path("in.csv"), settings)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    advance_sandbox(settings, 2)
    result = track(settings)
    assert result.warning is None and result.result == tmp_path / "in.result.xlsx"
    with open_journal(settings.state_path) as journal:
        assert journal.batches()[0].source == str(tmp_path / "in.csv")
    assert first.batch_id == result.batch_id


def test_the_latest_batch_is_the_latest_of_the_target_tracked(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    first = run_batch(write_rows(tmp_path / "in.csv", [us_row(100)]), settings)
    with open_journal(settings.state_path) as journal:  # a later batch, of another target
        journal.begin_batch(
            "elsewhere", source="x.csv", target="https://porting.example/projects/p", rows=[],
            now=datetime.now(UTC) + timedelta(hours=1),
        )  # fmt: skip
    assert track(settings).batch_id == first.batch_id
