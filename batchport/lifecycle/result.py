"""The result workbook of a batch, written again from the journal after a lifecycle command.

``track``, ``cancel`` and ``activate`` learn what happened to orders after ``run``; each then
calls :func:`rewrite_result` (or :func:`rewrite_results` for the batches of some orders) so the
batch's workbook shows the current truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

from batchport.errors import BatchportError, ConfigError
from batchport.journal import BatchRecord, Journal
from batchport.lifecycle.corrected import current_validation
from batchport.outputs import output_path
from batchport.report.outcomes import RunRecords
from batchport.report.result import ResultInfo, write_result
from batchport.validation import Validation

__all__ = ["result_path_of", "rewrite_result", "rewrite_results"]


def rewrite_result(
    journal: Journal,
    batch: BatchRecord,
    now: datetime,
    stats: Mapping[str, object],
    validation: Validation | None = None,
) -> tuple[Path | None, str | None]:
    """Write ``batch``'s result workbook again from the journal: ``(its path, None)``.

    The workbook goes where ``run`` last wrote it (its ``--out``, else beside the batch's
    input). Its rows are the batch's input (read with the sheet ``run`` read) with every
    correction ``resubmit`` applied laid over it, or ``validation`` when given. When the input
    is gone, unreadable or reads differently from the batch's journaled rows, nothing is
    written: ``(None, why)``. ``stats`` are the API figures for the Summary. Raises
    BatchportError when the workbook cannot be written (what the journal learned stays
    recorded).
    """
    source = Path(batch.source)
    if validation is None:
        try:
            validation = current_validation(journal, batch, now.date())
        except ConfigError as exc:
            return None, f"the result workbook was not rewritten: {exc}"
    valid = validation.rows.drop(index=list(validation.error_rows), errors="ignore")
    phones = valid["phoneNumber"].astype(str).tolist()
    records = RunRecords(
        active=journal.active_numbers(batch.target, phones, exclude_batch=batch.id),
        portability=journal.cached_portability(batch.target, phones, now=now, max_age=None),
        plan=journal.load_plan(batch.id) or (),
        numbers=journal.number_records(batch.id),
        submissions=journal.submissions(batch.id),
        dry_run=False,
        plan_saved=True,
    )
    info = ResultInfo(
        source=source,
        batch_id=batch.id,
        when=now,
        target=batch.target,
        dry_run=False,
        first_submitted=journal.first_submitted(batch.id),
    )
    path = result_path_of(batch)
    try:
        write_result(path, validation, records, info, stats)
    except BatchportError as exc:
        raise BatchportError(f"{exc}; the changes are recorded in the journal") from exc
    return path, None


def result_path_of(batch: BatchRecord) -> Path:
    """The batch's result workbook: the one ``run`` last wrote, else the default beside the
    batch's input."""
    return (
        Path(batch.result_path) if batch.result_path else output_path(Path(batch.source), "result")
    )


def rewrite_results(
    journal: Journal, order_ids: Iterable[int], now: datetime, stats: Mapping[str, object]
) -> tuple[list[Path], list[str]]:
    """Rewrite the workbook of every batch holding one of ``order_ids`` (orders the journal
    does not know are skipped). Returns the workbooks written and why others were not."""
    batch_ids = {
        found[0] for order_id in order_ids if (found := journal.order_submission(order_id))
    }
    written, warnings = [], []
    for batch in journal.batches():
        if batch.id in batch_ids:
            path, warning = rewrite_result(journal, batch, now, stats)
            written += [path] if path is not None else []
            warnings += [warning] if warning else []
    return written, warnings
