"""What every ``batchport`` command shares: the group, exit codes, API options and helpers.

Only the ``batchport.cli`` package imports click and writes to the terminal. Each command parses
its options, builds settings, calls one library function and renders the outcome. Scripts rely
on the exit codes, so they never change meaning:

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

# The exit codes are a contract with schedulers, written once in batchport.errors; the
# commands take them from here.
from batchport.errors import EXIT_ATTENTION as EXIT_ATTENTION
from batchport.errors import EXIT_FAILED as EXIT_FAILED
from batchport.errors import EXIT_INTERRUPTED as EXIT_INTERRUPTED
from batchport.errors import EXIT_OK as EXIT_OK
from batchport.errors import EXIT_USAGE as EXIT_USAGE
from batchport.errors import BatchportError
from batchport.redaction import ScrubFilter, scrub
from batchport.settings import MAX_CONCURRENCY, Settings, resolve_settings


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


def is_terminal() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


# --- talking to the API, tables, confirmations ---------------------------------------------

_Result = TypeVar("_Result")


def with_client(settings: Settings, call: Callable[[Any], Awaitable[_Result]]) -> _Result:
    """Open the API client ``settings`` name, await ``call(client)`` and return its result."""
    import asyncio

    from batchport.connection import open_client

    async def session() -> _Result:
        async with open_client(settings) as client:
            return await call(client)

    return asyncio.run(session())


def checked(check_name: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
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


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
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


def require_confirmation(yes: bool, verb: str) -> bool:
    """Whether to ask before ``verb``: not with --yes; without a terminal, --yes is required.

    Unlike `run`, the sandbox is no exception: canceling and activating cannot be undone, and a
    script that forgets --yes should learn it before it meets the real API.
    """
    if yes:
        return False
    if not is_terminal():
        fail(f"not {verb} without a terminal to confirm on; add --yes to confirm")
    return True


def order_ids_for(
    order_ids: tuple[int, ...], batch: str | None, settings: Settings, all_open: bool = False
) -> list[int]:
    """The orders a lifecycle command works on: those given, every open one (``--all-open``),
    or those of batch ``batch`` (the latest when None). Two of them at once is a usage error."""
    from batchport.lifecycle.batch import batch_order_ids, open_order_ids
    from batchport.pipeline import target_of

    if sum((bool(order_ids), bool(batch), all_open)) > 1:
        raise click.UsageError("give order ids, --batch or --all-open, not two of them")
    if order_ids:
        return list(order_ids)
    if all_open:
        return open_order_ids(settings.state_path, target_of(settings))
    return batch_order_ids(settings.state_path, batch)[1]


def all_open_option(verb: str) -> Callable[[_Command], _Command]:
    """The ``--all-open`` flag of a lifecycle command."""
    return click.option(
        "--all-open",
        is_flag=True,
        help=f"{verb} every open order of the journal (any batch of this target).",
    )


def render_workbooks(result: Any) -> None:
    """The result workbooks a lifecycle command wrote again, and why others were not."""
    for path in result.workbooks:
        click.echo(f"Result workbook: {path}")
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
