"""Row outcomes and their messages, from hand-made run records (pure: no journal, no API)."""

from __future__ import annotations

import pandas as pd
from run_inputs import planned_order

from batchport.portability import PortabilityRecord
from batchport.report.outcomes import ROW_COLUMNS, RunRecords, order_summaries, row_outcomes
from batchport.submit import Submission, SubmissionState

ROWS = pd.DataFrame(
    {"phoneNumber": [f"+1212555{row:04d}" for row in (2, 3, 4)], "country": ["US"] * 3},
    index=pd.Index([2, 3, 4], name="row"),
)
NO_FINDINGS = pd.DataFrame(columns=["row", "code", "severity", "message"])
ORDER = planned_order("A", (2,))


def outcomes(**fields: object) -> pd.DataFrame:
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
    return row_outcomes(ROWS, NO_FINDINGS, [], RunRecords(**values))  # type: ignore[arg-type]


def test_every_row_gets_one_outcome_and_a_next_step() -> None:
    created = Submission("A", SubmissionState.CREATED, 42, "PENDING", 1, "")
    frame = outcomes(submissions={"A": created})
    assert list(frame.columns) == list(ROW_COLUMNS)
    assert frame["Outcome"].tolist() == ["submitted", "not_portable", "failed"]
    assert frame.loc[2, "Order ID"] == 42
    assert frame.loc[3, "Message"].startswith("Not portable: Gone. Check the number")
    # no answer, and the plan is saved: rerunning this file would never send it
    assert "in a new file" in frame.loc[4, "Message"]


def test_a_row_without_answer_before_planning_is_asked_again_by_a_rerun() -> None:
    frame = outcomes(plan=(), plan_saved=False)
    assert frame.loc[4, "Outcome"] == "failed"
    assert frame.loc[4, "Message"].endswith("run the same command again.")


def test_an_unconfirmed_create_says_so_and_how_to_resolve_it() -> None:
    said = "the service never confirmed the create; run the same command again"
    pending = Submission("A", SubmissionState.INTENT, None, "", 6, said)
    records = RunRecords({}, {}, (ORDER,), {}, {"A": pending}, dry_run=False, plan_saved=True)
    frame = row_outcomes(ROWS.loc[[2]], NO_FINDINGS, [], records)
    assert frame.loc[2, "Outcome"] == "failed" and said in frame.loc[2, "Message"]
    (summary,) = order_summaries(records)
    assert summary.status == "UNCONFIRMED" and summary.message == said


def test_a_dry_run_plans_and_says_how_to_submit() -> None:
    frame = outcomes(dry_run=True, plan_saved=False)
    assert frame.loc[2, "Outcome"] == "planned"
    assert "without --dry-run" in frame.loc[2, "Message"]
