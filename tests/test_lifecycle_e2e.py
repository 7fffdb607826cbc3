"""A batch the whole way, against the in-process sandbox with its clock advanced, through the CLI.

run → track (two numbers confirmed, a carrier group rejected for an invalid PIN, a Sinch note)
→ resubmit with the corrected PIN (the PENDING order updated by a full PUT that keeps its other
numbers; the rejected numbers in a new order, created once although every create is ambiguous)
→ notes --add → documents upload → the clock to the FOC date → activate → track (ACTIVATED,
COMPLETED) → cancel of the order still PENDING. After each step the Rows sheet is read back and
compared with what the API says of every order (GET). Each command's errors are one line with
the documented exit code.
"""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import openpyxl
from click.testing import CliRunner, Result
from run_inputs import HEADER, advance_sandbox, sandbox_orders
from test_lifecycle_orders import env_for
from test_lifecycle_resubmit import BAD_PIN, GOOD_PIN, edit_rows, row, rows_sheet, settings_for

from batchport.cli import main
from batchport.settings import Settings

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def write_batch(path: Path) -> Path:
    """Two on-demand New York numbers, two Toronto numbers sent with a PIN their carrier
    refuses, two Chicago numbers whose carrier answers only after 30 days."""
    rows = [
        [*row("212-555-0100"), "Yes"],
        [*row("212-555-0101"), "Yes"],
        [*row("416-555-0200", pin=BAD_PIN), "No"],
        [*row("416-555-0201", pin=BAD_PIN), "No"],
        [*row("312-555-0300"), "No"],
        [*row("312-555-0301"), "No"],
    ]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*HEADER, "On-Demand Activation"])
        writer.writerows(rows)
    return path


class Cli:
    """The batchport CLI against the sandbox of ``settings``."""

    def __init__(self, settings: Settings) -> None:
        self.settings, self.runner, self.env = settings, CliRunner(), env_for(settings)

    def __call__(self, *args: str, code: int = 0) -> Result:
        result = self.runner.invoke(main, [*args, "--sandbox"], env=self.env)
        assert result.exit_code == code, (args, result.output)
        return result

    def json(self, *args: str, code: int = 0) -> object:
        return json.loads(self(*args, "--json", code=code).stdout)

    def error(self, *args: str, code: int = 1) -> str:
        """The one-line error of a command that fails with ``code``."""
        result = self(*args, code=code)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
        assert "Traceback" not in result.output
        return lines[0]


def the_truth(settings: Settings, workbook: Path) -> dict[str, tuple[int, str, str]]:
    """E.164 → (order id, number status, order status) as the API says, after checking that
    the Rows sheet of ``workbook`` says the same of every number in an order."""
    orders = {order.id: order for order in sandbox_orders(settings)}
    truth = {}
    for phone, line in rows_sheet(workbook).items():
        order = orders[int(str(line["Order ID"]))]
        (number,) = [n for n in order.phone_numbers if n.phone_number == phone]
        assert line["Number status"] == number.status.value, (phone, line)
        truth[phone] = (order.id, number.status.value, order.status.value)
    statuses = {str(line[0]): str(line[2]) for line in sheet_rows(workbook, "Orders")}
    for order in orders.values():
        if order.customer_order_reference in statuses:
            assert statuses[order.customer_order_reference] == order.status.value
    return truth


def sheet_rows(workbook: Path, name: str) -> list[tuple[object, ...]]:
    return list(openpyxl.load_workbook(workbook, read_only=True)[name].values)[1:]


def test_a_batch_goes_the_whole_way(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    cli = Cli(settings)
    source = write_batch(tmp_path / "customer.csv")
    run = cli.json("run", str(source), "--yes")
    workbook = Path(str(run["result"]))  # type: ignore[index]
    assert run["outcomes"]["submitted"] == 6  # type: ignore[index]
    truth = the_truth(settings, workbook)
    assert {status for _, status, _ in truth.values()} == {"PENDING"}

    advance_sandbox(settings, 2)
    tracked = cli.json("track", code=3)  # some numbers rejected
    assert sorted(c["phone_number"] for c in tracked["confirmed"]) == [  # type: ignore[index]
        "+12125550100",
        "+12125550101",
    ]
    rejected = tracked["rejected"]  # type: ignore[index]
    assert {r["reason"] for r in rejected} == {"Invalid port-out PIN"}
    assert any("Invalid port-out PIN" in note["note"] for note in tracked["notes"])  # type: ignore[index]
    truth = the_truth(settings, workbook)
    assert truth["+14165550200"][1:] == ("REJECTED", "CANCELED")
    assert truth["+13125550300"][1:] == ("PENDING", "PENDING")
    pending_id = truth["+13125550300"][0]

    edit_rows(
        workbook,
        {
            "+14165550200": {"Port-Out PIN": GOOD_PIN},
            "+14165550201": {"Port-Out PIN": GOOD_PIN},
            "+13125550300": {"End User Name": "Acme Dental Chicago"},
        },
    )
    ambiguous = Cli(
        replace(settings, sandbox_options=settings.sandbox_options + ",ambiguous_rate=1")
    )
    done = ambiguous.json("resubmit", str(workbook))
    assert done["updated_orders"] == [pending_id]  # type: ignore[index]
    (new_order,) = done["new_orders"]  # type: ignore[index]
    new_id = new_order["id"]
    same_reference = [
        o for o in sandbox_orders(settings) if o.customer_order_reference == new_order["reference"]
    ]
    assert [o.id for o in same_reference] == [new_id]  # created once
    truth = the_truth(settings, workbook)
    assert truth["+14165550200"][0] == truth["+14165550201"][0] == new_id
    pending = next(o for o in sandbox_orders(settings) if o.id == pending_id)
    assert sorted(n.phone_number for n in pending.phone_numbers) == [
        "+13125550300",
        "+13125550301",
    ]
    assert rows_sheet(workbook)["+13125550300"]["End User Name"] == "Acme Dental Chicago"

    note = cli.json("notes", str(new_id), "--add", "PIN corrected")
    assert "PIN corrected" in json.dumps(note)
    loa = tmp_path / "loa.pdf"
    loa.write_bytes(PDF)
    (uploaded,) = cli.json("documents", "upload", str(new_id), str(loa))  # type: ignore[misc]
    assert uploaded["order"] == new_id and uploaded["type"] == "PDF"

    ready = cli.json("activate", "--yes")
    assert ready["activated"] == [] and ready["not_ready"]  # type: ignore[index]
    advance_sandbox(settings, 14)  # past every FOC date
    activated = cli.json("activate", "--yes")
    groups = {(a["order"], a["status"]) for a in activated["activated"]}  # type: ignore[index]
    assert groups == {(truth["+12125550100"][0], "SUCCESS")}
    final = cli.json("track")
    completed = {c["order_id"] for c in final["completed"]}  # type: ignore[index]
    assert {truth["+12125550100"][0], new_id} <= completed
    truth = the_truth(settings, workbook)
    for phone in ("+12125550100", "+12125550101", "+14165550200", "+14165550201"):
        assert truth[phone][1:] == ("ACTIVATED", "COMPLETED")
    assert truth["+13125550300"][1:] == ("PENDING", "PENDING")

    canceled = cli.json("cancel", str(pending_id), "--yes")
    assert canceled["canceled"] == [pending_id]  # type: ignore[index]
    truth = the_truth(settings, workbook)
    assert truth["+13125550300"][1:] == ("CANCELED", "CANCELED")

    # the errors: one line each, with the documented exit codes
    assert "no order 999999" in cli.error("notes", "999999")
    assert "no order 999999" in cli.error("cancel", "999999", "--yes")
    assert "no order 999999" in cli.error("documents", "upload", "999999", str(loa))
    not_pending = cli("cancel", str(new_id), "--yes", code=3)
    assert "cannot be canceled" in not_pending.stdout or "not canceled" in not_pending.stdout
    nothing = cli("activate", str(new_id), "--yes")  # nothing ready is not a failure
    assert "Nothing is ready for activation." in nothing.stdout
    fake = tmp_path / "fake.pdf"
    fake.write_text("not a pdf")
    assert "fake.pdf" in cli.error("documents", "upload", str(new_id), str(fake))
    assert "no batch nope" in cli.error("resubmit", str(workbook), "--batch", "nope")
    assert "no batch nope" in cli.error("track", "--batch", "nope")
