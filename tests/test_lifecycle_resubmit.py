"""``batchport resubmit`` and ``batchport.lifecycle.resubmit`` against the in-process sandbox."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from run_inputs import HEADER, advance_sandbox, sandbox_orders, sandbox_settings, with_client
from test_lifecycle_orders import env_for

from batchport.api import Order
from batchport.cli import main
from batchport.errors import ConfigError
from batchport.journal import open_journal
from batchport.lifecycle.resubmit import ResubmitResult, full_update, resubmit_batch
from batchport.lifecycle.track import track_batch
from batchport.pipeline import run_batch
from batchport.report import xlsx
from batchport.settings import Settings

BAD_PIN, GOOD_PIN = "1111", "2468"


def settings_for(tmp_path: Path, extra: str = "") -> Settings:
    """(212) 555 confirmed the next day; (416) 555 rejected while sent PIN 1111; (312) 555
    answered only after 30 days (their order stays PENDING)."""
    scenario = tmp_path / "scenario.json"
    scenario.write_text(
        json.dumps(
            {
                "numbers": [
                    {"match": "+1212555", "carrier": "Verizon Wireless"},
                    {"match": "+1416555", "carrier": "Rogers Wireless", "reject_pin": BAD_PIN},
                    {"match": "+1312555", "carrier": "AT&T Mobility", "answer_days": 30},
                ]
            }
        )
    )
    options = f"scenario={scenario},reject_rate=0,exclude_rate=0,rate_limit=off{extra}"
    return sandbox_settings(tmp_path, options)


def row(phone: str, *, name: str = "Acme Dental LLC", pin: str = "4321") -> list[str]:
    """One input row; Toronto numbers get a Toronto address and a reseller name."""
    if phone.startswith("416"):
        return [phone, name, "100", "King St W", "Toronto", "ON", "M5X 1A9", pin, "77712345",
                "Fido", "", ""]  # fmt: skip
    return [phone, name, "350", "Fifth Ave", "New York", "NY", "10118", pin, "8001234567", "",
            "", ""]  # fmt: skip


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def first_batch(tmp_path: Path, settings: Settings, rows: list[list[str]] | None = None) -> Path:
    """Run six rows: two confirmed, two rejected for their PIN, two left PENDING; track them.
    ``rows``: those six rows in another order."""
    source = write_rows(
        tmp_path / "in.csv",
        rows
        or [
            row("212-555-0100"),
            row("212-555-0101"),
            row("416-555-0200", pin=BAD_PIN),
            row("416-555-0201", pin=BAD_PIN),
            row("312-555-0300"),
            row("312-555-0301"),
        ],
    )
    result = run_batch(source, settings)
    assert result.outcomes["submitted"] == 6
    advance_sandbox(settings, 2)
    tracked = with_client(
        settings, lambda client: track_batch(client, settings.state_path, target="sandbox")
    )
    assert len(tracked.rejected) == 2 and len(tracked.confirmed) == 2
    return result.result_path


def edit_rows(path: Path, edits: dict[str, dict[str, str]], sheet_name: str = "Rows") -> None:
    """Change cells of the ``sheet_name`` sheet of the workbook at ``path``: E.164 → header →
    value."""
    book = openpyxl.load_workbook(path)
    sheet = book[sheet_name]
    header = [cell.value for cell in sheet[1]]
    for cells in sheet.iter_rows(min_row=2):
        for name, value in edits.get(str(cells[header.index("E.164")].value), {}).items():
            cells[header.index(name)].value = value
    book.save(path)


def resubmit(settings: Settings, corrected: Path, **options: object) -> ResubmitResult:
    return with_client(
        settings,
        lambda client: resubmit_batch(
            client,
            settings.state_path,
            corrected,
            target="sandbox",
            **options,  # type: ignore[arg-type]
        ),
    )


def by_number(orders: list[Order]) -> dict[str, tuple[Order, dict[str, object]]]:
    return {
        str(entry["phoneNumber"]): (order, entry)
        for order in orders
        for entry in order.raw["phoneNumbers"]
    }


def rows_sheet(path: Path, sheet_name: str = "Rows") -> dict[str, dict[str, object]]:
    sheet = openpyxl.load_workbook(path, read_only=True)[sheet_name]
    values = list(sheet.values)
    header = [str(cell) for cell in values[0]]
    width = len(header)
    return {
        str(line[2]): dict(zip(header, (*line, *[None] * (width - len(line))), strict=True))
        for line in values[1:]
    }


def highlighted(path: Path) -> set[tuple[str, str]]:
    """``(E.164, header)`` of every cell of the Rows sheet coloured on its own (the column
    the losing carrier's reason says to correct)."""
    sheet = openpyxl.load_workbook(path)["Rows"]
    header = [cell.value for cell in sheet[1]]
    found = set()
    for formatting in sheet.conditional_formatting:
        for rule in formatting.rules:
            if rule.formula != ["TRUE"]:
                continue
            for cells in formatting.sqref.ranges:
                phone = sheet.cell(cells.min_row, header.index("E.164") + 1).value
                found.add((str(phone), str(header[cells.min_col - 1])))
    return found


def test_the_column_to_correct_is_highlighted_until_the_row_is_resubmitted(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path)
    result_path = first_batch(tmp_path, settings)
    assert highlighted(result_path) == {
        ("+14165550200", "Port-Out PIN"),
        ("+14165550201", "Port-Out PIN"),
    }
    edit_rows(result_path, {"+14165550200": {"Port-Out PIN": GOOD_PIN}})
    resubmit(settings, result_path)
    assert highlighted(result_path) == {("+14165550201", "Port-Out PIN")}


def test_resubmit_updates_the_pending_order_and_moves_rejected_numbers_to_a_new_order(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path)
    result_path = first_batch(tmp_path, settings)
    before = by_number(sandbox_orders(settings))
    edit_rows(
        result_path,
        {
            "+14165550200": {"Port-Out PIN": GOOD_PIN},
            "+14165550201": {"Port-Out PIN": GOOD_PIN},
            "+13125550300": {"End User Name": "Acme Dental Chicago"},
        },
    )
    dry = resubmit(settings, result_path, dry_run=True)
    assert [(c.phone_number, c.action) for c in dry.changes] == [
        ("+14165550200", "new_order"),
        ("+14165550201", "new_order"),
        ("+13125550300", "updated"),
    ]
    assert dry.unchanged == 3 and not dry.updated and dry.result is None
    assert by_number(sandbox_orders(settings)).keys() == before.keys()  # nothing sent

    done = resubmit(settings, result_path)
    assert not done.needs_attention and done.result == result_path
    after = by_number(sandbox_orders(settings))
    pending, entry = after["+13125550300"]
    assert done.updated == [pending.id] and pending.status.value == "PENDING"
    assert entry["endUser"]["name"] == "Acme Dental Chicago"  # type: ignore[index]
    other_before = before["+13125550301"][1]
    assert after["+13125550301"][1]["endUser"] == other_before["endUser"]  # kept as it was
    assert after["+13125550301"][1]["portOutInfo"] == other_before["portOutInfo"]
    assert entry["portOutInfo"] == before["+13125550300"][1]["portOutInfo"]  # masked: kept
    (new_id,) = done.created.values()
    assert new_id is not None
    for phone in ("+14165550200", "+14165550201"):
        order, moved = after[phone]
        assert order.id == new_id and moved["portOutInfo"]["existingPortOutPin"] == GOOD_PIN  # type: ignore[index]
    sheet = rows_sheet(result_path)
    assert sheet["+14165550200"]["Order ID"] == new_id
    assert sheet["+14165550200"]["Outcome"] == "submitted"
    assert sheet["+13125550300"]["End User Name"] == "Acme Dental Chicago"
    assert sheet["+14165550200"]["Port-Out PIN"] == "****"

    again = resubmit(settings, result_path)  # the rewritten workbook: nothing changed now
    assert again.changes == [] and again.unchanged == 6 and not again.created
    with open_journal(settings.state_path) as journal:
        kinds = [kind for kind, _, _ in journal.events(done.batch_id)]
    assert kinds.count("moved") == 2 and "resubmit" in kinds

    advance_sandbox(settings, 2)
    tracked = with_client(
        settings, lambda client: track_batch(client, settings.state_path, target="sandbox")
    )
    assert sorted(c.phone_number for c in tracked.confirmed) == ["+14165550200", "+14165550201"]
    assert rows_sheet(result_path)["+13125550300"]["End User Name"] == "Acme Dental Chicago"


def test_corrections_in_every_part_of_a_rows_sheet_too_long_for_excel_are_applied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx, "SHEET_DATA_ROWS", 2)  # six rows: Rows, Rows (2), Rows (3)
    settings = settings_for(tmp_path)
    result_path = first_batch(
        tmp_path,
        settings,
        [
            row("416-555-0200", pin=BAD_PIN),  # batch row 2, on Rows
            row("212-555-0100"),
            row("212-555-0101"),  # on Rows (2)
            row("312-555-0300"),
            row("312-555-0301"),  # batch row 6, on Rows (3)
            row("416-555-0201", pin=BAD_PIN),
        ],
    )
    parts = ["Rows", "Rows (2)", "Rows (3)"]
    assert [name for name in openpyxl.load_workbook(result_path).sheetnames if "Rows" in name] == (
        parts
    )
    edit_rows(result_path, {"+14165550200": {"Port-Out PIN": GOOD_PIN}})
    edit_rows(result_path, {"+13125550301": {"End User Name": "Acme Dental Chicago"}}, "Rows (3)")
    dry = resubmit(settings, result_path, dry_run=True)
    assert [(c.row, c.file_row, c.phone_number, c.action) for c in dry.changes] == [
        (2, 2, "+14165550200", "new_order"),
        (6, 2, "+13125550301", "updated"),  # row 2 of Rows (3)
    ]
    assert dry.unchanged == 4 and not dry.unmatched

    done = resubmit(settings, result_path)
    assert not done.needs_attention and done.result == result_path
    after = by_number(sandbox_orders(settings))
    assert after["+14165550200"][1]["portOutInfo"]["existingPortOutPin"] == GOOD_PIN  # type: ignore[index]
    assert after["+13125550301"][1]["endUser"]["name"] == "Acme Dental Chicago"  # type: ignore[index]
    with open_journal(settings.state_path) as journal:
        recorded = journal.corrections(done.batch_id)
    assert {row: (c.source, c.sheet) for row, c in recorded.items()} == {
        2: (str(result_path), "Rows"),
        6: (str(result_path), "Rows (3)"),
    }
    # The rewritten workbook shows both, each read back from the part it was typed in.
    shown = {phone: line for part in parts for phone, line in rows_sheet(result_path, part).items()}
    assert shown["+13125550301"]["End User Name"] == "Acme Dental Chicago"
    assert shown["+14165550200"]["Outcome"] == "submitted"
    again = resubmit(settings, result_path)
    assert again.changes == [] and again.unchanged == 6 and not again.unmatched


def test_an_ambiguous_create_still_makes_one_order(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    result_path = first_batch(tmp_path, settings)
    edit_rows(result_path, {"+14165550200": {"Port-Out PIN": GOOD_PIN}})
    faulty = replace(settings, sandbox_options=settings.sandbox_options + ",ambiguous_rate=1")
    done = resubmit(faulty, result_path)
    (reference, order_id), = done.created.items()  # fmt: skip
    matching = [o for o in sandbox_orders(settings) if o.customer_order_reference == reference]
    assert [o.id for o in matching] == [order_id]
    with open_journal(settings.state_path) as journal:
        kinds = [kind for kind, ref, _ in journal.events(done.batch_id) if ref == reference]
    assert "create_ambiguous" in kinds and "adopted" in kinds


def test_a_plain_corrected_file_a_confirmed_order_and_rows_of_no_batch(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    first_batch(tmp_path, settings)
    corrected = write_rows(
        tmp_path / "fixed.csv",
        [
            row("212-555-0100", name="Someone Else"),  # its order is CONFIRMED
            row("416-555-0200", pin=GOOD_PIN),
            row("416-555-0201", pin=BAD_PIN),  # unchanged
            row("646-555-0999"),  # not in the batch
            [*row("312-555-0301")[:9], "Some Reseller", "", ""],  # its PENDING order's field
        ],
    )
    done = resubmit(settings, corrected)
    actions = {c.phone_number: c.action for c in done.changes}
    assert actions == {
        "+12125550100": "not_applied",
        "+14165550200": "new_order",
        "+13125550301": "not_applied",
    }
    refused = {c.phone_number: c.message for c in done.changes if c.action == "not_applied"}
    assert "CONFIRMED" in refused["+12125550100"] and "only PENDING" in refused["+12125550100"]
    assert "Reseller Name is shared by every number of order" in refused["+13125550301"]
    assert done.unmatched == [(5, "+16465550999 is not a number of the batch")]
    assert done.needs_attention and done.unchanged == 1 and done.updated == []
    assert done.result is not None
    shown = rows_sheet(done.result)  # what was not applied is not shown as applied
    assert shown["+12125550100"]["End User Name"] == "Acme Dental LLC"
    assert shown["+14165550200"]["Outcome"] == "submitted"


def test_resubmit_refuses_a_batch_whose_input_is_gone(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    result_path = first_batch(tmp_path, settings)
    (tmp_path / "in.csv").unlink()
    with pytest.raises(ConfigError, match="is gone"):
        resubmit(settings, result_path)


def test_full_update_keeps_every_field_it_does_not_change() -> None:
    raw = {
        "id": 7, "status": "PENDING", "notes": [{"note": "x"}], "createdDate": "2026-12-01",
        "customerOrderReference": "R", "resellerName": "Fido", "unknownField": {"a": 1},
        "desiredPortSchedule": {"desiredPortDate": "2026-12-20", "desiredPortTime": "10:00:00"},
        "phoneNumbers": [
            {"phoneNumber": "+1", "status": "PENDING", "endUser": {"name": "A"},
             "portOutInfo": {"existingPortOutPin": "1"}, "voiceConfiguration": {"type": "RTC"}},
            {"phoneNumber": "+2", "status": "PENDING", "endUser": {"name": "B"}, "extra": 5},
        ],
    }  # fmt: skip
    changed = {"+1": {"phoneNumber": "+1", "endUser": {"name": "C"}}}
    body = full_update(Order.from_json(raw), changed)
    assert set(body) == {"customerOrderReference", "resellerName", "unknownField",
                         "desiredPortSchedule", "phoneNumbers"}  # fmt: skip
    first, second = body["phoneNumbers"]
    assert first == {"phoneNumber": "+1", "status": "PENDING", "endUser": {"name": "C"}}
    assert second == raw["phoneNumbers"][1]  # type: ignore[index]
    assert raw["phoneNumbers"][0]["endUser"] == {"name": "A"}  # type: ignore[index]


def test_cli_resubmit_dry_run_json_and_errors(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    result_path = first_batch(tmp_path, settings)
    edit_rows(result_path, {"+14165550200": {"Port-Out PIN": GOOD_PIN}})
    runner, env = CliRunner(), env_for(settings)
    shown = runner.invoke(main, ["resubmit", str(result_path), "--sandbox", "--dry-run"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "1 changed row(s), 5 unchanged" in shown.stdout and "planned (dry run" in shown.stdout
    data = runner.invoke(main, ["resubmit", str(result_path), "--sandbox", "--json"], env=env)
    assert data.exit_code == 0, data.output
    payload = json.loads(data.stdout)
    assert payload["changes"][0]["action"] == "new_order" and payload["new_orders"][0]["id"]
    missing = runner.invoke(main, ["resubmit", str(tmp_path / "nope.xlsx"), "--sandbox"], env=env)
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: ")
    assert len(missing.stderr.strip().splitlines()) == 1
    unknown = runner.invoke(
        main, ["resubmit", str(result_path), "--sandbox", "--batch", "nope"], env=env
    )
    assert unknown.exit_code == 1 and "no batch nope" in unknown.stderr
    usage = runner.invoke(main, ["resubmit", "--sandbox"], env=env)
    assert usage.exit_code == 2


def test_a_new_order_never_reuses_a_reference_of_the_batch(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    rows = [row("416-555-0200", pin=BAD_PIN), row("416-555-0201", pin=BAD_PIN)]
    for values in rows:
        values[10] = "ACME-CA"  # the user's own reference
    first = run_batch(write_rows(tmp_path / "in.csv", rows), settings)
    assert [order.reference for order in first.orders] == ["ACME-CA"]
    advance_sandbox(settings, 2)
    fixed = [list(values) for values in rows]
    for values in fixed:
        values[7] = GOOD_PIN
    done = resubmit(settings, write_rows(tmp_path / "fixed.csv", fixed))
    assert list(done.created) == ["ACME-CA-R2"] and done.created["ACME-CA-R2"] is not None
    again = [list(values) for values in fixed]
    again[0][1] = "Maple Two"  # now in the PENDING ACME-CA-R2: a full update, no new order
    later = resubmit(settings, write_rows(tmp_path / "later.csv", again))
    assert later.updated == [done.created["ACME-CA-R2"]] and not later.created
