"""Row outcomes and their messages, from hand-made run records (pure: no journal, no API)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
from run_inputs import planned_order

from batchport.journal import ActiveNumber, NumberRecord
from batchport.portability import PortabilityRecord
from batchport.report.outcomes import (
    ORDER_COLUMNS,
    ROW_COLUMNS,
    OrderSummary,
    RowOutcome,
    RunRecords,
    order_summaries,
    outcome_frame,
    row_outcomes,
)
from batchport.submit import Submission, SubmissionState

ROWS = pd.DataFrame(
    {"phoneNumber": [f"+1212555{row:04d}" for row in (2, 3, 4)], "country": ["US"] * 3},
    index=pd.Index([2, 3, 4], name="row"),
)
NO_FINDINGS = pd.DataFrame(columns=["row", "code", "severity", "message"])
ORDER = planned_order("A", (2,))


def outcomes(**fields: object) -> dict[int, RowOutcome]:
    values: dict[str, object] = {
        "active": {},
        "portability": {"+12125550003": PortabilityRecord("+12125550003", False, "X", "Gone.")},
        "plan": (ORDER,),
        "numbers": {},
        "submissions": {},
        "dry_run": False,
        "plan_saved": True,
    }
    values.update(fields)
    found = row_outcomes(ROWS, NO_FINDINGS, [], RunRecords(**values))  # type: ignore[arg-type]
    return {outcome.source_row: outcome for outcome in found}


def test_every_row_gets_one_outcome_and_a_next_step() -> None:
    created = Submission("A", SubmissionState.CREATED, 42, "PENDING", 1, "")
    found = outcomes(submissions={"A": created})
    assert [o.outcome for o in found.values()] == ["submitted", "not_portable", "failed"]
    assert found[2].order_id == 42 and found[2].order_reference == "A"
    assert found[3].message.startswith("Not portable: Gone. Check the number")
    assert found[3].carrier == "X"
    # no answer, and the plan is saved: rerunning this file would never send it
    assert "in a new file" in found[4].message


def test_a_row_without_answer_before_planning_is_asked_again_by_a_rerun() -> None:
    found = outcomes(plan=(), plan_saved=False)
    assert found[4].outcome == "failed"
    assert found[4].message.endswith("run the same command again.")


def test_an_unconfirmed_create_says_so_and_how_to_resolve_it() -> None:
    said = "the service never confirmed the create; run the same command again"
    pending = Submission("A", SubmissionState.INTENT, None, "", 6, said)
    records = RunRecords({}, {}, (ORDER,), {}, {"A": pending}, dry_run=False, plan_saved=True)
    (found,) = row_outcomes(ROWS.loc[[2]], NO_FINDINGS, [], records)
    assert found.outcome == "failed" and said in found.message
    (summary,) = order_summaries(records)
    assert summary.status == "UNCONFIRMED" and summary.message == said


def test_a_dry_run_plans_and_says_how_to_submit() -> None:
    found = outcomes(dry_run=True, plan_saved=False)
    assert found[2].outcome == "planned"
    assert "without --dry-run" in found[2].message


def test_the_rows_sheet_columns_are_the_documented_ones_in_order() -> None:
    assert ROW_COLUMNS == (
        "Source row",
        "Outcome",
        "E.164",
        "Country",
        "Carrier",
        "Order reference",
        "Order ID",
        "Number status",
        "FOC date",
        "Message",
    )


def test_each_value_is_written_under_its_own_header() -> None:
    created = Submission("A", SubmissionState.CREATED, 42, "PENDING", 1, "")
    number = NumberRecord(2, "+12125550002", "A", False, "", "CONFIRMED", "2026-12-14")
    found = outcomes(submissions={"A": created}, numbers={2: number})
    frame = outcome_frame(list(found.values()))
    assert frame.loc[2].to_dict() == {
        "Source row": 2,
        "Outcome": "submitted",
        "E.164": "+12125550002",
        "Country": "US",
        "Carrier": "Verizon",
        "Order reference": "A",
        "Order ID": 42,
        "Number status": "CONFIRMED",
        "FOC date": "2026-12-14",
        "Message": "Submitted. The losing carrier answers with a FOC date or a rejection.",
    }
    assert frame.loc[3, "Order ID"] == "" and frame.loc[3, "Carrier"] == "X"


def test_rows_with_errors_are_invalid_or_duplicate_with_their_messages() -> None:
    findings = pd.DataFrame(
        {
            "row": [2, 3, 3],
            "code": ["duplicate_number", "duplicate_number", "missing_required"],
            "severity": ["error", "error", "error"],
            "message": ["Same number as row 1.", "Same number as row 1.", "City is required."],
        }
    )
    records = RunRecords({}, {}, (), {}, {}, dry_run=False)
    found = row_outcomes(ROWS, findings, [2, 3], records)
    assert [(o.outcome, o.message) for o in found[:2]] == [
        ("duplicate", "Same number as row 1."),
        ("invalid", "Same number as row 1. City is required."),
    ]


def test_a_number_already_in_an_order_names_that_order() -> None:
    active = ActiveNumber("+12125550004", "batch-0", "OLD-1", 77)
    found = outcomes(active={"+12125550004": active})
    assert found[4].outcome == "already_in_order"
    assert (found[4].order_reference, found[4].order_id) == ("OLD-1", 77)
    assert "OLD-1 (id 77)" in found[4].message


def test_refused_numbers_and_refused_orders_are_rejected_with_the_reason() -> None:
    refused = NumberRecord(2, "+12125550002", "A", True, "PIN does not match", "", "")
    found = outcomes(submissions={}, numbers={2: refused})
    assert found[2].outcome == "rejected"
    assert found[2].message.startswith("The service refused this number: PIN does not match.")
    closed = Submission("A", SubmissionState.REJECTED, None, "", 1, "bad reseller.")
    found = outcomes(submissions={"A": closed})
    assert (
        found[2].outcome == "rejected" and "refused the order: bad reseller. " in found[2].message
    )


def test_a_failed_create_says_why_and_an_unsent_order_says_run_again() -> None:
    failed = Submission("A", SubmissionState.FAILED, None, "", 1, "service unavailable")
    found = outcomes(submissions={"A": failed})
    assert found[2].outcome == "failed"
    assert found[2].message == "The order was not created: service unavailable."
    assert outcomes()[2].message.endswith("Run the same command again.")


def test_order_summaries_count_numbers_not_refused() -> None:
    order = planned_order("B", (2, 3))
    created = Submission("B", SubmissionState.CREATED, 9, "PENDING", 1, "")
    refused = NumberRecord(3, "+12125550003", "B", True, "no", "", "")
    records = RunRecords({}, {}, (order,), {3: refused}, {"B": created}, dry_run=False)
    (summary,) = order_summaries(records)
    assert (summary.reference, summary.id, summary.status, summary.numbers) == (
        "B",
        9,
        "PENDING",
        1,
    )
    (planned,) = order_summaries(RunRecords({}, {}, (order,), {}, {}, dry_run=True))
    assert (planned.status, planned.id, planned.numbers) == ("PLANNED", None, 2)


def test_a_closed_order_shows_as_submitted_even_in_a_dry_run() -> None:
    created = Submission("A", SubmissionState.CREATED, 42, "PENDING", 1, "")
    found = outcomes(submissions={"A": created}, dry_run=True)
    assert found[2].outcome == "submitted" and found[2].order_id == 42
    (summary,) = order_summaries(RunRecords({}, {}, (ORDER,), {}, {"A": created}, dry_run=True))
    assert (summary.status, summary.id) == ("PENDING", 42)


def test_an_order_never_sent_fails_with_the_run_again_step() -> None:
    found = outcomes()[2]
    assert (found.outcome, found.carrier, found.order_reference) == ("failed", "Verizon", "A")
    assert (
        found.message
        == "Not processed: the run stopped before this row. Run the same command again."
    )
    pending = Submission("A", SubmissionState.INTENT, None, "", 1, "")
    found = outcomes(submissions={"A": pending})[2]
    assert found.outcome == "failed" and found.message.startswith("Not processed:")
    failed = Submission("A", SubmissionState.FAILED, None, "", 1, "")
    assert outcomes(submissions={"A": failed})[2].message == "The order was not created: ."


def test_a_created_order_without_a_number_record_leaves_status_and_foc_blank() -> None:
    created = Submission("A", SubmissionState.CREATED, 42, "PENDING", 1, "")
    found = outcomes(submissions={"A": created})[2]
    assert (found.number_status, found.foc_date) == ("", "")


def test_the_service_words_end_in_exactly_one_full_stop() -> None:
    closed = Submission("A", SubmissionState.REJECTED, None, "", 1, "  Box X.  ")
    found = outcomes(submissions={"A": closed})[2]
    assert found.message.startswith("The service refused the order:   Box X. Correct")


def test_rows_with_an_error_but_no_error_finding_point_at_the_findings_sheet() -> None:
    records = RunRecords({}, {}, (), {}, {}, dry_run=False)
    (found,) = row_outcomes(ROWS.loc[[4]], NO_FINDINGS, [4], records)
    assert (found.outcome, found.message) == (
        "invalid",
        "The row has errors; see the Findings sheet.",
    )


def test_unplanned_rows_keep_what_is_known_of_them() -> None:
    active = ActiveNumber("+12125550004", "batch-0", "OLD-1", 77)
    assert outcomes(active={"+12125550004": active})[4].message == (
        "Already in order OLD-1 (id 77) from an earlier run; not sent again."
    )
    silent = PortabilityRecord("+12125550003", False, "X", "")
    assert outcomes(portability={"+12125550003": silent})[3].message.startswith(
        "Not portable: no reason given. Check"
    )
    portable = PortabilityRecord("+12125550004", True, "Verizon", "")
    unplanned = outcomes(portability={"+12125550004": portable})[4]
    assert (unplanned.outcome, unplanned.carrier) == ("failed", "Verizon")
    assert outcomes()[4].carrier == ""


def test_outcome_frame_is_indexed_by_source_row_and_keeps_the_column() -> None:
    frame = outcome_frame(list(outcomes().values()))
    assert frame.index.name == "row" and list(frame.index) == [2, 3, 4]
    assert frame["Source row"].tolist() == [2, 3, 4]


def test_order_summaries_say_what_each_order_is() -> None:
    order = planned_order(
        "B", (2, 3), desired_port_time="09:00:00", desired_port_time_zone="US/Eastern"
    )
    never = RunRecords({}, {}, (order,), {}, {}, dry_run=False)
    (summary,) = order_summaries(never)
    assert summary == OrderSummary(
        reference="B",
        id=None,
        status="NOT SENT",
        numbers=2,
        carrier="Verizon",
        country="US",
        schedule=order.schedule,
        message="Not processed: the run stopped before this row. Run the same command again.",
    )
    said = Submission("B", SubmissionState.INTENT, None, "", 2, "never confirmed")
    (unconfirmed,) = order_summaries(replace(never, submissions={"B": said}))
    assert (unconfirmed.status, unconfirmed.message) == ("UNCONFIRMED", "never confirmed")
    rejected = Submission("B", SubmissionState.REJECTED, None, "", 1, "bad reseller")
    (closed,) = order_summaries(replace(never, submissions={"B": rejected}))
    assert (closed.status, closed.message) == ("REJECTED", "bad reseller")
    (planned,) = order_summaries(replace(never, dry_run=True))
    assert (planned.status, planned.message) == ("PLANNED", "")
    assert "09:00:00" in order.schedule


def test_a_row_of_a_created_order_stays_submitted_when_it_no_longer_validates() -> None:
    created = Submission("A", SubmissionState.CREATED, 42, "PENDING", 1, "")
    findings = pd.DataFrame(
        {"row": [2], "code": ["port_date_past"], "severity": ["error"], "message": ["Past."]}
    )
    records = RunRecords({}, {}, (ORDER,), {}, {"A": created}, dry_run=False)
    (found,) = row_outcomes(ROWS.loc[[2]], findings, [2], records)
    assert (found.outcome, found.order_id) == ("submitted", 42)
    pending = Submission("A", SubmissionState.FAILED, None, "", 1, "maintenance")
    records = RunRecords({}, {}, (ORDER,), {}, {"A": pending}, dry_run=False)
    (found,) = row_outcomes(ROWS.loc[[2]], findings, [2], records)
    assert (found.outcome, found.message) == ("invalid", "Past.")


def test_the_orders_sheet_columns_and_each_value_under_its_header() -> None:
    assert ORDER_COLUMNS == (
        "Order reference",
        "Order ID",
        "Status",
        "Numbers",
        "Carrier",
        "Country",
        "Desired schedule",
        "Message",
    )
    summary = OrderSummary("B", None, "PLANNED", 2, "Verizon", "US", "2026-12-04", "note")
    assert dict(zip(ORDER_COLUMNS, summary.cells(), strict=True)) == {
        "Order reference": "B",
        "Order ID": "",
        "Status": "PLANNED",
        "Numbers": 2,
        "Carrier": "Verizon",
        "Country": "US",
        "Desired schedule": "2026-12-04",
        "Message": "note",
    }


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (
            "REJECTED",
            "PIN does not match",
            "The losing carrier rejected this number: PIN does not match. Correct Port-Out PIN "
            "(here, in the Rows sheet), then run batchport resubmit with this workbook.",
        ),
        (
            "REJECTED",
            "Service address does not match the account",
            "The losing carrier rejected this number: Service address does not match the "
            "account. Correct Street Number / Street Name / City / State/Province / ZIP/Postal "
            "Code (here, in the Rows sheet), then run batchport resubmit with this workbook.",
        ),
        (
            "EXCLUDED",
            "Account number on file differs",
            "The losing carrier excluded this number: Account number on file differs. Correct "
            "Account Number (here, in the Rows sheet), then run batchport resubmit with this "
            "workbook.",
        ),
        (
            "REJECTED",
            "",
            "The losing carrier rejected this number: no reason given. Correct the row as the "
            "reason says (here, in the Rows sheet), then run batchport resubmit with this "
            "workbook.",
        ),
    ],
)
def test_a_number_the_carrier_refused_is_rejected_with_the_columns_to_fix(
    status: str, reason: str, expected: str
) -> None:
    created = Submission("A", SubmissionState.CREATED, 42, "PENDING", 1, "")
    number = NumberRecord(2, "+12125550002", "A", False, reason, status, "")
    found = outcomes(submissions={"A": created}, numbers={2: number})[2]
    assert (found.outcome, found.order_id, found.number_status) == ("rejected", 42, status)
    assert found.message == expected


def test_a_confirmed_number_stays_submitted() -> None:
    created = Submission("A", SubmissionState.CREATED, 42, "PENDING", 1, "")
    number = NumberRecord(2, "+12125550002", "A", False, "", "CONFIRMED", "2026-12-14 09:00")
    assert outcomes(submissions={"A": created}, numbers={2: number})[2].outcome == "submitted"
