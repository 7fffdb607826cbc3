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
from typing import Any, NoReturn

import click

from batchport import __version__
from batchport.errors import BatchportError

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


# --- sandbox commands ------------------------------------------------------------------------

# --- validate / template commands ------------------------------------------------------------

# --- run / track commands --------------------------------------------------------------------
