"""After submission: ``batches``, ``track``, ``resubmit``, ``cancel``, ``activate`` and
``documents``."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from batchport.cli.common import (
    EXIT_ATTENTION,
    EXIT_OK,
    all_open_option,
    api_options,
    fail,
    main,
    order_ids_for,
    print_table,
    render_workbooks,
    require_confirmation,
    settings_from_options,
    with_client,
)


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
    print_table(headers, rows)
    for batch in batches:
        for reason in batch.attention:
            click.echo(f"{batch.record.id}: {reason}")


@main.command("track")
@click.argument("order_ids", metavar="[ORDER_ID]...", nargs=-1, type=click.IntRange(min=1))
@api_options
@click.option("--batch", "batch_id", metavar="ID", help="The batch to track [default: the latest].")
@all_open_option("Track")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def track_command(
    order_ids: tuple[int, ...], batch_id: str | None, all_open: bool, as_json: bool, **api: Any
) -> None:
    """Read a batch's open orders, record what changed and rewrite its result workbook.

    Shows what changed since the last track: numbers confirmed (FOC in the port time zone),
    numbers rejected or excluded (with the reason), new notes and orders completed. ORDER_IDs
    or --all-open track those orders, batch by batch (--json: one array). Exit 3 when some
    number of a batch tracked is rejected or excluded.

    Example: batchport track --sandbox --batch 3f9c2a1b7d04
    """
    import json

    from batchport.lifecycle.track import track_batch, track_orders
    from batchport.pipeline import target_of

    if sum((bool(order_ids), bool(batch_id), all_open)) > 1:
        raise click.UsageError("give order ids, --batch or --all-open, not two of them")
    settings = settings_from_options(api)
    target = target_of(settings)
    if order_ids or all_open:
        results = with_client(
            settings,
            lambda client: track_orders(
                client, settings.state_path, target=target, order_ids=order_ids
            ),
        )
    else:
        results = [
            with_client(
                settings,
                lambda client: track_batch(
                    client, settings.state_path, target=target, batch_id=batch_id
                ),
            )
        ]
    for result in results:
        if result.warning:
            click.echo(f"Warning: {result.warning}", err=True)
    if as_json:
        payload = [r.to_json() for r in results]
        click.echo(json.dumps(payload if order_ids or all_open else payload[0]))
    else:
        for result in results:
            _render_track(result)
    if any(result.attention for result in results):
        sys.exit(EXIT_ATTENTION)


@main.command("resubmit")
@click.argument("corrected", metavar="CORRECTED", type=click.Path(path_type=Path))
@api_options
@click.option(
    "--batch", "batch_id", metavar="ID", help="The batch corrected [default: the latest]."
)
@click.option("--sheet", metavar="NAME", help="The sheet of CORRECTED to read.")
@click.option("--dry-run", is_flag=True, help="Show what would change; send and record nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def resubmit_command(
    corrected: Path,
    batch_id: str | None,
    sheet: str | None,
    dry_run: bool,
    as_json: bool,
    **api: Any,
) -> None:
    """Apply the rows of a batch that you corrected, and only those.

    CORRECTED is typically the result workbook, its Rows sheet edited (a masked PIN is kept
    as it is; type a new one over it), or any file with the batch's rows. A changed number in a
    PENDING order updates that order (a full update that keeps its other numbers); a rejected,
    excluded or canceled one goes into a new order, created once. Exit 3 when some change could
    not be applied.

    Example: batchport resubmit customer.result.xlsx --sandbox --dry-run
    """
    import json

    from batchport.intake import require_input
    from batchport.lifecycle.resubmit import resubmit_batch
    from batchport.pipeline import target_of

    require_input(corrected)
    settings = settings_from_options(api)
    result = with_client(
        settings,
        lambda client: resubmit_batch(
            client,
            settings.state_path,
            corrected,
            target=target_of(settings),
            batch_id=batch_id,
            sheet=sheet,
            dry_run=dry_run,
            max_per_order=settings.max_per_order,
            concurrency=settings.concurrency,
        ),
    )
    if result.warning:
        click.echo(f"Warning: {result.warning}", err=True)
    if as_json:
        click.echo(json.dumps(result.to_json()))
    else:
        _render_resubmit(result)
    sys.exit(EXIT_ATTENTION if result.needs_attention else EXIT_OK)


def _render_resubmit(result: Any) -> None:
    would = "would be " if result.dry_run else ""
    click.echo(
        f"Batch {result.batch_id}: {len(result.changes)} changed row(s), "
        f"{result.unchanged} unchanged (not touched)."
    )
    actions = {"updated": f"order {would}updated", "new_order": f"{would}in a new order",
               "not_applied": "not applied"}  # fmt: skip
    if result.changes:
        print_table(
            ["Row", "Number", "What", "Order", "Message"],
            [
                [c.file_row, c.phone_number, actions[c.action], c.reference, c.message]
                for c in result.changes
            ],
        )
    for file_row, why in result.unmatched:
        click.echo(
            f"Row {file_row} of {result.corrected} skipped: {why}; run it with batchport run."
        )
    for order_id in result.updated:
        click.echo(f"Order {order_id} updated (full update, every other number kept).")
    for reference, order_id in result.created.items():
        if result.dry_run:
            click.echo(f"New order {reference}: planned (dry run, nothing sent).")
        elif order_id is None:
            click.echo(f"New order {reference}: not created; run the same command again.")
        else:
            click.echo(f"New order {reference}: created as order {order_id}.")
    if result.result is not None:
        click.echo(f"Result workbook: {result.result}")


def _render_track(result: Any) -> None:
    click.echo(f"Batch {result.batch_id}: {result.orders_read} open order(s) read.")
    if not result.changed:
        click.echo("Nothing changed since the last track.")
    if result.confirmed:
        click.echo("Newly confirmed:")
        print_table(
            ["Order", "Number", "FOC (port time zone)"],
            [[c.reference, c.phone_number, c.foc] for c in result.confirmed],
        )
    if result.rejected:
        click.echo("Newly rejected or excluded:")
        print_table(
            ["Order", "Number", "Status", "Reason"],
            [[r.reference, r.phone_number, r.status, r.reason] for r in result.rejected],
        )
    if result.notes:
        click.echo("New notes:")
        print_table(
            ["Order", "Time (UTC)", "Author", "Note"],
            [[n.reference, n.created, n.author, n.text] for n in result.notes],
        )
    if result.completed:
        click.echo("Orders completed: " + ", ".join(c.reference for c in result.completed))
    if result.result is not None:
        click.echo(f"Result workbook: {result.result}")


@main.command("cancel")
@click.argument("order_ids", metavar="[ORDER_ID]...", nargs=-1, type=click.IntRange(min=1))
@click.option("--batch", metavar="ID", help="Cancel the orders this batch created (journal).")
@all_open_option("Cancel")
@api_options
@click.option("--yes", is_flag=True, help="Cancel without asking (required without a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def cancel_command(
    order_ids: tuple[int, ...],
    batch: str | None,
    all_open: bool,
    yes: bool,
    as_json: bool,
    **api: Any,
) -> None:
    """Cancel PENDING orders; an order past PENDING cannot be canceled through the API.

    Exit 0 when every order was canceled, 3 when some could not be.

    Example: batchport cancel 890002 890003 --sandbox
    """
    import json

    from batchport.lifecycle.cancel import cancel_orders

    if not order_ids and not batch and not all_open:
        raise click.UsageError("give the order ids to cancel, --batch ID or --all-open")
    settings = settings_from_options(api)
    ids = order_ids_for(order_ids, batch, settings, all_open)
    confirm = _confirm_cancel if require_confirmation(yes, "canceling orders") else None
    result = with_client(
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
        render_workbooks(result)
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
@all_open_option("Activate the ready groups of")
@click.option("--group", metavar="NAME", help="Activate only this carrier group.")
@api_options
@click.option("--yes", is_flag=True, help="Activate without asking (required without a terminal).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def activate_command(
    order_ids: tuple[int, ...],
    batch: str | None,
    all_open: bool,
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
    ids = order_ids_for(order_ids, batch, settings, all_open)
    confirm = _confirm_activation if require_confirmation(yes, "activating numbers") else None
    result = with_client(
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


def _render_activation(result: Any) -> None:
    for outcome in result.activated:
        click.echo(f"Order {outcome.order_id} {outcome.group}: {outcome.status}")
    if not result.ready:
        click.echo("Nothing is ready for activation.")
    for item in result.not_ready:
        where = f"Order {item.order_id} {item.group}".rstrip()
        click.echo(f"{where}: {item.reason}")
    render_workbooks(result)


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
    help="With --batch: the letters of `batchport loa` (matched by their id), one document for "
    "every order, or those the input's loaFile column names.",
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

    Type (by content) and size are checked for every file before anything is sent. Signed
    letters of `batchport loa` go to the orders holding their numbers, once; exit 3 when a file
    was left out or a letter looks unsigned.

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
    notes: Sequence[str] = ()
    warnings: Sequence[str] = ()
    if order_id is not None and file is not None:
        done = (
            with_client(
                settings,
                lambda client: upload_document(
                    client, order_id, file, settings.state_path, description=description
                ),
            ),
        )
    else:
        assert batch is not None and folder is not None  # checked above
        planned = batch_uploads(settings.state_path, batch, folder)
        warnings = planned.warnings
        for warning in warnings:
            click.echo(f"Warning: {warning}", err=True)
        done = ()
        if planned.uploads:
            done = with_client(
                settings,
                lambda client: upload_documents(
                    client, planned.uploads, settings.state_path, description=description
                ),
            )
        notes = planned.sent_before
    if as_json:
        click.echo(json.dumps([item.to_json() for item in done]))
    else:
        for note in notes:
            click.echo(note)
        for item in done:
            if item.already:
                click.echo(
                    f"Order {item.order_id}: {item.name} was uploaded before as document "
                    f"{item.document_id}; not sent again."
                )
                continue
            click.echo(
                f"Order {item.order_id}: {item.name} ({item.kind}, {item.size:,} bytes) "
                f"uploaded as document {item.document_id}."
            )
        if not done:
            click.echo("Nothing uploaded.")
    if warnings:
        sys.exit(EXIT_ATTENTION)


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
    saved = with_client(
        settings,
        lambda client: download_document(client, order_id, document_id, out, folder=Path.cwd()),
    )
    if as_json:
        click.echo(json.dumps(saved.to_json()))
    else:
        click.echo(f"Document {document_id} of order {order_id} written to {saved.path}.")
