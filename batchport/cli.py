"""The ``batchport`` command line: a thin skin over the library.

Only this module imports click and writes to the terminal. Each command parses its options,
builds settings, calls one library function and renders the outcome. Scripts rely on the exit
codes, so they never change meaning:

    0  all good
    1  the run failed (the message says what to do next)
    2  usage error (click's own code)
    3  finished, but some rows need attention
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from batchport import __version__
from batchport.errors import BatchportError
from batchport.limits import MAX_NUMBERS_PER_ORDER
from batchport.redaction import ScrubFilter, scrub
from batchport.settings import MAX_CONCURRENCY, SANDBOX_PROJECT, Settings, resolve_settings

# The exit codes are a contract with schedulers; the README's "Exit codes" table lists them.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2  # click's own code for a usage error
EXIT_ATTENTION = 3
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


class BatchportGroup(click.Group):
    """A group that turns library errors into one-line messages and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BatchportError as exc:
            if ctx.meta.get("batchport.debug"):
                # The traceback Python would print, with every known secret masked.
                click.echo(scrub(traceback.format_exc()).rstrip(), err=True)
                sys.exit(EXIT_FAILED)
            fail(str(exc))
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(EXIT_INTERRUPTED)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # click's own: usage errors (exit 2), --help, aborted prompts
        except BrokenPipeError:
            sys.exit(EXIT_FAILED)  # the reader went away (`... --json | head`): nothing to say
        except Exception as exc:
            # A fault of batchport itself: still one line, masked, unless --debug asks for more.
            if ctx.meta.get("batchport.debug"):
                click.echo(scrub(traceback.format_exc()).rstrip(), err=True)
                sys.exit(EXIT_FAILED)
            fail(
                f"unexpected {type(exc).__name__}: {exc}; run the same command again with "
                "--debug for the details, and report them"
            )


def fail(message: str) -> NoReturn:
    """Print ``Error: message`` on stderr, every known secret masked, and exit 1."""
    click.echo(f"Error: {scrub(message)}", err=True)
    sys.exit(EXIT_FAILED)


# One filter for every log handler: a secret quoted by the service never reaches a log line.
_SCRUB_LOGS = ScrubFilter()


@click.group(cls=BatchportGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="batchport")
@click.option("--debug", is_flag=True, help="Show full tracebacks and debug logs.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Port US and Canadian phone numbers into Sinch in bulk.

    Example: batchport run samples/clean-mixed.xlsx --sandbox
    """
    ctx.meta["batchport.debug"] = debug
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for handler in logging.getLogger().handlers:  # basicConfig's, or those already installed
        handler.addFilter(_SCRUB_LOGS)


# --- shared option bundles ------------------------------------------------------------------

_Command = TypeVar("_Command", bound=Callable[..., Any])


def api_options(command: _Command) -> _Command:
    """Add the options shared by every command that talks to the Porting API.

    The command receives ``sandbox``, ``project``, ``rate``, ``concurrency``, ``trace``,
    ``config`` and ``state`` keyword arguments (``None`` when not given); pass them to
    :func:`settings_from_options`.
    """
    path = click.Path(dir_okay=False, path_type=Path)
    options = [
        click.option(
            "--sandbox",
            is_flag=True,
            default=False,
            help="Use the built-in emulator of the Porting API instead of Sinch (no credentials).",
        ),
        click.option("--project", metavar="ID", help="Sinch project id [env: SINCH_PROJECT_ID]."),
        click.option(
            "--rate",
            type=click.FloatRange(min=0, min_open=True),
            help="Most API requests per second [env: BATCHPORT_RATE; default 10].",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, MAX_CONCURRENCY),
            help="API requests in flight at once [env: BATCHPORT_CONCURRENCY; default 4].",
        ),
        click.option(
            "--trace",
            type=path,
            metavar="FILE",
            help="Write every HTTP exchange, secrets masked, as JSON lines to FILE.",
        ),
        click.option(
            "--config",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            metavar="FILE",
            help="Read settings from this TOML file [env: BATCHPORT_CONFIG].",
        ),
        click.option(
            "--state",
            type=path,
            metavar="PATH",
            help="The journal database [env: BATCHPORT_STATE].",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def settings_from_options(options: Mapping[str, Any], **overrides: object) -> Settings:
    """Resolve Settings from ``api_options`` values plus extra field overrides.

    ``options`` holds the keyword arguments ``api_options`` adds (others are ignored);
    ``overrides`` are further :class:`~batchport.settings.Settings` fields set by the command.
    Raises ConfigError (shown as a one-line message) on invalid settings.
    """
    values: dict[str, object] = {
        "sandbox": True if options.get("sandbox") else None,
        "project_id": options.get("project"),
        "rate": options.get("rate"),
        "concurrency": options.get("concurrency"),
        "trace_path": options.get("trace"),
        "state_path": options.get("state"),
    }
    values.update(overrides)
    return resolve_settings(values, config_path=options.get("config"))


# --- sandbox commands ------------------------------------------------------------------------


@main.group("sandbox")
def sandbox_group() -> None:
    """The local emulator of the Sinch Porting API.

    Example: batchport sandbox serve --port 8080
    """


@sandbox_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--state",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite file keeping orders across restarts "
    "[default: sandbox-served.sqlite beside the journal].",
)
@click.option("--memory", is_flag=True, help="Keep state in memory only, forgotten on exit.")
@click.option("--seed", default=0, show_default=True, help="Seed for carriers and faults.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Start date of the clock.")
@click.option("--latency-ms", default=0, type=click.IntRange(0), help="Added to every reply.")
@click.option("--jitter-ms", default=0, type=click.IntRange(0), help="Random extra latency.")
@click.option(
    "--rate-limit", default="50", show_default=True, help="Requests/s per project, or off."
)
@click.option("--fault-rate", default=0.0, type=click.FloatRange(0, 1), help="Share of 5xx.")
@click.option("--drop-rate", default=0.0, type=click.FloatRange(0, 1), help="Share of drops.")
@click.option(
    "--ambiguous-rate",
    default=0.0,
    type=click.FloatRange(0, 1),
    help="Share of creates committed but answered 500 or dropped.",
)
@click.option(
    "--scenario",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON or TOML file pinning carriers, portability and rejections.",
)
def sandbox_serve(
    host: str, port: int, today: Any, rate_limit: str, memory: bool, **options: Any
) -> None:
    """Serve the sandbox over HTTP and print the exports that point batchport at it.

    Orders are kept in a SQLite file (sandbox-served.sqlite beside the journal, or --state), so
    a restart sees the orders made before; --memory forgets them on exit. Stop with Ctrl-C.

    Example: batchport sandbox serve --port 8080 --state sandbox.sqlite --seed 7
    """
    from batchport.sandbox import SandboxConfig
    from batchport.sandbox.serve import export_lines, listen, serve

    if memory and options["state"] is not None:
        raise click.UsageError("--memory and --state exclude each other: choose one.")
    state = None if memory else options["state"] or resolve_settings().served_sandbox_path
    config = SandboxConfig.from_options(
        f"rate_limit={rate_limit}",
        seed=options["seed"],
        state_path=state,
        today=today.date() if today else None,
        latency_ms=options["latency_ms"],
        jitter_ms=options["jitter_ms"],
        fault_rate=options["fault_rate"],
        drop_rate=options["drop_rate"],
        ambiguous_rate=options["ambiguous_rate"],
        scenario=options["scenario"],
    )
    sock = listen(host, port)  # a busy port fails here, before any export line
    port = sock.getsockname()[1]
    for line in export_lines(host, port, config, SANDBOX_PROJECT):
        click.echo(line)
    click.echo(f"Sandbox listening on http://{host}:{port} (Ctrl-C to stop)", err=True)
    where = config.state_path or "in memory (forgotten on exit)"
    click.echo(f"Sandbox state: {where}", err=True)
    serve(config, sock)
    click.echo("Sandbox stopped.", err=True)


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
    """Check every row of INPUT (.xlsx or .csv) and report every problem at once.

    Exits 0 when no row has an error, 3 when some do, 1 when the file cannot be used.

    Example: batchport validate samples/clean-mixed.xlsx --out checked.xlsx
    """
    if out is not None and no_report:
        raise click.UsageError("--out and --no-report cannot be used together")
    from batchport.intake.workbook import prefetch

    prefetch(input_path, sheet)  # parse the workbook while the validation stack loads
    from batchport.report.validation import validate_and_report

    validation, report = validate_and_report(input_path, sheet=sheet, out=out, write=not no_report)
    if as_json:
        validation.write_json(sys.stdout)  # streamed: the findings can run to millions
        sys.stdout.write("\n")
        if report is not None:
            click.echo(f"Validation workbook: {report}", err=True)
    else:
        _render_validation(validation, report)
    sys.exit(EXIT_ATTENTION if validation.invalid else EXIT_OK)


def _render_validation(validation: Any, report: Path | None) -> None:
    click.echo(
        f"{validation.row_count} rows: {validation.valid} valid, {validation.invalid} invalid, "
        f"{validation.warnings} warnings"
    )
    problems = validation.top_problems()
    if problems:
        click.echo("Most frequent problems:")
        for code, severity, count in problems:
            click.echo(f"  {count:>7}  {severity:<7}  {code}")
    if report is not None:
        click.echo(f"Validation workbook: {report}")


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


def _is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


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
    if live and not yes and not _is_terminal():
        fail("not submitting to the real Porting API without a terminal; add --yes to confirm")
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
    click.echo(f"Result workbook: {result.result_path}")
    if result.needs_attention:
        click.echo("Some rows need attention: see the Message column of the Rows sheet.")


# --- after submission: orders, notes, configuration, batches ----------------------------------

_Result = TypeVar("_Result")


def _with_client(settings: Settings, call: Callable[[Any], Awaitable[_Result]]) -> _Result:
    """Open the API client ``settings`` name, await ``call(client)`` and return its result."""
    import asyncio

    from batchport.connection import open_client

    async def session() -> _Result:
        async with open_client(settings) as client:
            return await call(client)

    return asyncio.run(session())


def _checked(check_name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    """A click callback applying ``batchport.lifecycle`` check ``module:function`` to a value.

    The check is imported only when the option is given, so ``--help`` stays quick; its
    ValueError becomes a usage error (exit 2) naming the option.
    """
    module, function = check_name.split(":")

    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None:
            return None
        from importlib import import_module

        check = getattr(import_module(f"batchport.lifecycle.{module}"), function)
        try:
            return check(value)
        except ValueError as exc:
            raise click.BadParameter(str(exc), ctx=ctx, param=param) from None

    return callback


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A table on stdout: drawn by rich on a terminal, aligned plain columns otherwise."""
    cells = [["" if value is None else str(value) for value in row] for row in rows]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(*headers, show_lines=False)
        for row in cells:
            table.add_row(*row)
        Console().print(table)
        return
    widths = [max(len(text) for text in column) for column in zip(headers, *cells, strict=True)]
    for row in [list(headers), *cells]:
        click.echo(
            "  ".join(text.ljust(width) for text, width in zip(row, widths, strict=True)).rstrip()
        )


@main.command("orders")
@api_options
@click.option(
    "--status",
    metavar="STATUS",
    callback=_checked("orders:check_status"),
    help="Only orders in this status: PENDING, CONFIRMED, COMPLETED or CANCELED.",
)
@click.option("--reference", metavar="REF", help="Only orders with this customer reference.")
@click.option(
    "--phone-number",
    metavar="NUMBER",
    callback=_checked("orders:normalise_number"),
    help="Only orders holding this number (written any common way).",
)
@click.option(
    "--foc-from",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Only orders with a FOC date on or after this day.",
)
@click.option(
    "--foc-to",
    type=click.DateTime(["%Y-%m-%d"]),
    metavar="YYYY-MM-DD",
    help="Only orders with a FOC date on or before this day.",
)
@click.option(
    "--export",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.xlsx",
    help="Also write the orders to this workbook.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array on stdout.")
def orders_command(
    status: str | None,
    reference: str | None,
    phone_number: str | None,
    foc_from: Any,
    foc_to: Any,
    export: Path | None,
    as_json: bool,
    **api: Any,
) -> None:
    """List the project's orders from the Porting API, every page, with optional filters.

    Example: batchport orders --sandbox --status PENDING --export pending.xlsx
    """
    import json

    from batchport.lifecycle.orders import OrderLine, OrderQuery, list_orders, write_orders
    from batchport.outputs import require_writable

    if foc_from and foc_to and foc_from > foc_to:
        raise click.BadParameter("the FOC range ends before it starts", param_hint="--foc-to")
    query = OrderQuery(
        status=status,
        reference=reference,
        phone_number=phone_number,
        foc_from=foc_from.date() if foc_from else None,
        foc_to=foc_to.date() if foc_to else None,
    )
    if export is not None:
        require_writable(export, "the export workbook")
    lines = _with_client(settings_from_options(api), lambda client: list_orders(client, query))
    if export is not None:
        try:
            write_orders(export, lines)
        except OSError as exc:
            fail(f"cannot write the export workbook {export}: {exc.strerror or exc}")
        click.echo(f"{len(lines)} order(s) written to {export}", err=True)
    if as_json:
        click.echo(json.dumps([line.to_json() for line in lines]))
    elif lines:
        _print_table(OrderLine.headers(), [line.cells() for line in lines])
    else:
        click.echo("No orders match.")


@main.command("notes")
@click.argument("order_id", type=click.IntRange(min=1))
@api_options
@click.option("--add", "text", metavar="TEXT", help="Add this note to the order, then show it.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON on stdout.")
def notes_command(order_id: int, text: str | None, as_json: bool, **api: Any) -> None:
    """Show an order's notes with author and time, oldest first, or add one with --add.

    Example: batchport notes 4312 --add "Corrected PIN sent to the customer" --sandbox
    """
    import json

    from batchport.lifecycle.notes import add_note, order_notes

    settings = settings_from_options(api)
    if text is not None:
        note = _with_client(settings, lambda client: add_note(client, order_id, text))
        if as_json:
            click.echo(json.dumps(note.to_json()))
        else:
            click.echo(f"Note added to order {order_id}:")
            _print_table(["Time (UTC)", "Author", "Note"], [[note.created, note.author, note.text]])
        return
    notes = _with_client(settings, lambda client: order_notes(client, order_id))
    if as_json:
        click.echo(json.dumps([note.to_json() for note in notes]))
    elif notes:
        _print_table(
            ["Time (UTC)", "Author", "Note"], [[n.created, n.author, n.text] for n in notes]
        )
    else:
        click.echo(f"Order {order_id} has no notes.")


@main.group("config")
def config_group() -> None:
    """The project's porting configuration: contact, webhook URL, default port time.

    Example: batchport config show --sandbox
    """


def _render_configuration(config: Any, as_json: bool) -> None:
    import json

    from batchport.lifecycle.configuration import CONFIGURATION_FIELDS, configuration_json

    if as_json:
        click.echo(json.dumps(configuration_json(config)))
        return
    values = configuration_json(config)
    width = max(len(label) for label in CONFIGURATION_FIELDS.values())
    for name, label in CONFIGURATION_FIELDS.items():
        click.echo(f"{label:<{width}}  {values[name] or '-'}")


@config_group.command("show")
@api_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def config_show(as_json: bool, **api: Any) -> None:
    """Show the project's porting configuration (none until `config set` creates it).

    Example: batchport config show --json
    """
    import json

    from batchport.lifecycle.configuration import read_configuration

    settings = settings_from_options(api)
    config = _with_client(settings, read_configuration)
    if config is None:
        if as_json:
            click.echo(json.dumps(None))
        else:
            click.echo(
                f"Project {settings.project_id} has no porting configuration yet; "
                "create one with `batchport config set`."
            )
        return
    _render_configuration(config, as_json)


@config_group.command("set")
@api_options
@click.option(
    "--webhook-url",
    metavar="URL",
    callback=_checked("configuration:check_webhook_url"),
    help="Where Sinch posts order events (http:// or https://).",
)
@click.option("--contact-name", metavar="NAME", help="Who Sinch contacts about port orders.")
@click.option(
    "--contact-email",
    metavar="EMAIL",
    callback=_checked("configuration:check_email"),
    help="The contact's email address.",
)
@click.option("--contact-phone", metavar="PHONE", help="The contact's phone number.")
@click.option(
    "--default-port-time",
    metavar="HH:MM:SS",
    callback=_checked("configuration:check_port_time"),
    help="Port time for orders that name none.",
)
@click.option(
    "--default-port-time-zone",
    metavar="ZONE",
    callback=_checked("configuration:check_time_zone"),
    help="US/Eastern, US/Central, US/Mountain, US/Pacific or GMT.",
)
def config_set(
    webhook_url: str | None,
    contact_name: str | None,
    contact_email: str | None,
    contact_phone: str | None,
    default_port_time: str | None,
    default_port_time_zone: str | None,
    **api: Any,
) -> None:
    """Create the project's porting configuration, or change the fields given.

    Fields not given keep their values; an empty value ("") clears a field.

    Example: batchport config set --webhook-url https://example.com/hook --contact-name "Ann Lee"
    """
    from batchport.lifecycle.configuration import ConfigurationChange, set_configuration

    change = ConfigurationChange(
        webhook_url=webhook_url,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        default_port_time=default_port_time,
        default_port_time_zone=default_port_time_zone,
    )
    if not change.given():
        raise click.UsageError("nothing to set: give at least one option, e.g. --webhook-url")
    settings = settings_from_options(api)
    result = _with_client(settings, lambda client: set_configuration(client, change))
    verb = "created" if result.created else "updated"
    click.echo(f"Porting configuration of project {settings.project_id} {verb}:")
    _render_configuration(result.configuration, as_json=False)


@main.command("batches")
@api_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array on stdout.")
def batches_command(as_json: bool, **api: Any) -> None:
    """List the batches in the journal, newest first, and what each one needs.

    Reads the journal only (--state); the number statuses are the last ones it learned.

    Example: batchport batches --state ~/.local/state/batchport/journal.sqlite
    """
    import json

    from batchport.lifecycle.batches import list_batches

    settings = settings_from_options(api)
    batches = list_batches(settings.state_path)
    if as_json:
        click.echo(json.dumps([batch.to_json() for batch in batches]))
        return
    if not batches:
        click.echo(f"No batches in the journal {settings.state_path}.")
        return
    headers = ["Batch", "Input", "Target", "Started (UTC)", "Rows", "Orders", "Created"]
    headers += ["Rejected", "Not sent", "Refused numbers", "Number statuses", "Attention"]
    rows = []
    for batch in batches:
        record, counts = batch.record, batch.counts
        statuses = ", ".join(f"{s} {n}" for s, n in counts.number_statuses.items())
        rows.append(
            [
                record.id,
                record.source,
                record.target,
                record.created_at.strftime("%Y-%m-%d %H:%M"),
                counts.rows,
                counts.orders,
                counts.created,
                counts.rejected,
                counts.not_sent,
                counts.refused_numbers,
                statuses or "-",
                "yes" if batch.attention else "no",
            ]
        )
    _print_table(headers, rows)
    for batch in batches:
        for reason in batch.attention:
            click.echo(f"{batch.record.id}: {reason}")


@main.command("track")
@api_options
@click.option("--batch", "batch_id", metavar="ID", help="The batch to track [default: the latest].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def track_command(batch_id: str | None, as_json: bool, **api: Any) -> None:
    """Read a batch's open orders, record what changed and rewrite its result workbook.

    Shows what changed since the last track: numbers confirmed (FOC in the port time zone),
    numbers rejected or excluded (with the reason), new notes and orders completed. Exit 3 when
    some number of the batch is rejected or excluded.

    Example: batchport track --sandbox --batch 3f9c2a1b7d04
    """
    import json

    from batchport.lifecycle.track import track_batch
    from batchport.pipeline import target_of

    settings = settings_from_options(api)
    result = _with_client(
        settings,
        lambda client: track_batch(
            client, settings.state_path, target=target_of(settings), batch_id=batch_id
        ),
    )
    if result.warning:
        click.echo(f"Warning: {result.warning}", err=True)
    if as_json:
        click.echo(json.dumps(result.to_json()))
    else:
        _render_track(result)
    if result.attention:
        sys.exit(EXIT_ATTENTION)


def _render_track(result: Any) -> None:
    click.echo(f"Batch {result.batch_id}: {result.orders_read} open order(s) read.")
    if not result.changed:
        click.echo("Nothing changed since the last track.")
    if result.confirmed:
        click.echo("Newly confirmed:")
        _print_table(
            ["Order", "Number", "FOC (port time zone)"],
            [[c.reference, c.phone_number, c.foc] for c in result.confirmed],
        )
    if result.rejected:
        click.echo("Newly rejected or excluded:")
        _print_table(
            ["Order", "Number", "Status", "Reason"],
            [[r.reference, r.phone_number, r.status, r.reason] for r in result.rejected],
        )
    if result.notes:
        click.echo("New notes:")
        _print_table(
            ["Order", "Time (UTC)", "Author", "Note"],
            [[n.reference, n.created, n.author, n.text] for n in result.notes],
        )
    if result.completed:
        click.echo("Orders completed: " + ", ".join(c.reference for c in result.completed))
    if result.result is not None:
        click.echo(f"Result workbook: {result.result}")


# --- after submission: cancel and activate, both asking first --------------------------------


def _require_confirmation(yes: bool, verb: str) -> bool:
    """Whether to ask before ``verb``: not with --yes; without a terminal, --yes is required.

    Unlike `run`, the sandbox is no exception: canceling and activating cannot be undone, and a
    script that forgets --yes should learn it before it meets the real API.
    """
    if yes:
        return False
    if not _is_terminal():
        fail(f"not {verb} without a terminal to confirm on; add --yes to confirm")
    return True


def _order_ids(order_ids: tuple[int, ...], batch: str | None, settings: Settings) -> list[int]:
    from batchport.lifecycle.batch import batch_order_ids

    if order_ids and batch:
        raise click.UsageError("give order ids or --batch, not both")
    if order_ids:
        return list(order_ids)
    return batch_order_ids(settings.state_path, batch)[1]


@main.command("cancel")
@click.argument("order_ids", metavar="[ORDER_ID]...", nargs=-1, type=click.IntRange(min=1))
@click.option("--batch", metavar="ID", help="Cancel the orders this batch created (journal).")
@api_options
@click.option("--yes", is_flag=True, help="Cancel without asking (required without a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def cancel_command(
    order_ids: tuple[int, ...], batch: str | None, yes: bool, as_json: bool, **api: Any
) -> None:
    """Cancel PENDING orders; an order past PENDING cannot be canceled through the API.

    Exit 0 when every order was canceled, 3 when some could not be.

    Example: batchport cancel 890002 890003 --sandbox
    """
    import json

    from batchport.lifecycle.cancel import cancel_orders

    if not order_ids and not batch:
        raise click.UsageError("give the order ids to cancel, or --batch ID")
    settings = settings_from_options(api)
    ids = _order_ids(order_ids, batch, settings)
    confirm = _confirm_cancel if _require_confirmation(yes, "canceling orders") else None
    result = _with_client(
        settings, lambda client: cancel_orders(client, ids, settings.state_path, confirm=confirm)
    )
    if as_json:
        click.echo(json.dumps(result.to_json()))
    else:
        for order_id in result.canceled:
            click.echo(f"Order {order_id} canceled.")
        for refusal in result.refused:
            click.echo(f"Order {refusal.order_id} not canceled: {refusal.reason}")
        if not result.pending and not result.refused:
            click.echo("No order to cancel.")
        _render_workbooks(result)
    if result.declined:
        fail("nothing was canceled (not confirmed)")
    sys.exit(EXIT_ATTENTION if result.needs_attention else EXIT_OK)


def _confirm_cancel(orders: Sequence[Any]) -> bool:
    click.echo(f"About to cancel {len(orders)} PENDING order(s):", err=True)
    for order in orders:
        reference = order.customer_order_reference or "-"
        click.echo(f"  {order.id}  {reference}  {len(order.phone_numbers)} number(s)", err=True)
    return click.confirm("Cancel these orders? This cannot be undone", default=False, err=True)


@main.command("activate")
@click.argument("order_ids", metavar="[ORDER_ID]...", nargs=-1, type=click.IntRange(min=1))
@click.option(
    "--batch", metavar="ID", help="The orders this batch created [default: the latest batch]."
)
@click.option("--group", metavar="NAME", help="Activate only this carrier group.")
@api_options
@click.option("--yes", is_flag=True, help="Activate without asking (required without a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def activate_command(
    order_ids: tuple[int, ...],
    batch: str | None,
    group: str | None,
    yes: bool,
    as_json: bool,
    **api: Any,
) -> None:
    """Activate the ready carrier groups of on-demand orders; say why the others wait.

    Nothing ready is exit 0 with the reasons; 3 when the service did not activate a group.

    Example: batchport activate --batch 20261127-0901-ab12 --group "GW Verizon Grp1" --sandbox
    """
    import json

    from batchport.lifecycle.activate import activate_groups

    settings = settings_from_options(api)
    ids = _order_ids(order_ids, batch, settings)
    confirm = _confirm_activation if _require_confirmation(yes, "activating numbers") else None
    result = _with_client(
        settings,
        lambda client: activate_groups(
            client, ids, settings.state_path, group=group, confirm=confirm
        ),
    )
    if as_json:
        click.echo(json.dumps(result.to_json()))
    else:
        _render_activation(result)
    if result.declined:
        fail("nothing was activated (not confirmed)")
    sys.exit(EXIT_ATTENTION if result.needs_attention else EXIT_OK)


def _confirm_activation(groups: Sequence[Any]) -> bool:
    numbers = sum(len(group.numbers) for group in groups)
    click.echo(f"About to activate {len(groups)} group(s) with {numbers} number(s):", err=True)
    for group in groups:
        click.echo(f"  order {group.order_id}  {group.group}  {len(group.numbers)}", err=True)
    return click.confirm("Activate them? This cannot be undone", default=False, err=True)


def _render_workbooks(result: Any) -> None:
    """The result workbooks a lifecycle command wrote again, and why others were not."""
    for path in result.workbooks:
        click.echo(f"Result workbook: {path}")
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)


def _render_activation(result: Any) -> None:
    for outcome in result.activated:
        click.echo(f"Order {outcome.order_id} {outcome.group}: {outcome.status}")
    if not result.ready:
        click.echo("Nothing is ready for activation.")
    for item in result.not_ready:
        where = f"Order {item.order_id} {item.group}".rstrip()
        click.echo(f"{where}: {item.reason}")
    _render_workbooks(result)


# --- after submission: documents (the LOA) --------------------------------------------------


@main.group("documents")
def documents_group() -> None:
    """Documents of an order (the LOA, a bill): upload them, download them.

    Example: batchport documents upload 890002 loa.pdf --sandbox
    """


@documents_group.command("upload")
@click.argument("order_id", required=False, type=click.IntRange(min=1))
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--batch", metavar="ID", help="Attach documents to every order this batch created.")
@click.option(
    "--dir",
    "folder",
    metavar="DIR",
    type=click.Path(path_type=Path),
    help="With --batch: one document for every order, or those the input's loaFile column names.",
)
@click.option("--description", default="", metavar="TEXT", help="The documents' description.")
@api_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array on stdout.")
def documents_upload(
    order_id: int | None,
    file: Path | None,
    batch: str | None,
    folder: Path | None,
    description: str,
    as_json: bool,
    **api: Any,
) -> None:
    """Attach a PDF, PNG, JPEG or TIFF document to an order, or to every order of a batch.

    Type (by content) and size are checked for every file before anything is sent.

    Example: batchport documents upload --batch 3f9c2a1b7d04 --dir loas/ --sandbox
    """
    import json

    from batchport.lifecycle.documents import batch_uploads, upload_document, upload_documents

    single = order_id is not None or file is not None
    if single and (batch or folder):
        raise click.UsageError("give ORDER_ID FILE, or --batch ID --dir DIR, not both")
    if single and (order_id is None or file is None):
        raise click.UsageError("give both ORDER_ID and FILE")
    if not single and not (batch and folder):
        raise click.UsageError("give ORDER_ID FILE, or --batch ID --dir DIR")
    settings = settings_from_options(api)
    done: Sequence[Any]
    if order_id is not None and file is not None:
        done = (
            _with_client(
                settings,
                lambda client: upload_document(
                    client, order_id, file, settings.state_path, description=description
                ),
            ),
        )
    else:
        assert batch is not None and folder is not None  # checked above
        uploads = batch_uploads(settings.state_path, batch, folder)
        done = _with_client(
            settings,
            lambda client: upload_documents(
                client, uploads, settings.state_path, description=description
            ),
        )
    if as_json:
        click.echo(json.dumps([item.to_json() for item in done]))
        return
    for item in done:
        click.echo(
            f"Order {item.order_id}: {item.name} ({item.kind}, {item.size:,} bytes) uploaded "
            f"as document {item.document_id}."
        )


@documents_group.command("get")
@click.argument("order_id", type=click.IntRange(min=1))
@click.argument("document_id", type=click.IntRange(min=1))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Where to write it [default: the document's name, in the current folder].",
)
@api_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def documents_get(
    order_id: int, document_id: int, out: Path | None, as_json: bool, **api: Any
) -> None:
    """Download a document of an order, readable by you only; an existing file is kept.

    Example: batchport documents get 890002 17 --out loa-890002.pdf --sandbox
    """
    import json

    from batchport.lifecycle.documents import download_document

    settings = settings_from_options(api)
    saved = _with_client(
        settings,
        lambda client: download_document(client, order_id, document_id, out, folder=Path.cwd()),
    )
    if as_json:
        click.echo(json.dumps(saved.to_json()))
    else:
        click.echo(f"Document {document_id} of order {order_id} written to {saved.path}.")
