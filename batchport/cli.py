"""The ``batchport`` command line: a thin skin over the library.

Only this module imports click and writes to the terminal. Each command parses its options,
builds settings, calls one library function and renders the outcome. Exit codes are a contract:

    0  all good
    1  the run failed (the message says what to do next)
    2  usage error (click's own code)
    3  finished, but some rows need attention
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from batchport import __version__
from batchport.errors import BatchportError
from batchport.settings import MAX_CONCURRENCY, Settings, resolve_settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ATTENTION = 3


class BatchportGroup(click.Group):
    """A group that turns library errors into one-line messages and exit code 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BatchportError as exc:
            if ctx.meta.get("batchport.debug"):
                raise
            fail(str(exc))
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            sys.exit(130)


def fail(message: str) -> NoReturn:
    """Print ``Error: message`` on stderr and exit 1."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(EXIT_FAILED)


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


# --- shared option bundles ------------------------------------------------------------------

_Command = TypeVar("_Command", bound=Callable[..., Any])

#: Keyword arguments that ``api_options`` adds to a command.
API_OPTION_NAMES = ("sandbox", "project", "rate", "concurrency", "trace", "config", "state")


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

    ``options`` holds the keyword arguments named in ``API_OPTION_NAMES`` (others are ignored);
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

# --- validate / template commands ------------------------------------------------------------

# --- run / track commands --------------------------------------------------------------------
