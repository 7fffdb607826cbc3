from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from run_inputs import planned_order

from batchport.errors import JournalError
from batchport.journal import (
    Journal,
    NewDelivery,
    NumberUpdate,
    TrackedNumber,
    open_journal,
    owner_alive,
    process_owner,
)
from batchport.journal.schema import SCHEMA_VERSION
from batchport.planner import PlannedOrder
from batchport.portability import PortabilityRecord
from batchport.redaction import remember
from batchport.submit import SubmissionState

NOW = datetime(2026, 11, 27, 9, 0, 0)


def order(reference: str, rows: tuple[int, ...]) -> PlannedOrder:
    return planned_order(
        reference, rows, desired_port_time_zone="US/Eastern", on_demand_activation=True
    )


def started(path: Path, batch: str = "b1", target: str = "sandbox") -> Journal:
    journal = open_journal(path)
    journal.begin_batch(
        batch, source="in.xlsx", target=target, rows=[(2, "+12125550002", "h")], now=NOW
    )
    return journal


def test_plan_round_trip_and_resume_state(tmp_path: Path) -> None:
    path = tmp_path / "state" / "journal.sqlite"
    plan = (order("A", (2, 3)), order("B", (4,)))
    with started(path) as journal:
        assert journal.load_plan("b1") is None
        journal.save_plan("b1", plan)
        journal.record_intent("b1", "A", NOW)
        journal.record_created(
            "b1",
            "A",
            order_id=7,
            status="PENDING",
            numbers={"+12125550002": ("PENDING", "")},
            now=NOW,
        )
        journal.record_intent("b1", "B", NOW)
    with open_journal(path) as journal:
        assert journal.load_plan("b1") == plan
        subs = journal.submissions("b1")
        assert subs["A"].state is SubmissionState.CREATED and subs["A"].order_id == 7
        assert subs["B"].state is SubmissionState.INTENT and subs["B"].order_id is None
        assert journal.known_order_ids() == {7: ("b1", "A")}
        assert journal.number_records("b1")[2].number_status == "PENDING"
        assert [kind for kind, _, _ in journal.events("b1")] == [
            "create_intent",
            "created",
            "create_intent",
        ]
        assert not journal.begin_batch("b1", source="x", target="sandbox", rows=[], now=NOW)
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_portability_cache_is_per_target_and_expires(tmp_path: Path) -> None:
    with started(tmp_path / "j.sqlite") as journal:
        record = PortabilityRecord("+12125550002", False, "Verizon", "PIN mismatch")
        journal.record_portability("sandbox", [record], now=NOW)
        fresh = journal.cached_portability(
            "sandbox", ["+12125550002", "+12125550003"], now=NOW, max_age=timedelta(hours=1)
        )
        assert fresh == {"+12125550002": record}
        later = NOW + timedelta(hours=2)
        assert not journal.cached_portability(
            "sandbox", ["+12125550002"], now=later, max_age=timedelta(hours=1)
        )
        assert not journal.cached_portability(
            "project-x", ["+12125550002"], now=NOW, max_age=timedelta(hours=1)
        )


def test_active_numbers_of_other_batches(tmp_path: Path) -> None:
    with started(tmp_path / "j.sqlite") as journal:
        journal.save_plan("b1", (order("A", (2, 3)), order("B", (4,))))
        journal.record_intent("b1", "A", NOW)
        journal.record_created("b1", "A", order_id=7, status="PENDING", numbers={}, now=NOW)
        journal.record_refused_numbers("b1", "A", {"+12125550003": "in another order"}, NOW)
        journal.record_intent("b1", "B", NOW)  # maybe sent: not proof of an active order
        numbers = ["+12125550002", "+12125550003", "+12125550004"]
        active = journal.active_numbers("sandbox", numbers, exclude_batch="b2")
        assert list(active) == ["+12125550002"]
        assert active["+12125550002"].order_id == 7
        assert not journal.active_numbers("sandbox", numbers, exclude_batch="b1")
        assert not journal.active_numbers("other", numbers, exclude_batch="b2")
        journal.record_created("b1", "A", order_id=7, status="CANCELED", numbers={}, now=NOW)
        assert not journal.active_numbers("sandbox", numbers, exclude_batch="b2")
        record = journal.number_records("b1")[3]
        assert record.refused and record.message == "in another order"
        assert journal.refused_numbers("b1") == {"A": {"+12125550003"}}


def test_canceled_and_activated_orders(tmp_path: Path) -> None:
    with started(tmp_path / "j.sqlite") as journal:
        journal.save_plan("b1", (order("A", (2, 3, 4)), order("B", (5,))))
        for ref, order_id in (("A", 7), ("B", 8)):
            journal.record_intent("b1", ref, NOW)
            journal.record_created(
                "b1", ref, order_id=order_id, status="PENDING", numbers={}, now=NOW
            )
        journal.record_created(
            "b1", "A", order_id=7, status="PENDING",
            numbers={"+12125550003": ("REJECTED", "")}, now=NOW,
        )  # fmt: skip
        numbers = ["+12125550002", "+12125550004", "+12125550005"]
        assert list(journal.active_numbers("sandbox", numbers, exclude_batch="b2")) == numbers
        assert not journal.record_canceled(99, NOW)
        assert journal.record_canceled(7, NOW)
        assert list(journal.active_numbers("sandbox", numbers, exclude_batch="b2")) == [
            "+12125550005"
        ]
        records = journal.number_records("b1")
        assert [records[row].number_status for row in (2, 3, 4, 5)] == [
            "CANCELED", "REJECTED", "CANCELED", "",
        ]  # fmt: skip
        assert journal.submissions("b1")["A"].status == "CANCELED"
        assert not journal.record_activated(99, "G", ["+12125550005"], "SUCCESS", NOW)
        assert journal.record_activated(8, "G", ["+12125550005"], "NOT_AVAILABLE", NOW)
        assert journal.number_records("b1")[5].number_status == ""
        assert journal.record_activated(8, "G", ["+12125550005"], "SUCCESS", NOW)
        assert journal.number_records("b1")[5].number_status == "ACTIVATED"
        assert journal.events("b1")[-3:] == [
            ("canceled", "A", "7"),
            ("activated", "B", "8 G: NOT_AVAILABLE"),
            ("activated", "B", "8 G: SUCCESS"),
        ]


def test_outcomes_close_a_submission(tmp_path: Path) -> None:
    with started(tmp_path / "j.sqlite") as journal:
        journal.save_plan("b1", (order("A", (2,)),))
        journal.record_outcome("b1", "A", SubmissionState.FAILED, "service down", NOW)
        sub = journal.submissions("b1")["A"]
        assert sub.state is SubmissionState.FAILED and sub.message == "service down"
        journal.record_intent("b1", "A", NOW)  # a new attempt: the old message no longer holds
        sub = journal.submissions("b1")["A"]
        assert sub.state is SubmissionState.INTENT and sub.message == "" and sub.attempts == 1


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(JournalError, match=r"not a usable batchport journal.*would lose track"):
        open_journal(path)
    assert path.read_bytes() == b"this is not sqlite at all" * 100


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE customers (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(JournalError, match=r"did not create.*would lose track"):
        open_journal(path)


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    open_journal(path).close()
    con = sqlite3.connect(path)
    con.execute("PRAGMA user_version=99")
    con.close()
    with pytest.raises(JournalError, match="newer batchport"):
        open_journal(path)


def test_a_batch_run_by_a_live_process_cannot_be_claimed(tmp_path: Path) -> None:
    with started(tmp_path / "j.sqlite") as journal:
        parent = f"{socket.gethostname()}:{os.getppid()}"  # alive while this test runs
        journal.claim_batch("b1", owner=parent)
        with pytest.raises(JournalError, match="being run right now"):
            journal.claim_batch("b1")
        journal.release_batch("b1")  # not ours: nothing changes
        with pytest.raises(JournalError):
            journal.claim_batch("b1")
        journal.release_batch("b1", owner=parent)
        journal.claim_batch("b1")
        journal.claim_batch("b1")  # the same process may claim again


def test_the_claim_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    dead = f"{socket.gethostname()}:{child.stdout.strip()}"
    assert not owner_alive(dead)
    assert not owner_alive(f"another-host:{os.getpid()}")
    assert owner_alive(process_owner())
    with started(tmp_path / "j.sqlite") as journal:
        journal.claim_batch("b1", owner=dead)
        journal.claim_batch("b1")


def test_service_text_is_stored_with_every_registered_secret_masked(tmp_path: Path) -> None:
    remember("Q7z", "ACCT-Q55XR9021")
    path = tmp_path / "journal.sqlite"
    quoted = "PIN Q7z, account ACCT-Q55XR9021"
    with started(path) as journal:
        journal.save_plan("b1", (order("A", (2,)),))
        journal.record_portability(
            "sandbox", [PortabilityRecord("+12125550002", False, "", quoted)], now=NOW
        )
        journal.record_intent("b1", "A", NOW)
        journal.record_event("b1", "create_ambiguous", "A", quoted, NOW)
        journal.record_refused_numbers("b1", "A", {"+12125550002": quoted}, NOW)
        journal.record_outcome("b1", "A", SubmissionState.REJECTED, quoted, NOW)
        assert journal.submissions("b1")["A"].message == "PIN ****, account ****"
        assert journal.number_records("b1")[2].message == "PIN ****, account ****"
        assert ("create_ambiguous", "A", "PIN ****, account ****") in journal.events("b1")
    with sqlite3.connect(path) as db:
        dump = "\n".join(db.iterdump())
    assert "Q7z" not in dump and "ACCT-Q55XR9021" not in dump
    # portability reason, refusal, outcome message, and two events (ambiguous, rejected)
    assert dump.count("PIN ****, account ****") == 5


def test_batches_are_listed_newest_first_with_their_record(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with open_journal(path) as journal:
        assert journal.batches() == []
        for batch, hours in (("old", 0), ("new", 5), ("mid", 2)):
            journal.begin_batch(
                batch,
                source=f"{batch}.xlsx",
                target="sandbox",
                rows=[],
                now=NOW + timedelta(hours=hours),
            )
        journal.save_plan("mid", (order("A", (2,)),))
        journal.finish_batch("mid", NOW + timedelta(hours=3))
        found = journal.batches()
    assert [b.id for b in found] == ["new", "mid", "old"]
    mid = found[1]
    assert (mid.source, mid.target, mid.planned) == ("mid.xlsx", "sandbox", True)
    assert mid.created_at == NOW + timedelta(hours=2)
    assert mid.finished_at == NOW + timedelta(hours=3)
    assert found[0].finished_at is None and not found[0].planned


def test_batch_counts_follow_submissions_refusals_and_number_statuses(tmp_path: Path) -> None:
    rows = [(row, f"+1212555{row:04d}", "h") for row in range(2, 9)]
    plan = (order("A", (2, 3, 4)), order("B", (5, 6)), order("C", (7,)), order("D", (8,)))
    with open_journal(tmp_path / "journal.sqlite") as journal:
        journal.begin_batch("b1", source="in.xlsx", target="sandbox", rows=rows, now=NOW)
        journal.begin_batch("b2", source="other.xlsx", target="sandbox", rows=rows[:1], now=NOW)
        journal.save_plan("b1", plan)
        journal.record_intent("b1", "A", NOW)
        journal.record_refused_numbers("b1", "A", {"+12125550004": "in another order"}, NOW)
        journal.record_created(
            "b1",
            "A",
            order_id=1,
            status="PENDING",
            numbers={"+12125550002": ("CONFIRMED", "2026-12-04"), "+12125550003": ("REJECTED", "")},
            now=NOW,
        )
        journal.record_outcome("b1", "B", SubmissionState.REJECTED, "bad PIN", NOW)
        journal.record_intent("b1", "C", NOW)  # D was never sent
        counts = journal.batch_counts("b1")
        other = journal.batch_counts("b2")
        unknown = journal.batch_counts("nope")
    assert (counts.rows, counts.orders, counts.created, counts.rejected) == (7, 4, 1, 1)
    assert counts.not_sent == 2
    assert (counts.planned_numbers, counts.refused_numbers) == (7, 1)
    assert counts.number_statuses == {"CONFIRMED": 1, "REJECTED": 1}
    assert (other.rows, other.orders, other.planned_numbers, other.not_sent) == (1, 0, 0, 0)
    assert unknown.rows == 0 and unknown.number_statuses == {}


def test_tracked_changes_update_numbers_and_status_and_free_numbers(tmp_path: Path) -> None:
    remember("Q7z")
    with started(tmp_path / "j.sqlite") as journal:
        journal.save_plan("b1", (order("A", (2, 3, 4)),))
        journal.record_intent("b1", "A", NOW)
        journal.record_created("b1", "A", order_id=7, status="PENDING", numbers={}, now=NOW)
        journal.record_refused_numbers("b1", "A", {"+12125550004": "in another order"}, NOW)
        numbers = ["+12125550002", "+12125550003"]
        assert list(journal.active_numbers("sandbox", numbers, exclude_batch="b2")) == numbers
        later = NOW + timedelta(days=1)
        journal.record_tracked(
            "b1",
            "A",
            status="CONFIRMED",
            numbers=[
                NumberUpdate("+12125550002", "CONFIRMED", "2026-12-04 09:00 US/Eastern", ""),
                NumberUpdate("+12125550003", "REJECTED", "", "PIN Q7z does not match"),
                NumberUpdate("+12125550004", "REJECTED", "", "not ours: refused before"),
            ],
            changes=[
                ("number_status", "+12125550003 PENDING → REJECTED: PIN Q7z does not match"),
                ("order_status", "PENDING → CONFIRMED"),
                ("note", "Sinch: fix the PIN"),
            ],
            now=later,
        )
        records = journal.number_records("b1")
        assert (records[2].number_status, records[2].foc_date) == (
            "CONFIRMED",
            "2026-12-04 09:00 US/Eastern",
        )
        assert (records[3].number_status, records[3].message) == (
            "REJECTED",
            "PIN **** does not match",
        )
        assert records[4].message == "in another order" and records[4].number_status == ""
        assert journal.submissions("b1")["A"].status == "CONFIRMED"
        events = journal.events("b1")[-3:]
        assert events == [
            (
                "number_status",
                "A",
                "track: +12125550003 PENDING → REJECTED: PIN **** does not match",
            ),
            ("order_status", "A", "track: PENDING → CONFIRMED"),
            ("note", "A", "track: Sinch: fix the PIN"),
        ]
        assert journal.note_counts("b1") == {"A": 1}
        # a rejected number is free again for a later batch; the confirmed one is not
        active = journal.active_numbers("sandbox", numbers, exclude_batch="b2")
        assert list(active) == ["+12125550002"]


def test_a_version_1_journal_is_migrated_and_keeps_its_batches(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    started(path).close()
    con = sqlite3.connect(path)  # the file as batchport with schema 1 wrote it
    con.execute("DROP TABLE deliveries")
    con.execute("ALTER TABLE batches DROP COLUMN sheet")
    con.execute("ALTER TABLE batches DROP COLUMN result_path")
    con.execute("DROP TABLE corrections")
    con.execute("PRAGMA user_version=1")
    con.commit()
    con.close()
    with open_journal(path) as journal:
        assert [b.id for b in journal.batches()] == ["b1"]
        stored = journal.record_delivery(
            "sandbox", "d1", kind="NEW_ORDER_NOTE", order_id=7, body="{}", now=NOW
        )
        assert stored.new and not stored.known
        (batch,) = journal.batches()
        assert (batch.sheet, batch.result_path) == ("", "")
        journal.record_result_path("b1", tmp_path / "out.xlsx")
        assert journal.batches()[0].result_path == str(tmp_path / "out.xlsx")
        assert journal.corrections("b1") == {}
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


def test_deliveries_stored_together_are_answered_each_and_stored_all_or_none(
    tmp_path: Path,
) -> None:
    with started(tmp_path / "j.sqlite") as journal:
        journal.save_plan("b1", (order("A", (2,)),))
        journal.record_intent("b1", "A", NOW)
        journal.record_created(
            "b1", "A", order_id=7, status="PENDING", numbers={"+12125550002": ("PENDING", "")},
            now=NOW,
        )  # fmt: skip
        journal.record_delivery(
            "sandbox", "d0", kind="NEW_ORDER_NOTE", order_id=7, body="{}", now=NOW
        )
        answers = journal.record_deliveries(
            "sandbox",
            [
                NewDelivery("d1", "NUMBERS_CONFIRMED", 7, "{}"),
                NewDelivery("d0", "NEW_ORDER_NOTE", 7, "{}"),  # stored before
                NewDelivery("d1", "NUMBERS_CONFIRMED", 7, "{}"),  # earlier in this group
                NewDelivery("d2", "ORDER_UPDATED", 8, "{}"),  # no batch created order 8
            ],
            now=NOW,
        )
        assert [(a.new, a.batch_id, a.reference) for a in answers] == [
            (True, "b1", "A"),
            (False, "b1", "A"),
            (False, "b1", "A"),
            (True, None, None),
        ]
        assert [(d.kind, d.state) for d in journal.deliveries("sandbox")] == [
            ("NEW_ORDER_NOTE", "received"),
            ("NUMBERS_CONFIRMED", "received"),
            ("ORDER_UPDATED", "unknown_order"),
        ]
        broken = NewDelivery(["d4"], "NEW_ORDER_NOTE", 7, "{}")  # type: ignore[arg-type]
        with pytest.raises(JournalError):
            journal.record_deliveries(
                "sandbox", [NewDelivery("d3", "NEW_ORDER_NOTE", 7, "{}"), broken], now=NOW
            )
        assert len(journal.deliveries("sandbox")) == 3  # d3 went with the one that failed
        journal.sync_every_commit()
        (level,) = journal._query("PRAGMA synchronous")[0]
        assert level == 2  # FULL


def test_deliveries_are_stored_once_per_target_and_settled_up_to_a_mark(tmp_path: Path) -> None:
    with started(tmp_path / "j.sqlite") as journal:
        journal.save_plan("b1", (order("A", (2,)),))
        journal.record_intent("b1", "A", NOW)
        journal.record_created(
            "b1", "A", order_id=7, status="PENDING", numbers={"+12125550002": ("PENDING", "")},
            now=NOW,
        )  # fmt: skip
        remember("8812")
        first = journal.record_delivery(
            "sandbox", "d1", kind="NUMBERS_CONFIRMED", order_id=7, body='{"pin": "8812"}', now=NOW
        )
        assert (first.new, first.batch_id, first.reference) == (True, "b1", "A")
        assert not journal.record_delivery(
            "sandbox", "d1", kind="NUMBERS_CONFIRMED", order_id=7, body="{}", now=NOW
        ).new
        other = journal.record_delivery(
            "https://x/projects/p", "d1", kind="NUMBERS_CONFIRMED", order_id=7, body="{}", now=NOW
        )
        assert other.new and not other.known  # order 7 of another target is not ours
        mark = journal.last_delivery_id()
        journal.record_delivery(
            "sandbox", "d2", kind="NEW_ORDER_NOTE", order_id=7, body="{}", now=NOW
        )
        assert journal.settle_deliveries("sandbox", 7, up_to=mark, state="applied") == 1
        records = journal.deliveries("sandbox")
        assert [(d.kind, d.state) for d in records] == [
            ("NUMBERS_CONFIRMED", "applied"),
            ("NEW_ORDER_NOTE", "received"),  # came after the read began: settled by the next
        ]
        assert "8812" not in records[0].body
        first_record = records[0]
        assert (first_record.received_at, first_record.order_id, first_record.detail) == (
            NOW,
            7,
            "",
        )
        assert (first_record.batch_id, first_record.reference) == ("b1", "A")
        assert 0 < first_record.id < records[1].id == journal.last_delivery_id()
        tracked = journal.tracked_order("sandbox", 7)
        assert tracked is not None and tracked.reference == "A" and tracked.status == "PENDING"
        assert (tracked.batch_id, tracked.order_id) == ("b1", 7)
        assert tracked.numbers == {"+12125550002": TrackedNumber("+12125550002", "PENDING", "", "")}
        assert tracked.zone == "US/Eastern" and tracked.notes_seen == 0
        assert journal.tracked_order("sandbox", 8) is None
