"""``batchport digest`` and ``batchport.ops.digest`` over a journal built by hand: the port
calendar, what awaits a person, and each losing carrier's figures computed here from the
dates written below."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from run_inputs import planned_order

from batchport.cli import main
from batchport.errors import ConfigError
from batchport.journal import Journal, NumberUpdate, open_journal
from batchport.ops.digest import DIGEST_SUBJECT, Digest, digest_journal, write_digest
from batchport.report.xlsx import workbook_subject

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
SINCH, US = "Sinch Porting Operations", "key-1"


def phone(row: int) -> str:
    return f"+1212555{row:04d}"  # as run_inputs.planned_order numbers its rows


def created(journal: Journal, batch: str, reference: str, order_id: int, rows: tuple[int, ...],
            at: datetime) -> None:  # fmt: skip
    journal.record_intent(batch, reference, at)
    numbers = {phone(row): ("PENDING", "") for row in rows}
    journal.record_created(
        batch, reference, order_id=order_id, status="PENDING", numbers=numbers, now=at
    )


def tracked(journal: Journal, batch: str, reference: str, at: datetime, status: str,
            numbers: dict[int, tuple[str, str, str]], old: str = "PENDING",
            notes: tuple[tuple[str, str, str], ...] = ()) -> None:  # fmt: skip
    """Record what ``track`` would: each number's (status, FOC, reason), and new notes."""
    updates, changes = [], []
    for row, (number_status, foc, reason) in numbers.items():
        updates.append(NumberUpdate(phone(row), number_status, foc, reason))
        detail = f"{phone(row)} {old} → {number_status}"
        changes.append(("number_status", f"{detail}: {reason}" if reason else detail))
        if foc:
            changes.append(("foc_date", f"{phone(row)} - → {foc}"))
    changes += [("note", f"{when} {author}: {text}") for when, author, text in notes]
    journal.record_tracked(
        batch, reference, status=status, numbers=updates, changes=changes, now=at
    )


def build_journal(path: Path) -> None:
    """Two batches: Verizon confirms in 2, 5 and 11 days; Rogers in 1 day, rejects twice."""
    with open_journal(path) as journal:
        rows = [(row, phone(row), f"h{row}") for row in range(2, 10)]
        journal.begin_batch("b1", source="/in/b1.csv", target="sandbox", rows=rows, now=T0)
        journal.save_plan(
            "b1",
            [
                planned_order("V1", (2, 3), carrier="Verizon"),
                planned_order("V2", (4,), carrier="Verizon"),
                planned_order("V3", (5, 9), carrier="Verizon"),
                planned_order("R1", (6, 7), carrier="Rogers"),
                planned_order("R2", (8,), carrier="Rogers"),
            ],
        )
        for order_id, (reference, order_rows) in enumerate(
            [("V1", (2, 3)), ("V2", (4,)), ("R1", (6, 7)), ("R2", (8,))], start=1
        ):
            created(journal, "b1", reference, order_id, order_rows, T0)
        journal.record_intent("b1", "V3", T0)
        journal.record_refused_numbers("b1", "V3", {phone(9): "Number in another order"}, T0)
        created(journal, "b1", "V3", 5, (5,), T0)
        foc = "2026-12-10 10:00 US/Eastern"
        tracked(journal, "b1", "V1", T0 + 2 * DAY, "CONFIRMED",
                {2: ("CONFIRMED", foc, ""), 3: ("CONFIRMED", foc, "")})  # fmt: skip
        tracked(journal, "b1", "V2", T0 + 5 * DAY, "CONFIRMED",
                {4: ("CONFIRMED", "2026-11-20 10:00 US/Eastern", "")})  # fmt: skip
        tracked(journal, "b1", "V2", NOW - 2 * DAY, "COMPLETED",
                {4: ("ACTIVATED", "2026-11-20 10:00 US/Eastern", "")}, old="CONFIRMED")  # fmt: skip
        tracked(journal, "b1", "V3", T0 + 11 * DAY, "CONFIRMED",
                {5: ("CONFIRMED", "2026-11-25 09:00 US/Eastern", "")})  # fmt: skip
        tracked(
            journal, "b1", "R1", T0 + DAY, "CONFIRMED",
            {6: ("REJECTED", "", "Account number does not match"),
             7: ("CONFIRMED", "2026-12-05 09:00 US/Eastern", "")},
            notes=(("2026-11-02T12:00:00Z", SINCH, "Please confirm the account number"),),
        )  # fmt: skip
        tracked(journal, "b1", "R1", T0 + 2 * DAY, "CONFIRMED", {},
                notes=(("2026-11-03T12:00:00Z", US, "Account number corrected"),))  # fmt: skip
        tracked(journal, "b1", "R1", T0 + 3 * DAY, "CONFIRMED", {},
                notes=(("2026-11-04T12:00:00Z", SINCH, "=1+2 still does not match"),))  # fmt: skip
        tracked(journal, "b1", "R2", T0 + 3 * DAY, "PENDING",
                {8: ("REJECTED", "", "PIN mismatch")})  # fmt: skip
        # A later batch sends +12125550008 again: it no longer awaits a fix.
        later = T0 + 20 * DAY
        journal.begin_batch(
            "b2", source="/in/b2.csv", target="sandbox", rows=[(8, phone(8), "x")], now=later
        )
        journal.save_plan("b2", [planned_order("R3", (8,), carrier="Rogers")])
        created(journal, "b2", "R3", 6, (8,), later)
        # Another target's batch never counts.
        journal.begin_batch("b3", source="/in/b3.csv", target="elsewhere", rows=[], now=later)
        journal.save_plan("b3", [planned_order("X1", (2,), carrier="Verizon")])
        created(journal, "b3", "X1", 7, (2,), later)


@pytest.fixture
def digest(tmp_path: Path) -> Digest:
    build_journal(tmp_path / "journal.sqlite")
    return digest_journal(
        tmp_path / "journal.sqlite", target="sandbox", days=7, now=NOW, own_authors=[US]
    )


def records(frame: object) -> list[dict[str, object]]:
    return json.loads(frame.to_json(orient="records"))  # type: ignore[attr-defined,no-any-return]


def test_carrier_figures_match_the_journal(digest: Digest) -> None:
    rogers, verizon = records(digest.carriers)
    # Rogers: R1 confirmed after 1 day; R2 and R3 have no FOC; 2 of its 4 numbers rejected.
    assert rogers == {
        "Carrier": "Rogers", "Orders": 3, "Numbers": 4, "Orders with FOC": 1,
        "Median days to FOC": 1.0, "P90 days to FOC": 1.0, "Rejected numbers": 2,
        "Rejection rate": 0.5,
        "Most common rejection reasons": "Account number does not match (1); PIN mismatch (1)",
    }  # fmt: skip
    # Verizon: 2, 5 and 11 days; the 90th percentile interpolates 5 + 0.8 × (11 - 5) = 9.8.
    # The number the service refused (row 9) is no carrier's doing.
    assert verizon == {
        "Carrier": "Verizon", "Orders": 3, "Numbers": 4, "Orders with FOC": 3,
        "Median days to FOC": 5.0, "P90 days to FOC": 9.8, "Rejected numbers": 0,
        "Rejection rate": 0.0, "Most common rejection reasons": "",
    }  # fmt: skip


def test_the_calendar_lists_foc_dates_ahead_by_day(digest: Digest) -> None:
    assert records(digest.calendar) == [
        {"FOC date": "2026-12-05", "Port time": "09:00 US/Eastern", "Batch": "b1",
         "Order reference": "R1", "Order ID": 3, "Carrier": "Rogers", "Numbers": 1},
        {"FOC date": "2026-12-10", "Port time": "10:00 US/Eastern", "Batch": "b1",
         "Order reference": "V1", "Order ID": 1, "Carrier": "Verizon", "Numbers": 2},
    ]  # fmt: skip


def test_rejected_numbers_awaiting_a_fix_leave_out_those_sent_again(digest: Digest) -> None:
    rejected = records(digest.rejected)
    assert [(r["Number"], r["Status"], r["Reason"]) for r in rejected] == [
        (phone(6), "REJECTED", "Account number does not match"),
        (phone(9), "REFUSED", "Number in another order"),
    ]
    assert rejected[0]["Input file"] == "b1.csv" and rejected[0]["Row"] == 6


def test_only_notes_after_the_last_answer_await_one(digest: Digest) -> None:
    assert records(digest.notes) == [
        {"Batch": "b1", "Order reference": "R1", "Order ID": 3,
         "Time (UTC)": "2026-11-04T12:00:00Z", "Author": SINCH,
         "Note": "=1+2 still does not match"},
    ]  # fmt: skip


def test_stalled_and_recently_activated(digest: Digest) -> None:
    stalled = {r["Order reference"]: r["Days without change"] for r in records(digest.stalled)}
    # V2 is COMPLETED; the others last changed 2, 11, 3, 3 and 20 days after T0 (32 days ago).
    assert stalled == {"V1": 30.0, "V3": 21.0, "R1": 29.0, "R2": 29.0, "R3": 12.0}
    assert records(digest.activated) == [
        {"Activated (UTC)": "2026-12-01 12:00", "Batch": "b1", "Order reference": "V2",
         "Order ID": 2, "Number": phone(4), "Carrier": "Verizon"},
    ]  # fmt: skip
    assert digest.attention == [
        "2 rejected number(s) awaiting a fix",
        "1 note(s) from the service not answered",
        "5 order(s) with no change for 7 days",
    ]


def test_numbers_by_status_per_batch(digest: Digest) -> None:
    table = {r["Batch"]: r for r in records(digest.statuses)}
    assert table["b1"] == {"Batch": "b1", "Input file": "b1.csv", "ACTIVATED": 1,
                           "CONFIRMED": 4, "PENDING": 0, "REFUSED": 1, "REJECTED": 2}  # fmt: skip
    assert table["b2"]["PENDING"] == 1 and "b3" not in table


def test_the_workbook_has_a_sheet_per_list_and_two_charts(digest: Digest, tmp_path: Path) -> None:
    path = write_digest(digest, tmp_path / "out" / "digest.xlsx")
    assert path.stat().st_mode & 0o777 == 0o600
    assert workbook_subject(path) == DIGEST_SUBJECT
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Summary", "FOC calendar", "Rejected", "Notes", "Stalled", "Activated",
        "Status by batch", "Carriers",
    ]  # fmt: skip
    note = book["Notes"]["F2"]
    assert note.value == "=1+2 still does not match" and note.data_type == "s"  # never a formula
    with zipfile.ZipFile(path) as package:
        charts = sorted(n for n in package.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 2
        xml = "".join(package.read(name).decode() for name in charts)
    assert "Numbers by status per batch" in xml and "Days from submit to FOC" in xml
    assert '<grouping val="stacked"/>' in xml
    rate = book["Carriers"]["H2"]
    assert rate.value == 0.5 and rate.number_format == "0.0%"
    write_digest(digest, path)  # a digest is replaced by the next
    foreign = tmp_path / "mine.xlsx"
    openpyxl.Workbook().save(foreign)
    with pytest.raises(ConfigError, match="is not a batchport digest"):
        write_digest(digest, foreign)


def test_cli_digest(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    build_journal(journal)
    out = tmp_path / "d.xlsx"
    args = ["digest", "--sandbox", "--state", str(journal), "--days", "7", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 3, result.output
    assert "Rejected numbers awaiting a fix: 2" in result.output
    # The sandbox writes notes as key "sandbox", so none of the journal's notes is its answer.
    assert "Needs attention: 3 note(s) from the service not answered" in result.output
    assert out.is_file()
    result = CliRunner().invoke(main, [*args[:-2], "--no-workbook", "--json"])
    summary = json.loads(result.stdout)
    assert [c["Carrier"] for c in summary["carriers"]] == ["Rogers", "Verizon"]
    missing = CliRunner().invoke(main, ["digest", "--state", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 1 and "no journal at" in missing.output


def test_the_workbook_lays_out_each_sheet_and_charts_the_right_columns(
    digest: Digest, tmp_path: Path
) -> None:
    path = write_digest(digest, tmp_path / "a" / "b" / "digest.xlsx")  # folders created
    book = openpyxl.load_workbook(path)
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary == {
        "Generated (UTC)": "2026-12-03 12:00",
        "Target": "sandbox",
        "Window (days)": 7,
        "FOC dates coming up (orders)": 2,
        "Rejected numbers awaiting a fix": 2,
        "Notes not answered": 1,
        "Orders with no change for 7 days": 5,
        "Numbers activated in the last 7 days": 1,
        "Needs attention": "; ".join(digest.attention),
    }
    rejected = book["Rejected"]
    assert rejected.freeze_panes == "A2" and rejected.auto_filter.ref == "A1:I3"
    assert [cell.value for cell in rejected[1]] == list(digest.rejected.columns)
    assert rejected.page_setup.orientation == "landscape"
    assert rejected.page_setup.fitToWidth == 1 and rejected.page_setup.fitToHeight == 0
    with zipfile.ZipFile(path) as package:
        xml = {
            name: package.read(name).decode()
            for name in package.namelist()
            if name.startswith("xl/charts/chart")
        }
    status_chart = next(x for x in xml.values() if "Numbers by status" in x)
    carrier_chart = next(x for x in xml.values() if "Days from submit" in x)
    # Status columns C (ACTIVATED) to G (REJECTED) of the two batches, by batch id (A).
    for column in "CDEFG":
        assert f"'Status by batch'!${column}$2:${column}$3" in status_chart
    assert "'Status by batch'!$A$2:$A$3" in status_chart
    assert "'Status by batch'!$B$2" not in status_chart  # the input file is no series
    assert 'srgbClr val="C00000"' in status_chart  # REJECTED is red in every digest
    # The median (E) and 90th percentile (F) of the two carriers.
    assert "'Carriers'!$E$2:$E$3" in carrier_chart and "'Carriers'!$F$2:$F$3" in carrier_chart
    assert "'Carriers'!$D$2" not in carrier_chart and "'Carriers'!$G$2" not in carrier_chart
    with pytest.raises(ConfigError, match=r"must be an \.xlsx file"):
        write_digest(digest, tmp_path / "digest.csv")


def test_json_names_every_list_and_turns_unknown_figures_into_null(digest: Digest) -> None:
    unknown = digest.carriers.assign(**{"P90 days to FOC": [None, 9.8]})
    summary = json.loads(json.dumps(replace(digest, carriers=unknown).to_json()))
    assert set(summary) == {
        "generated", "target", "days", "calendar", "rejected", "notes", "stalled",
        "activated", "statuses", "carriers", "attention",
    }  # fmt: skip
    assert summary["generated"] == "2026-12-03T12:00:00+00:00"
    assert (summary["target"], summary["days"]) == ("sandbox", 7)
    assert [row["P90 days to FOC"] for row in summary["carriers"]] == [None, 9.8]
    for name, frame in digest.lists().items():
        key = {"FOC calendar": "calendar"}.get(name, name.lower())
        assert len(summary[key]) == len(frame)
    assert summary["statuses"][0]["Batch"] == "b1"
    assert summary["attention"] == digest.attention


def test_without_a_target_the_latest_batch_names_it(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite"
    build_journal(journal)
    digest = digest_journal(journal, target=None, now=NOW)
    assert digest.target == "elsewhere"  # b3, the latest batch
    assert records(digest.carriers)[0]["Orders"] == 1
