"""``batchport webhooks``: receive Sinch's porting webhooks and apply them to the journal."""

from __future__ import annotations

import logging
from typing import Any

import click

from batchport.cli.common import api_options, main, settings_from_options


@main.group("webhooks")
def webhooks_group() -> None:
    """Receive Sinch's porting webhooks: batches move as events happen, with no `track`.

    Example: batchport webhooks serve --port 8090
    """


def _check_path(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not value.startswith("/") or value.endswith("/") or "{" in value or "//" in value:
        raise click.BadParameter(
            "must start with / and not end with one, e.g. /sinch/porting", ctx=ctx, param=param
        )
    return value


@webhooks_group.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8090, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--path",
    default="/sinch/porting",
    show_default=True,
    callback=_check_path,
    help="Where deliveries are posted; the secret follows as one more path segment.",
)
@api_options
def webhooks_serve(host: str, port: int, path: str, **api: Any) -> None:
    """Receive porting webhooks; each one makes batchport read its order and apply it.

    Every delivery is stored once in the journal and answered at once; the order it names is
    then read from the Porting API and the batch that holds it is updated (journal events, the
    result workbook), as `batchport track` would. Needs the shared secret
    BATCHPORT_WEBHOOK_SECRET (or webhook_secret in the config file): Sinch must post to
    <public URL><path>/<secret>, which `batchport config set --webhook-url <public URL><path>`
    sets. Stop with Ctrl-C (the orders already queued are read first).

    Example: BATCHPORT_WEBHOOK_SECRET=... batchport webhooks serve --port 8090
    """
    from batchport.connection import open_client
    from batchport.errors import ConfigError
    from batchport.ops.webhooks import NO_SECRET, ReceiverOptions, serve_webhooks
    from batchport.pipeline import target_of
    from batchport.sandbox.serve import listen

    if api.get("sandbox"):
        raise click.UsageError(
            "the in-process sandbox sends no webhooks to another process: run `batchport "
            "sandbox serve` and point batchport at it with the exports it prints"
        )
    settings = settings_from_options(api)
    settings.require_credentials()
    if not settings.webhook_secret:
        raise ConfigError(NO_SECRET)
    options = ReceiverOptions(path=path)
    sock = listen(host, port)  # a busy port fails here, before anything is printed
    port = sock.getsockname()[1]
    target = target_of(settings)
    logging.getLogger("batchport.ops").setLevel(logging.INFO)
    click.echo(
        f"Receiving porting webhooks on http://{host}:{port}{path}/**** (the last segment is "
        "the webhook secret; Ctrl-C to stop)",
        err=True,
    )
    click.echo(f"Orders are read from {target}; journal: {settings.state_path}", err=True)
    receiver = serve_webhooks(
        sock,
        journal_path=settings.state_path,
        target=target,
        secret=settings.webhook_secret,
        client_factory=lambda: open_client(settings),
        options=options,
    )
    counts = receiver.counts
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.by_kind.items()))
    click.echo(
        f"Receiver stopped: {counts.stored} deliveries stored ({kinds or 'none'}), "
        f"{counts.repeats} repeats, {counts.refused} refused; {counts.reads} order reads "
        f"({counts.failed_reads} failed), {counts.workbooks} result workbooks written.",
        err=True,
    )
