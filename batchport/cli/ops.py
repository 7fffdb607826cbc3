"""Running unattended: ``nightly`` (one cycle for a scheduler) and ``digest``."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from batchport.cli.common import (
    api_options,
    is_terminal,
    main,
    print_table,
    settings_from_options,
)
from batchport.redaction import ScrubFilter
from batchport.settings import Settings

#: Rows of each list the terminal shows; the workbook has them all.
_SHOWN = 10


class JsonLines(logging.Formatter):
    """One JSON object per log record: time (UTC), level, logger, message (and exception)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def _log_to_stderr(log_format: str) -> None:
    """batchport's INFO log lines (DEBUG with --debug) on stderr, as text or JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ScrubFilter())
    text = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(text))
    logger = logging.getLogger("batchport")
    debug = logging.getLogger().level == logging.DEBUG
    logger.setLevel(logging.DEBUG if debug else logging.INFO)
    logger.handlers = [handler]
    logger.propagate = False  # the root's handler would print each line a second time


def _target(settings: Settings) -> str:
    from batchport.pipeline import target_of

    return target_of(settings)


def _own_authors(settings: Settings) -> tuple[str, ...]:
    """The note author this installation writes as: its key id (the service's ``createdBy``)."""
    return (settings.key_id,) if settings.key_id else ()


@main.command("nightly")
@click.option(
    "--inbox",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The folder whose new spreadsheets are run as batches.",
)
@click.option(
    "--done",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Where files that ran cleanly go [default: INBOX/done].",
)
@click.option(
    "--failed",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Where unusable files and files with rows to correct go [default: INBOX/failed].",
)
@click.option(
    "--digest",
    "digest_out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.xlsx",
    help="The digest workbook [default: INBOX/digest/digest.xlsx].",
)
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=7,
    show_default=True,
    help="The digest's window: stalled after N days, activated in the last N days.",
)
@click.option(
    "--settle",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    metavar="SECONDS",
    help="A file modified less than this long ago is left for the next cycle.",
)
@click.option("--activate", is_flag=True, help="Activate the ready groups of on-demand orders.")
@click.option("--yes", is_flag=True, help="Activate without asking (required without a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON summary object on stdout.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Log lines on stderr as text or one JSON object each.",
)
@click.option(
    "--ping-url",
    metavar="URL",
    help="Health-check URL: pinged at URL/start, URL (exit 0) or URL/<exit code>.",
)
@api_options
def nightly_command(
    inbox: Path,
    done: Path | None,
    failed: Path | None,
    digest_out: Path | None,
    days: int,
    settle: float,
    activate: bool,
    yes: bool,
    as_json: bool,
    log_format: str,
    ping_url: str | None,
    **api: Any,
) -> None:
    """Run one unattended cycle: the inbox's new files, tracking, activation, the digest.

    Each new spreadsheet in INBOX runs as a batch and is filed in done/ or failed/ with its
    result workbook; every open order is tracked; with --activate the ready on-demand groups
    are activated; the digest is written. A lock beside the journal keeps two cycles apart.
    Exit 0 nothing needs attention, 3 something does, 1 the cycle failed.

    Example: batchport nightly --inbox /srv/porting/inbox --activate --yes --log-format json
    """
    from batchport.ops.nightly import Folders, run_nightly
    from batchport.pipeline import cycle_services
    from batchport.redaction import scrub_json

    if ping_url is not None and not ping_url.startswith(("http://", "https://")):
        raise click.BadParameter("must start with http:// or https://", param_hint="--ping-url")
    confirm = None
    if activate and not yes:
        if not is_terminal():
            raise click.UsageError("--activate without a terminal to confirm on needs --yes")
        confirm = _confirm_activation
    _log_to_stderr(log_format)
    settings = settings_from_options(api)
    result = run_nightly(
        Folders.under(inbox, done, failed, digest_out),
        cycle_services(settings),
        ping_url=ping_url,
        activate=activate,
        confirm=confirm,
        settle_seconds=settle,
        digest_days=days,
        own_authors=_own_authors(settings),
    )
    if as_json:
        click.echo(json.dumps(scrub_json(result.to_json()), default=str))
    else:
        _render_cycle(result)
    sys.exit(result.exit_code)


def _confirm_activation(groups: Sequence[Any]) -> bool:
    click.echo(f"Ready to activate {len(groups)} group(s):", err=True)
    for group in groups:
        click.echo(
            f"  order {group.order_id}  {group.group}  {len(group.numbers)} number(s)", err=True
        )
    return click.confirm("Activate them? This cannot be undone", default=False, err=True)


def _render_cycle(result: Any) -> None:
    click.echo(f"Inbox: {len(result.files)} file(s).")
    for item in result.files:
        where = f" → {item.moved_to}" if item.moved_to else ""
        click.echo(f"  {item.name}: {item.status.value}{where}. {item.message}")
    if result.tracked:
        orders = sum(item.orders_read for item in result.tracked)
        confirmed = sum(len(item.confirmed) for item in result.tracked)
        rejected = sum(len(item.rejected) for item in result.tracked)
        click.echo(
            f"Tracked {len(result.tracked)} batch(es): {orders} open order(s) read, "
            f"{confirmed} number(s) newly confirmed, {rejected} newly rejected or excluded."
        )
    if result.activation is not None:
        activated = len(result.activation.activated)
        click.echo(f"Activated {activated} group(s); {len(result.activation.not_ready)} not ready.")
    if result.digest_path is not None:
        click.echo(f"Digest: {result.digest_path}")
    for warning in result.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if result.attention:
        click.echo("Needs attention:")
        for reason in result.attention:
            click.echo(f"  - {reason}")
    for error in result.errors:
        click.echo(f"Error: {error}", err=True)


@main.command("digest")
@click.option(
    "--days",
    type=click.IntRange(min=1),
    default=7,
    show_default=True,
    help="Stalled after N days without change; activated in the last N days.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.xlsx",
    help="The digest workbook [default: batchport-digest.xlsx here].",
)
@click.option("--no-workbook", is_flag=True, help="Show the summary only; write no workbook.")
@click.option("--json", "as_json", is_flag=True, help="Print the digest as one JSON object.")
@api_options
def digest_command(
    days: int, out: Path | None, no_workbook: bool, as_json: bool, **api: Any
) -> None:
    """Show the port calendar across batches and each losing carrier's record.

    FOC dates coming up, rejected numbers awaiting a fix, notes not answered, orders with no
    change for N days, numbers activated in the last N days, and per losing carrier the days
    from submit to FOC and the rejection rate. Reads the journal only. Exit 3 when something
    needs attention.

    Example: batchport digest --sandbox --days 5 --out digest.xlsx
    """
    from batchport.ops.digest import digest_journal

    if out is not None and no_workbook:
        raise click.UsageError("give --out or --no-workbook, not both")
    settings = settings_from_options(api)
    target = _target(settings) if settings.sandbox or settings.project_id else None
    path = None if no_workbook else out or Path("batchport-digest.xlsx")
    digest = digest_journal(
        settings.state_path,
        target=target,
        days=days,
        out=path,
        own_authors=_own_authors(settings),
    )
    if as_json:
        click.echo(json.dumps(digest.to_json(), default=str))
    else:
        _render_digest(digest, path)
    sys.exit(3 if digest.attention else 0)


def _render_digest(digest: Any, path: Path | None) -> None:
    click.echo(f"Digest of {digest.target}, {digest.generated:%Y-%m-%d %H:%M} UTC.")
    titles = {
        "FOC calendar": "FOC dates coming up",
        "Rejected": "Rejected numbers awaiting a fix",
        "Notes": "Notes not answered",
        "Stalled": f"Orders with no change for {digest.days} days",
        "Activated": f"Numbers activated in the last {digest.days} days",
    }
    for name, frame in digest.lists().items():
        click.echo(f"{titles[name]}: {len(frame)}")
        if len(frame):
            _show(frame.head(_SHOWN))
            if len(frame) > _SHOWN:
                click.echo(f"  … and {len(frame) - _SHOWN} more (sheet {name!r})")
    if len(digest.carriers):
        click.echo("Losing carriers:")
        _show(digest.carriers)
    if path is not None:
        click.echo(f"Workbook: {path}")
    for reason in digest.attention:
        click.echo(f"Needs attention: {reason}")


def _show(frame: Any) -> None:
    rows = frame.astype(object).where(frame.notna(), None).values.tolist()
    print_table([str(column) for column in frame.columns], rows)
