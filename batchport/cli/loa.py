"""``loa``: letters of authorization for a batch, ready to sign."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from batchport.cli.common import (
    EXIT_ATTENTION,
    api_options,
    main,
    print_table,
    settings_from_options,
)


@main.command("loa")
@click.option("--batch", "batch_id", metavar="ID", help="The batch [default: the latest].")
@click.option(
    "--out",
    "folder",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the letters [default: <input stem>.loa beside the batch's input].",
)
@click.option(
    "--company",
    default="",
    metavar="NAME",
    help="The requesting company the letters name beside Sinch.",
)
@api_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout.")
def loa_command(
    batch_id: str | None, folder: Path | None, company: str, as_json: bool, **api: Any
) -> None:
    """Write one letter of authorization (PDF) per end user, carrier and account of a batch.

    Each letter lists its numbers, has form fields for the signer and an empty signature
    field; loa-index.xlsx ties each letter to its numbers and orders. Reads the journal
    (--state) and the batch's input; sends nothing. Exit 3 when a letter holds characters
    its font cannot show.

    Example: batchport loa --batch 3f9c2a1b7d04 --company "Northwind Telecom" --out loas/
    """
    import json
    from datetime import date

    from batchport.lifecycle.loa import write_letters

    settings = settings_from_options(api)
    written = write_letters(
        settings.state_path, batch_id, folder=folder, company=company.strip(), today=date.today()
    )
    for warning in written.warnings:
        click.echo(f"Warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(written.to_json()))
    else:
        _render(written)
    if written.warnings:
        sys.exit(EXIT_ATTENTION)


def _render(written: Any) -> None:
    click.echo(f"Batch {written.batch_id}: {len(written.letters)} letter(s) in {written.folder}")
    print_table(
        ["Letter file", "End user", "Carrier", "Numbers", "Orders"],
        [
            [
                letter.file_name,
                letter.content.end_user.name,
                letter.content.carrier,
                len(letter.content.numbers),
                ", ".join(str(order_id) for order_id in letter.orders.values()),
            ]
            for letter in written.letters
        ],
    )
    click.echo(f"Index: {written.index}")
