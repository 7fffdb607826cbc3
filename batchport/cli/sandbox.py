"""``batchport sandbox``: serve the emulated Porting API on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from batchport.cli.common import (
    main,
)
from batchport.settings import SANDBOX_PROJECT, resolve_settings

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
