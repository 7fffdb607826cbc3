"""``batchport orders``, ``notes`` and ``config``: what the project holds at Sinch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from batchport.cli.common import (
    api_options,
    checked,
    fail,
    main,
    print_table,
    settings_from_options,
    with_client,
)


@main.command("orders")
@api_options
@click.option(
    "--status",
    metavar="STATUS",
    callback=checked("orders:check_status"),
    help="Only orders in this status: PENDING, CONFIRMED, COMPLETED or CANCELED.",
)
@click.option("--reference", metavar="REF", help="Only orders with this customer reference.")
@click.option(
    "--phone-number",
    metavar="NUMBER",
    callback=checked("orders:normalise_number"),
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
    lines = with_client(settings_from_options(api), lambda client: list_orders(client, query))
    if export is not None:
        try:
            write_orders(export, lines)
        except OSError as exc:
            fail(f"cannot write the export workbook {export}: {exc.strerror or exc}")
        click.echo(f"{len(lines)} order(s) written to {export}", err=True)
    if as_json:
        click.echo(json.dumps([line.to_json() for line in lines]))
    elif lines:
        print_table(OrderLine.headers(), [line.cells() for line in lines])
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
        note = with_client(settings, lambda client: add_note(client, order_id, text))
        if as_json:
            click.echo(json.dumps(note.to_json()))
        else:
            click.echo(f"Note added to order {order_id}:")
            print_table(["Time (UTC)", "Author", "Note"], [[note.created, note.author, note.text]])
        return
    notes = with_client(settings, lambda client: order_notes(client, order_id))
    if as_json:
        click.echo(json.dumps([note.to_json() for note in notes]))
    elif notes:
        print_table(
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
    from batchport.redaction import scrub_json

    values = scrub_json(configuration_json(config))  # the webhook URL holds the secret
    if as_json:
        click.echo(json.dumps(values))
        return
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
    config = with_client(settings, read_configuration)
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
    callback=checked("configuration:check_webhook_url"),
    help="Where Sinch posts order events (http:// or https://); with a webhook secret set, "
    "the URL of `batchport webhooks serve` (the secret is added as the last path segment).",
)
@click.option("--contact-name", metavar="NAME", help="Who Sinch contacts about port orders.")
@click.option(
    "--contact-email",
    metavar="EMAIL",
    callback=checked("configuration:check_email"),
    help="The contact's email address.",
)
@click.option("--contact-phone", metavar="PHONE", help="The contact's phone number.")
@click.option(
    "--default-port-time",
    metavar="HH:MM:SS",
    callback=checked("configuration:check_port_time"),
    help="Port time for orders that name none.",
)
@click.option(
    "--default-port-time-zone",
    metavar="ZONE",
    callback=checked("configuration:check_time_zone"),
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

    Fields not given keep their values; an empty value ("") clears a field. When a webhook
    secret is set (BATCHPORT_WEBHOOK_SECRET), it is added to --webhook-url as the last path
    segment, as `batchport webhooks serve` requires, and the URL to configure is printed.

    Example: batchport config set --webhook-url https://example.com/hook --contact-name "Ann Lee"
    """
    from batchport.lifecycle.configuration import ConfigurationChange, set_configuration
    from batchport.ops.webhooks import receiver_url
    from batchport.redaction import scrub

    settings = settings_from_options(api)
    if webhook_url and settings.webhook_secret:
        webhook_url = receiver_url(webhook_url, settings.webhook_secret)
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
    result = with_client(settings, lambda client: set_configuration(client, change))
    verb = "created" if result.created else "updated"
    click.echo(f"Porting configuration of project {settings.project_id} {verb}:")
    _render_configuration(result.configuration, as_json=False)
    if webhook_url and settings.webhook_secret:
        click.echo(
            f"Sinch posts webhooks to {scrub(webhook_url)} (the last segment is the webhook "
            "secret, BATCHPORT_WEBHOOK_SECRET): the same URL is the one to give the Sinch "
            "dashboard, and `batchport webhooks serve` answers there"
        )
    elif webhook_url:
        click.echo(
            "Warning: no webhook secret is set, so the URL was sent as given; `batchport "
            "webhooks serve` refuses deliveries without it (set BATCHPORT_WEBHOOK_SECRET and "
            "run this again)",
            err=True,
        )
