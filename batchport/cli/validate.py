"""``batchport validate`` and ``batchport template``: check a customer file, or start one."""

from __future__ import annotations

import gc
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from batchport.cli.common import (
    EXIT_ATTENTION,
    EXIT_OK,
    fail,
    main,
)

if TYPE_CHECKING:  # imported when used: it loads pandas
    from batchport.validation import Validation

# --- validate / template commands ------------------------------------------------------------


@main.command("validate")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sheet", help="Worksheet to read (default: the first with a known header).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Validation workbook to write (default: <input stem>.validation.xlsx beside INPUT).",
)
@click.option("--no-report", is_flag=True, help="Do not write the validation workbook.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def validate_command(
    input_path: Path, sheet: str | None, out: Path | None, no_report: bool, as_json: bool
) -> None:
    """Check every row of INPUT (.xlsx, .xlsm, .csv, .tsv, .txt) and report every problem at once.

    Exits 0 when no row has an error, 3 when some do, 1 when the file cannot be used.

    Example: batchport validate samples/clean-mixed.xlsx --out checked.xlsx
    """
    if out is not None and no_report:
        raise click.UsageError("--out and --no-report cannot be used together")
    with _collector_paused():
        validation, report = _validate(input_path, sheet, out, write=not no_report)
        if as_json:
            validation.write_json(sys.stdout)  # streamed: the findings can run to millions
            sys.stdout.write("\n")
            if report is not None:
                click.echo(f"Validation workbook: {report}", err=True)
        else:
            _render_validation(validation, report)
    sys.exit(EXIT_ATTENTION if validation.invalid else EXIT_OK)


def _validate(
    input_path: Path, sheet: str | None, out: Path | None, *, write: bool
) -> tuple[Validation, Path | None]:
    """``validate_and_report``, with a workbook's parse started before pandas is imported.

    The order of the imports is the point, which is why this lives with the command: the
    library's modules import pandas as they load, and the parse must already be running then.
    """
    from batchport.intake.workbook import parsing, prefetch

    prefetch(input_path, sheet)  # parse the workbook while the validation stack loads
    from batchport.report.validation import load_writer, validate_and_report

    if parsing(input_path, sheet):  # still parsing: load what comes after it meanwhile
        from batchport.validation.warmup import warm_up

        warm_up()
        if write:
            load_writer()
    return validate_and_report(input_path, sheet=sheet, out=out, write=write)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector at rest for the block; then everything alive, cycles
    made meanwhile included, set aside (``gc.freeze``) and the collector restored as it was.

    Reading and validating builds one list per sheet row and a few million cells that all live
    until the rows are checked and hold no reference cycles: each automatic collection walked
    every one of them to free nothing (0.35 s per 100k-row workbook in all, a third of it while
    the rows arrive: measured with ``gc.callbacks``). Memory is still freed as usual when the
    last reference goes. Restoring the collector would make its first collection walk all that
    is left once more (0.08 s), so it is set aside instead: the command's process ends right
    after, and never collects it. For the command's own process only: the collector is
    process-wide, so two blocks in threads would restore it early, and a process that runs the
    command and goes on (click's test runner) should call ``gc.unfreeze()`` after it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


_HEADINGS = {
    "error": "Errors (these rows cannot be sent):",
    "warning": "Warnings (a person should look):",
    "info": "Info (values batchport rewrote in a way that cannot be wrong):",
}


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" if number == 1 else f"{number:,} {noun}s"


def _render_validation(validation: Any, report: Path | None) -> None:
    click.echo(
        f"{_count(validation.row_count, 'row')}: {validation.valid:,} valid, "
        f"{validation.invalid:,} invalid; {_count(validation.errors, 'error')}, "
        f"{_count(validation.warnings, 'warning')}, {validation.infos:,} info"
    )
    groups = validation.code_groups()
    width = max(shutil.get_terminal_size((80, 24)).columns, 60)
    code_width = max((len(g.code) for g in groups), default=0)
    count_width = max((len(f"{g.rows:,}") for g in groups), default=0)
    for severity, heading in _HEADINGS.items():
        mine = [g for g in groups if g.severity == severity]
        if mine:
            click.echo(heading)
        for group in mine:
            rows = "row:" if group.rows == 1 else "rows:"
            head = f"  {group.code:<{code_width}}  {group.rows:>{count_width},} {rows:<5} "
            click.echo(head + _row_list(group.first_rows, group.rows, width - len(head)))
    if report is not None:
        click.echo(f"Validation workbook: {report}")


def _row_list(first: tuple[int, ...], total: int, room: int) -> str:
    """``first`` row numbers, as many as fit in ``room`` characters, then "and N more"."""
    shown = len(first)
    while True:
        text = ", ".join(str(row) for row in first[:shown])
        if shown < total:
            text += f" and {total - shown} more"
        if len(text) <= room or shown == 1:
            return text
        shown -= 1


@main.command("template")
@click.argument(
    "out",
    metavar="[OUT.xlsx]",
    required=False,
    default=Path("port-in-template.xlsx"),
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option("--force", is_flag=True, help="Replace OUT.xlsx if it already exists.")
def template_command(out: Path, force: bool) -> None:
    """Write the input template: headers, hints, dropdowns, instructions, three examples.

    An existing file is not replaced unless --force is given.

    Example: batchport template my-port-list.xlsx
    """
    from batchport.outputs import require_writable
    from batchport.report.template import write_template

    require_writable(out, "the template")
    if out.exists() and not force:
        fail(f"{out} already exists; choose another name, or add --force to replace it")
    try:
        write_template(out)
    except OSError as exc:
        fail(f"cannot write the template {out}: {exc.strerror or exc}")
    click.echo(f"Template written to {out}")
