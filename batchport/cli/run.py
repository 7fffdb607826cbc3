"""``batchport run``: validate, check portability, plan and submit one input file."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from batchport.cli.common import (
    EXIT_ATTENTION,
    EXIT_INTERRUPTED,
    EXIT_OK,
    api_options,
    fail,
    is_terminal,
    main,
    settings_from_options,
)
from batchport.limits import MAX_NUMBERS_PER_ORDER

# --- run command ------------------------------------------------------------------------------


_STAGE_LABELS = {
    "validate": "Reading and validating the input",
    "portability": "Checking portability of {total} number(s)",
    "submit": "Submitting {total} order(s)",
    "write": "Writing the result workbook",
}


def _stage_label(stage: str, total: int) -> str:
    return _STAGE_LABELS.get(stage, stage + " ({total})").format(total=total)


class _PlainProgress:
    """Progress as plain log lines on stderr (not a terminal)."""

    def start(self, stage: str, total: int) -> None:
        click.echo(_stage_label(stage, total), err=True)

    def advance(self, stage: str, amount: int = 1) -> None:
        """Plain output shows stages, not every step."""

    def note(self, message: str) -> None:
        click.echo(message, err=True)


class _RichProgress:
    """One rich progress bar per stage on a terminal (stderr)."""

    def __init__(self) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self._new_block()

    def _new_block(self) -> None:
        from rich.progress import Progress as Bars

        self.bars = Bars(console=self.console, transient=False)
        self._tasks: dict[str, Any] = {}

    def start(self, stage: str, total: int) -> None:
        self.bars.start()
        self._tasks[stage] = self.bars.add_task(_stage_label(stage, total), total=max(total, 1))
        if total == 0:
            self.bars.update(self._tasks[stage], completed=1)

    def advance(self, stage: str, amount: int = 1) -> None:
        if stage in self._tasks:
            self.bars.advance(self._tasks[stage], amount)

    def note(self, message: str) -> None:
        self.console.print(message, markup=False, highlight=False)

    def stop(self) -> None:
        self.bars.stop()

    def pause(self) -> None:
        """Stop drawing so a question can be asked; later stages draw below the answer."""
        self.bars.stop()
        self._new_block()


def _confirm_plan(progress: Any) -> Callable[[Any], bool]:
    def confirm(preview: Any) -> bool:
        if isinstance(progress, _RichProgress):
            progress.pause()
        carriers = sorted({order.carrier for order in preview.orders})
        click.echo(
            f"About to create {len(preview.orders)} order(s) with {preview.numbers} number(s) "
            f"at {preview.target} (losing carriers: {', '.join(carriers)}).",
            err=True,
        )
        return click.confirm("Submit these orders?", default=False, err=True)

    return confirm


_RESUME_HINT = "Interrupted: the journal is consistent. Run the same command again to resume."


@main.command("run")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@api_options
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="RESULT.xlsx",
    help="Where to write the result workbook [default: <input stem>.result.xlsx].",
)
@click.option(
    "--dry-run", is_flag=True, help="Validate, check portability and plan; create nothing."
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object on stdout.")
@click.option("--yes", is_flag=True, help="Submit without asking (required without a terminal).")
@click.option(
    "--sheet", metavar="NAME", help="The sheet to read [default: the first with a header]."
)
@click.option(
    "--max-per-order",
    type=click.IntRange(1, MAX_NUMBERS_PER_ORDER),
    metavar="N",
    help=f"Most numbers per order, 1-{MAX_NUMBERS_PER_ORDER} [default: {MAX_NUMBERS_PER_ORDER}].",
)
def run_command(
    input_path: Path,
    out: Path | None,
    dry_run: bool,
    as_json: bool,
    yes: bool,
    sheet: str | None,
    max_per_order: int | None,
    **api: Any,
) -> None:
    """Port every number of a spreadsheet: validate, check, plan, submit once, report.

    Rerunning the same command resumes the batch; nothing is ever submitted twice.
    Exit 0 when every row is submitted (or planned), 3 when some rows need attention.

    Example: batchport run samples/clean-mixed.xlsx --sandbox
    """
    import json

    from batchport.intake import require_input
    from batchport.pipeline import run_batch

    require_input(input_path)  # the same message as every command, before anything else
    overrides = {"max_per_order": max_per_order} if max_per_order else {}
    settings = settings_from_options(api, **overrides)
    settings.require_credentials()  # before reading a file that may take a minute
    live = not settings.sandbox and not dry_run
    if live and not yes and not is_terminal():
        from batchport.pipeline import target_of

        fail(f"not submitting to {target_of(settings)} without a terminal; add --yes to confirm")
    progress: Any = _RichProgress() if sys.stderr.isatty() else _PlainProgress()
    confirm = _confirm_plan(progress) if live and not yes else None
    try:
        result = run_batch(
            input_path,
            settings,
            sheet=sheet,
            dry_run=dry_run,
            out=out,
            progress=progress,
            confirm=confirm,
        )
    except KeyboardInterrupt:
        click.echo(_RESUME_HINT, err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        if isinstance(progress, _RichProgress):
            progress.stop()
    if as_json:
        click.echo(json.dumps(result.to_json()))
    else:
        _render_run(result)
    if result.interrupted:
        click.echo(_RESUME_HINT, err=True)
        sys.exit(EXIT_INTERRUPTED)
    if result.declined:
        fail("nothing was submitted (not confirmed)")
    sys.exit(EXIT_ATTENTION if result.needs_attention else EXIT_OK)


def _render_run(result: Any) -> None:
    counts = ", ".join(f"{name} {count}" for name, count in result.outcomes.items() if count)
    verb = "planned" if result.dry_run else "in this batch"
    click.echo(f"Batch {result.batch_id}: {result.rows} rows ({counts or 'none'}).")
    if result.nothing_sent_again:
        when = result.first_submitted.strftime("%Y-%m-%d %H:%M UTC")
        click.echo(f"Batch {result.batch_id} was submitted on {when}: nothing sent in this run.")
    else:
        sent = "" if result.dry_run else f"{result.sent} create(s) sent, "
        click.echo(
            f"{len(result.orders)} order(s) {verb}; {sent}{result.api_calls} API calls in "
            f"{result.seconds:.1f} s."
        )
    found = result.findings
    if found:
        click.echo(
            f"Input findings: {found['errors']} errors, {found['warnings']} warnings, "
            f"{found['infos']} info (each one is on the Findings sheet)."
        )
    click.echo(f"Result workbook: {result.result_path}")
    if result.needs_attention:
        click.echo("Some rows need attention: see the Message column of the Rows sheet.")
